"""Stores to test: memory, SQLite (a file) and PostgreSQL; and realistic records to put in them.

The PostgreSQL tests read a database URL from ``LEADQUAL_TEST_POSTGRES_DSN``; each test gets a
schema of its own in that database, dropped afterwards. Without the variable they skip, except on
CI (``CI`` set), where they fail: a CI run must not pass without PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, make_url, text

from leadqual.config import AgentConfig
from leadqual.dedupe.qualify import QualificationChecker
from leadqual.drafting.advisor import ActionAdvisor
from leadqual.drafting.template import TemplateDrafter
from leadqual.email import EmailValidator, StaticResolver
from leadqual.errors import NothingToDraft
from leadqual.icp import IcpMatcher
from leadqual.insight import AuditRecord, DuplicateRef, LeadInsight, SellerCard, StageRun
from leadqual.prioritize import HandraiserEvaluator, rate_lead
from leadqual.research.researcher import Researcher
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.scoring.grading import Factor, LeadScore, WhatIf
from leadqual.sources import MemorySource, build_context
from leadqual.sources.sample import SampleData
from leadqual.store import InsightStore, MemoryInsightStore, SqlInsightStore

DSN_VARIABLE = "LEADQUAL_TEST_POSTGRES_DSN"
BACKENDS = ("memory", "sqlite", "postgres")
FILE_BACKENDS = ("sqlite", "postgres")

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CARD = SellerCard(
    name="Ada Lovelace",
    company="Contoso",
    next_action="Send a follow-up",
    reason="She asked for pricing",
    call_to_action="Review the draft",
)


def postgres_dsn() -> str:
    """The test database's URL; skip without one, fail on CI without one."""
    dsn = os.environ.get(DSN_VARIABLE, "").strip()
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail(
                f"CI is set but {DSN_VARIABLE} is not: the PostgreSQL store tests must run on CI "
                "(.ci/run sets up a server and the variable)"
            )
        pytest.skip(f"set {DSN_VARIABLE} to a PostgreSQL database URL to run these tests")
    return dsn


@dataclass
class Place:
    """Where a backend's store lives, so a test can open it again or look inside."""

    backend: str
    url: str | URL | None = None
    path: Path | None = None
    memory: MemoryInsightStore | None = None

    def open(self) -> InsightStore:
        if self.memory is not None:
            return self.memory
        assert self.url is not None
        return SqlInsightStore(self.url)


