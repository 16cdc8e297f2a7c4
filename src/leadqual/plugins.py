"""Plugin discovery: entry-point registries for research providers, CRM sources and LLM clients.

Each registry is an instance (no module-level state): the built-ins plus the packages installed in
the environment that declare an entry point in the registry's group. Nothing is imported until a
plugin is asked for, and ``load_plugins=False`` ignores installed packages entirely (tests,
locked-down deployments). Built-ins register the same way third-party plugins do::

    [project.entry-points."leadqual.crm_sources"]
    my_crm = "my_package.source:MyCrmSource"

Examples:
    >>> reg = crm_source_registry(load_plugins=False)
    >>> reg.names()
    ['memory', 'sample', 'sqlite']
    >>> len(reg.create("sample").leads()) > 100
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import Any, Generic, TypeVar

from leadqual.errors import ConfigurationError, PluginError

__all__ = [
    "CRM_SOURCES_GROUP",
    "LLM_CLIENTS_GROUP",
    "PluginRegistry",
    "crm_source_registry",
    "llm_client_registry",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

CRM_SOURCES_GROUP = "leadqual.crm_sources"
LLM_CLIENTS_GROUP = "leadqual.llm_clients"


def _import_target(target: str, *, kind: str, name: str) -> Any:
    module_name, _, attr = target.partition(":")
    try:
        module = __import__(module_name, fromlist=[attr or "_"])
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise PluginError(
            f"{kind} {name!r}: cannot import {target!r}: {err}", entry_point=name
        ) from err
    return obj


class PluginRegistry(Generic[T]):
    """The plugins of one entry-point group: built-ins plus installed packages, loaded lazily.

    Args:
        group: the entry-point group, e.g. ``leadqual.crm_sources``.
        kind: what a plugin is, for messages ("CRM source").
        builtins: name -> ``module:attribute`` of the plugins that ship with leadqual.
        check: whether a built object satisfies the plugin protocol.
        requirement: what ``check`` asks for, for the error message.
        load_plugins: read installed entry points (``False``: built-ins and registered only).
        include_builtins: start with the built-ins.
        entry_points: the entry points to use instead of the environment's (for tests).
    """

    def __init__(
        self,
        group: str,
        *,
        kind: str,
        builtins: Mapping[str, str],
        check: Callable[[object], bool],
        requirement: str,
        load_plugins: bool = True,
        include_builtins: bool = True,
        entry_points: Iterable[metadata.EntryPoint] | None = None,
    ) -> None:
        self.group = group
        self.kind = kind
        self._check = check
        self._requirement = requirement
        self._entry_points = None if entry_points is None else tuple(entry_points)
        self._targets: dict[str, str] = dict(builtins) if include_builtins else {}
        self._builtin_targets = dict(builtins)
        self._factories: dict[str, Callable[..., T]] = {}
        self._plugins_loaded = not load_plugins
        self._plugin_names: set[str] = set()

    def _discover(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        eps = (
            self._entry_points
            if self._entry_points is not None
            else tuple(metadata.entry_points(group=self.group))
        )
        for ep in eps:
            if ep.name in self._factories:
                continue  # registered explicitly: the caller's choice wins
            if self._builtin_targets.get(ep.name) == ep.value:
                continue  # the package's own entry point for a built-in
            if ep.name in self._plugin_names:
                raise PluginError(
                    f"two installed packages register a {self.kind} named {ep.name!r}; "
                    "uninstall one or build the registry with load_plugins=False",
                    entry_point=ep.name,
                )
            self._plugin_names.add(ep.name)
            self._targets[ep.name] = ep.value
            logger.debug("found %s plugin %s = %s", self.kind, ep.name, ep.value)

    def register(self, name: str, factory: Callable[..., T], /) -> None:
        """Register a plugin factory (a class or a callable returning a plugin) by name."""
        if not name or not name.replace("_", "").isalnum():
            raise ConfigurationError(
                f"{self.kind} name {name!r}: use letters, digits and underscores (e.g. 'my_source')"
            )
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Every plugin name available, sorted."""
        self._discover()
        return sorted({*self._targets, *self._factories})

    def factory(self, name: str, /) -> Callable[..., T]:
        """The class or factory registered under ``name`` (imported on first use)."""
        if name in self._factories:
            return self._factories[name]
        self._discover()
        target = self._targets.get(name)
        if target is None:
            raise PluginError(
                f"no {self.kind} named {name!r}; available: {', '.join(self.names())}",
                entry_point=name,
            )
        obj = _import_target(target, kind=self.kind, name=name)
        if not callable(obj):
            raise PluginError(
                f"{self.kind} {name!r}: {target} is not a class or factory", entry_point=name
            )
        factory: Callable[..., T] = obj
        self._factories[name] = factory
        return factory

    def create(self, name: str, /, *args: Any, **options: Any) -> T:
        """Build the plugin ``name`` with ``args`` and ``options`` and check it satisfies the
        protocol."""
        factory = self.factory(name)
        try:
            plugin = factory(*args, **options)
        except TypeError as err:
            raise PluginError(
                f"{self.kind} {name!r} could not be built with options {sorted(options)}: {err}",
                entry_point=name,
            ) from err
        if not self._check(plugin):
            raise PluginError(
                f"{self.kind} {name!r} does not satisfy its protocol: {self._requirement}",
                entry_point=name,
            )
        return plugin


def crm_source_registry(
    *,
    load_plugins: bool = True,
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> PluginRegistry[Any]:
    """CRM sources: ``memory``, ``sqlite`` (``path=``), ``sample``, and installed plugins."""
    from leadqual.sources.base import CrmSource

    return PluginRegistry(
        CRM_SOURCES_GROUP,
        kind="CRM source",
        builtins={
            "memory": "leadqual.sources.memory:MemorySource",
            "sample": "leadqual.sources.sample:load_sample",
            "sqlite": "leadqual.sources.sqlite:SqliteSource",
        },
        check=lambda obj: isinstance(obj, CrmSource),
        requirement="the read methods of leadqual.sources.CrmSource",
        load_plugins=load_plugins,
        entry_points=entry_points,
    )


def llm_client_registry(
    *,
    load_plugins: bool = True,
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> PluginRegistry[Any]:
    """LLM clients: ``openai_compatible`` and installed plugins."""
    from leadqual.drafting.llm import LlmClient

    return PluginRegistry(
        LLM_CLIENTS_GROUP,
        kind="LLM client",
        builtins={"openai_compatible": "leadqual.drafting.llm:OpenAICompatibleClient"},
        check=lambda obj: isinstance(obj, LlmClient),
        requirement="an `async def complete(self, messages, /, ...)` method (LlmClient)",
        load_plugins=load_plugins,
        entry_points=entry_points,
    )
