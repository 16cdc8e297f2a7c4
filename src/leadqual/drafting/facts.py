"""Facts a draft or an action may cite, read structurally from a research result.

The advisor (news as a reason) and the drafters (an opening line, the LLM's data blocks) read the
same facts through :func:`collect_facts`; nothing here imports the research package.

Examples:
    >>> from types import SimpleNamespace
    >>> news = SimpleNamespace(title="Contoso opens a Lisbon office", url="https://n.example/1")
    >>> [f.kind for f in collect_facts(SimpleNamespace(news=[news]))]
    ['news']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from leadqual.drafting.inputs import Fact, FactKind, ResearchInput
from leadqual.errors import ValidationFailed

__all__ = ["collect_facts"]


def collect_facts(research: ResearchInput | None) -> list[Fact]:
    """Facts from a research result, read structurally.

    Understands an object with ``facts`` (each with ``text`` and ``source``), such as
    ``leadqual.research.LeadResearch``; ``news`` (each with ``title`` and ``url``) and
    ``overviews`` (each with ``description``), such as ``leadqual.research.ResearchResult``; and a
    plain sequence of facts.

    Raises:
        ValidationFailed: ``research`` is none of these.
    """
    if research is None:
        return []
    if not isinstance(research, (list, tuple)) and not any(
        hasattr(research, name) for name in ("facts", "news", "overviews")
    ):
        raise ValidationFailed(
            f"research must be a lead's research (LeadResearch), a provider's result or a "
            f"sequence of facts, got {type(research).__name__}",
            field="research",
        )
    items: list[Fact] = []
    candidates: Iterable[object]
    if isinstance(research, (list, tuple)):
        candidates = research
    else:
        candidates = getattr(research, "facts", ()) or ()
    for fact in candidates:
        text, source = getattr(fact, "text", None), getattr(fact, "source", None)
        if isinstance(text, str) and isinstance(source, str):
            kind = getattr(fact, "kind", "other")
            items.append(
                Fact(text=text, source=source, kind=kind if kind in _FACT_KINDS else "other")
            )
    for news in getattr(research, "news", ()) or ():
        title, url = getattr(news, "title", None), getattr(news, "url", None)
        if isinstance(title, str) and isinstance(url, str):
            items.append(Fact(text=title, source=url, kind="news"))
    for overview in getattr(research, "overviews", ()) or ():
        description = getattr(overview, "description", None)
        provenance = getattr(overview, "provenance", None)
        source = getattr(provenance, "url", None) or getattr(provenance, "source", None)
        if isinstance(description, str) and isinstance(source, str):
            items.append(Fact(text=description, source=source, kind="company"))
    return items


_FACT_KINDS = frozenset(get_args(FactKind))
