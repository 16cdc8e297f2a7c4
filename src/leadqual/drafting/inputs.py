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

from leadqual._base import FrozenModel
from leadqual._compat import moved_names

__all__ = [
    "EmailCheckLike",
    "Fact",
    "FactKind",
    "IcpFitLike",
    "NewsLike",
    "ProviderResultLike",
    "ResearchFactLike",
    "ResearchInput",
    "ResearchLike",
]

# The suppression list is one object for drafting and research now.
__getattr__ = moved_names(__name__, {"SuppressionList": "leadqual.suppression"})

FactKind = Literal["news", "need", "icp", "company", "financials", "crm", "other"]
"""What a fact is about: a news item, the lead's stated need, the ICP match, ..."""


@runtime_checkable
class EmailCheckLike(Protocol):
    """The result of checking an email address (``leadqual.email.EmailCheck`` fits)."""

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


@runtime_checkable
class NewsLike(Protocol):
    """A news item: its headline and its page."""

    @property
    def title(self) -> str:
        """The headline (untrusted web text)."""
        ...

    @property
    def url(self) -> str:
        """The page it came from."""
        ...


@runtime_checkable
class ProviderResultLike(Protocol):
    """One research provider's result (``leadqual.research.ResearchResult``): news items."""

    @property
    def news(self) -> Sequence[NewsLike]:
        """The news the provider found."""
        ...


ResearchInput = ResearchLike | ProviderResultLike | Sequence[ResearchFactLike]
"""What drafters and the advisor take as research: a lead's research
(``leadqual.research.LeadResearch``, which has ``facts``), one provider's result, or the facts
themselves."""


class Fact(FrozenModel):
    """A fact a draft may use, with its source.

    Examples:
        >>> Fact(text="Contoso opened an office in Lisbon", source="https://news.example/1",
        ...      kind="news").kind
        'news'
    """

    text: str
    source: str
    kind: FactKind = "other"
