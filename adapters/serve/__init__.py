"""`codegen serve`: a warm model behind an OpenAI-compatible completions API, a name per adapter.

`api.py` is the pure core (requests checked and answers shaped without I/O), `batcher.py`
groups concurrent requests per adapter for one worker thread, `server.py` is the HTTP edge.

May import adapters/engines (the hf engine's loaded model).
"""
