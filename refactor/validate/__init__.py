"""Gates: each proposal passes them in order, cheapest first, or is dropped with the reason."""

from refactor.validate.verdict import Verdict

__all__ = ["Verdict"]
