"""GitHub: the host, the Git Data API, retries, hidden markers, events, and plain values.

`host` is the only module that imports PyGithub; `events` turns a payload into a job
without I/O; `retries` decides, purely, when a call is worth another try.

May import bot's top (config, errors, report) and refactor/; no task, no publishing.
"""
