"""The reviewed repository, read through GitPython and never written to.

Also the changed Python sources of a diff, each usable or skipped with a reason, and a
pull request's commits fetched into the local checkout, and the scratch copy of a commit
(`git archive`, never a checkout) that sandboxed runs work in.

May import bot's top (config, errors) and refactor/.
"""
