"""Which research providers run, and each one's options: the ``providers:`` section.

The built-in providers (leadqual's own entry points in ``leadqual.research_providers``) have
typed options, checked here; a provider an installed package registers in that group is accepted
by name, and its options are checked against its class when the providers are built
(:func:`leadqual.research.build_providers`). A name that is neither is refused, naming the field.

Options name the keyword arguments of the provider's class: the defaults here are the class's.
No secret is ever written in a configuration: a provider that needs a key names the environment
variable holding it (``api_key_env``), read only when the providers are built.

Examples:
    >>> section = ResearchProviders.model_validate({
    ...     "user_agent": "Tailwind sales-ops@tailwind.example",
    ...     "use": [{"name": "website", "options": {"max_pages": 3}}, {"name": "wikidata"}],
    ... })
    >>> [p.name for p in section.use], section.use[0].options.max_pages
    (['website', 'wikidata'], 3)
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from importlib import metadata
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    Tag,
    field_validator,
    model_validator,
)

from leadqual.config._shared import ConfigPart
from leadqual.plugins import RESEARCH_PROVIDERS_GROUP

__all__ = [
    "BUILTIN_PROVIDER_OPTIONS",
    "CompaniesHouseOptions",
    "GdeltOptions",
    "GleifOptions",
    "PluginProvider",
    "ProviderChoice",
    "ResearchProviders",
    "SampleOptions",
    "SecEdgarOptions",
    "WebsiteOptions",
    "WikidataOptions",
    "WikipediaOptions",
    "installed_provider_plugins",
]

_LANGUAGE = r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$"
"""A Wikimedia language code (``en``, ``de``, ``zh-yue``); it becomes part of a host name, so
nothing else is accepted."""


class ProviderOptions(ConfigPart):
    """Base of a built-in provider's options."""

    fetches: ClassVar[bool] = True
    """Whether the provider fetches from the web (it then needs ``providers.user_agent``)."""


class WebsiteOptions(ProviderOptions):
    """Options of ``website`` (:class:`~leadqual.research.website.WebsiteProvider`)."""

    robots_token: Annotated[
        str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ] = "leadqual"
    """The product token matched against robots.txt rules."""
    max_pages: Annotated[int, Field(ge=1, le=10)] = 2
    """Pages fetched per company (robots.txt not counted)."""
    respect_robots: bool = True
    """Set ``false`` only for your own sites."""
    read_feed: bool = True
    """Read the press feed the home page announces as the company's own news."""
    max_feed_items: Annotated[int, Field(ge=0, le=200)] = 20
    """Feed items kept."""
    time_budget: Annotated[float, Field(gt=0, le=600)] = 25.0
    """Seconds spent on one site."""
    parse_time_limit: Annotated[float, Field(gt=0, le=60)] = 5.0
    """Seconds one page's HTML may take to read."""


class WikidataOptions(ProviderOptions):
    """Options of ``wikidata`` (:class:`~leadqual.research.wikidata.WikidataProvider`)."""

    language: Annotated[str, Field(pattern=_LANGUAGE)] = "en"
    """Label language."""
    max_candidates: Annotated[int, Field(ge=1, le=50)] = 10
    """Search results scored per company."""
    accept_below: Annotated[float, Field(ge=0, le=1)] = 0.3
    """Candidates scoring under this are not returned at all."""


class WikipediaOptions(ProviderOptions):
    """Options of ``wikipedia`` (:class:`~leadqual.research.wikipedia.WikipediaProvider`)."""

    language: Annotated[str, Field(pattern=_LANGUAGE)] = "en"
    """Which Wikipedia (``en`` reads en.wikipedia.org)."""


class GleifOptions(ProviderOptions):
    """Options of ``gleif`` (:class:`~leadqual.research.gleif.GleifProvider`)."""

    parents: bool = True
    """Look up the direct parent of the legal entity."""


class GdeltOptions(ProviderOptions):
    """Options of ``gdelt`` (:class:`~leadqual.research.gdelt.GdeltProvider`)."""

    timespan: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}(min|h|d|w|m)$")] = "3m"
    """Search window: ``3m`` (GDELT's maximum), ``30d``, ``1w``, ``24h``, ``15min``."""
    max_records: Annotated[int, Field(ge=1, le=250)] = 50
    """Articles asked for."""
    english_only: bool = True
    """Only articles in English."""


