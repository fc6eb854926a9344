"""Edits: one transform per file, each turning a candidate into a concrete file change.

Also ruff's own fixes, and definition rewrites combined into one file.

May import refactor's top (results, targets, patches) and refactor/gates (ruff).
"""
