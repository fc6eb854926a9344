"""Training pairs mined from a repository's history, one JSONL file per task.

The miners are pure: they read the commit records and file snapshots a `run.History`
hands them and return rows; `run.py` drives them, `dataset.py` cleans, deduplicates
and splits the rows.

May import adapters/engines (the heuristic engine's checks), adapters/prompts and
refactor/.
"""
