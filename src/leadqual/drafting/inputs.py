"""What the engagement components read from other components, typed structurally.

The email check, ICP fit and research results are built elsewhere in leadqual; any object with the
attributes below plugs in (``typing.Protocol``: no import, no inheritance needed). :class:`Fact` is a
ready-made research fact for callers who have their own research.

Examples:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class MyCheck:
    ...     is_valid: bool
    ...     status: str
    >>> isinstance(MyCheck(True, "valid"), EmailCheckLike)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import ConfigDict, field_validator

from leadqual._base import LeadqualModel

__all__ = [
    "EmailCheckLike",
    "Fact",
    "FactKind",
    "IcpFitLike",
    "ResearchFactLike",
    "ResearchLike",
    "SuppressionList",
]

FactKind = Literal["news", "need", "icp", "company", "financials", "crm", "other"]
"""What a fact is about: a news item, the lead's stated need, the ICP match, ..."""


@runtime_checkable
class EmailCheckLike(Protocol):
    """The result of checking an email address (``leadqual.research.email.EmailCheck`` fits)."""

    @property
    def is_valid(self) -> bool:
        """Properly formatted and not known to be undeliverable."""
        ...

    @property
    def status(self) -> str:
        """``"valid"``, ``"invalid"``, ``"risky"`` or ``"unknown"``."""
        ...


@runtime_checkable
class IcpFitLike(Protocol):
    """How well a lead fits the ideal customer profile (the ICP matcher's result fits)."""

    @property
    def tier(self) -> str:
        """``"High"``, ``"Moderate"``, ``"Low"`` or ``"Unknown"``."""
        ...

    @property
    def score(self) -> float:
        """0-100."""
        ...


@runtime_checkable
class ResearchFactLike(Protocol):
    """One researched fact: its text and where it came from (a URL or a source name)."""

    @property
    def text(self) -> str:
        """The fact, one or two sentences (untrusted when it comes from the web)."""
        ...

    @property
    def source(self) -> str:
        """Where it came from: a URL, "CRM", a provider name."""
        ...


@runtime_checkable
class ResearchLike(Protocol):
    """A research result holding facts about the lead's company."""

    @property
    def facts(self) -> Sequence[ResearchFactLike]:
        """The facts found, most relevant first."""
        ...


class Fact(LeadqualModel):
    """A fact a draft may use, with its source.

    Examples:
        >>> Fact(text="Contoso opened an office in Lisbon", source="https://news.example/1",
        ...      kind="news").kind
        'news'
    """

    model_config = ConfigDict(frozen=True)

    text: str
    source: str
    kind: FactKind = "other"


class SuppressionList(LeadqualModel):
    """Opted-out addresses and domains (a domain covers its subdomains): never drafted for.

    Examples:
        >>> s = SuppressionList(addresses=("ann@contoso.example",), domains=("fabrikam.example",))
        >>> s.reason_for("bob@FABRIKAM.example")
        'the domain fabrikam.example is on the suppression list'
    """

    model_config = ConfigDict(frozen=True)

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @field_validator("addresses", "domains", mode="after")
    @classmethod
    def _normalised(cls, values: frozenset[str]) -> frozenset[str]:
        return frozenset(v.strip().lower().lstrip("@") for v in values if v.strip())

    def reason_for(self, address: str | None) -> str | None:
        """Why ``address`` is suppressed, or ``None`` when it is not."""
        if not address:
            return None
        low = address.strip().lower()
        if low in self.addresses:
            return "the address is on the suppression list (opted out)"
        domain = low.rpartition("@")[2].rstrip(".")
        # A suppressed domain covers its subdomains: eu.acme.com is still acme.com.
        labels = domain.split(".")
        for i in range(len(labels) - 1):
            parent = ".".join(labels[i:])
            if parent in self.domains:
                return f"the domain {parent} is on the suppression list"
        return None

    def with_address(self, address: str) -> SuppressionList:
        """A copy with ``address`` added (e.g. after an unsubscribe reply)."""
        return SuppressionList(addresses=self.addresses | {address}, domains=self.domains)
