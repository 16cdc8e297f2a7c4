"""Progress of long calls: the :class:`Progress` callback, a bar for notebooks and terminals, and
the bookkeeping components use to report through it.

A long call (fitting a scorer, validating a column of addresses, researching a batch of leads,
deduplicating a table) takes ``progress=`` and calls it as ``progress(done, total, label)``:
``done`` of ``total`` units are finished (leads, addresses, stages), ``label`` says what was just
done. ``done`` never decreases and the last call has ``done == total``. A callback that raises
stops the call, and the object called is left as it was before it.

Examples:
    >>> seen = []
    >>> def record(done: int, total: int, label: str) -> None:
    ...     seen.append((done, total))
    >>> steps = Steps(record, 3, "starting")
    >>> steps.advance(2, "two done")
    >>> steps.advance(5, "past the end: held short of it until finish()")
    >>> steps.finish("all done")
    >>> seen
    [(0, 3), (2, 3), (3, 3)]
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from leadqual.errors import ConfigurationError

__all__ = [
    "Progress",
    "Span",
    "Steps",
    "check_progress",
    "notebook_progress",
    "restored_on_error",
]


class Progress(Protocol):
    """What long calls report to: ``progress(done, total, label)``.

    Any function of three positional arguments is one (``Callable[[int, int, str], None]``):
    ``done`` of ``total`` units of work are finished, ``label`` says what was just done (a lead
    id, a stage such as ``"blocking"``). ``done`` never decreases and the last report of a call
    has ``done == total``. Raise from the callback to stop the call: the object called is left
    as it was before it.

    Example:
        >>> def show(done: int, total: int, label: str) -> None:
        ...     print(f"{done}/{total} {label}")
        >>> from leadqual.email import EmailValidator
        >>> _ = EmailValidator(check_deliverability=False).validate_many(
        ...     ["kim@contoso.com"], progress=show)
        0/1 checking syntax
        1/1 checked 1 address(es)
    """

    def __call__(self, done: int, total: int, label: str, /) -> None:
        """Report that ``done`` of ``total`` units are finished; ``label`` says what was done."""


def check_progress(progress: object, /) -> None:
    """Refuse a ``progress=`` argument that cannot be called, before any work starts.

    Raises:
        ConfigurationError: ``progress`` is neither ``None`` nor callable.
    """
    if progress is not None and not callable(progress):
        raise ConfigurationError(
            "progress must be a callable taking (done, total, label), such as "
            f"leadqual.notebook_progress(), or None; got {type(progress).__name__}"
        )


class Steps:
    """One call's reports to a :class:`Progress` callback.

    Reports ``(0, total, label)`` when made (unless ``total`` is 0); after that ``done`` only
    grows, and only :meth:`finish` reports ``done == total``, once, as the last report. Reports
    on the way are thinned to ``reports`` of them at most, so a callback over a million rows is
    called a few hundred times, not a million.

    Args:
        progress: the callback.
        total: units of work in the call (0 or more).
        label: what the call starts with.
        reports: how many reports to make at most between start and end.
    """

    __slots__ = ("_finished", "_last", "_progress", "_stride", "done", "total")

    def __init__(self, progress: Progress, total: int, label: str, *, reports: int = 200) -> None:
        self._progress = progress
        self.total = max(0, int(total))
        self.done = 0
        self._stride = max(1, -(-self.total // max(1, reports)))  # ceil: `reports` at most
        self._last = 0
        self._finished = False
        if self.total:
            progress(0, self.total, label)

    def to(self, done: int, label: str) -> None:
        """Report ``done`` units finished (never less than already reported; short of ``total``
        until :meth:`finish`)."""
        done = max(self.done, min(done, self.total - 1))
        self.done = done
        if done - self._last >= self._stride:
            self._last = done
            self._progress(done, self.total, label)

    def advance(self, n: int, label: str) -> None:
        """Report ``n`` more units finished."""
        self.to(self.done + n, label)

    def finish(self, label: str) -> None:
        """Report the call finished: ``done == total`` (once; a second call does nothing)."""
        if self._finished:
            return
        self._finished = True
        self.done = self._last = self.total
        self._progress(self.total, self.total, label)

    def span(self, width: int) -> Span:
        """The next ``width`` units, to be filled in proportion to a part of the work whose size
        is known only later (candidate pairs to compare, pairs to explain)."""
        return Span(self, self.done, width)


class Span:
    """``width`` units of a :class:`Steps` starting at ``start``, filled in proportion."""

    __slots__ = ("_steps", "start", "width")

    def __init__(self, steps: Steps, start: int, width: int) -> None:
        self._steps, self.start, self.width = steps, start, width

    def at(self, part: int, of: int, label: str) -> None:
        """Report ``part`` of ``of`` items of this span finished."""
        share = self.width if of <= 0 else self.width * min(part, of) // of
        self._steps.to(self.start + share, label)

    def end(self, label: str) -> None:
        """Report the span finished."""
        self._steps.to(self.start + self.width, label)


@contextmanager
def restored_on_error(obj: object, /) -> Iterator[None]:
    """Put ``obj``'s attributes back as they were when the block raises (a progress callback
    that stops a fit, an error half way): the object is never left half updated.

    The snapshot is shallow: the block must bind new values, not change the old ones in place.
    """
    before = dict(vars(obj))
    try:
        yield
    except BaseException:
        state = vars(obj)
        state.clear()
        state.update(before)
        raise


# -- the bar ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
"""Control characters: a label (a lead id from a CRM) must not move the cursor or colour the
terminal."""


def _clean(label: str, limit: int = 60) -> str:
    text = _CONTROL.sub(" ", str(label)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _View(Protocol):
    def update(self, done: int, total: int, label: str) -> None: ...
    def close(self) -> None: ...


class _TextView:
    """A one-line bar on standard error, redrawn when the whole percentage changes."""

    WIDTH = 24

    def __init__(self, description: str, total: int) -> None:
        self.description = description
        self.percent = -1
        self.update(0, total, "")

    def update(self, done: int, total: int, label: str) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent == self.percent:
            return
        self.percent = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "." * (self.WIDTH - filled)
        tail = f" {_clean(label)}" if label else ""
        # sys.stderr looked up now: a notebook or a test may have replaced it since
        sys.stderr.write(f"\r{self.description} {percent:3d}% [{bar}] {done}/{total}{tail}\x1b[K")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


class _TqdmView:
    """A tqdm bar: the notebook widget in Jupyter with ipywidgets, tqdm's text bar elsewhere."""

    def __init__(self, bar_class: Callable[..., Any], description: str, total: int) -> None:
        self.bar = bar_class(total=total, desc=description, leave=True)

    def update(self, done: int, total: int, label: str) -> None:
        if self.bar.total != total:
            self.bar.reset(total=total)  # the notebook widget's length changes with it
        self.bar.set_postfix_str(_clean(label), refresh=False)
        # update() keeps tqdm's own redraw throttling; it needs a step, so none when done stays
        if done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _bar_class() -> Callable[..., Any] | None:
    """tqdm's notebook bar in a Jupyter kernel with ipywidgets, its text bar otherwise, or
    ``None`` without tqdm."""
    try:
        from tqdm import std  # optional: pip install leadqual[notebook]
    except ImportError:
        return None
    chosen: Callable[..., Any] = std.tqdm
    if "ipykernel.zmqshell" in sys.modules:
        try:
            from tqdm import notebook
        except ImportError:  # pragma: no cover - an old IPython
            return chosen
        # without ipywidgets tqdm's widget cannot be drawn (tqdm.auto warns, then prints text)
        if getattr(notebook, "IProgress", None) is not None:
            chosen = notebook.tqdm
    return chosen


