"""The ideal customer profile (ICP) as data: characteristics, targets, weights and field mappings.

A profile is what an admin writes (YAML or JSON). :class:`leadqual.icp.IcpMatcher` gives it behaviour.

Examples:
    >>> profile = IcpProfile(characteristics=[
    ...     IcpCharacteristic(name="Industry", kind="categorical",
    ...                       targets=["Technology", "Financial Services", "Healthcare"],
    ...                       fields=["lead.industry", "account.industry"]),
    ...     IcpCharacteristic(name="Company size", kind="numeric_range", targets=["500+"],
    ...                       fields=["account.employee_count", "lead.employee_count"]),
    ... ])
    >>> [c.name for c in profile.characteristics]
    ['Industry', 'Company size']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from leadqual.config._shared import ConfigPart, FieldPath, load_mapping

__all__ = ["CharacteristicKind", "IcpCharacteristic", "IcpProfile", "TierCutoffs"]

CharacteristicKind = Literal["categorical", "numeric_range", "location", "job_title", "need"]
"""How a characteristic's targets are compared with the lead's values."""


class IcpCharacteristic(ConfigPart):
    """One trait of the ideal customer, with where to read it and how much it counts."""

    name: Annotated[str, Field(min_length=1)]
    """The trait's name (unique in the profile): 'Industry', 'Company size'."""
    kind: CharacteristicKind
    """How targets are compared: categorical, numeric_range, location, job_title or need."""
    targets: tuple[str, ...] = Field(min_length=1)
    """Target values: industries, bands ("500+", "100-999"), regions or places, titles, pain points."""
    exclude: tuple[str, ...] = ()
    """Values that fail the characteristic even when a target matches ("New York" inside
    "North America", "Government" for "any industry")."""
    fields: tuple[FieldPath, ...] = Field(min_length=1)
    """Where the value is read, in order."""
    field_mode: Literal["first", "any"] = "first"
    """``first``: the first non-empty field decides. ``any``: every non-empty field is tried and the
    best result counts."""
    weight: Annotated[float, Field(gt=0, le=100)] = 1.0
    """How much the trait counts in the fit score, relative to the others."""
    required: bool = False
    """A required characteristic that does not fully match (not matched or partial) caps the tier
    at Low; an unknown value does not (missing data is not a mismatch)."""
    description: str | None = None
    """What the trait means, for the people who maintain the profile."""
    aliases: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    """More names for a target, as the CRM writes them (categorical): ``{"Technology": ["Tech
    & Media"]}``."""

    @model_validator(mode="after")
    def _aliases_name_targets(self) -> Self:
        unknown = sorted(set(self.aliases) - set(self.targets))
        if unknown:
            raise ValueError(f"aliases name values that are not targets: {', '.join(unknown)}")
        if any(not t.strip() for t in (*self.targets, *self.exclude)):
            raise ValueError("targets and exclusions must not be blank")
        return self


class TierCutoffs(ConfigPart):
    """Score cut-offs for the fit tiers (defaults are the commercial agent's documented ones)."""

    high: Annotated[float, Field(ge=0, le=100)] = 70.0
    """Scores strictly above this are High."""
    moderate: Annotated[float, Field(ge=0, le=100)] = 50.0
    """Scores from this up to ``high`` are Moderate; below it, Low."""
    min_known_weight: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Below this share of known weight the tier is Unknown."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.moderate > self.high:
            raise ValueError("moderate cut-off is above the high cut-off")
        return self


class IcpProfile(ConfigPart):
    """An ideal customer profile: named characteristics and the tier cut-offs."""

    name: str = "Ideal customer profile"
    """The profile's name, shown with each fit."""
    characteristics: tuple[IcpCharacteristic, ...] = Field(min_length=1)
    """The traits of the ideal customer (at least one)."""
    tiers: TierCutoffs = TierCutoffs()
    """The score cut-offs of the High / Moderate / Low tiers."""

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [c.name.casefold() for c in self.characteristics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"characteristic names must be unique; repeated: {', '.join(dupes)}")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Load a profile from a YAML or JSON file."""
        return cls.model_validate(load_mapping(path))
