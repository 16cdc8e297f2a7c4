"""The ``leadqual`` command: ``leadqual demo`` runs the agent on the bundled sample CRM, offline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from leadqual.sources.sample import load_sample_config, load_sample_data

__all__ = ["main"]


def demo(out: Callable[[str], object] = print) -> int:
    """Run the agent end to end on the sample CRM and print what it concludes."""
    # Imported here so `leadqual version` does not pay for scikit-learn and friends.
    from leadqual.cli.walkthrough import run

    run(load_sample_data(), load_sample_config(), out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leadqual`` command."""
    parser = argparse.ArgumentParser(prog="leadqual", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run leadqual on the bundled sample CRM, offline")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    if args.command == "version":
        from importlib.metadata import version

        print(version("leadqual"))
        return 0
    return demo()


if __name__ == "__main__":
    sys.exit(main())
