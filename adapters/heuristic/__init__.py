"""The embedded default engine: no model, proposals derived exactly from the code."""

from adapters.heuristic.engine import HeuristicEngine

__all__ = ["HeuristicEngine"]
