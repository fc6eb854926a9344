"""One module per `codegen` subcommand, each with `register(subparsers)`."""
