"""Training pairs mined from a repository's history, one JSONL file per task.

The miners are pure: they read commit records and file snapshots that the CLI gathers with git,
and return rows; `dataset.py` cleans, deduplicates and splits them.
"""
