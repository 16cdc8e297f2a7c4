"""Deprecation helpers: renamed keyword arguments and names that moved to another module.

Both keep old code working for one release while telling its author, in a
:class:`DeprecationWarning` raised at the caller's line, what to write instead.

Examples:
    >>> import warnings
    >>> @renamed_kwarg("as_of", "now")
    ... def age(*, now: int = 0) -> int:
    ...     return now
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     age(as_of=3)
    3
    >>> str(seen[0].message)
    "age(): the keyword 'as_of' is deprecated; use 'now' instead"
"""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

__all__ = ["moved_names", "renamed_kwarg"]

P = ParamSpec("P")
R = TypeVar("R")


def renamed_kwarg(old: str, new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept the keyword ``old`` as ``new`` with a :class:`DeprecationWarning`.

    Giving both is a :class:`TypeError`, as Python does for a keyword given twice. Works on plain
    functions, methods and coroutine functions.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        label = f"{func.__qualname__}()"

        def translate(kwargs: dict[str, Any]) -> None:
            if old not in kwargs:
                return
            if new in kwargs:
                raise TypeError(f"{label} got both {old!r} and {new!r}; pass only {new!r}")
            warnings.warn(
                f"{label.rsplit('.', 1)[-1]}: the keyword {old!r} is deprecated; use {new!r} instead",
                DeprecationWarning,
                stacklevel=3,
            )
            kwargs[new] = kwargs.pop(old)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                translate(kwargs)
                return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            translate(kwargs)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def moved_names(module: str, moves: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved: ``moves`` maps each old name to the module
    that now holds it; reading the old name warns and returns the object from its new home.

    Use as ``__getattr__ = moved_names(__name__, {"EmailValidator": "leadqual.email"})``.
    """

    def module_getattr(name: str) -> Any:
        target = moves.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(
            f"{module}.{name} has moved: import it from {target}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(target), name)

    return module_getattr