class _Bar:
    """The callable :func:`notebook_progress` returns: one bar per call it reports on."""

    def __init__(self, total: int | None, description: str) -> None:
        self._description = _clean(description, 40)
        self._lock = threading.Lock()  # a sync call may report from its worker thread
        self._view: _View | None = None
        self._done = 0
        if total is not None:
            self._view = self._open(total)

    def _open(self, total: int) -> _View:
        bar_class = _bar_class()
        if bar_class is None:
            return _TextView(self._description, total)
        return _TqdmView(bar_class, self._description, total)

    def __call__(self, done: int, total: int, label: str, /) -> None:
        done, total = int(done), int(total)
        with self._lock:
            if self._view is not None and done < self._done:
                # a new call reporting through the same callback: start a new bar
                self._view.close()
                self._view = None
            if self._view is None:
                self._view = self._open(total)
            self._done = done
            self._view.update(done, total, label)
            if done >= total:
                self._view.close()
                self._view = None
                self._done = 0

    def close(self) -> None:
        """End the bar now (a call that stopped before its end leaves it open)."""
        with self._lock:
            if self._view is not None:
                self._view.close()
                self._view = None
                self._done = 0


def notebook_progress(total: int | None = None, description: str = "leadqual") -> Progress:
    """A progress bar to pass as ``progress=`` to long calls.

    In Jupyter with ``tqdm`` and ``ipywidgets`` installed it is tqdm's notebook widget; with
    ``tqdm`` alone, tqdm's text bar; without ``tqdm``, a plain text bar. Text bars go to standard
    error. ``pip install leadqual[notebook]`` brings ``tqdm``. One bar serves several calls in
    turn: each call that starts again from zero gets a bar of its own, and a bar closes when its
    call reports ``done == total``.

    Args:
        total: show an empty bar of this length at once (before the call's first report); the
            call's own total replaces it. ``None``: the bar appears with the first report.
        description: the text before the bar.

    Example:
        >>> from leadqual.email import EmailValidator
        >>> checks = EmailValidator(check_deliverability=False).validate_many(
        ...     ["kim@contoso.com", "bo@fabrikam.com"], progress=notebook_progress())
        >>> len(checks)
        2
    """
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ConfigurationError(
            f"total must be a whole number of at least 0 or None, not {total!r}"
        )
    if not isinstance(description, str):
        raise ConfigurationError(f"description must be text, not {type(description).__name__}")
    return _Bar(total, description)
