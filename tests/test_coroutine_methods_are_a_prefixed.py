"""One rule for async names (docs/concepts.md, Conventions): every coroutine method of a public
protocol or component is ``a``-prefixed, so a plain name is never a coroutine. SafeFetcher's
helpers, awaited inside a provider, are the one stated exception."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import leadqual
from leadqual._compat import is_coroutine_function
from leadqual.drafting import Drafter
from leadqual.email import Resolver
from leadqual.research import ResearchProvider, SafeFetcher
from leadqual.testing import StaticHostResolver

# internal async-only helpers inside a provider (SafeFetcher and the host resolver it is built on)
EXEMPT: frozenset[type] = frozenset({SafeFetcher, StaticHostResolver})


def _public_classes() -> set[type]:
    modules = ["leadqual"] + [
        f"leadqual.{m.name}" for m in pkgutil.iter_modules(leadqual.__path__) if m.name[0] != "_"
    ]
    found: set[type] = set()
    for name in modules:
        module = importlib.import_module(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # moved names resolve with one
            found.update(
                obj
                for n in getattr(module, "__all__", ())
                if inspect.isclass(obj := getattr(module, n))
            )
    return found


def _coroutine_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and is_coroutine_function(member)
    }


def test_every_public_coroutine_method_is_a_prefixed() -> None:
    offenders = sorted(
        f"{cls.__module__}.{cls.__qualname__}.{name}"
        for cls in _public_classes() - EXEMPT
        for name in _coroutine_methods(cls)
        if not name.startswith("a")
    )
    assert offenders == []


def test_the_plugin_protocols_name_their_coroutines_with_the_prefix() -> None:
    assert _coroutine_methods(ResearchProvider) == {"aresearch"}
    assert _coroutine_methods(Resolver) == {"aresolve_mx", "aresolve_address"}
    assert "adraft" in _coroutine_methods(Drafter)
