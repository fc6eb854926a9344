"""The untrusted-code boundary: a pull request's code and generated tests run only here.

No token, no network where the OS allows it, CPU/memory/time limits. `process` starts
the sandbox (bubblewrap or a plain subprocess), `runner` is the host side of a test run,
and `sandbox_main` with the `_codegen_*` helpers runs inside it, importing only the
standard library, pytest, coverage and Hypothesis.

May import refactor's top and refactor/testing (host side only).
"""
