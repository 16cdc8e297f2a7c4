"""The agent over Dataverse: change tracking feeds its events, and qualification writes through
the Web API (against the in-memory FakeDataverse holding the sample CRM)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from leadqual.agent import QualificationAgent
from leadqual.agent.events import (
    AccountUpdated,
    ContactUpdated,
    LeadCreated,
    LeadDeleted,
    LeadUpdated,
)
from leadqual.change_feed import ChangeFeed, events_from_changes
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, StaticResolver
from leadqual.errors import ConfigurationError, HttpStatusError, ValidationFailed
from leadqual.models import Account, LeadStatus, Opportunity, OpportunityStatus, RecordRef
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import SampleData
from leadqual.sources.changes import RecordChange
from leadqual.testing.dataverse import FakeDataverse, with_guid_ids

LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname"


@pytest.fixture
def server(sample_data: SampleData) -> FakeDataverse:
    return FakeDataverse.from_snapshot(with_guid_ids(sample_data.crm))


def _agent(source: object, sample_data: SampleData, config: AgentConfig) -> QualificationAgent:
    return QualificationAgent(
        config,
        source,  # type: ignore[arg-type]
        providers=[SampleResearchProvider(sample_data)],
        email_validator=EmailValidator(
            resolver=StaticResolver.from_sample(sample_data), now=sample_data.as_of
        ),
    )


# -- the change feed ---------------------------------------------------------------------------


def test_the_feed_reports_each_kind_of_change_once_per_record() -> None:
    server = FakeDataverse()
    old = server.add("lead", {"lastname": "Old", "createdon": "2025-12-01T00:00:00Z"})
    gone = server.add("lead", {"lastname": "Gone"})
    account = server.add("account", {"name": "Contoso"})
    contact = server.add("contact", {"lastname": "Ng"})
    feed = ChangeFeed(server.source(page_size=2))
    tokens = feed.start()
    assert set(tokens) == {"lead", "contact", "account"}
    assert feed.poll() == []
    server.now += timedelta(hours=1)
    new = server.add("lead", {"lastname": "New"})
    server.update("lead", old, {"companyname": "Fabrikam"})
    server.update("lead", old, {"jobtitle": "CTO"})  # a burst: one event for the lead
    server.delete("lead", gone)
    server.update("account", account, {"name": "Contoso Ltd"})
    server.update("contact", contact, {"jobtitle": "CEO"})
    events = feed.poll(now=server.now)
    assert sorted((type(e).__name__, getattr(e, "lead_id", None) or getattr(e, "account_id", None)
                   or getattr(e, "contact_id", None)) for e in events) == sorted([
        ("LeadCreated", new), ("LeadUpdated", old), ("LeadDeleted", gone),
        ("AccountUpdated", account), ("ContactUpdated", contact),
    ])  # fmt: skip
    assert feed.poll() == []  # nothing since


def test_the_tokens_resume_in_a_new_feed_and_stay_put_when_a_poll_fails() -> None:
    server = FakeDataverse()
    feed = ChangeFeed(server.source(), kinds=("lead",))
    tokens = feed.start()
    lead = server.add("lead", {"lastname": "Ng"})
    failing = [True]
    server.interpose(
        lambda r: httpx.Response(503) if failing[0] and "$deltatoken" in str(r.url) else None
    )
    with pytest.raises(HttpStatusError):
        ChangeFeed(server.source(max_retries=0), kinds=("lead",), tokens=tokens).poll()
    failing[0] = False
    resumed = ChangeFeed(server.source(), kinds=("lead",), tokens=tokens)
    assert [(type(e), e.lead_id) for e in resumed.poll()] == [(LeadCreated, lead)]  # type: ignore[union-attr]
    assert resumed.tokens["lead"] != tokens["lead"]


def test_many_changes_are_read_across_delta_pages() -> None:
    server = FakeDataverse()
    crm = server.source(page_size=3)
    token = crm.changes("lead").token
    ids = {server.add("lead", {"lastname": f"L{i}"}) for i in range(8)}
    page = crm.changes("lead", token=token)
    assert {c.id for c in page.changes} == ids
    assert crm.stats.pages >= 4  # 8 changes in pages of 3, after the baseline page


def test_a_table_without_change_tracking_says_how_to_enable_it() -> None:
    server = FakeDataverse()
    server.interpose(lambda r: httpx.Response(200, json={"value": []}))
    with pytest.raises(Exception, match="enable change tracking"):
        server.source().changes("lead")


def test_an_expired_delta_token_is_a_typed_error_and_the_feed_keeps_its_token() -> None:
    server = FakeDataverse()
    feed = ChangeFeed(server.source(), kinds=("account",))
    before = feed.start()
    server.interpose(
        lambda r: httpx.Response(400, json={"error": {"code": "0x80072491",
                                                      "message": "Version stamp expired"}})
    )  # fmt: skip
    with pytest.raises(HttpStatusError, match="0x80072491"):
        feed.poll()
    assert feed.tokens == before


def test_only_lead_contact_and_account_changes_are_tracked() -> None:
    server = FakeDataverse()
    with pytest.raises(ValidationFailed):
        server.source().changes("opportunity")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        ChangeFeed(server.source(), kinds=("email",))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        ChangeFeed(object())  # type: ignore[arg-type]


def test_a_change_whose_record_cannot_be_read_is_still_an_event() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    (event,) = events_from_changes(
        [RecordChange(kind="lead", id="L-1", problem="statecode 9")], now=now
    )
    assert isinstance(event, LeadUpdated) and event.occurred_at == now
    assert events_from_changes([], now=now) == []
    kinds = [type(e) for e in events_from_changes(
        [RecordChange(kind="contact", id="C-1", deleted=True),
         RecordChange(kind="account", id="A-1", deleted=True),
         RecordChange(kind="lead", id="L-2", deleted=True)], now=now)]  # fmt: skip
    assert kinds == [ContactUpdated, AccountUpdated, LeadDeleted]


def test_the_agent_handles_what_the_feed_reports(
    server: FakeDataverse, sample_data: SampleData, sample_config: AgentConfig
) -> None:
    crm = server.source()
    agent = _agent(crm, sample_data, sample_config)
    feed = ChangeFeed(crm, kinds=("lead",))
    feed.start()
    lead = crm.leads(status=LeadStatus.OPEN)[0]
    server.update("lead", lead.id, {"companyname": "Renamed Holdings"})
    events = feed.poll(now=sample_data.as_of)
    assert [(type(e), e.lead_id) for e in events] == [(LeadUpdated, lead.id)]  # type: ignore[union-attr]
    result = agent.handle(events, now=sample_data.as_of)
    assert [i.lead_id for i in result.insights] == [lead.id]


# -- qualification through the Web API ----------------------------------------------------------------


def test_the_agent_qualifies_a_lead_in_dataverse(
    server: FakeDataverse, sample_data: SampleData, sample_config: AgentConfig
) -> None:
    crm = server.writable_source()
    agent = _agent(crm, sample_data, sample_config)
    lead = next(
        x for x in crm.leads(status=LeadStatus.OPEN)
        if x.account_id is None and x.contact_id is None and x.company_name and x.owner_id
        and crm.notes(regarding=RecordRef(kind="lead", id=x.id))
    )  # fmt: skip
    here = RecordRef(kind="lead", id=lead.id)
    notes = len(crm.notes(regarding=here))
    outcome = agent.qualify(lead.id, seller=lead.owner_id or "", now=sample_data.as_of,
                            allow_duplicates=True)  # fmt: skip
    assert outcome.qualified, outcome.blocked_reason
    row = server.tables["lead"][lead.id]
    assert (row["statecode"], row["statuscode"]) == (1, 3)
    assert row["_parentaccountid_value"] == outcome.account_id
    account = server.tables["account"][outcome.account_id or ""]
    assert account["name"] == lead.company_name
    assert account["_originatingleadid_value"] == lead.id
    opportunity = server.tables["opportunity"][outcome.opportunity_id or ""]
    assert opportunity["_customerid_value"] == outcome.account_id
    assert outcome.notes_moved == notes > 0
    moved = [n for n in server.tables["annotation"].values()
             if n["_objectid_value"] == outcome.opportunity_id]  # fmt: skip
    assert len(moved) == notes
    batches = [r for r in server.requests if r.url.path.endswith("$batch")]
    assert len(batches) >= 1  # the notes moved in one change set


# -- the writes one by one ---------------------------------------------------------------------------


def test_a_status_reason_label_sets_its_code_and_free_text_is_kept_as_comments() -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"lastname": "Ng"})
    crm = server.writable_source()
    closed = crm.update_lead_status(lead, LeadStatus.DISQUALIFIED, reason="cannot contact")
    assert (closed.status, closed.status_reason) == (LeadStatus.DISQUALIFIED, "Cannot Contact")
    assert server.tables["lead"][lead]["statuscode"] == 5
    crm.update_lead_status(lead, LeadStatus.OPEN)
    closed = crm.update_lead_status(lead, LeadStatus.DISQUALIFIED, reason="Went with a rival")
    assert closed.status_reason == "Lost"
    assert server.tables["lead"][lead]["qualificationcomments"] == "Went with a rival"
    # a label of another state is not taken: "New" is an open lead's reason
    crm.update_lead_status(lead, LeadStatus.OPEN)
    assert crm.update_lead_status(lead, LeadStatus.QUALIFIED, reason="New").status_reason == (
        "Qualified"
    )


def test_links_are_bound_and_unbound() -> None:
    server = FakeDataverse()
    account = server.add("account", {"name": "Contoso"})
    lead = server.add("lead", {"lastname": "Ng"})
    crm = server.writable_source()
    linked = crm.update_lead(lead, {"account_id": account})
    assert linked.account_id == account
    patch = json.loads([r for r in server.requests if r.method == "PATCH"][-1].content)
    assert patch == {"parentaccountid@odata.bind": f"/accounts({account})"}
    unlinked = crm.update_lead(lead, {"account_id": None})
    assert unlinked.account_id is None
    patch = json.loads([r for r in server.requests if r.method == "PATCH"][-1].content)
    assert patch == {"parentaccountid@odata.bind": None}
    with pytest.raises(ValidationFailed, match="not a Dataverse id"):
        crm.update_lead(lead, {"account_id": "A-1"})
    with pytest.raises(ValidationFailed, match="line_of_business"):
        crm.update_lead(lead, {"line_of_business": "Enterprise"})  # no column holds it


def test_an_opportunity_is_created_open_with_its_customer() -> None:
    server = FakeDataverse()
    account = server.add("account", {"name": "Contoso"})
    crm = server.writable_source()
    at = datetime(2026, 1, 5, tzinfo=UTC)
    created = crm.create_opportunity(
        Opportunity(id="O-1", name="Deal", account_id=account, estimated_value=1200, created_at=at)
    )
    row = server.tables["opportunity"][created.id]
    assert row["_customerid_value"] == account and row["_parentaccountid_value"] == account
    assert created.estimated_value == 1200 and created.status is OpportunityStatus.OPEN
    before = len(server.requests)
    with pytest.raises(ValidationFailed, match="created open"):
        crm.create_opportunity(Opportunity(id="O-2", name="Won", status=OpportunityStatus.WON,
                                           created_at=at))  # fmt: skip
    assert len(server.requests) == before


def test_creating_with_an_id_already_used_is_refused_as_the_other_sources_do() -> None:
    server = FakeDataverse()
    taken = server.add("account", {"name": "Contoso"})
    crm = server.writable_source()
    with pytest.raises(ValidationFailed) as info:
        crm.create_account(Account(id=taken, name="Other", created_at=datetime(2026, 1, 5)))
    assert str(info.value) == f"a account with id {taken!r} exists"
    assert server.tables["account"][taken]["name"] == "Contoso"


def test_an_industry_dataverse_has_no_option_for_is_left_out_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeDataverse()
    crm = server.writable_source()
    with caplog.at_level("WARNING"):
        account = crm.create_account(
            Account(id="A-1", name="Contoso", industry="Fintech", created_at=datetime(2026, 1, 5))
        )
    assert account.industry is None
    assert "industry" in caplog.text and "Fintech" not in caplog.text


def test_the_qualify_lead_action_closes_the_lead_and_creates_its_records() -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"lastname": "Ng", "firstname": "Ada", "companyname": "Contoso",
                               "subject": "500 seats"})  # fmt: skip
    crm = server.writable_source()
    result = crm.qualify_lead(lead)
    assert [r.kind for r in result.created] == ["account", "contact", "opportunity"]
    assert crm.get_lead(lead).status is LeadStatus.QUALIFIED
    account = crm.get_account(result.created[0].id)
    assert account.name == "Contoso" and account.originating_lead_id == lead
    assert crm.get_contact(result.created[1].id).account_id == account.id
    with pytest.raises(Exception, match="closed"):
        crm.qualify_lead(lead)
    assert server.tables["lead"][lead]["_qualifyingopportunityid_value"] == result.created[2].id
    assert LOGICAL  # the annotation name the fake stores lookups under