class SecEdgarOptions(ProviderOptions):
    """Options of ``sec_edgar`` (:class:`~leadqual.research.sec.SecEdgarProvider`)."""

    user_agent: Annotated[str, Field(min_length=3, max_length=200)]
    """``"Your Organisation contact@your-domain.com"``: the SEC blocks requests without a
    contact."""
    requests_per_second: Annotated[float, Field(gt=0, le=10)] = 5.0
    """The SEC's ceiling is 10."""
    news_days: Annotated[int, Field(ge=1, le=3650)] = 365
    """How far back 8-K filings count as news."""

    @field_validator("user_agent")
    @classmethod
    def _contact(cls, value: str) -> str:
        if "@" not in value or len(value.split()) < 2 or any(c in value for c in "\r\n"):
            raise ValueError(
                "the SEC asks for 'Your Organisation contact@your-domain.com' (a name and an "
                "email address on one line)"
            )
        return value


class CompaniesHouseOptions(ProviderOptions):
    """Options of ``companies_house``
    (:class:`~leadqual.research.companies_house.CompaniesHouseProvider`).

    The API key is never written in the configuration: ``api_key_env`` names the environment
    variable that holds it, read when the providers are built.
    """

    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")] = (
        "COMPANIES_HOUSE_API_KEY"
    )
    """The environment variable holding the API key (free from the Companies House developer
    hub)."""
    uk_only: bool = True
    """Look up only companies known to be in the UK (or of unknown country)."""


class SampleOptions(ProviderOptions):
    """``sample`` (:class:`~leadqual.research.sample_provider.SampleResearchProvider`) has no
    options: it answers from the bundled fictional CRM, offline."""

    fetches: ClassVar[bool] = False


BUILTIN_PROVIDER_OPTIONS: Mapping[str, type[ProviderOptions]] = {
    "companies_house": CompaniesHouseOptions,
    "gdelt": GdeltOptions,
    "gleif": GleifOptions,
    "sample": SampleOptions,
    "sec_edgar": SecEdgarOptions,
    "website": WebsiteOptions,
    "wikidata": WikidataOptions,
    "wikipedia": WikipediaOptions,
}
"""The options model of each built-in provider, by name (a test keeps it equal to leadqual's
entry points and to each class's keyword arguments)."""


def installed_provider_plugins() -> list[str]:
    """The research providers installed packages register (entry points of
    ``leadqual.research_providers`` other than leadqual's own), sorted. Reads package metadata
    only: no plugin is imported."""
    names = {
        ep.name
        for ep in metadata.entry_points(group=RESEARCH_PROVIDERS_GROUP)
        if ep.dist is None or ep.dist.name != "leadqual"
    }
    return sorted(names - set(BUILTIN_PROVIDER_OPTIONS))


class _Builtin(ConfigPart):
    """A built-in provider and its options."""


class WebsiteChoice(_Builtin):
    """Run ``website``."""

    name: Literal["website"]
    options: WebsiteOptions = WebsiteOptions()


class WikidataChoice(_Builtin):
    """Run ``wikidata``."""

    name: Literal["wikidata"]
    options: WikidataOptions = WikidataOptions()


class WikipediaChoice(_Builtin):
    """Run ``wikipedia``."""

    name: Literal["wikipedia"]
    options: WikipediaOptions = WikipediaOptions()


class GleifChoice(_Builtin):
    """Run ``gleif``."""

    name: Literal["gleif"]
    options: GleifOptions = GleifOptions()


class GdeltChoice(_Builtin):
    """Run ``gdelt``."""

    name: Literal["gdelt"]
    options: GdeltOptions = GdeltOptions()


class SecEdgarChoice(_Builtin):
    """Run ``sec_edgar`` (its ``user_agent`` option is required)."""

    name: Literal["sec_edgar"]
    options: SecEdgarOptions


class CompaniesHouseChoice(_Builtin):
    """Run ``companies_house`` (its key comes from the environment variable ``api_key_env``)."""

    name: Literal["companies_house"]
    options: CompaniesHouseOptions = CompaniesHouseOptions()


class SampleChoice(_Builtin):
    """Run ``sample`` (offline, fictional)."""

    name: Literal["sample"]
    options: SampleOptions = SampleOptions()


