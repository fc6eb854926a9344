"""Codemods: one transform per file, each turning a candidate into a concrete file change."""
