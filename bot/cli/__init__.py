"""The `codegen` command line: the parser (`main`) and one module per subcommand.

Each subcommand module has `register(subparsers)`. A "command" here is always a CLI
subcommand; slash commands are in action/.

May import adapters/ and refactor/, and other rooms of bot/.
"""
