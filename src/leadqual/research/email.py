"""Deprecated: email validation moved to :mod:`leadqual.email`; its names still load from here,
with a :class:`DeprecationWarning` saying where to import them from."""

from leadqual._compat import moved_names
from leadqual.research import _EMAIL_MOVES

__getattr__ = moved_names(__name__, _EMAIL_MOVES)
