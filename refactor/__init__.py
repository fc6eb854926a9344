"""What edits and proves code: targets, edits, gates, and the sandbox for untrusted code.

Imports nothing else of codegen, so these pieces can be reused and tested alone.
"""
