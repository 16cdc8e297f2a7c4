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

import itertools
import json
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel, UtcDatetime
from leadqual.errors import ConfigurationError
from leadqual.icp.profile import IcpProfile
from leadqual.prioritization import (
    DEFAULT_PRIORITY_ORDER,
    HandraiserSegment,
    PriorityFactor,
    RatingPolicy,
)

__all__ = [
    "AgentConfig",
    "CompanyKnowledge",
    "Consent",
    "PrioritizationOrder",
    "ProductKnowledge",
    "RefreshPolicy",
    "TeamAccess",
    "load_mapping",
]


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or JSON file into a mapping, with a clear error."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigurationError(f"cannot read configuration file {p}: {err}") from err
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise ConfigurationError(f"{p}: use a .yaml, .yml or .json file")
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise ConfigurationError(f"{p} is not valid {p.suffix[1:].upper()}: {err}") from err
    if not isinstance(data, dict):
        raise ConfigurationError(f"{p} must hold a mapping at the top level")
    return data


class _Part(LeadqualModel):
    model_config = ConfigDict(frozen=True)


class CompanyKnowledge(_Part):
    """The vendor: who is selling."""

    name: Annotated[str, Field(min_length=1)]
    website: str | None = None
    description: str | None = None


class ProductKnowledge(_Part):
    """A product or service the vendor sells, in plain language."""

    name: Annotated[str, Field(min_length=1)]
    description: Annotated[str, Field(min_length=1)]
    value_propositions: tuple[str, ...] = ()
    pain_points: tuple[str, ...] = ()
    """Problems the product solves; matched against leads' needs and news."""
    proof_points: tuple[str, ...] = ()
    """Customer results a draft may quote (they are facts the vendor vouches for)."""


class PrioritizationOrder(_Part):
    """The order of factors the Prioritizer sorts by (hand-raisers first unless changed), the
    Hot/Warm/Cold rating cut-offs, and the predictive-score grade cut-offs it ranks by."""

    order: tuple[PriorityFactor, ...] = DEFAULT_PRIORITY_ORDER
    rating: RatingPolicy = RatingPolicy()
    score_cutoffs: tuple[Annotated[float, Field(ge=0, le=100)], ...] = (75.0, 50.0, 25.0)
    """Lowest predictive score of grades A, B, C, ...; strictly decreasing."""

    @model_validator(mode="after")
    def _no_repeats(self) -> Self:
        if len(set(self.order)) != len(self.order):
            raise ValueError("a factor appears twice in the prioritisation order")
        if not self.order:
            raise ValueError("the prioritisation order needs at least one factor")
        cuts = self.score_cutoffs
        if not cuts or any(a <= b for a, b in itertools.pairwise(cuts)):
            raise ValueError("score_cutoffs must be strictly decreasing, e.g. [75, 50, 25]")
        return self


class RefreshPolicy(_Part):
    """How often conclusions are refreshed, and the activation batch."""

    research_every_days: Annotated[int, Field(ge=1, le=365)] = 7
    score_every_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 24
    activation_batch: Annotated[int, Field(ge=1)] = 100
    """On activation, the newest open leads processed first (the commercial agent: 100)."""


class TeamAccess(_Part):
    """Which security roles use the agent; sellers see only the leads they own."""

    roles: tuple[str, ...] = ("Salesperson", "Sales Manager")


class Consent(_Part):
    """Consent given for the agent's data access; nothing outside the CRM is used without it."""

    web_research: bool = False
    """Send company identifiers to public web sources."""
    read_emails: bool = False
    """Read the lead's email messages to classify replies and suggest follow-ups."""
    llm_drafting: bool = False
    """Send lead context to a configured LLM backend."""
    granted_by: str | None = None
    granted_at: UtcDatetime | None = None


class AgentConfig(_Part):
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
