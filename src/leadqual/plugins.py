"""Plugin discovery: a generic entry-point registry, knowing no component.

Each registry is an instance (no module-level state): the built-ins plus the packages installed in
the environment that declare an entry point in the registry's group. The built-ins are read from
leadqual's own entry points (``pyproject.toml`` is the one list), so they register exactly as
third-party plugins do::

    [project.entry-points."leadqual.crm_sources"]
    my_crm = "my_package.source:MyCrmSource"

Nothing is imported until a plugin is asked for, and ``load_plugins=False`` ignores other
installed packages entirely (tests, locked-down deployments). An installed package cannot take
over a built-in's name (a third-party ``website`` research provider, say) unless the caller names
it in ``overrides``: otherwise it is refused, with a warning, and the built-in stays. The component registries are built
on it: :class:`leadqual.research.ProviderRegistry`, :func:`leadqual.sources.registry.crm_source_registry`
and :func:`leadqual.drafting.llm.llm_client_registry`.

Examples:
    >>> reg = PluginRegistry(CRM_SOURCES_GROUP, kind="CRM source", check=callable,
    ...                      requirement="a callable", load_plugins=False)
    >>> reg.names()
    ['dataverse', 'memory', 'sample', 'sql', 'sqlite', 'tabular']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import Any, Generic, TypeVar

from leadqual._compat import moved_names
from leadqual.errors import ConfigurationError, PluginError, ValidationFailed

__all__ = [
    "CRM_SOURCES_GROUP",
    "LLM_CLIENTS_GROUP",
    "RESEARCH_PROVIDERS_GROUP",
    "PluginRegistry",
    "builtin_entry_points",
    "missing_members",
    "plugin_options",
]

# The component registries moved to their components, so this module imports none of them.
__getattr__ = moved_names(
    __name__,
    {
        "crm_source_registry": "leadqual.sources.registry",
        "llm_client_registry": "leadqual.drafting.llm",
    },
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

CRM_SOURCES_GROUP = "leadqual.crm_sources"
LLM_CLIENTS_GROUP = "leadqual.llm_clients"
RESEARCH_PROVIDERS_GROUP = "leadqual.research_providers"
_DISTRIBUTION = "leadqual"


def builtin_entry_points(group: str, /) -> dict[str, str]:
    """The plugins leadqual itself declares in ``group``: name -> ``module:attribute``, sorted.

    Read from the installed package's metadata, so ``pyproject.toml`` is the only list.

    Raises:
        PluginError: leadqual's metadata cannot be read (a copy of the sources that was not
            installed: ``pip install -e .`` fixes it).
    """
    try:
        eps = metadata.distribution(_DISTRIBUTION).entry_points
    except metadata.PackageNotFoundError as err:
        raise PluginError(
            f"cannot list the built-in plugins of {group!r}: leadqual is not installed "
            "(run `pip install -e .` in a source checkout)",
            entry_point=group,
        ) from err
    return {ep.name: ep.value for ep in sorted(eps.select(group=group), key=lambda ep: ep.name)}


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


def _protocol_members(protocol: type) -> list[str]:
    """The public attributes and methods a Protocol class declares (its bases' too)."""
    names: dict[str, None] = {}
    for base in reversed(protocol.__mro__):
        if base in (object, Generic) or getattr(base, "__name__", "") == "Protocol":
            continue
        for name in (*getattr(base, "__annotations__", {}), *vars(base)):
            if not name.startswith("_"):
                names.setdefault(name, None)
    return list(names)


def missing_members(obj: object, protocol: type, /) -> list[str]:
    """The members of ``protocol`` that ``obj`` lacks, methods it has but cannot call counted
    as lacking, in the protocol's order.

    Examples:
        >>> from typing import Protocol
        >>> class Greeter(Protocol):
        ...     name: str
        ...     def greet(self) -> str: ...
        >>> class Half:
        ...     name = "half"
        >>> missing_members(Half(), Greeter)
        ['greet']
    """
    out = []
    for name in _protocol_members(protocol):
        declared = getattr(protocol, name, None)
        if not hasattr(obj, name) or (callable(declared) and not callable(getattr(obj, name))):
            out.append(name)
    return out


def plugin_options(pairs: Iterable[str], /, *, field: str = "--source-option") -> dict[str, str]:
    """``KEY=VALUE`` texts as the keyword arguments a plugin is built with.

    The first ``=`` ends the key, so a value may hold more (``dsn=a=b`` is ``{"dsn": "a=b"}``);
    spaces around the key are dropped, the value is kept as given (it may be empty).

    Examples:
        >>> plugin_options(["path=crm.db", " dsn =a=b", "token="])
        {'path': 'crm.db', 'dsn': 'a=b', 'token': ''}

    Raises:
        ValidationFailed: a text without ``=``, a key that is not a Python name (``not-a-name``)
            or a key given twice; ``field`` names the option it came from.
    """
    out: dict[str, str] = {}
    for text in pairs:
        key, sep, value = text.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValidationFailed(
                f"expected KEY=VALUE with KEY a name (path=crm.db), got {text!r}", field=field
            )
        if key in out:
            raise ValidationFailed(f"the option {key!r} is given twice", field=field)
        out[key] = value
    return out


def _distribution(ep: metadata.EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else None


class PluginRegistry(Generic[T]):
    """The plugins of one entry-point group: built-ins plus installed packages, loaded lazily.

    Args:
        group: the entry-point group, e.g. ``leadqual.crm_sources``.
        kind: what a plugin is, for messages ("CRM source").
        builtins: name -> ``module:attribute`` of the plugins that ship with leadqual (default:
            leadqual's own entry points in ``group``, read when first needed).
        check: whether a built object satisfies the plugin protocol.
        adapt: applied to each built object before ``check``: turns a plugin written against an
            older version of the protocol into a current one (with a deprecation warning).
        requirement: what ``check`` asks for, for the error message.
        protocol: the Protocol class plugins implement: a plugin that fails ``check`` is told
            which of its members it lacks.
        load_plugins: read installed entry points (``False``: built-ins and registered only).
        include_builtins: start with the built-ins.
        entry_points: the entry points to use instead of the environment's (for tests).
        overrides: built-in name -> the installed plugin that replaces it, named by its entry
            point's value (``"acme_research.site:SiteProvider"``) or its distribution
            (``"acme-research"``). An installed plugin with a built-in's name that is not named
            here is refused (a warning says how to allow it) and the built-in stays: a package
            cannot take over ``website`` just by being installed.

    Attributes:
        refused: name -> entry point value of each installed plugin refused because it has a
            built-in's name (filled when the plugins are first read).
    """

    def __init__(
        self,
        group: str,
        *,
        kind: str,
        builtins: Mapping[str, str] | None = None,
        check: Callable[[object], bool],
        adapt: Callable[[T], T] | None = None,
        requirement: str,
        protocol: type | None = None,
        load_plugins: bool = True,
        include_builtins: bool = True,
        entry_points: Iterable[metadata.EntryPoint] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.group = group
        self.kind = kind
        self._check = check
        self._adapt = adapt
        self._requirement = requirement
        self._protocol = protocol
        self._overrides = dict(overrides or {})
        self.refused: dict[str, str] = {}
        self._entry_points = None if entry_points is None else tuple(entry_points)
        self._builtins = None if builtins is None else dict(builtins)
        self._include_builtins = include_builtins
        self._targets: dict[str, str] = {}
        self._builtins_read = False
        self._factories: dict[str, Callable[..., T]] = {}
        self._plugins_loaded = not load_plugins
        self._plugin_names: set[str] = set()

    def _builtin_targets(self) -> dict[str, str]:
        if self._builtins is None:
            self._builtins = builtin_entry_points(self.group)
        return self._builtins

    def _discover(self) -> None:
        if not self._builtins_read:
            self._builtins_read = True
            if self._include_builtins:
                self._targets = {**self._builtin_targets(), **self._targets}
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        eps = (
            self._entry_points
            if self._entry_points is not None
            else tuple(metadata.entry_points(group=self.group))
        )
        used: set[str] = set()
        for ep in eps:
            if ep.name in self._factories:
                continue  # registered explicitly: the caller's choice wins
            builtin = self._builtin_targets().get(ep.name)
            if builtin == ep.value:
                continue  # the package's own entry point for a built-in
            if builtin is not None and self._include_builtins:
                chosen = self._overrides.get(ep.name)
                if chosen is None or chosen not in (ep.value, _distribution(ep)):
                    self.refused[ep.name] = ep.value
                    logger.warning(
                        "refused the installed %s plugin %r (%s): it has the name of a built-in; "
                        "to use it instead, name it in overrides={%r: %r}",
                        self.kind, ep.name, ep.value, ep.name, ep.value,
                    )  # fmt: skip
                    continue
                used.add(ep.name)
            if ep.name in self._plugin_names:
                raise PluginError(
                    f"two installed packages register a {self.kind} named {ep.name!r}; "
                    "uninstall one or build the registry with load_plugins=False",
                    entry_point=ep.name,
                )
            self._plugin_names.add(ep.name)
            self._targets[ep.name] = ep.value
            logger.debug("found %s plugin %s = %s", self.kind, ep.name, ep.value)
        unmet = sorted(set(self._overrides) - used)
        if unmet:
            name = unmet[0]
            raise PluginError(
                f"overrides names {self._overrides[name]!r} to replace the built-in {self.kind} "
                f"{name!r}, but no installed package registers it under that name in "
                f"{self.group!r}; install it, or remove the override",
                entry_point=name,
            )

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
        if self._adapt is not None:
            plugin = self._adapt(plugin)
        if not self._check(plugin):
            missing = missing_members(plugin, self._protocol) if self._protocol else []
            lacks = f"{type(plugin).__name__} lacks {', '.join(missing)}; " if missing else ""
            raise PluginError(
                f"{self.kind} {name!r} does not satisfy its protocol: {lacks}{self._requirement}",
                entry_point=name,
            )
        return plugin
