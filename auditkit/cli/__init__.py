"""The ``auditkit`` command line: one click group that builds the installation and calls features.

``main`` is the console entry point; ``cli`` the group (tests invoke it in-process).
"""

from auditkit.cli.main import cli, main

__all__ = ["cli", "main"]
