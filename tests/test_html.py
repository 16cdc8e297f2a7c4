"""Results render as HTML in a notebook, and hostile text in them stays text.

Lead names, company names, CRM notes and scraped web pages are written by strangers. Whatever they
hold, the markup of ``_repr_html_`` is only the tables leadqual builds: every tag and attribute in
it is on a short list, and each hostile value reads back whole as text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual._html import Html, block, details, esc, grid, kv, paragraph
from leadqual.agent import QualificationAgent
from leadqual.config import AgentConfig
from leadqual.dedupe import DuplicateDetector, DuplicatePair, DuplicateReport
from leadqual.dedupe.detector import BlockingSummary
from leadqual.email import EmailValidator, StaticResolver
from leadqual.icp import CharacteristicResult, IcpFit
from leadqual.insight import DuplicateRef, LeadInsight, SellerCard, StageRun
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.scoring import FeatureDecision, LeadScore, LeakageFinding, ModelReport
from leadqual.scoring.grading import Factor, WhatIf
from leadqual.scoring.report import GradeRow, Importance, Metrics
from leadqual.sources import MemorySource, SampleData

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(document.cookie)>",
    "</td></tr></table><script src=//evil.example/x.js></script>",
    "&lt;script&gt;already escaped&lt;/script&gt;",
    "<!-- --><![CDATA[x]]><?php echo 1 ?>",
    "<a href=javascript:alert(1)>click</a>",
    "<style>body{display:none}</style>",
]

ALLOWED_TAGS = {"div", "strong", "table", "tr", "th", "td", "p", "details", "summary"}


class Markup(HTMLParser):
    """What a browser would see in a fragment: its tags, attributes, text and anything else."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.other: list[str] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration {decl}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction {data}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"declaration {data}")


def assert_only_text(fragment: str, *shown: str) -> None:
    """``fragment`` holds only leadqual's own tags, and each of ``shown`` reads back as text."""
    assert isinstance(fragment, str)
    seen = Markup(fragment)
    assert set(seen.tags) <= ALLOWED_TAGS, set(seen.tags) - ALLOWED_TAGS
    assert all(name == "colspan" and (value or "").isdigit() for name, value in seen.attrs)
    assert seen.other == []
    text = "".join(seen.text)
    for value in shown:
        assert value in text, value
    lowered = fragment.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<svg" not in lowered


# -- the helper --------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_helper_escapes_what_it_is_given(payload: str) -> None:
    fragment = block(
        payload,
        kv([(payload, payload)]),
        grid([payload], [[payload]]),
        paragraph(payload),
        details(payload, grid([payload, payload], [[payload, None]])),
    )
    assert_only_text(fragment, payload)
    assert fragment.count(esc(payload)) == 10  # every place it was given, escaped


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1))
def test_any_text_stays_text(text: str) -> None:
    fragment = block(text, kv([(text, text)]), grid([text], [[text], [None]]), paragraph(text))
    assert_only_text(fragment, text)


def test_markup_built_by_the_helper_is_not_escaped_twice_but_text_posing_as_it_is() -> None:
    inner = grid(["a"], [["<b>"]])
    assert block("t", inner).count("&lt;b&gt;") == 1
    assert "&lt;table&gt;" in block("t", str(inner))  # a plain str is text, whatever it holds
    assert isinstance(esc("x"), Html)


def test_a_long_table_shows_its_first_rows_and_counts_the_rest() -> None:
    fragment = grid(["n"], ([i] for i in range(1000)), limit=5)
    assert fragment.count("<tr>") == 1 + 5 + 1
    assert "995 more not shown" in fragment
    assert "… 5 more" in grid(["n"], [[1]], total=6, limit=1)


# -- each result -------------------------------------------------------------------------------


def _score(p: str) -> LeadScore:
    return LeadScore(
        lead_id=p,
        score=64,
        probability=0.64,
        grade=p,
        factors_up=(Factor(column=p, value=p, typical=p, effect=0.4, points=7.5),),
        factors_down=(Factor(column="source", value=p, typical="web", effect=-0.2, points=-3.0),),
        what_if=(WhatIf(column=p, current=p, suggested=p, new_score=70, gain=6),),
        band=(55, 71),
        model=p,
        trend="up",
        previous_score=50,
        change=14,
    )


