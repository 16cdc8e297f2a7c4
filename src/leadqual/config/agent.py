"""The agent's configuration: what an admin sets up, as validated models loadable from YAML/JSON.

Examples:
    >>> cfg = AgentConfig(
    ...     company=CompanyKnowledge(name="Tailwind", website="https://tailwind.example"),
    ...     products=[ProductKnowledge(name="Revenue Cloud", description="CRM analytics")],
    ... )
    >>> cfg.prioritization.order[0]
    'handraiser'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from leadqual._base import UtcDatetime
from leadqual.config._shared import (
    ConfigPart,
    decode_text,
    dump_yaml,
    load_mapping,
    parse_yaml,
    with_lines,
)
from leadqual.config.icp import IcpProfile
from leadqual.config.prioritize import (
    FieldCondition,
    HandraiserSegment,
    PrioritizationOrder,
    SegmentCondition,
)
from leadqual.config.providers import ResearchProviders
from leadqual.errors import ConfigurationError, ValidationFailed

__all__ = [
    "CONFIG_VERSION",
    "AgentConfig",
    "Capacity",
    "CompanyKnowledge",
    "Consent",
    "ProductKnowledge",
    "QualificationDefaults",
    "RefreshPolicy",
    "TeamAccess",
    "require_config",
]


class CompanyKnowledge(ConfigPart):
    """The vendor: who is selling, and what it vouches for in a draft."""

    name: Annotated[str, Field(min_length=1)]
    """The vendor's name, as a draft signs it."""
    website: str | None = None
    """The vendor's site; a draft may link to this exact origin (not to other pages of it)."""
    description: str | None = None
    """What the vendor does, in a sentence or two."""
    links: tuple[str, ...] = ()
    """Further pages a draft may link to, each exactly as listed (origin, path and any query)."""
    offers: tuple[str, ...] = ()
    """Commitments the vendor makes to any prospect ("a 30-day free pilot", "10% off annual
    plans"): the only prices, discounts, trials, guarantees and deadlines a draft may state."""
    references: tuple[str, ...] = ()
    """Customers the vendor may name as references, besides those in product proof points."""


class ProductKnowledge(ConfigPart):
    """A product or service the vendor sells, in plain language."""

    name: Annotated[str, Field(min_length=1)]
    """The product's name, as sellers and drafts call it."""
    description: Annotated[str, Field(min_length=1)]
    """What the product does, in plain language."""
    value_propositions: tuple[str, ...] = ()
    """What a customer gains; a draft may say these."""
    pain_points: tuple[str, ...] = ()
    """Problems the product solves; matched against leads' needs and news."""
    proof_points: tuple[str, ...] = ()
    """Customer results a draft may quote (they are facts the vendor vouches for)."""


class RefreshPolicy(ConfigPart):
    """How often conclusions are refreshed, and the activation batch."""

    research_every_days: Annotated[int, Field(ge=1, le=365)] = 7
    """How long web research stays fresh (days) before it is done again."""
    score_every_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 24
    """How often predictive scores are refreshed (hours)."""
    activation_batch: Annotated[int, Field(ge=1)] = 100
    """On activation, the newest open leads processed first (the commercial agent: 100)."""
    insight_every_days: Annotated[int, Field(ge=1, le=365)] | None = 7
    """How often a lead's insight is refreshed: ``None`` for the initial insight only, else every
    3, 7 or 14 days, or any custom number of days."""


class TeamAccess(ConfigPart):
    """Which security roles use the agent, and what each sees.

    A seller with one of ``roles`` sees the leads they own; one with a ``manager_roles`` role also
    sees the leads of their team; one with an ``admin_roles`` role sees every lead. Role names are
    compared without regard to case.
    """

    roles: tuple[str, ...] = ("Salesperson", "Sales Manager")
    """Security roles that use the agent; each sees the leads they own."""
    manager_roles: tuple[str, ...] = ("Sales Manager",)
    """Roles that also see the leads of their team."""
    admin_roles: tuple[str, ...] = ("System Administrator",)
    """Roles that see every lead."""
    supervisors: tuple[str, ...] = ()
    """Seller ids who review the leads the agent would disqualify (default: any manager or
    admin)."""
    unowned_team: str | None = None
    """The team whose members take unowned leads rated ready, in turn (``None``: such leads stay
    unassigned and are listed for an admin)."""


class Capacity(ConfigPart):
    """The agent's daily budget; work beyond it waits in a priority queue for the next day."""

    leads_per_day: Annotated[int, Field(ge=1)] | None = None
    """Leads processed per UTC day (``None``: no limit)."""
    provider_calls_per_day: Annotated[int, Field(ge=0)] | None = None
    """External research provider calls per UTC day (``None``: no limit)."""


