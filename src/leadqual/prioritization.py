"""Deprecated: the prioritisation API lives in :mod:`leadqual.prioritize` now.

Every name this module exported still resolves, with a :class:`DeprecationWarning` that says to
import it from ``leadqual.prioritize``.
"""

import leadqual.prioritize
from leadqual._compat import moved_names

# Added to leadqual.prioritize after the move: never importable from here, so they stay that way.
_ADDED_SINCE = frozenset({"Factor", "PrioritizationOrder"})

__all__: list[str] = []

__getattr__ = moved_names(
    __name__,
    {
        name: "leadqual.prioritize"
        for name in leadqual.prioritize.__all__
        if name not in _ADDED_SINCE
    },
)
