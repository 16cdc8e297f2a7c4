"""Forked worker processes for batch duplicate detection: how many, whether forking is safe,
and an ordered map over tasks in them."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

__all__ = ["fork_imap", "fork_safe", "resolve_workers"]

_S = TypeVar("_S")
_T = TypeVar("_T")
_R = TypeVar("_R")


def resolve_workers(workers: int) -> int:
    """``workers`` as a count (``-1``: the cores this process may use)."""
    if workers != -1:
        return workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def fork_safe() -> bool:
    """Whether this process may fork worker processes: the platform can, and no other Python
    thread runs (a web or MCP server's threads may hold locks that a child would inherit
    locked)."""
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


_IN_WORKER: dict[str, Any] = {}
"""Set in a forked worker process only (never in the process that forks): its state."""


def _init(state: object) -> None:
    _IN_WORKER["state"] = state


def _call(task: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    fn, item = task
    return fn(_IN_WORKER["state"], item)


def fork_imap(
    state: _S, fn: Callable[[_S, _T], _R], items: Sequence[_T], workers: int
) -> Generator[_R, None, None] | None:
    """``fn(state, item)`` for each item, in order, in forked worker processes that inherit
    ``state`` (not a copy sent to them); ``None`` when there would be fewer than two workers or
    this process may not fork (the caller then works here). ``fn`` is a module-level function.
    The workers end when the generator is exhausted or closed."""
    count = min(resolve_workers(workers), len(items))
    if count < 2 or not fork_safe():
        return None
    return _run(state, fn, items, count)


def _run(
    state: _S, fn: Callable[[_S, _T], _R], items: Sequence[_T], count: int
) -> Generator[_R, None, None]:
    with mp.get_context("fork").Pool(count, initializer=_init, initargs=(state,)) as pool:
        yield from pool.imap(_call, [(fn, item) for item in items])