class PluginProvider(ConfigPart):
    """Run a provider an installed package registers; its options are checked against its class
    when the providers are built."""

    name: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9_]{1,64}$",
            # so a schema validator tells a built-in's entry (typed options) from a plugin's
            json_schema_extra={"not": {"enum": sorted(BUILTIN_PROVIDER_OPTIONS)}},
        ),
    ]
    """The entry-point name the package registers."""
    options: Mapping[str, JsonValue] = Field(default_factory=dict)
    """Keyword arguments of the provider's class."""

    @field_validator("name")
    @classmethod
    def _installed(cls, name: str) -> str:
        if name in BUILTIN_PROVIDER_OPTIONS:
            return name  # only reached when a built-in entry failed: its own errors say why
        plugins = installed_provider_plugins()
        if name not in plugins:
            known = sorted({*BUILTIN_PROVIDER_OPTIONS, *plugins})
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"no research provider named {name!r}: {hint}known providers are "
                f"{', '.join(known)} (a plugin is known once its package is installed)"
            )
        return name

    @field_validator("options")
    @classmethod
    def _option_names(cls, options: Mapping[str, JsonValue]) -> Mapping[str, JsonValue]:
        bad = sorted(k for k in options if not k.isidentifier() or k.startswith("_"))
        if bad:
            raise ValueError(f"option names must be Python identifiers: {', '.join(bad)}")
        if _has_nan(options):
            raise ValueError("an option is NaN, which equals nothing (not even itself)")
        return dict(options)


def _has_nan(value: Any) -> bool:
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, float) and math.isnan(item):
            return True
        if isinstance(item, Mapping):
            todo.extend(item.values())
        elif isinstance(item, list | tuple):
            todo.extend(item)
    return False


def _kind(value: Any) -> str | None:
    """The union member an entry is validated as: its built-in name, else ``plugin`` (``None``
    for what is not an entry at all, refused with the message of the discriminator below). An
    entry already read as a plugin stays one (a built-in's name taken over through
    ``overrides``)."""
    if isinstance(value, PluginProvider):
        return "plugin"
    if isinstance(value, Mapping):
        name = value.get("name")
    elif isinstance(value, ConfigPart):
        name = getattr(value, "name", None)
    else:
        return None
    return name if isinstance(name, str) and name in BUILTIN_PROVIDER_OPTIONS else "plugin"


ProviderChoice = Annotated[
    Annotated[WebsiteChoice, Tag("website")]
    | Annotated[WikidataChoice, Tag("wikidata")]
    | Annotated[WikipediaChoice, Tag("wikipedia")]
    | Annotated[GleifChoice, Tag("gleif")]
    | Annotated[GdeltChoice, Tag("gdelt")]
    | Annotated[SecEdgarChoice, Tag("sec_edgar")]
    | Annotated[CompaniesHouseChoice, Tag("companies_house")]
    | Annotated[SampleChoice, Tag("sample")]
    | Annotated[PluginProvider, Tag("plugin")],
    Discriminator(
        _kind,
        custom_error_type="provider_entry",
        custom_error_message="each provider is a mapping: {name: website, options: {...}}",
    ),
]
"""One provider to run: ``{name: ..., options: {...}}``. A built-in's options are typed (an
unknown option is refused); a plugin's are checked when the providers are built."""

_BUILTIN_CHOICES: tuple[type[_Builtin], ...] = (
    WebsiteChoice,
    WikidataChoice,
    WikipediaChoice,
    GleifChoice,
    GdeltChoice,
    SecEdgarChoice,
    CompaniesHouseChoice,
    SampleChoice,
)


def _overridable_entries(schema: dict[str, Any]) -> None:
    """The schema of ``providers`` as the model reads it: a ``use`` entry whose name
    ``overrides`` gives to a plugin is that plugin's (its options free here, checked against the
    plugin's class when the providers are built); every other built-in entry has the built-in's
    typed options.

    JSON Schema cannot look from an entry up to ``overrides``, so the condition sits on the
    section: each entry may be a built-in's, a plugin's, or an overridden built-in's name with
    any options; and for each built-in not named in ``overrides``, an entry with its name must
    be the built-in's.
    """
    properties = schema.get("properties", {})
    use = properties.get("use")
    if not isinstance(use, dict) or "items" not in use:
        return
    # the references pydantic gave the union's members, in the union's order (built-ins first)
    refs = [member.get("$ref") for member in use["items"].get("oneOf", ())]
    use["items"] = {
        "anyOf": [
            use["items"],
            {
                "type": "object",
                "description": "A built-in's name that overrides gives to a plugin: the "
                "plugin's entry, its options checked when the providers are built.",
                "properties": {
                    "name": {"enum": sorted(BUILTIN_PROVIDER_OPTIONS)},
                    "options": {"type": "object"},
                },
                "required": ["name"],
                "additionalProperties": False,
            },
        ]
    }
    rules = []
    for choice, ref in zip(_BUILTIN_CHOICES, refs, strict=False):
        name = choice.model_fields["name"].annotation.__args__[0]  # type: ignore[union-attr]
        overridden = {"required": ["overrides"], "properties": {"overrides": {"required": [name]}}}
        named = {"required": ["name"], "properties": {"name": {"const": name}}}
        rules.append(
            {
                "if": {"not": overridden},
                "then": {"properties": {"use": {"items": {"if": named, "then": {"$ref": ref}}}}},
            }
        )
    schema["allOf"] = rules


