"""The error a session stopped with, read from pytest's and Python's output."""

from __future__ import annotations

from codegen_bot.refactor.sandbox.crash import stopped_with

TRACEBACK = """\
Traceback (most recent call last):
  File "/venv/pluggy/_manager.py", line 448, in _verify_hook
    raise PluginValidationError(
pluggy._manager.PluginValidationError: Plugin '/tmp/x/tree/conftest.py' for hook 'pytest_ignore_collect'
hookimpl definition: pytest_ignore_collect(path, config)
/venv/coverage/control.py:964: CoverageWarning: No data was collected. (no-data-collected)
  self._warn("No data was collected.", slug="no-data-collected")
"""


def test_the_last_exception_with_its_message_lines_and_no_warning_after_it() -> None:
    assert stopped_with(TRACEBACK, "/tmp/x/tree") == (
        "PluginValidationError: Plugin 'conftest.py' for hook 'pytest_ignore_collect' "
        "hookimpl definition: pytest_ignore_collect(path, config)"
    )


def test_pytests_own_error_report_and_its_exit_banner() -> None:
    conftest = "ImportError while loading conftest '/r/conftest.py'.\nE   ModuleNotFoundError: x\n"
    assert stopped_with(conftest, "/r") == "ModuleNotFoundError: x"
    banner = "!!!!!!!!!! _pytest.outcomes.Exit: stop here !!!!!!!!!!\n"
    assert stopped_with(banner, "/r") == "Exit: stop here"
    internal = "INTERNALERROR> KeyError: 'x'\n"
    assert stopped_with(internal, "/r") == "KeyError: 'x'"


def test_no_exception_named_and_long_messages_cut() -> None:
    assert stopped_with("1 passed in 0.01s\n", "/r") == ""
    long = stopped_with("ValueError: " + "x" * 1000, "/r", limit=50)
    assert len(long) == 50 and long.endswith("…")
