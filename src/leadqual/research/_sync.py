"""Running the research package's coroutines from synchronous code (the email validator's and the
researcher's ``*_sync``-style methods share this one helper)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_sync"]

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
