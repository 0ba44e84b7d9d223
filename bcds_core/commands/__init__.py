"""One module per CLI command: ``add_arguments(parser)`` and ``run(args) -> exit code``.

These modules stay light (heavy imports happen inside ``run``) so that the
parser, ``--help`` and light commands start fast.
"""