class QualificationDefaults(ConfigPart):
    """What qualifying a lead creates when the seller does not choose."""

    create: tuple[Literal["account", "contact", "opportunity"], ...] = (
        "account",
        "contact",
        "opportunity",
    )
    """The records qualifying a lead creates and links to it."""


class Consent(ConfigPart):
    """Consent given for the agent's data access; nothing outside the CRM is used without it."""

    web_research: bool = False
    """Send company identifiers to public web sources."""
    read_emails: bool = False
    """Read the lead's email messages to classify replies and suggest follow-ups."""
    llm_drafting: bool = False
    """Send lead context to a configured LLM backend."""
    granted_by: str | None = None
    """Who gave the consent (a user id or name), for the record."""
    granted_at: UtcDatetime | None = None
    """When the consent was given (UTC)."""


CONFIG_VERSION = 1
"""The schema version this leadqual writes, and the newest it reads."""

_UPGRADES: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""How a configuration of version ``n`` becomes one of version ``n + 1``. Empty while there is
one version: a change of the schema that old files would not validate against adds a step here
(and raises :data:`CONFIG_VERSION`), so every older file still loads."""


class AgentConfig(ConfigPart):
    """Everything the admin configures. Load one with :meth:`from_file` or :meth:`from_yaml`,
    write one with :meth:`to_yaml`; :meth:`json_schema` describes the format.

    ``version`` is the schema version the file is written in. A file without one is read as
    version 1 (the format before versions were recorded, which version 1 did not change); a
    version newer than this leadqual reads is refused with what to do.
    """

    version: Annotated[
        int, Field(strict=True, json_schema_extra={"minimum": 1, "maximum": CONFIG_VERSION})
    ] = CONFIG_VERSION
    """The schema version of this configuration (``1``); written by :meth:`to_yaml`."""
    company: CompanyKnowledge
    """The vendor: who sells, and what it vouches for in a draft."""
    products: tuple[ProductKnowledge, ...] = Field(min_length=1)
    """What the vendor sells (at least one product)."""
    icp: IcpProfile | None = None
    """The ideal customer profile leads are matched against (none: no ICP fit)."""
    handraisers: tuple[HandraiserSegment, ...] = ()
    """Segments that mark a lead as a hand-raiser (asked to be contacted); names unique."""
    prioritization: PrioritizationOrder = PrioritizationOrder()
    """The order of factors a seller's list is ranked by, and the rating cut-offs."""
    refresh: RefreshPolicy = RefreshPolicy()
    """How often conclusions are refreshed."""
    team_access: TeamAccess = TeamAccess()
    """Which roles use the agent, and what each sees."""
    consent: Consent = Consent()
    """What the agent may do beyond the CRM (web research, reading email, LLM drafting)."""
    selection: tuple[SegmentCondition, ...] = (
        FieldCondition(field="lead.status", op="eq", value="open"),
    )
    """Which leads the agent works on: every condition must hold (default: open leads)."""
    capacity: Capacity = Capacity()
    """The agent's daily budget of leads and provider calls."""
    qualification: QualificationDefaults = QualificationDefaults()
    """The records qualifying a lead creates by default."""
    lead_summary_fields: tuple[str, ...] = (
        "lead.company_name",
        "lead.job_title",
        "lead.lead_source",
        "lead.topic",
        "lead.need",
    )
    """Fields shown in a lead summary."""
    account_summary_fields: tuple[str, ...] = (
        "account.industry",
        "account.employee_count",
        "account.annual_revenue",
        "account.address.country",
    )
    """Fields shown in an account summary."""
    language: Literal["en"] = "en"
    """The language of drafts and summaries."""
    providers: ResearchProviders = ResearchProviders()
    """Which research providers run, with their options (none by default: the agent then uses
    the providers it is given in code)."""

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        version = data.get("version", 1)
        if type(version) is not int or not 1 <= version < CONFIG_VERSION:
            return data  # the current version, or one the field refuses with its reason
        upgraded = dict(data)
        while version < CONFIG_VERSION:
            upgraded = _UPGRADES[version](upgraded)
            version += 1
            upgraded["version"] = version
        return upgraded

    @field_validator("version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version > CONFIG_VERSION:
            raise ValueError(
                f"this configuration is written in schema version {version}, newer than this "
                f"leadqual reads (up to {CONFIG_VERSION}): upgrade leadqual "
                "(pip install -U leadqual), or write the file again with this version's to_yaml()"
            )
        if version < 1:
            raise ValueError(
                f"schema versions start at 1, got {version}: write version: {CONFIG_VERSION}"
            )
        return version

    @model_validator(mode="after")
    def _unique_segments(self) -> Self:
        names = [s.name.casefold() for s in self.handraisers]
        if len(set(names)) != len(names):
            raise ValueError("hand-raiser segment names must be unique")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Load a configuration from a YAML (``.yaml``, ``.yml``) or JSON file.

        Raises:
            ConfigurationError: the file cannot be read or parsed (see :meth:`from_yaml`).
            ValidationFailed: the content is not a valid configuration; ``field`` names the
                first problem, and for YAML ``line`` says where it is.
        """
        p = Path(path)
        if p.suffix.lower() in (".yaml", ".yml"):
            return cls.from_yaml(p)
        return cls.model_validate(load_mapping(p))

    @classmethod
    def from_yaml(cls, source: str | bytes | os.PathLike[str], /) -> Self:
        """Load a configuration from YAML text, or from the file at a path.

        A ``str`` (or ``bytes``) is the YAML itself; pass a :class:`~pathlib.Path` to read a file.
        ``AgentConfig.from_yaml(config.to_yaml()) == config`` for every configuration.

        Examples:
            >>> AgentConfig.from_yaml('''
            ... company: {name: Tailwind}
            ... products: [{name: Cloud, description: CRM analytics}]
            ... ''').version
            1

        Raises:
            ConfigurationError: the text is not UTF-8, does not parse (the line is given; a tab
                used for indentation is named as such), repeats a key in one mapping, uses a
                YAML tag, nests or expands (aliases) beyond reason, or is not a mapping.
            ValidationFailed: the content is not a valid configuration: ``field`` is the dotted
                path of the first problem and ``line`` its line; ``errors`` lists every problem,
                each with its line.
        """
        if isinstance(source, os.PathLike):
            path = Path(source)
            try:
                raw = path.read_bytes()
            except OSError as err:
                raise ConfigurationError(f"cannot read configuration file {path}: {err}") from err
            origin = str(path)
            text = decode_text(raw, origin)
        elif isinstance(source, bytes | bytearray):
            origin = "the configuration text"
            text = decode_text(bytes(source), origin)
        elif isinstance(source, str):
            origin = "the configuration text"
            text = source
        else:
            raise ConfigurationError(
                "from_yaml reads YAML text (str or bytes) or a file (a pathlib.Path), "
                f"got {type(source).__name__}"
            )
        try:
            data, lines = parse_yaml(text, origin)
        except ConfigurationError as err:
            named = source.strip() if isinstance(source, str) else ""
            if "\n" not in named and re.search(r"\.(ya?ml|json)$", named, re.IGNORECASE):
                raise ConfigurationError(
                    f"{err}; {named!r} looks like a file name: pass a path to read it, "
                    f"AgentConfig.from_yaml(Path({named!r})) or AgentConfig.from_file({named!r})"
                ) from None
            raise
        try:
            return cls.model_validate(data)
        except ValidationFailed as err:
            raise with_lines(err, lines, origin) from None

    def to_yaml(self) -> str:
        """This configuration as YAML that :meth:`from_yaml` and :meth:`from_file` read back
        equal: every field written, ``version`` first."""
        return dump_yaml(self.model_dump(mode="json"))

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of a configuration file, with every field described:
        what editors and CI checks validate ``agent.yaml`` against. Published in the docs as
        ``agent-config.schema.json``; a test keeps that file equal to this."""
        schema = cls.model_json_schema(mode="validation")
        _plain_descriptions(schema)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "leadqual agent configuration",
            **{k: v for k, v in schema.items() if k != "title"},
        }


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def _plain_descriptions(node: Any) -> None:
    """Docstring markup out of a schema's descriptions (reST roles and double back-quotes read
    badly in an editor's tooltip): ``:class:`~a.B``` becomes ```B```, ````x```` becomes ```x```."""
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            text = item.get("description")
            if isinstance(text, str):
                text = _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", text)
                item["description"] = " ".join(text.replace("``", "`").split())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


def require_config(config: object, who: str, /) -> AgentConfig:
    """``config`` itself when it is an :class:`AgentConfig`; otherwise the typed error a
    component raises when built from something else (a dict, a path, ``None``).

    Raises:
        ConfigurationError: ``config`` is not an AgentConfig.
    """
    if not isinstance(config, AgentConfig):
        raise ConfigurationError(
            f"{who} needs an AgentConfig (AgentConfig.from_file(path) loads one, "
            f"AgentConfig.model_validate(mapping) builds one), got {type(config).__name__}"
        )
    return config
