"""What codegen knows about a repository's tests: conventions, coverage, example calls.

And what an engine gets to write a test for one definition.

May import refactor's top.
"""
