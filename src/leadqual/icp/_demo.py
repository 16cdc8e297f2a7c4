"""Where ``leadqual demo`` used to find its ICP and prioritisation section; it lives in
:mod:`leadqual.prioritize._demo` now, beside the prioritisation it shows."""

from leadqual.prioritize._demo import demo_lines

__all__ = ["demo_lines"]
