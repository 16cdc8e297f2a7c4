"""Merging what the providers found: company fields with every source and its conflicts kept,
financial figures, news deduplicated and ranked for the seller, the signal strength, and the
fingerprint and diff against the previous research.

Examples:
    >>> merger = ResearchMerger(min_confidence=0.6, products=())
    >>> merger.merge([])
    ()
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from leadqual._domains import registrable_domain
from leadqual.config import ProductKnowledge
from leadqual.research.insights import CrmInsights
from leadqual.research.providers import (
    CompanyFinancials,
    CompanyOverview,
    NewsItem,
    NewsTopic,
    ResearchResult,
)
from leadqual.research.results import (
    FieldSource,
    LeadResearch,
    MergedField,
    RankedNews,
    ResearchDiff,
    SignalStrength,
    SourceStatus,
)

__all__ = ["OVERVIEW_FIELDS", "ResearchMerger"]

OVERVIEW_FIELDS: tuple[str, ...] = (
    "name", "legal_name", "description", "industry", "employee_count", "headquarters", "country",
    "founded", "website", "products", "mission",
)  # fmt: skip
_FREE_TEXT = frozenset({"description", "mission", "products"})
"""Fields sources phrase differently: never flagged as conflicts."""
_KEY_FIELDS = ("description", "industry", "employee_count", "country", "website")
_SELLER_TOPICS: tuple[NewsTopic, ...] = (
    "product_launch", "leadership_change", "contract_won", "community_involvement",
    "awards_recognition",
)  # fmt: skip


def _canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, "", ""))


_WORD = re.compile(r"[a-z0-9]{3,}")


class ResearchMerger:
    """Merges provider results into what a seller reads.

    Args:
        min_confidence: below this match confidence a record is shown as unconfirmed and its
            figures and news are left out.
        products: the vendor's products, for "why this news matters".
    """

    def __init__(self, *, min_confidence: float, products: Sequence[ProductKnowledge]) -> None:
        self.min_confidence = min_confidence
        self.products = tuple(products)

    def merge(self, results: Sequence[ResearchResult]) -> tuple[MergedField, ...]:
        overviews: list[CompanyOverview] = [o for r in results for o in r.overviews]
        merged: list[MergedField] = []
        for name in OVERVIEW_FIELDS:
            confident: list[FieldSource] = []
            unsure: list[FieldSource] = []
            for o in overviews:
                value = getattr(o, name)
                if value is None or value == "" or value == ():
                    continue
                fs = FieldSource(
                    provider=o.provenance.source,
                    value=value,
                    url=o.provenance.url,
                    retrieved_at=o.provenance.retrieved_at,
                    confidence=o.provenance.match_confidence,
                    licence=o.provenance.licence,
                )
                (confident if fs.confidence >= self.min_confidence else unsure).append(fs)
            if not confident and not unsure:
                continue
            chosen = max(confident, key=lambda f: f.confidence, default=None)
            merged.append(
                MergedField(
                    name=name,
                    value=chosen.value if chosen else None,
                    chosen_from=chosen.provider if chosen else None,
                    sources=tuple(confident),
                    conflict=name not in _FREE_TEXT and _disagree([f.value for f in confident]),
                    unconfirmed=tuple(unsure),
                )
            )
        return tuple(merged)

    def financials(self, results: Sequence[ResearchResult]) -> tuple[CompanyFinancials, ...]:
        out = [
            f
            for r in results
            for f in r.financials
            if f.provenance.match_confidence >= self.min_confidence
        ]
        out.sort(key=lambda f: (-(f.fiscal_year or 0), f.provenance.source))
        return tuple(out)

    def dedupe_news(self, results: Sequence[ResearchResult]) -> tuple[NewsItem, ...]:
        seen_urls: set[str] = set()
        seen_titles: set[str] = set()
        out: list[NewsItem] = []
        for r in results:
            for item in r.news:
                if item.provenance.match_confidence < self.min_confidence:
                    continue
                url = _canonical_url(item.url)
                title = " ".join(_WORD.findall(item.title.casefold()))
                if url in seen_urls or (title and title in seen_titles):
                    continue
                seen_urls.add(url)
                seen_titles.add(title)
                out.append(item)
        far = datetime.min.replace(tzinfo=UTC)
        out.sort(key=lambda n: n.published_at or far, reverse=True)
        return tuple(out)

    def rank_news(self, news: Sequence[NewsItem], now: datetime) -> tuple[RankedNews, ...]:
        products = self.products
        pains = [p for prod in products for p in prod.pain_points]
        vocab = [
            (
                prod.name,
                {
                    w
                    for text in (prod.description, *prod.pain_points, *prod.value_propositions)
                    for w in _WORD.findall(text.casefold())
                },
            )
            for prod in products
        ]
        ranked = []
        for item in news:
            words = set(_WORD.findall(item.title.casefold()))
            # the product whose description and pains share most words with the headline
            product = max(vocab, key=lambda pv: len(words & pv[1]))[0]
            score = 3.0 if item.topic in _SELLER_TOPICS else (1.5 if item.topic != "other" else 0.5)
            if item.published_at is not None:
                age = max(0.0, (now - item.published_at).days)
                score += max(0.0, 2.0 - age / 45)  # fresher is better; a quarter old adds nothing
            matched = [p for p in pains if words & set(_WORD.findall(p.casefold()))]
            if matched:
                score += 1.0
            ranked.append(
                RankedNews(
                    item=item,
                    why_it_matters=_why(item.topic, product, matched),
                    score=round(score, 3),
                )
            )
        ranked.sort(key=lambda r: -r.score)
        return tuple(ranked[:3])

    def signal(
        self,
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        statuses: Sequence[SourceStatus],
        crm: CrmInsights | None,
    ) -> SignalStrength:
        reasons: list[str] = []
        by_name = {f.name: f for f in profile}
        have = [n for n in _KEY_FIELDS if by_name.get(n) and by_name[n].value is not None]
        score = 40.0 * len(have) / len(_KEY_FIELDS)
        missing = [n.replace("_", " ") for n in _KEY_FIELDS if n not in have]
        reasons.append(
            f"{len(have)} of {len(_KEY_FIELDS)} key company facts found"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
        if financials:
            score += 15
            reasons.append("financial figures found")
        else:
            reasons.append("no financial figures")
        if news:
            score += 10
            reasons.append(f"{len(news)} news item(s)")
        asked = [s for s in statuses if s.state not in ("skipped_consent", "skipped")]
        answered = [s for s in asked if s.state in ("ok", "empty")]
        if asked:
            score += 15 * len(answered) / len(asked)
            if len(answered) < len(asked):
                reasons.append(f"{len(asked) - len(answered)} of {len(asked)} source(s) failed")
        skipped = [s for s in statuses if s.state == "skipped_consent"]
        if skipped:
            reasons.append(f"{len(skipped)} source(s) skipped for lack of consent")
        conflicts = [f.name for f in profile if f.conflict]
        with_facts = {s.provider for f in profile for s in f.sources}
        if len(with_facts) >= 2:
            score += max(0.0, 10.0 - 5.0 * len(conflicts))
        elif with_facts:
            score += 5.0  # nothing contradicts it, but nothing confirms it either
            reasons.append("company facts from a single source (not corroborated)")
        if conflicts:
            reasons.append(f"sources disagree on {', '.join(conflicts)}")
        unconfirmed = [f.name for f in profile if f.unconfirmed and f.value is None]
        if unconfirmed:
            reasons.append(f"unconfirmed match for {', '.join(unconfirmed)}")
        if crm is not None:
            filled = len(crm.lead_summary.fields) - len(crm.lead_summary.missing)
            total = len(crm.lead_summary.fields) or 1
            score += 10.0 * filled / total
            if crm.account_summary is None:
                reasons.append("no account linked in the CRM")
        score = round(min(100.0, score), 1)
        level: Literal["weak", "moderate", "strong"] = (
            "strong" if score >= 70 else "moderate" if score >= 40 else "weak"
        )
        return SignalStrength(score=score, level=level, reasons=tuple(reasons))

    @staticmethod
    def facts(
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        crm: CrmInsights | None,
    ) -> dict[str, Any]:
        return {
            "fields": {f.name: f.value for f in profile},
            "financials": sorted(
                (f.provenance.source, f.fiscal_year, f.revenue, f.net_income) for f in financials
            ),
            "news": sorted(_canonical_url(n.url) for n in news),
            "crm": None
            if crm is None
            else crm.model_dump(
                mode="json", exclude={"generated_at", "lead_summary", "who_knows_whom"}
            )
            | {"who": [(c.seller_id, c.total) for c in crm.who_knows_whom]},
        }

    def fingerprint(
        self,
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        crm: CrmInsights | None,
    ) -> str:
        facts = self.facts(profile, financials, news, crm)
        blob = json.dumps(facts, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def diff(
        self,
        previous: LeadResearch | None,
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        fingerprint: str,
        crm: CrmInsights | None,
    ) -> ResearchDiff:
        if previous is None:
            return ResearchDiff(first_research=True)
        before = self.facts(previous.profile, previous.financials, previous.all_news, previous.crm)
        after = self.facts(profile, financials, news, crm)
        names = sorted(set(before["fields"]) | set(after["fields"]))
        changed = tuple(n for n in names if before["fields"].get(n) != after["fields"].get(n))
        old_news, new_news = set(before["news"]), set(after["news"])
        return ResearchDiff(
            first_research=False,
            previous_at=previous.researched_at,
            changed_fields=changed,
            added_news=tuple(sorted(new_news - old_news)),
            removed_news=tuple(sorted(old_news - new_news)),
            financials_changed=before["financials"] != after["financials"],
            crm_changed=before["crm"] != after["crm"],
        )


def _disagree(values: Sequence[Any]) -> bool:
    if len(values) < 2:
        return False
    if all(isinstance(v, int | float) for v in values):
        nums = [float(v) for v in values]
        low, high = min(nums), max(nums)
        return high > 0 and (high - low) / high > 0.25  # sizes from different years differ a bit
    if all(isinstance(v, tuple) for v in values):
        return False  # product lists complement each other
    texts = [v for v in values if isinstance(v, str)]
    if all(v.startswith("http") for v in texts):
        return len({registrable_domain(v) or v for v in texts}) > 1
    # "Santa Clara, CA" and "Santa Clara" agree; "Software" and "Banking" do not: two values
    # conflict when they share no word stem
    stems = [{w[:5] for w in _WORD.findall(v.casefold())} for v in texts]
    return any(not (a & b) for i, a in enumerate(stems) for b in stems[i + 1 :] if a and b)


def _why(topic: NewsTopic, product: str, pains: Sequence[str]) -> str:
    pain = f" ({pains[0]})" if pains else ""
    texts: dict[str, str] = {
        "product_launch": f"A launch means new revenue targets and pipeline to forecast: a timely opening for {product}{pain}.",
        "leadership_change": f"New leaders review tools in their first months: a window to introduce {product}{pain}.",
        "contract_won": f"New business means more pipeline and more CRM work to manage: {product} helps scale it{pain}.",
        "community_involvement": f"Shows the company's priorities; a warm, non-sales opener before pitching {product}.",
        "awards_recognition": f"A congratulation is a natural reason to get in touch about {product}.",
        "financial_results": f"Results show whether budget is growing or tightening, which shapes how to position {product}{pain}.",
        "mergers_acquisitions": f"Merging teams and CRMs creates a need for one view of the customer: {product}{pain}.",
        "risk": f"A risk signal: budgets may be frozen; qualify carefully before investing time in {product}.",
        "other": f"Context on the company's current situation before reaching out about {product}.",
    }
    return texts[topic]
