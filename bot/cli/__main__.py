"""`python -m codegen_bot.bot.cli`: the `codegen` command line."""

import sys

from codegen_bot.bot.cli.main import main

sys.exit(main())
