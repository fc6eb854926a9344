"""Reading docstrings: the convention a code base follows, a docstring's parts and words.

And what the code of one definition shows, for the facts gate to compare against.

May import refactor's top.
"""
