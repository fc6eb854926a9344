"""Gates: each proposal passes them in order, cheapest first, or is dropped with the reason.

May import refactor's top, refactor/sandbox and refactor/testing.
"""

from codegen_bot.refactor.gates.verdict import Verdict

__all__ = ["Verdict"]
