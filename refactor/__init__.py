"""Targets, codemods, gates and sandboxed test runs: the parts of codegen that touch code.

Nothing here imports the rest of codegen, so these pieces can be reused and tested alone.
"""
