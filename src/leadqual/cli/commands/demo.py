"""``leadqual demo`` and ``leadqual version``."""

from __future__ import annotations

import typer

__all__ = ["demo", "version"]


def demo() -> None:
    """Run the agent end to end on the bundled sample CRM, offline, and print what it concludes.

    It trains a scoring model on the sample's closed leads, activates the agent, and prints a
    seller's prioritised list, one lead's insight, a draft, an event and a review list.
    """
    # Imported here so that `leadqual version` does not pay for scikit-learn and friends.
    from leadqual.cli.walkthrough import run
    from leadqual.sources.sample import load_sample_config, load_sample_data

    run(load_sample_data(), load_sample_config(), typer.echo)


def version() -> None:
    """Print leadqual's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        typer.echo(installed("leadqual"))
    except PackageNotFoundError:  # running from a source tree that was never installed
        typer.echo("0+unknown")
