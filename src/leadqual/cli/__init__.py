"""The ``leadqual`` command: the agent over a CRM export, email checks, duplicates, predictive
scoring, configuration checks and replays, on Typer and rich. See docs/cli.md.

``leadqual demo`` runs the agent on the bundled sample CRM, offline. Building the command line
loads neither pandas nor scikit-learn: each command imports what it uses when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadqual.cli.app import app
from leadqual.cli.errors import ExitCode

__all__ = ["ExitCode", "app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leadqual`` command: runs it on ``argv`` (default: the process's
    arguments) and returns the exit code (see :mod:`leadqual.cli.errors`)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="leadqual")
    except SystemExit as done:
        code = done.code
        if code is None:
            return 0
        return code if isinstance(code, int) else ExitCode.BAD_INPUT
    return 0
