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
from leadqual.config.prioritize import HandraiserSegment, PrioritizationOrder

__all__ = [
    "AgentConfig",
    "CompanyKnowledge",
    "Consent",
    "ProductKnowledge",
    "RefreshPolicy",
    "TeamAccess",
]


class CompanyKnowledge(FrozenModel):
    """The vendor: who is selling."""

    name: Annotated[str, Field(min_length=1)]
    website: str | None = None
    description: str | None = None


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


class TeamAccess(FrozenModel):
    """Which security roles use the agent; sellers see only the leads they own."""

    roles: tuple[str, ...] = ("Salesperson", "Sales Manager")


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