def _fit(p: str) -> IcpFit:
    return IcpFit(
        lead_id=p,
        profile=p,
        score=72,
        tier="High",
        coverage=0.8,
        results=(
            CharacteristicResult(
                name=p,
                kind="categorical",
                status="matched",
                credit=1,
                weight=2,
                value=p,
                field=p,
                target=p,
                reason=p,
            ),
        ),
        capped_by=(p,),
    )


def _duplicates(p: str) -> DuplicateReport:
    return DuplicateReport(
        pairs=(
            DuplicatePair(left_id=p, right_id=p + "2", rules=(p,), probability=0.93, explanation=p),
        ),
        clusters=((p, p + "2"),),
        blocking=BlockingSummary(records=2, candidates=1, pairs_per_key={p: 1}, too_common=(p,)),
        seconds=0.01,
    )


def _model_report(p: str) -> ModelReport:
    return ModelReport(
        model=p,
        line_of_business=p,
        rows=100,
        qualified=40,
        disqualified=60,
        cv=Metrics(roc_auc=0.8, roc_auc_std=0.02, pr_auc=0.7, brier=0.2, rows=100, split=p),
        time_ordered=Metrics(roc_auc=0.75, pr_auc=0.6, brier=0.21, rows=20, split=p),
        grades=(GradeRow(grade=p, min_score=70, leads=20, share=0.2, conversion_rate=0.6),),
        importances=(Importance(column=p, importance=0.5),),
        features=(FeatureDecision(column=p, kind="text", kept=False, reason=p),),
        leakage=(LeakageFinding(column=p, reason=p),),
    )


def _insight(p: str) -> LeadInsight:
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    return LeadInsight(
        lead_id=p,
        owner_id=p,
        refreshed_at=at,
        email=EmailValidator(check_deliverability=False).validate(p),
        icp_fit=_fit(p),
        score=_score(p),
        duplicates=(DuplicateRef(record_id=p, kind="lead", rule=p, explanation=p),),
        card=SellerCard(name=p, company=p, need=p, next_action=p, reason=p, call_to_action=p),
        stages=(StageRun(stage="email", status="failed", at=at, reason=p),),
    )


RESULTS = {
    "LeadScore": _score,
    "IcpFit": _fit,
    "DuplicateReport": _duplicates,
    "ModelReport": _model_report,
    "LeadInsight": _insight,
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("kind", sorted(RESULTS))
def test_hostile_text_in_a_result_is_shown_as_text(kind: str, payload: str) -> None:
    result = RESULTS[kind](payload)
    assert_only_text(result._repr_html_(), payload)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(sorted(RESULTS)),
    text=st.text(min_size=1, max_size=40).map(str.strip).filter(bool),
)
def test_any_text_in_any_result_is_shown_as_text(kind: str, text: str) -> None:
    assert_only_text(RESULTS[kind](text)._repr_html_(), text)


def test_a_notebook_sees_a_compact_fragment_not_a_page() -> None:
    fragment = _model_report("web")._repr_html_()
    assert "<html" not in fragment and "<style" not in fragment and "<svg" not in fragment
    assert fragment.startswith("<div><strong>Lead scoring model — web</strong>")
    assert "0.800 ± 0.020" in fragment


def test_a_report_of_many_pairs_shows_twenty_and_counts_the_rest(sample_data: SampleData) -> None:
    report = DuplicateDetector().find(sample_data.crm.leads)
    many = report.model_copy(update={"pairs": report.pairs * 30})
    fragment = many._repr_html_()
    rows = Markup(fragment).tags.count("tr") // 2
    assert rows == 5 + 1 + 20 + 1  # the counts, the header, 20 pairs, "... more"
    assert f"{len(many.pairs) - 20:,} more not shown" in fragment


def test_an_insight_of_a_lead_whose_name_is_hostile_renders_as_text(
    sample_data: SampleData, sample_config: AgentConfig, sample_source: MemorySource
) -> None:
    lead = sample_source.get_lead("L-0001")
    evil = '"><img src=x onerror=alert(1)>'
    sample_source.add(
        lead.model_copy(
            update={"first_name": evil, "last_name": "<script>x</script>", "company_name": evil}
        )
    )
    agent = QualificationAgent(
        sample_config,
        sample_source,
        providers=[SampleResearchProvider(sample_data)],
        email_validator=EmailValidator(
            resolver=StaticResolver.from_sample(sample_data), now=sample_data.as_of
        ),
    )
    insight = agent.process("L-0001", now=sample_data.as_of)
    assert evil in insight.card.name
    assert_only_text(insight._repr_html_(), evil, "<script>x</script>", insight.card.next_action)