class ResearchProviders(ConfigPart):
    """Which research providers run, in order of preference for merged fields (earlier wins a
    tie), and the user agent they fetch with. Web research still runs only with consent
    (``consent.web_research``).

    An empty ``use`` (the default) configures none: the agent then uses the providers it is
    given in code, if any.
    """

    model_config = ConfigDict(json_schema_extra=_overridable_entries)

    user_agent: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """Identifies your application to the sites fetched (``"Acme leadqual
    (sales-ops@acme.example)"``); Wikimedia and the SEC ask for a contact in it. Needed when a
    provider that fetches is used."""
    use: tuple[ProviderChoice, ...] = ()
    """The providers, each once."""
    overrides: Mapping[
        Annotated[str, Field(pattern=r"^[a-z_]{1,64}$")],
        Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s]+$")],
    ] = Field(default_factory=dict)
    """Built-in provider name -> the installed plugin that replaces it, named by its
    distribution (``acme-research``) or its entry point's value
    (``acme_research.site:SiteProvider``). An installed package that registers a built-in's name
    is refused unless named here; a ``use`` entry with an overridden name is the plugin's, its
    options checked against the plugin's class when the providers are built."""

    @model_validator(mode="before")
    @classmethod
    def _overridden_entries_are_plugins(cls, data: Any) -> Any:
        """A ``use`` entry whose name ``overrides`` gives to a plugin is read as that plugin's
        entry (its options untyped here), not as the built-in's."""
        if not isinstance(data, Mapping):
            return data
        overrides, use = data.get("overrides"), data.get("use")
        if not isinstance(overrides, Mapping) or not overrides or not isinstance(use, list | tuple):
            return data
        entries = []
        for entry in use:
            name = (
                entry.get("name")
                if isinstance(entry, Mapping)
                else getattr(entry, "name", None)
                if isinstance(entry, ConfigPart)
                else None
            )
            if isinstance(name, str) and name in overrides and name in BUILTIN_PROVIDER_OPTIONS:
                fields = (
                    entry
                    if isinstance(entry, Mapping)
                    else {"name": name, "options": entry.model_dump().get("options", {})}
                )
                entry = PluginProvider.model_validate(fields)
            entries.append(entry)
        return {**data, "use": tuple(entries)}

    @field_validator("overrides")
    @classmethod
    def _builtin_names(cls, overrides: Mapping[str, str]) -> Mapping[str, str]:
        unknown = sorted(set(overrides) - set(BUILTIN_PROVIDER_OPTIONS))
        if unknown:
            raise ValueError(
                f"overrides replace built-in providers; {', '.join(repr(u) for u in unknown)} "
                f"is not one (built-ins: {', '.join(sorted(BUILTIN_PROVIDER_OPTIONS))}); a "
                "plugin with a name of its own needs no override"
            )
        return dict(overrides)

    @field_validator("user_agent")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and any(c in value for c in "\r\n\x00"):
            raise ValueError("the user agent must be one line of text (it is an HTTP header)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [p.name for p in self.use]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"a provider is listed twice: {', '.join(repeated)}; list each once")
        fetching = [
            p.name
            for p in self.use
            if not isinstance(p, PluginProvider) and BUILTIN_PROVIDER_OPTIONS[p.name].fetches
        ]
        if fetching and self.user_agent is None:
            raise ValueError(
                f"providers.user_agent is needed by {', '.join(fetching)}: name your "
                "application and a contact, e.g. 'Acme leadqual (sales-ops@acme.example)'"
            )
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the providers, in order."""
        return tuple(p.name for p in self.use)
