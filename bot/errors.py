"""The one exception tree of the bot; the CLI turns each into one clear line and an exit code."""

from __future__ import annotations


class CodegenError(Exception):
    """Base of every error the bot reports to its user. `exit_code` is what the CLI returns."""

    exit_code = 1


class UsageError(CodegenError):
    """The command was called wrongly: a bad flag, a missing file, an unknown revision."""

    exit_code = 2


class ConfigError(UsageError):
    """The `[tool.codegen]` table or `.codegen.toml` is invalid; the message names key and file."""


class WorkspaceError(UsageError):
    """The repository or a revision cannot be read (not a git repository, unknown revision)."""


class NoReportError(CodegenError):
    """`codegen publish` found no report: the proposing job failed, timed out or was cancelled.

    A `/codegen` command's comment has been answered saying so before this is raised; exit
    code 3 tells this apart from a failure of the publishing job itself (1) and misuse (2).
    """

    exit_code = 3
