"""Sandboxed test runs: the in-sandbox program, its host side, conventions, examples."""
