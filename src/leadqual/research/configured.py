"""The research providers a configuration's ``providers:`` section names, built and checked.

The section is validated where it is loaded (:class:`~leadqual.config.ResearchProviders`): the
built-in providers' options are typed there. What only the provider classes know is checked
here, when they are built: a plugin's options against its class's keyword arguments, the
environment variable a key is read from, and the user agent a fetching plugin needs.

Examples:
    >>> from leadqual.config import ResearchProviders
    >>> section = ResearchProviders.model_validate({
    ...     "user_agent": "Tailwind leadqual (ops@tailwind.example)",
    ...     "use": [{"name": "wikidata", "options": {"language": "de"}}, {"name": "sample"}],
    ... })
    >>> [(p.name, getattr(p, "language", None)) for p in build_providers(section)]
    [('wikidata', 'de'), ('sample', None)]
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

from leadqual.config import AgentConfig, PluginProvider, ResearchProviders
from leadqual.config.providers import CompaniesHouseOptions
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.research.http import SafeFetcher
from leadqual.research.providers import ProviderRegistry, ResearchProvider

__all__ = ["build_providers"]

_SECTION = "providers"


def _parameters(factory: Callable[..., Any]) -> Mapping[str, inspect.Parameter] | None:
    """The factory's parameters, or ``None`` when Python cannot tell (a builtin)."""
    try:
        return inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None


def _check_options(
    name: str, where: str, options: Mapping[str, Any], params: Mapping[str, inspect.Parameter]
) -> None:
    """Refuse options the factory does not take, and required ones that are missing, naming
    the field."""
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    accepted = {
        n: p
        for n, p in params.items()
        if n != "fetcher"
        and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    }
    for key in options:
        if key not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            raise ValidationFailed(
                f"{where}.options.{key}: research provider {name!r} has no option {key!r} "
                f"(its options: {known})",
                field=f"{where}.options.{key}",
            )
    for key, param in accepted.items():
        if param.default is inspect.Parameter.empty and key not in options:
            raise ValidationFailed(
                f"{where}.options.{key}: research provider {name!r} needs the option {key!r}",
                field=f"{where}.options.{key}",
            )


def _api_key(
    options: CompaniesHouseOptions, where: str, environ: Mapping[str, str]
) -> dict[str, Any]:
    """The keyword arguments of ``companies_house``: the key read from its variable."""
    key = environ.get(options.api_key_env, "").strip()
    if not key:
        raise ConfigurationError(
            f"{where}.options.api_key_env: the environment variable {options.api_key_env} "
            "holding the Companies House API key is not set (or empty); set it, or name "
            "another variable"
        )
    return {"api_key": key, "uk_only": options.uk_only}


def build_providers(
    settings: ResearchProviders | AgentConfig,
    /,
    *,
    fetcher: SafeFetcher | None = None,
    registry: ProviderRegistry | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[ResearchProvider]:
    """Build the research providers ``settings`` (a configuration's ``providers:`` section, or
    the whole configuration) names, in order.

    Args:
        settings: the section, or an :class:`~leadqual.config.AgentConfig` (its ``providers``).
        fetcher: the :class:`~leadqual.research.http.SafeFetcher` the providers share
            (default: one with ``settings.user_agent``, made only when a provider fetches).
        registry: where providers are found (default: the built-ins plus installed plugins,
            an installed plugin taking a built-in's name only where ``settings.overrides``
            names it).
        environ: where a key named by ``api_key_env`` is read (default: the process
            environment, read now; nothing is read when no provider names a key).

    Returns:
        The providers, in the order of ``settings.use`` (an empty list for an empty section).

    Raises:
        ValidationFailed: a plugin's options are not its class's keyword arguments (an unknown
            one, or a required one missing); ``field`` names the option.
        ConfigurationError: a provider that fetches has no user agent to fetch with, a key's
            environment variable is not set, or a provider's class refuses its options.
        PluginError: a plugin named in the section is no longer installed or cannot be built,
            or ``overrides`` names a plugin no installed package registers under that name.
    """
    section = settings.providers if isinstance(settings, AgentConfig) else settings
    if not isinstance(section, ResearchProviders):
        raise ConfigurationError(
            "build_providers needs an AgentConfig or its ResearchProviders section, got "
            f"{type(settings).__name__}"
        )
    if not section.use:
        return []
    if registry is None:
        registry = ProviderRegistry(overrides=section.overrides or None)
    shared = fetcher
    built: list[ResearchProvider] = []
    for i, entry in enumerate(section.use):
        name = entry.name
        tag = "plugin" if isinstance(entry, PluginProvider) else name
        where = f"{_SECTION}.use.{i}.{tag}"
        factory = registry.factory(name)
        params = _parameters(factory)
        if isinstance(entry, PluginProvider):
            options: dict[str, Any] = dict(entry.options)
        elif isinstance(entry.options, CompaniesHouseOptions):
            env = environ if environ is not None else os.environ
            options = _api_key(entry.options, where, env)
        else:
            options = entry.options.model_dump()
        if params is not None:
            _check_options(name, where, options, params)
        args: tuple[Any, ...] = ()
        if params is not None and "fetcher" in params:
            if shared is None:
                if section.user_agent is None:
                    raise ConfigurationError(
                        f"{_SECTION}.user_agent: research provider {name!r} fetches from the "
                        "web and needs a user agent naming your application and a contact, "
                        "e.g. 'Acme leadqual (sales-ops@acme.example)'"
                    )
                shared = SafeFetcher(user_agent=section.user_agent)
            if params["fetcher"].kind is inspect.Parameter.KEYWORD_ONLY:
                options["fetcher"] = shared
            else:
                args = (shared,)
        try:
            built.append(registry.create(name, *args, **options))
        except ValueError as err:  # a class refusing an option's value (ConfigurationError too)
            raise ConfigurationError(f"{where}: {err}") from err
    return built
