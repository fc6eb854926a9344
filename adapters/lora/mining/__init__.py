"""Training pairs mined from a repository's history, one JSONL file per task.

The miners are pure: they read commit records and file snapshots that bot/lora gathers
with git, and return rows; `dataset.py` cleans, deduplicates and splits them.

May import adapters/engines (the heuristic engine's checks), adapters/prompts and
refactor/.
"""
