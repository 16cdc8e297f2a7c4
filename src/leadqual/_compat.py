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
import os
import sys
import warnings
from collections.abc import Callable, Coroutine, Mapping
from types import FrameType
from typing import Any, ParamSpec, TypeVar

__all__ = ["is_coroutine_function", "moved_names", "renamed_kwarg", "warn_deprecated"]

P = ParamSpec("P")
R = TypeVar("R")

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_COROUTINE_MARK = "_leadqual_coroutine_function"


def _is_internal(frame: FrameType, skip_modules: tuple[str, ...]) -> bool:
    """Whether ``frame`` runs this package's code, the import machinery's (which runs a module
    ``__getattr__`` for ``from x import y``) or code of one of ``skip_modules``."""
    filename = frame.f_code.co_filename
    if filename.startswith(_PACKAGE_DIR) or ("importlib" in filename and "_bootstrap" in filename):
        return True
    module = str(frame.f_globals.get("__name__", ""))
    return any(module == m or module.startswith(m + ".") for m in skip_modules)


def warn_deprecated(message: str, /, *, skip_modules: tuple[str, ...] = ()) -> None:
    """Raise a :class:`DeprecationWarning` at the first line outside this package that led here.

    However many of the package's wrappers and aliases stand between the user's call and the
    deprecated code, the warning names the user's file and line (and warning filters see the
    user's module), as ``warnings.warn(..., skip_file_prefixes=...)`` does from Python 3.12 on.
    ``skip_modules`` names libraries whose frames are skipped too (``("pydantic",)`` for a
    model validator, which pydantic calls for the user).
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _is_internal(frame, skip_modules):
        frame = frame.f_back
    if frame is None:  # called from inside the package only (at import time, say)
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return
    module_globals = frame.f_globals
    warnings.warn_explicit(
        message,
        DeprecationWarning,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=module_globals.get("__name__", "<string>"),
        registry=module_globals.setdefault("__warningregistry__", {}),
        module_globals=module_globals,
    )


def is_coroutine_function(obj: object, /) -> bool:
    """Whether calling ``obj`` returns a coroutine: an ``async def`` function or method, or one
    wrapped by :func:`renamed_kwarg` (a plain function that checks its keywords when called)."""
    return inspect.iscoroutinefunction(obj) or getattr(obj, _COROUTINE_MARK, False) is True


def renamed_kwarg(old: str, new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept the keyword ``old`` as ``new`` with a :class:`DeprecationWarning`.

    Giving both is a :class:`TypeError`, as Python does for a keyword given twice. Works on plain
    functions, methods and coroutine functions; for a coroutine function the keyword is checked,
    and the warning raised, when it is called, not when its coroutine is awaited. The warning
    points at the user's line however many wrappers are stacked (:func:`warn_deprecated`).
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        label = f"{func.__qualname__}()"

        def translate(kwargs: dict[str, Any]) -> None:
            if old not in kwargs:
                return
            if new in kwargs:
                raise TypeError(f"{label} got both {old!r} and {new!r}; pass only {new!r}")
            warn_deprecated(
                f"{label.rsplit('.', 1)[-1]}: the keyword {old!r} is deprecated; use {new!r} instead"
            )
            kwargs[new] = kwargs.pop(old)

        if is_coroutine_function(func):
            coroutine_function: Callable[..., Coroutine[Any, Any, Any]] = func  # type: ignore[assignment]

            # a plain function returning the coroutine, so the keyword is read at the call
            @functools.wraps(func)
            def async_wrapper(*args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
                translate(kwargs)
                return coroutine_function(*args, **kwargs)

            _mark_coroutine_function(async_wrapper)
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            translate(kwargs)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def _mark_coroutine_function(func: Callable[..., Any]) -> None:
    """Let :func:`inspect.iscoroutinefunction` (Python 3.12+) and :func:`is_coroutine_function`
    (every version) see that ``func`` returns a coroutine."""
    setattr(func, _COROUTINE_MARK, True)
    mark = getattr(inspect, "markcoroutinefunction", None)
    if mark is not None:
        mark(func)


def moved_names(module: str, moves: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved: ``moves`` maps each old name to the module
    that now holds it; reading the old name warns (at the reader's line, see
    :func:`warn_deprecated`) and returns the object from its new home.

    Use as ``__getattr__ = moved_names(__name__, {"EmailValidator": "leadqual.email"})``.
    """

    def module_getattr(name: str) -> Any:
        target = moves.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warn_deprecated(f"{module}.{name} has moved: import it from {target}")
        return getattr(importlib.import_module(target), name)

    return module_getattr
