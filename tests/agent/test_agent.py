"""The agent end to end on the sample CRM: processing, events, access, consent, lifecycle, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadqual.agent import (
    ORGANIZATION,
    AccountUpdated,
    CompanyNameUpdated,
    LeadCreated,
    LeadDeleted,
    LeadUpdated,
    QualificationAgent,
    parse_event,
)
from leadqual.drafting import Draft, NextAction
from leadqual.errors import (
    AccessDenied,
    AgentPaused,
    ConfigurationError,
    RecordNotFound,
    ValidationFailed,
)
from leadqual.insight import STAGES, LeadInsight
from leadqual.models import Lead, LeadContext, Seller
from leadqual.sources import MemorySource, SampleData
from leadqual.testing.research import FakeResearchProvider

from .conftest import MakeAgent

OWNED_BY_S01 = "L-0171"  # open, linked account, a referral reply
OWNED_BY_S04 = "L-0202"  # open, an address with two @


def _now(data: SampleData) -> datetime:
    return data.as_of


# -- one lead ---------------------------------------------------------------------------------


def test_process_concludes_every_stage_and_stores_the_insight(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    insight = agent.process(OWNED_BY_S01, now=_now(sample_data))
    assert [s.stage for s in insight.stages] == list(STAGES)
    assert insight.stage("email").status == "ran"  # type: ignore[union-attr]
    assert insight.email is not None and insight.email.is_valid
    assert insight.icp_fit is not None and insight.rating is not None
    assert insight.handraiser is not None and insight.next_action is not None
    # no model was given: the score stage says so instead of inventing a score
    assert insight.score is None
    assert insight.stage("score").status == "skipped"  # type: ignore[union-attr]
    assert "no predictive model" in insight.stage("score").reason  # type: ignore[union-attr]
    assert insight.card.name == "Fatima Carter"
    assert insight.card.next_action and insight.card.reason and insight.card.call_to_action
    assert agent.store.latest(OWNED_BY_S01) == insight
    assert insight.version == 1 and insight.refreshed_at == _now(sample_data)
    assert agent.store.audit(OWNED_BY_S01)[-1].context.lead.id == OWNED_BY_S01


def test_the_insight_round_trips_through_json(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    insight = make_agent().process(OWNED_BY_S01, now=_now(sample_data))
    assert LeadInsight.model_validate_json(insight.model_dump_json()) == insight


def test_processing_again_without_a_change_keeps_the_insight(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    first = agent.process(OWNED_BY_S01, now=_now(sample_data))
    again = agent.process(OWNED_BY_S01, now=_now(sample_data) + timedelta(hours=1))
    assert again == first
    assert len(agent.store.history(OWNED_BY_S01)) == 1
    forced = agent.process(OWNED_BY_S01, now=_now(sample_data) + timedelta(hours=2), force=True)
    assert forced.version == 2
    assert [i.version for i in agent.store.history(OWNED_BY_S01)] == [1, 2]


@pytest.mark.parametrize("bad", ["", None, 42, ["L-0171"]])
def test_a_malformed_lead_id_is_refused_with_a_typed_error(make_agent: MakeAgent, bad: Any) -> None:
    with pytest.raises(ValidationFailed):
        make_agent().process(bad)


def test_an_unknown_lead_is_a_record_not_found(make_agent: MakeAgent) -> None:
    with pytest.raises(RecordNotFound, match="L-9999"):
        make_agent().process("L-9999")


def test_construction_refuses_what_is_not_a_config_or_a_source(
    sample_config: Any, sample_source: MemorySource
) -> None:
    with pytest.raises(ConfigurationError, match="AgentConfig"):
        QualificationAgent(sample_config.model_dump(), sample_source)
    with pytest.raises(ConfigurationError, match="CrmSource"):
        QualificationAgent(sample_config, object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="score_lead"):
        QualificationAgent(sample_config, sample_source, scorer=object())  # type: ignore[arg-type]


def test_an_address_that_is_not_deliverable_leads_to_no_outreach(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    insight = make_agent().process(OWNED_BY_S04, now=_now(sample_data))
    assert insight.email is not None and not insight.email.is_valid
    assert insight.draft is None
    assert insight.next_action is None or insight.next_action.kind != "initial_outreach"


class _BrokenScorer:
    def score_lead(self, lead: Lead, /, **_: Any) -> Any:
        raise RuntimeError(f"model server down for {lead.email}")


def test_a_failing_plugin_degrades_its_stage_not_the_lead(
    make_agent: MakeAgent, sample_data: SampleData, caplog: pytest.LogCaptureFixture
) -> None:
    agent = make_agent(scorer=_BrokenScorer())
    with caplog.at_level("INFO", logger="leadqual"):
        insight = agent.process(OWNED_BY_S01, now=_now(sample_data))
    run = insight.stage("score")
    assert run is not None and run.status == "failed" and "model server down" in run.reason
    assert insight.next_action is not None
    # the exception quoted the address; the log must not
    assert "fatima@meridianwealth.mx" not in caplog.text
    assert agent.counters().stages["score"].failed == 1


def test_nothing_personal_is_logged_at_info(
    make_agent: MakeAgent, sample_data: SampleData, caplog: pytest.LogCaptureFixture
) -> None:
    agent = make_agent()
    with caplog.at_level("INFO", logger="leadqual"):
        agent.process_many(["L-0171", "L-0190", "L-0202"], now=_now(sample_data))
    lead = sample_data.crm.leads
    personal = {
        value
        for item in lead
        if item.id in ("L-0171", "L-0190", "L-0202")
        for value in (item.email, item.first_name, item.last_name, item.company_name)
        if value
    }
    info = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert info, "processing logs something at INFO"
    assert not [m for m in info if any(p in m for p in personal)]


# -- batches ----------------------------------------------------------------------------------


def test_process_many_keeps_the_order_and_reports_progress(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent(max_concurrency=3)
    ids = ["L-0202", "L-0171", "L-0190", "L-0184"]
    seen: list[tuple[int, int, str]] = []
    out = agent.process_many(ids, now=_now(sample_data), progress=lambda *a: seen.append(a))
    assert [i.lead_id for i in out] == ids
    assert sorted(s[0] for s in seen) == [1, 2, 3, 4] and {s[1] for s in seen} == {4}


def test_a_lead_deleted_before_its_turn_is_left_out_not_fatal(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    out = make_agent().process_many(["L-0171", "L-9999", "L-0190"], now=_now(sample_data))
    assert [i.lead_id for i in out] == ["L-0171", "L-0190"]


class _Crashing(MemorySource):
    """A CRM that fails (a dropped connection) when a given lead is read."""

    def __init__(self, base: MemorySource, fail_on: str) -> None:
        snap = base.snapshot()
        super().__init__(**{name: getattr(snap, name) for name in type(snap).model_fields})
        self.fail_on: str | None = fail_on

    def get_lead(self, lead_id: str, /) -> Lead:
        if lead_id == self.fail_on:
            raise ConnectionError("CRM connection dropped")
        return super().get_lead(lead_id)


def test_a_batch_resumes_where_it_stopped(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    source = _Crashing(sample_source, fail_on="L-0190")
    agent = make_agent(source=source, max_concurrency=1)
    ids = ["L-0171", "L-0184", "L-0190", "L-0202"]
    with pytest.raises(ConnectionError):
        agent.process_many(ids, now=_now(sample_data), batch_id="nightly")
    done = [i for i in ids if agent.store.latest(i) is not None]
    assert done == ["L-0171", "L-0184"]
    assert list(agent.store.pending("nightly")) == ["L-0190", "L-0202"]
    source.fail_on = None
    before = {i: agent.store.latest(i) for i in done}
    out = agent.process_many(ids, now=_now(sample_data) + timedelta(hours=1), batch_id="nightly")
    assert [i.lead_id for i in out] == ids
    assert list(agent.store.pending("nightly")) == []
    # the leads done before the crash were not processed again
    assert all(agent.store.latest(i) == before[i] for i in done)


# -- access -----------------------------------------------------------------------------------


def test_a_seller_sees_only_their_own_leads(make_agent: MakeAgent, sample_data: SampleData) -> None:
    agent = make_agent()
    agent.activate(now=_now(sample_data))
    view = agent.prioritized("S-01", now=_now(sample_data))
    owners = {lead.id: lead.owner_id for lead in sample_data.crm.leads}
    assert view.entries and {owners[e.lead_id] for e in view.entries} == {"S-01"}
    assert [e.rank for e in view.entries] == list(range(1, len(view.entries) + 1))
    assert all(e.why and isinstance(e.is_handraiser, bool) for e in view.entries)
    assert agent.insight(OWNED_BY_S01, seller="S-01").lead_id == OWNED_BY_S01
    with pytest.raises(AccessDenied) as denied:
        agent.insight(OWNED_BY_S04, seller="S-01")
    assert denied.value.lead_id == OWNED_BY_S04


def test_a_manager_sees_the_team_and_an_admin_sees_all(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    sample_source.add(
        Seller(id="S-10", name="Nora Lead", roles=("Sales Manager",), team="Europe"),
        Seller(id="S-11", name="Ada Admin", roles=("System Administrator",)),
    )
    agent = make_agent()
    agent.activate(now=_now(sample_data))
    owners = {lead.id: lead.owner_id for lead in sample_data.crm.leads}
    team = {owners[e.lead_id] for e in agent.prioritized("S-10", now=_now(sample_data)).entries}
    assert team == {"S-03", "S-04"}  # the Europe team
    everyone = {owners[e.lead_id] for e in agent.prioritized("S-11", now=_now(sample_data)).entries}
    assert everyone == {"S-01", "S-02", "S-03", "S-04"}
    assert agent.insight(OWNED_BY_S04, seller="S-10").lead_id == OWNED_BY_S04
    with pytest.raises(AccessDenied):
        agent.insight(OWNED_BY_S01, seller="S-10")  # North America is not their team


def test_unknown_inactive_and_roleless_sellers_are_refused(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    sample_source.add(
        Seller(id="S-20", name="Gone", roles=("Salesperson",), is_active=False),
        Seller(id="S-21", name="Intern", roles=("Marketing",)),
    )
    agent = make_agent()
    agent.process(OWNED_BY_S01, now=_now(sample_data))
    with pytest.raises(RecordNotFound):
        agent.prioritized("S-99")
    with pytest.raises(RecordNotFound):
        agent.insight(OWNED_BY_S01, seller="S-99")
    for seller in ("S-20", "S-21"):
        with pytest.raises(AccessDenied):
            agent.prioritized(seller)


def test_duplicates_show_once_on_the_list_naming_the_other_record(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    agent.activate(now=_now(sample_data))
    pair = {"L-0190", "L-0249"}  # the same person entered twice
    owner = next(lead.owner_id for lead in sample_data.crm.leads if lead.id == "L-0190")
    assert owner is not None
    view = agent.prioritized(owner, now=_now(sample_data))
    shown = [e for e in view.entries if e.lead_id in pair]
    assert len(shown) == 1
    assert set(shown[0].duplicates) == pair - {shown[0].lead_id}
    listed = [e.lead_id for e in view.entries]
    assert len(listed) == len(set(listed))
    full = agent.prioritized(owner, now=_now(sample_data), include_duplicates=True)
    assert pair <= {e.lead_id for e in full.entries}


# -- events -----------------------------------------------------------------------------------


def _changed(source: MemorySource, lead_id: str, **changes: Any) -> Lead:
    lead = source.get_lead(lead_id).replace(**changes)
    source.add(lead)
    return lead


def test_an_email_change_reruns_the_email_check_and_what_follows_only(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    first = agent.process(OWNED_BY_S01, now=now)
    _changed(sample_source, OWNED_BY_S01, email="fatima.carter@meridianwealth.mx")
    later = now + timedelta(minutes=5)
    result = agent.handle(LeadUpdated(lead_id=OWNED_BY_S01, occurred_at=later), now=later)
    (insight,) = result.insights
    assert insight.version == first.version + 1
    status = {s.stage: s.status for s in insight.stages}
    assert status["email"] == "ran" and status["action"] == "ran"
    assert status["research"] == "reused" and status["icp"] == "ran"
    assert insight.email is not None and insight.email.normalized != first.email.normalized  # type: ignore[union-attr]
    assert result.outcomes[0].outcome == "processed"


def test_an_address_that_becomes_valid_reruns_everything(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    agent.process(OWNED_BY_S04, now=now)
    _changed(sample_source, OWNED_BY_S04, email="maria.garcia@meridianwealth.mx")
    later = now + timedelta(minutes=5)
    (insight,) = agent.handle(
        LeadUpdated(lead_id=OWNED_BY_S04, occurred_at=later), now=later
    ).insights
    assert insight.email is not None and insight.email.is_valid
    assert insight.stage("research").status == "ran"  # type: ignore[union-attr]
    assert "became valid" in insight.stage("research").reason  # type: ignore[union-attr]


def test_a_company_name_change_researches_again(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    agent.process(OWNED_BY_S01, now=now)
    _changed(sample_source, OWNED_BY_S01, company_name="Meridian Wealth Group")
    later = now + timedelta(minutes=5)
    event = CompanyNameUpdated(lead_id=OWNED_BY_S01, occurred_at=later)
    (insight,) = agent.handle(event, now=later).insights
    assert insight.stage("research").status == "ran"  # type: ignore[union-attr]
    assert "company_name" in insight.stage("research").reason  # type: ignore[union-attr]


def test_repeated_and_out_of_order_events_change_nothing_twice(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    agent.process(OWNED_BY_S01, now=now)
    _changed(sample_source, OWNED_BY_S01, job_title="Chief Revenue Officer")
    late, early = now + timedelta(minutes=10), now + timedelta(minutes=1)
    burst = [
        LeadUpdated(lead_id=OWNED_BY_S01, occurred_at=late),
        LeadUpdated(lead_id=OWNED_BY_S01, occurred_at=early),
        LeadUpdated(lead_id=OWNED_BY_S01, occurred_at=late),
    ]
    result = agent.handle(burst, now=late)
    assert len(result.insights) == 1 and result.insights[0].version == 2
    again = agent.handle(LeadUpdated(lead_id=OWNED_BY_S01, occurred_at=early), now=late)
    assert again.insights[0].version == 2 and again.outcomes[0].outcome == "unchanged"
    assert len(agent.store.history(OWNED_BY_S01)) == 2


def test_a_deleted_lead_is_erased_and_late_events_for_it_do_no_harm(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    agent.process(OWNED_BY_S01, now=now)
    sample_source.remove_lead(OWNED_BY_S01)
    result = agent.handle(
        [
            LeadUpdated(lead_id=OWNED_BY_S01, occurred_at=now),
            LeadDeleted(lead_id=OWNED_BY_S01, occurred_at=now - timedelta(minutes=1)),
        ],
        now=now,
    )
    assert [o.outcome for o in result.outcomes] == ["erased"]
    assert agent.store.latest(OWNED_BY_S01) is None and not agent.store.audit(OWNED_BY_S01)
    late = agent.handle(LeadUpdated(lead_id=OWNED_BY_S01, occurred_at=now), now=now)
    assert late.outcomes[0].outcome == "ignored" and not late.insights
    with pytest.raises(RecordNotFound):
        agent.insight(OWNED_BY_S01, seller="S-01")


def test_an_account_update_looks_at_every_lead_of_the_account(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    lead = sample_source.get_lead(OWNED_BY_S01)
    assert lead.account_id is not None
    of_account = [x.id for x in sample_source.leads() if x.account_id == lead.account_id]
    result = agent.handle(AccountUpdated(account_id=lead.account_id, occurred_at=now), now=now)
    handled = {o.lead_id for o in result.outcomes}
    assert OWNED_BY_S01 in handled and handled <= set(of_account)


def test_leads_outside_the_selection_are_ignored_by_events(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    closed = next(lead for lead in sample_data.crm.leads if not lead.is_open)
    agent = make_agent()
    result = agent.handle(LeadCreated(lead_id=closed.id, occurred_at=_now(sample_data)))
    assert result.outcomes[0].outcome == "ignored" and "selection" in result.outcomes[0].reason
    assert agent.store.latest(closed.id) is None


def test_webhook_bodies_parse_into_events_and_junk_is_refused() -> None:
    event = parse_event(
        '{"type": "lead_created", "lead_id": "L-1", "occurred_at": "2026-01-02T03:04:05Z"}'
    )
    assert isinstance(event, LeadCreated) and event.occurred_at.tzinfo is not None
    for junk in (
        "{}",
        '{"type": "lead_exploded", "lead_id": "L-1", "occurred_at": "2026-01-02"}',
        '{"type": "lead_created", "lead_id": "", "occurred_at": "2026-01-02"}',
        "not json",
        {"type": "account_updated", "occurred_at": "2026-01-02"},
    ):
        with pytest.raises(ValidationFailed):
            parse_event(junk)


# -- lifecycle --------------------------------------------------------------------------------


def test_activation_processes_the_newest_selected_leads_first(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent({"refresh": {"activation_batch": 5}})
    out = agent.activate(now=_now(sample_data))
    open_leads = sorted(
        (lead for lead in sample_data.crm.leads if lead.is_open),
        key=lambda lead: (lead.created_at, lead.id),
        reverse=True,
    )
    assert [i.lead_id for i in out] == [lead.id for lead in open_leads[:5]]
    assert agent.status(now=_now(sample_data)).activated


def test_capacity_queues_the_rest_and_pauses_until_the_next_day(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent({"capacity": {"leads_per_day": 4}, "refresh": {"activation_batch": 10}})
    now = _now(sample_data)
    assert len(agent.activate(now=now)) == 4
    status = agent.status(now=now)
    assert status.state == "paused" and "capacity" in (status.reason or "")
    assert status.suggested_action and status.queued == 6
    # an event beyond capacity waits in the queue
    queued_lead = "L-0171"
    outcome = agent.handle(LeadUpdated(lead_id=queued_lead, occurred_at=now), now=now).outcomes[0]
    assert outcome.outcome == "queued"
    tomorrow = now + timedelta(days=1)
    assert agent.status(now=tomorrow).state == "running"
    refreshed = agent.refresh_due(now=tomorrow)
    assert len(refreshed) == 4 and agent.status(now=tomorrow).queued == 3


def test_refresh_every_n_days_and_initial_only(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    now = _now(sample_data)
    agent = make_agent({"refresh": {"insight_every_days": 3}})
    agent.process_many(["L-0171", "L-0190"], now=now)
    assert agent.refresh_due(now=now + timedelta(days=2)) == []
    due = agent.refresh_due(now=now + timedelta(days=4))
    assert sorted(i.lead_id for i in due) == ["L-0171", "L-0190"]
    assert all(i.version == 2 and i.refreshed_at == now + timedelta(days=4) for i in due)
    once = make_agent({"refresh": {"insight_every_days": None}})
    once.process("L-0171", now=now)
    assert once.refresh_due(now=now + timedelta(days=400)) == []


def test_an_incomplete_configuration_pauses_with_what_to_do(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent({"icp": None, "handraisers": []})
    status = agent.status(now=_now(sample_data))
    assert status.state == "paused" and "incomplete" in (status.reason or "")
    assert "icp" in (status.suggested_action or "")
    with pytest.raises(AgentPaused):
        agent.activate(now=_now(sample_data))


# -- consent ----------------------------------------------------------------------------------


def test_withdrawn_consent_stops_web_research_for_that_sellers_leads_at_once(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    web = FakeResearchProvider("news")
    agent = make_agent({"consent": {"web_research": True, "read_emails": True}}, providers=[web])
    now = _now(sample_data)
    first = agent.process(OWNED_BY_S01, now=now)
    assert first.research is not None and first.research.status("news").state != "skipped_consent"
    calls = len(web.calls)
    agent.revoke_consent("S-01", now=now)
    later = agent.process(OWNED_BY_S01, now=now + timedelta(days=30), force=True)
    assert later.research is not None
    assert later.research.status("news").state == "skipped_consent"
    assert len(web.calls) == calls
    # another seller's leads are still researched
    other = agent.process(OWNED_BY_S04, now=now)
    assert other.research is not None and other.research.status("news").state != "skipped_consent"
    assert [r.web_research for r in agent.store.consent_history("S-01")] == [False]


def test_a_seller_cannot_widen_what_the_organisation_allows(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent({"consent": {"web_research": False, "read_emails": False}})
    agent.record_consent("S-01", web_research=True, read_emails=True, now=_now(sample_data))
    consent = agent.consent_for("S-01")
    assert not consent.web_research and not consent.read_emails


def test_without_mail_consent_the_sellers_mail_is_not_read(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    read = agent.process(OWNED_BY_S01, now=now)
    assert read.next_action is not None and read.next_action.reply is not None
    agent.record_consent("S-01", web_research=False, read_emails=False, now=now)
    blind = agent.process(OWNED_BY_S01, now=now, force=True)
    assert blind.next_action is not None and blind.next_action.reply is None


def test_organisation_wide_revocation_pauses_the_agent(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    agent.revoke_consent(ORGANIZATION, now=_now(sample_data))
    status = agent.status(now=_now(sample_data))
    assert status.state == "paused" and "consent" in (status.reason or "")
    with pytest.raises(AgentPaused):
        agent.process(OWNED_BY_S01)
    with pytest.raises(RecordNotFound):
        agent.record_consent("S-99", web_research=True, read_emails=True)


class _RecordingDrafter:
    def __init__(self) -> None:
        self.calls = 0

    async def adraft(
        self,
        context: LeadContext,
        action: NextAction,
        /,
        *,
        research: Any = None,
        icp_fit: Any = None,
    ) -> Draft:
        self.calls += 1
        return Draft(to=("x@example.com",), subject="LLM", body="LLM body", action=action.kind)


def test_the_llm_drafter_is_used_only_with_llm_consent(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    now = _now(sample_data)
    llm = _RecordingDrafter()
    agent = make_agent(drafter=llm)
    out = agent.process_many(["L-0190", "L-0184"], now=now)
    assert llm.calls == 0 and any(i.draft is not None for i in out)
    consenting = make_agent(
        {"consent": {"llm_drafting": True, "read_emails": True}}, drafter=_RecordingDrafter()
    )
    drafted = consenting.process_many(["L-0190", "L-0184"], now=now)
    assert any(i.draft is not None and i.draft.subject == "LLM" for i in drafted)


# -- hand-off, review, feedback ---------------------------------------------------------------


def test_leads_to_disqualify_wait_for_a_supervisor(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    agent.activate(now=_now(sample_data))
    with pytest.raises(AccessDenied):
        agent.review_list("S-01")
    items = agent.review_list("S-05")
    assert items and all(i.status == "open" and i.reason for i in items)
    first = items[0].lead_id
    assert agent.store.latest(first).handoff == "review"  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed):
        agent.resolve_review(first, seller="S-05", decision="reassigned")
    done = agent.resolve_review(first, seller="S-05", decision="reassigned", reassign_to="S-02")
    assert done.status == "reassigned" and done.reassigned_to == "S-02"
    assert first not in {i.lead_id for i in agent.review_list("S-05")}


def test_hot_unowned_leads_go_round_robin_within_the_team(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent({"team_access": {"unowned_team": "North America"}})
    now = _now(sample_data)
    agent.activate(now=now)
    hot = [i for i in agent.store.insights() if i.rating and i.rating.rating == "Hot"]
    if len(hot) < 2:
        pytest.fail("the sample has fewer than two Hot leads to hand off")
    for i in hot[:2]:
        _changed(sample_source, i.lead_id, owner_id=None)
    out = agent.process_many([i.lead_id for i in hot[:2]], now=now + timedelta(hours=1))
    assigned = [i.assigned_to for i in out if i.handoff == "round_robin"]
    assert sorted(assigned) == ["S-01", "S-02"]


def test_feedback_is_stored_and_a_rejection_needs_a_reason(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    agent.process(OWNED_BY_S01, now=_now(sample_data))
    with pytest.raises(ValidationFailed):
        agent.give_feedback(OWNED_BY_S01, seller="S-01", verdict="rejected")
    with pytest.raises(AccessDenied):
        agent.give_feedback(OWNED_BY_S01, seller="S-04", verdict="accepted")
    agent.give_feedback(OWNED_BY_S01, seller="S-01", verdict="rejected", reason="wrong_timing")
    (stored,) = agent.store.feedback(lead_id=OWNED_BY_S01)
    assert stored.reason == "wrong_timing" and stored.insight_version == 1


# -- audit ------------------------------------------------------------------------------------


def test_replay_derives_the_same_conclusions_and_notices_a_changed_setting(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    agent.process_many(["L-0171", "L-0190", "L-0229"], now=_now(sample_data))
    for lead_id in ("L-0171", "L-0190", "L-0229"):
        report = agent.replay(agent.store.audit(lead_id)[-1])
        assert report.same, report.differences
        assert not report.config_changed
    record = agent.store.audit("L-0190")[-1]
    stricter = make_agent({"icp": None}, store=agent.store)
    report = stricter.replay(record)
    assert report.config_changed and not report.same
    assert any(d.startswith("icp_fit") for d in report.differences)


def test_a_tampered_audit_record_is_noticed(make_agent: MakeAgent, sample_data: SampleData) -> None:
    agent = make_agent()
    agent.process("L-0190", now=_now(sample_data))
    record = agent.store.audit("L-0190")[-1]
    lead = record.context.lead.replace(lead_source=None, campaign=None, industry=None)
    tampered = record.replace(context=record.context.replace(lead=lead))
    assert not agent.replay(tampered).same


def test_erase_forgets_everything_about_a_lead(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    agent.process_many(["L-0171", "L-0190"], now=_now(sample_data))
    agent.give_feedback("L-0171", seller="S-01", verdict="accepted")
    assert agent.erase("L-0171") > 0
    assert agent.store.latest("L-0171") is None
    assert not agent.store.audit("L-0171") and not agent.store.feedback(lead_id="L-0171")
    assert agent.store.latest("L-0190") is not None
    assert agent.erase("L-0171") == 0


def test_counters_add_up(make_agent: MakeAgent, sample_data: SampleData) -> None:
    agent = make_agent()
    agent.process_many(["L-0171", "L-0190", "L-0202"], now=_now(sample_data))
    counters = agent.counters()
    assert counters.leads_processed == 3
    for stage, c in counters.stages.items():
        assert c.ran + c.reused + c.skipped + c.failed == 3, stage
    assert datetime.now(UTC) > _now(sample_data)


# -- qualification ----------------------------------------------------------------------------


def test_qualify_creates_links_and_moves_what_belongs_to_the_lead(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    from leadqual.models import LeadStatus, RecordRef

    agent = make_agent()
    now = _now(sample_data)
    lead_id = "L-0216"  # S-01's lead at a company not yet in the CRM, with a note and emails
    agent.process(lead_id, now=now)
    here = RecordRef(kind="lead", id=lead_id)
    notes = len(sample_source.notes(regarding=here))
    activities = len(sample_source.activities(regarding=here))
    outcome = agent.qualify(lead_id, seller="S-01", now=now)
    assert outcome.qualified, outcome.blocked_reason
    assert outcome.lead.status is LeadStatus.QUALIFIED
    assert {c.split(":")[0] for c in outcome.created} == {"account", "contact", "opportunity"}
    lead = sample_source.get_lead(lead_id)
    assert lead.account_id == outcome.account_id and lead.contact_id == outcome.contact_id
    account = sample_source.get_account(outcome.account_id or "")
    assert account.name == lead.company_name and account.originating_lead_id == lead_id
    opp = RecordRef(kind="opportunity", id=outcome.opportunity_id or "")
    assert len(sample_source.notes(regarding=opp)) == notes == outcome.notes_moved
    assert len(sample_source.activities(regarding=opp)) == activities == outcome.activities_moved
    assert not sample_source.activities(regarding=here)
    # qualified leads leave the open list; reactivating brings the lead back
    assert lead_id not in agent.prioritized("S-01", now=now).lead_ids
    agent.reactivate(lead_id, seller="S-01", now=now)
    assert sample_source.get_lead(lead_id).status is LeadStatus.OPEN
    with pytest.raises(ValidationFailed):
        agent.reactivate(lead_id, seller="S-01", now=now)


def test_a_lead_with_open_duplicates_is_not_qualified_silently(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    agent.process_many(["L-0190", "L-0249"], now=now)
    owner = sample_source.get_lead("L-0190").owner_id or ""
    outcome = agent.qualify("L-0190", seller=owner, now=now)
    assert not outcome.qualified and outcome.blocked_reason
    assert "L-0249" in outcome.blocked_reason
    assert sample_source.get_lead("L-0190").status.value == "open"
    forced = agent.qualify("L-0190", seller=owner, now=now, allow_duplicates=True)
    assert forced.qualified


def test_qualify_against_an_existing_account_links_it_instead_of_creating(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    lead = sample_source.get_lead(OWNED_BY_S01)
    assert lead.account_id is not None
    before = len(sample_source.accounts())
    outcome = agent.qualify(
        OWNED_BY_S01,
        seller="S-01",
        account_id=lead.account_id,
        create=["opportunity"],
        allow_duplicates=True,
        now=now,
    )
    assert outcome.qualified and outcome.account_id == lead.account_id
    assert len(sample_source.accounts()) == before
    assert [c.split(":")[0] for c in outcome.created] == ["opportunity"]
    with pytest.raises(RecordNotFound):
        agent.qualify("L-0216", seller="S-01", account_id="A-NOPE", now=now)


def test_qualify_refuses_other_sellers_and_agents_without_a_writer(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    from leadqual.sources import CrmSource

    agent = make_agent()
    with pytest.raises(AccessDenied):
        agent.qualify(OWNED_BY_S04, seller="S-01")

    class ReadOnly:
        def __getattr__(self, name: str) -> Any:
            if name.startswith(("create_", "update_", "move_")):
                raise AttributeError(name)
            return getattr(sample_source, name)

    read_only = ReadOnly()
    assert isinstance(read_only, CrmSource)
    reader = make_agent(source=read_only)
    with pytest.raises(ConfigurationError, match="writer"):
        reader.qualify(OWNED_BY_S01, seller="S-01", allow_duplicates=True)


class _FailingWriter(MemorySource):
    def create_opportunity(self, opportunity: Any, /) -> Any:
        raise ConnectionError("CRM timed out")


def test_a_write_that_fails_half_way_says_what_was_written(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    from leadqual.errors import CrmWriteError

    snap = sample_source.snapshot()
    source = _FailingWriter(**{name: getattr(snap, name) for name in type(snap).model_fields})
    agent = make_agent(source=source)
    with pytest.raises(CrmWriteError) as failed:
        agent.qualify("L-0216", seller="S-01", now=_now(sample_data))
    assert [d.split(":")[0] for d in failed.value.done] == ["account", "contact"]
    assert "opportunity" in str(failed.value)
    assert source.get_lead("L-0216").status.value == "open"


def test_disqualify_needs_a_reason_and_confirms_the_review(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = _now(sample_data)
    agent.activate(now=now)
    item = agent.review_list("S-05")[0]
    with pytest.raises(ValidationFailed):
        agent.disqualify(item.lead_id, seller="S-05", reason="  ")
    lead = agent.disqualify(item.lead_id, seller="S-05", reason="asked to be removed", now=now)
    assert lead.status.value == "disqualified" and lead.status_reason == "asked to be removed"
    assert agent.store.review(item.lead_id).status == "confirmed"  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed):
        agent.disqualify(item.lead_id, seller="S-05", reason="again", now=now)
