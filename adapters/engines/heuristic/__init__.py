"""The embedded default engine: no model, proposals derived exactly from the code.

May import adapters/engines and refactor/ (targets, edits, testing).
"""

from codegen_bot.adapters.engines.heuristic.engine import HeuristicEngine

__all__ = ["HeuristicEngine"]
