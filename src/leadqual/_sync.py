"""Event-loop plumbing shared by every async component (email validator, researcher, LLM drafting):
running coroutines from synchronous code, and asyncio state kept per event loop."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

__all__ = ["PerLoop", "run_sync"]

_T = TypeVar("_T")


def run_sync(make: Callable[[], Coroutine[Any, Any, _T]], /) -> _T:
    """Run the coroutine ``make()`` to completion from sync code.

    Inside a running event loop (Jupyter) it runs on a private loop in a worker thread instead
    of failing or nesting loops; the coroutine is created in the thread that awaits it.

    Examples:
        >>> async def two() -> int:
        ...     return 2
        >>> run_sync(two)
        2
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadqual-sync") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


class PerLoop(Generic[_T]):
    """One ``T`` per running event loop, made on first use and dropped with its loop.

    Asyncio primitives (semaphores, futures, tasks) belong to the loop they were made on; an
    object used from several loops (``asyncio.run`` twice, the private loop of :func:`run_sync`)
    keeps one set per loop. Keyed weakly by the loop, so a new loop never inherits a dead loop's
    state; safe to call from several threads.

    Examples:
        >>> states = PerLoop(lambda: asyncio.Semaphore(2))
        >>> async def same() -> bool:
        ...     return states.get() is states.get()
        >>> asyncio.run(same())
        True
    """

    def __init__(self, factory: Callable[[], _T], /) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> _T:
        """The state of the running loop (``RuntimeError`` outside one)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.get(loop)
            if state is None:
                state = self._factory()
                self._states[loop] = state
            return state
