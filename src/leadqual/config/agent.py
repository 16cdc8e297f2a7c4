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

from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import Field, model_validator

from leadqual._base import FrozenModel, UtcDatetime
from leadqual.config._shared import load_mapping
from leadqual.config.icp import IcpProfile
from leadqual.config.prioritize import (
    FieldCondition,
    HandraiserSegment,
    PrioritizationOrder,
    SegmentCondition,
)
from leadqual.errors import ConfigurationError

__all__ = [
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


class CompanyKnowledge(FrozenModel):
    """The vendor: who is selling, and what it vouches for in a draft."""

    name: Annotated[str, Field(min_length=1)]
    website: str | None = None
    """The vendor's site; a draft may link to this exact origin (not to other pages of it)."""
    description: str | None = None
    links: tuple[str, ...] = ()
    """Further pages a draft may link to, each exactly as listed (origin, path and any query)."""
    offers: tuple[str, ...] = ()
    """Commitments the vendor makes to any prospect ("a 30-day free pilot", "10% off annual
    plans"): the only prices, discounts, trials, guarantees and deadlines a draft may state."""
    references: tuple[str, ...] = ()
    """Customers the vendor may name as references, besides those in product proof points."""


class ProductKnowledge(FrozenModel):
    """A product or service the vendor sells, in plain language."""

    name: Annotated[str, Field(min_length=1)]
    description: Annotated[str, Field(min_length=1)]
    value_propositions: tuple[str, ...] = ()
    pain_points: tuple[str, ...] = ()
    """Problems the product solves; matched against leads' needs and news."""
    proof_points: tuple[str, ...] = ()
    """Customer results a draft may quote (they are facts the vendor vouches for)."""


class RefreshPolicy(FrozenModel):
    """How often conclusions are refreshed, and the activation batch."""

    research_every_days: Annotated[int, Field(ge=1, le=365)] = 7
    score_every_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 24
    activation_batch: Annotated[int, Field(ge=1)] = 100
    """On activation, the newest open leads processed first (the commercial agent: 100)."""
    insight_every_days: Annotated[int, Field(ge=1, le=365)] | None = 7
    """How often a lead's insight is refreshed: ``None`` for the initial insight only, else every
    3, 7 or 14 days, or any custom number of days."""


class TeamAccess(FrozenModel):
    """Which security roles use the agent, and what each sees.

    A seller with one of ``roles`` sees the leads they own; one with a ``manager_roles`` role also
    sees the leads of their team; one with an ``admin_roles`` role sees every lead. Role names are
    compared without regard to case.
    """

    roles: tuple[str, ...] = ("Salesperson", "Sales Manager")
    manager_roles: tuple[str, ...] = ("Sales Manager",)
    admin_roles: tuple[str, ...] = ("System Administrator",)
    supervisors: tuple[str, ...] = ()
    """Seller ids who review the leads the agent would disqualify (default: any manager or
    admin)."""
    unowned_team: str | None = None
    """The team whose members take unowned leads rated ready, in turn (``None``: such leads stay
    unassigned and are listed for an admin)."""


class Capacity(FrozenModel):
    """The agent's daily budget; work beyond it waits in a priority queue for the next day."""

    leads_per_day: Annotated[int, Field(ge=1)] | None = None
    """Leads processed per UTC day (``None``: no limit)."""
    provider_calls_per_day: Annotated[int, Field(ge=0)] | None = None
    """External research provider calls per UTC day (``None``: no limit)."""


class QualificationDefaults(FrozenModel):
    """What qualifying a lead creates when the seller does not choose."""

    create: tuple[Literal["account", "contact", "opportunity"], ...] = (
        "account",
        "contact",
        "opportunity",
    )


class Consent(FrozenModel):
    """Consent given for the agent's data access; nothing outside the CRM is used without it."""

    web_research: bool = False
    """Send company identifiers to public web sources."""
    read_emails: bool = False
    """Read the lead's email messages to classify replies and suggest follow-ups."""
    llm_drafting: bool = False
    """Send lead context to a configured LLM backend."""
    granted_by: str | None = None
    granted_at: UtcDatetime | None = None


class AgentConfig(FrozenModel):
    """Everything the admin configures. Load one with :meth:`from_file`."""

    company: CompanyKnowledge
    products: tuple[ProductKnowledge, ...] = Field(min_length=1)
    icp: IcpProfile | None = None
    handraisers: tuple[HandraiserSegment, ...] = ()
    prioritization: PrioritizationOrder = PrioritizationOrder()
    refresh: RefreshPolicy = RefreshPolicy()
    team_access: TeamAccess = TeamAccess()
    consent: Consent = Consent()
    selection: tuple[SegmentCondition, ...] = (
        FieldCondition(field="lead.status", op="eq", value="open"),
    )
    """Which leads the agent works on: every condition must hold (default: open leads)."""
    capacity: Capacity = Capacity()
    qualification: QualificationDefaults = QualificationDefaults()
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

    @model_validator(mode="after")
    def _unique_segments(self) -> Self:
        names = [s.name.casefold() for s in self.handraisers]
        if len(set(names)) != len(names):
            raise ValueError("hand-raiser segment names must be unique")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Load a configuration from a YAML or JSON file."""
        return cls.model_validate(load_mapping(path))

    def to_yaml(self) -> str:
        """Serialise to YAML that :meth:`from_file` reads back."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


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