@pytest.fixture
def postgres_url() -> Iterator[URL]:
    """A URL whose tables land in a fresh schema of the test database (dropped afterwards)."""
    dsn = make_url(postgres_dsn())
    if dsn.drivername in ("postgresql", "postgres"):
        dsn = dsn.set(drivername="postgresql+psycopg")
    schema = f"leadqual_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(dsn)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield dsn.update_query_dict({"options": f"-csearch_path={schema}"})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _place(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Place:
    if backend == "memory":
        return Place(backend, memory=MemoryInsightStore())
    if backend == "sqlite":
        path = tmp_path / "insights.db"
        return Place(backend, url=URL.create("sqlite", database=str(path)), path=path)
    return Place(backend, url=request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    """Each backend in turn."""
    return _place(request.param, tmp_path, request)


@pytest.fixture(params=FILE_BACKENDS)
def file_place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    """Each backend that outlives its store object."""
    return _place(request.param, tmp_path, request)


@pytest.fixture
def opened() -> Iterator[list[InsightStore]]:
    """Stores opened by a test, closed after it."""
    stores: list[InsightStore] = []
    yield stores
    for store in stores:
        store.close()


@pytest.fixture
def open_store(place: Place, opened: list[InsightStore]) -> Callable[[], InsightStore]:
    """Open (again) the store of the current backend."""

    def open_() -> InsightStore:
        store = place.open()
        opened.append(store)
        return store

    return open_


@pytest.fixture
def store(open_store: Callable[[], InsightStore]) -> InsightStore:
    """A fresh, empty store of the current backend."""
    return open_store()


# -- records ------------------------------------------------------------------------------------


def _insight(
    lead_id: str = "L-1",
    version: int = 1,
    *,
    owner_id: str | None = "S-1",
    refreshed_at: datetime = T0,
) -> LeadInsight:
    return LeadInsight(
        lead_id=lead_id,
        owner_id=owner_id,
        version=version,
        refreshed_at=refreshed_at,
        card=CARD,
        stages=(StageRun(stage="email", status="skipped", at=refreshed_at, reason="no email"),),
        duplicates=(DuplicateRef(record_id="L-9", kind="lead", rule="same_email", score=0.97),),
        config_hash="cafe",
    )


@pytest.fixture(scope="session")
def make_insight() -> Callable[..., LeadInsight]:
    """Build a small insight: ``make_insight(lead_id, version, owner_id=, refreshed_at=)``."""
    return _insight


@pytest.fixture(scope="session")
def sample_source_frozen(sample_data: SampleData) -> MemorySource:
    """The sample CRM as a source, shared (tests only read it)."""
    return MemorySource.from_snapshot(sample_data.crm)


REALISTIC_LEADS = ("L-0171", "L-0196", "L-0207", "L-0213")
"""Sample leads with research and an account (L-0171), outreach by a hand-raiser (L-0196), an
appointment to schedule (L-0207) and a follow-up email (L-0213)."""


@pytest.fixture(scope="session")
def realistic(
    sample_data: SampleData, sample_config: AgentConfig, sample_source_frozen: MemorySource
) -> list[tuple[LeadInsight, AuditRecord]]:
    """Insights and audit records built by the components on the sample CRM, offline."""
    source, now, config = sample_source_frozen, sample_data.as_of, sample_config
    validator = EmailValidator(resolver=StaticResolver.from_sample(sample_data), now=now)
    researcher = Researcher(
        config=config, source=source, providers=[SampleResearchProvider(sample_data)]
    )
    assert config.icp is not None
    matcher = IcpMatcher(config.icp)
    hands = HandraiserEvaluator(config.handraisers)
    advisor = ActionAdvisor(read_emails=True)
    drafter = TemplateDrafter(config)
    checker = QualificationChecker(
        accounts=sample_data.crm.accounts, contacts=sample_data.crm.contacts
    )
    built = []
    for i, lead_id in enumerate(REALISTIC_LEADS):
        context = build_context(source, lead_id)
        email = validator.validate(context.lead.email) if context.lead.email else None
        research = researcher.research(lead_id, now=now)
        fit = matcher.match(context)
        raised = hands.evaluate(context, now=now)
        action = advisor.advise(context, now=now, email_check=email, icp_fit=fit)
        try:
            draft = drafter.draft(context, action)
        except NothingToDraft:
            draft = None
        score = LeadScore(
            lead_id=lead_id,
            score=70 - i,
            probability=(70 - i) / 100,
            grade="B",
            factors_up=(
                Factor(column="industry", value="Retail", typical="Other", effect=0.4, points=6.5),
            ),
            what_if=(
                WhatIf(
                    column="job_title", current="Buyer", suggested="CFO", new_score=80, gain=10 + i
                ),
            ),
            band=(60, 78),
            model="logistic/retail",
        )
        item = LeadInsight(
            lead_id=lead_id,
            owner_id=context.lead.owner_id,
            version=1,
            refreshed_at=now,
            email=email,
            research=research,
            icp_fit=fit,
            handraiser=raised,
            rating=rate_lead(context, now=now, fit=fit, handraiser=raised),
            score=score,
            next_action=action,
            draft=draft,
            card=CARD,
            stages=tuple(
                StageRun(stage=s, status="ran", at=now, sources=("crm",))
                for s in ("email", "research", "icp", "handraiser", "rating", "action", "draft")
            ),
            config_hash="0123abcd",
            model_version="retail-2025-02",
        )
        record = AuditRecord(
            lead_id=lead_id,
            insight_version=1,
            recorded_at=now,
            config_hash="0123abcd",
            model_version="retail-2025-02",
            sources=("crm", "sample"),
            context=context,
            email=email,
            research=research,
            qualification=checker.find(context.lead),
        )
        built.append((item, record))
    return built
