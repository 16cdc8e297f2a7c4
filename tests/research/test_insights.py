"""CRM insights: summaries, who knows whom, opportunities, suggested contacts, link suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.config import AgentConfig, CompanyKnowledge, ProductKnowledge
from leadqual.errors import ConfigurationError, RecordNotFound
from leadqual.models import (
    Account,
    Address,
    Appointment,
    Contact,
    EmailMessage,
    Lead,
    Opportunity,
    OpportunityStatus,
    PhoneCall,
    RecordRef,
    Seller,
)
from leadqual.research.insights import CrmInsightsBuilder, ManualLinks
from leadqual.sources import MemorySource, SampleData, build_context

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
T0 = NOW - timedelta(days=200)


def config(**kw: object) -> AgentConfig:
    return AgentConfig(
        company=CompanyKnowledge(name="Tailspin"),
        products=(ProductKnowledge(name="Revenue Cloud", description="forecasting"),),
        **kw,  # type: ignore[arg-type]
    )


def crm() -> MemorySource:
    sellers = [
        Seller(id="S-1", name="Avery Brooks", email="avery@tailspin.example"),
        Seller(id="S-2", name="Jordan Patel", email="jordan@tailspin.example"),
        Seller(id="S-3", name="Riley Santos", email="riley@tailspin.example"),
    ]
    accounts = [
        Account(
            id="A-1",
            name="Contoso Pharmaceuticals Inc.",
            website="https://www.contoso.com",
            industry="Pharmaceuticals",
            employee_count=1200,
            annual_revenue=3.5e8,
            address=Address(country="United States"),
            primary_contact_id="C-2",
            created_at=T0,
        ),
        Account(id="A-2", name="Fabrikam GmbH", website="https://fabrikam.de", created_at=T0),
        Account(
            id="A-3",
            name="Contoso Pharmaceutical",
            website="https://contoso-pharma.net",
            created_at=T0,
        ),
    ]
    contacts = [
        Contact(
            id="C-1",
            first_name="Ada",
            last_name="Ng",
            email="ada.ng@contoso.com",
            account_id="A-1",
            job_title="Analyst",
            created_at=T0,
        ),
        Contact(
            id="C-2",
            first_name="Bo",
            last_name="Li",
            email="bo.li@contoso.com",
            account_id="A-1",
            job_title="Chief Revenue Officer",
            created_at=T0,
        ),
        Contact(
            id="C-3",
            first_name="Cy",
            last_name="Ho",
            email="cy@contoso.com",
            account_id="A-1",
            job_title="Marketing Coordinator",
            created_at=T0,
        ),
        Contact(
            id="C-4",
            first_name="Di",
            last_name="Ek",
            email="di@fabrikam.de",
            account_id="A-2",
            created_at=T0,
        ),
    ]
    leads = [
        # linked lead
        Lead(
            id="L-1",
            first_name="Eve",
            last_name="Stone",
            email="eve.stone@contoso.com",
            company_name="Contoso Pharmaceuticals",
            job_title="VP Sales",
            lead_source="Web form",
            account_id="A-1",
            owner_id="S-1",
            created_at=T0,
        ),
        # unlinked lead with the same address as contact C-1
        Lead(
            id="L-2",
            first_name="Ada",
            last_name="Ng",
            email="ada.ng@contoso.com",
            company_name="Contoso Pharmaceuticals, Inc.",
            address=Address(country="United States"),
            created_at=T0,
        ),
        # personal email, name only
        Lead(
            id="L-3",
            first_name="Zed",
            last_name="Q",
            email="zed@gmail.com",
            company_name="Fabrikam",
            created_at=T0,
        ),
        # nothing matches
        Lead(
            id="L-4",
            last_name="Nobody",
            email="n@unknown-company.example",
            company_name="Unknown Widgets",
            created_at=T0,
        ),
    ]
    opportunities = [
        Opportunity(
            id="O-1",
            name="Contoso pilot",
            account_id="A-1",
            originating_lead_id="L-1",
            estimated_value=50_000,
            close_date=NOW + timedelta(days=30),
            created_at=T0,
        ),
        Opportunity(
            id="O-2",
            name="Contoso expansion",
            account_id="A-1",
            estimated_value=120_000,
            close_date=NOW + timedelta(days=10),
            created_at=T0,
        ),
        Opportunity(
            id="O-3",
            name="Contoso lost deal",
            account_id="A-1",
            status=OpportunityStatus.LOST,
            created_at=T0,
        ),
    ]
    lead_ref = RecordRef(kind="lead", id="L-1")
    activities = [
        EmailMessage(
            id="E-1",
            regarding=lead_ref,
            owner_id="S-1",
            direction="outbound",
            from_address="avery@tailspin.example",
            to_addresses=("eve.stone@contoso.com",),
            sent_at=NOW - timedelta(days=20),
        ),
        EmailMessage(
            id="E-2",
            regarding=lead_ref,
            owner_id="S-1",
            direction="inbound",
            from_address="eve.stone@contoso.com",
            to_addresses=("avery@tailspin.example",),
            sent_at=NOW - timedelta(days=19),
        ),
        EmailMessage(
            id="E-3",
            regarding=lead_ref,
            owner_id="S-2",
            direction="outbound",
            from_address="jordan@tailspin.example",
            to_addresses=("eve.stone@contoso.com",),
            sent_at=NOW - timedelta(days=5),
        ),
        Appointment(
            id="AP-1",
            regarding=lead_ref,
            owner_id="S-1",
            start=NOW - timedelta(days=3),
            end=NOW - timedelta(days=3) + timedelta(minutes=30),
            attendees=("eve.stone@contoso.com", "avery@tailspin.example", "riley@tailspin.example"),
            status="completed",
        ),
        Appointment(
            id="AP-2",
            regarding=lead_ref,
            owner_id="S-2",
            start=NOW + timedelta(days=3),
            end=NOW + timedelta(days=3, hours=1),
            attendees=("jordan@tailspin.example",),
        ),
        Appointment(
            id="AP-3",
            regarding=lead_ref,
            owner_id="S-3",
            start=NOW - timedelta(days=9),
            end=NOW - timedelta(days=9) + timedelta(minutes=30),
            attendees=("riley@tailspin.example",),
            status="canceled",
        ),
        PhoneCall(
            id="P-1",
            regarding=RecordRef(kind="contact", id="C-1"),
            owner_id="S-3",
            direction="outbound",
            answered=True,
            started_at=NOW - timedelta(days=40),
        ),
    ]
    return MemorySource(
        leads=leads, contacts=contacts, accounts=accounts, opportunities=opportunities,
        activities=activities, sellers=sellers,
    )  # fmt: skip


@pytest.fixture
def builder() -> CrmInsightsBuilder:
    return CrmInsightsBuilder(crm(), config=config())


def test_lead_summary_uses_the_configured_fields_and_lists_gaps(
    builder: CrmInsightsBuilder,
) -> None:
    s = builder.build("L-1", now=NOW).lead_summary
    assert [f.path for f in s.fields] == list(config().lead_summary_fields)
    assert s.fields[0].value == "Contoso Pharmaceuticals"
    assert "lead.topic" in s.missing and "lead.need" in s.missing
    assert s.headline == "Eve Stone, VP Sales at Contoso Pharmaceuticals"
    assert "Avery Brooks" in s.text


def test_summary_fields_are_configurable_including_related_records() -> None:
    cfg = config(
        lead_summary_fields=("lead.email", "account.name", "owner.name", "lead.custom_fields.tier"),
        account_summary_fields=("account.website", "account.address.country"),
    )
    ins = CrmInsightsBuilder(crm(), config=cfg).build("L-1", now=NOW)
    assert [f.display for f in ins.lead_summary.fields] == [
        "eve.stone@contoso.com", "Contoso Pharmaceuticals Inc.", "Avery Brooks", "—",
    ]  # fmt: skip
    assert ins.account_summary is not None
    assert [f.value for f in ins.account_summary.fields] == [
        "https://www.contoso.com",
        "United States",
    ]


@pytest.mark.parametrize(
    "path", ["lead.nope", "company.name", "lead", "account.address.planet", "lead.custom_fields"]
)
def test_a_bad_summary_field_is_a_configuration_error_naming_it(path: str) -> None:
    with pytest.raises(ConfigurationError, match="lead_summary_fields") as info:
        CrmInsightsBuilder(crm(), config=config(lead_summary_fields=(path,)))
    assert repr(path) in str(info.value)


def test_account_summary_counts_contacts_and_open_pipeline(builder: CrmInsightsBuilder) -> None:
    acc = builder.build("L-1", now=NOW).account_summary
    assert acc is not None
    assert acc.contact_count == 3
    assert acc.open_opportunity_count == 2
    assert acc.open_pipeline_value == 170_000
    assert [f.display for f in acc.fields][:2] == ["Pharmaceuticals", "1,200"]


def test_who_knows_whom_counts_each_colleague_and_the_last_interaction(
    builder: CrmInsightsBuilder,
) -> None:
    wkw = {c.name: c for c in builder.build("L-1", now=NOW).who_knows_whom}
    avery = wkw["Avery Brooks"]
    assert (avery.emails_sent, avery.emails_received, avery.meetings) == (1, 1, 1)
    assert avery.last_interaction_kind == "meeting"
    assert avery.is_owner
    assert wkw["Jordan Patel"].emails_sent == 1  # the upcoming meeting does not count yet
    assert wkw["Jordan Patel"].meetings == 0
    assert wkw["Riley Santos"].meetings == 1  # the canceled meeting does not count
    assert next(iter(wkw)) == "Avery Brooks"  # most interactions first


def test_who_knows_whom_includes_activity_on_a_matching_contact() -> None:
    ins = CrmInsightsBuilder(crm(), config=config()).build("L-2", now=NOW)
    assert [(c.name, c.calls) for c in ins.who_knows_whom] == [("Riley Santos", 1)]


def test_open_opportunities_of_the_lead_and_the_account(builder: CrmInsightsBuilder) -> None:
    ins = builder.build("L-1", now=NOW)
    assert [o.id for o in ins.lead_opportunities] == ["O-1"]
    assert [o.id for o in ins.account_opportunities] == ["O-2", "O-1"]  # by close date
    assert all(o.relation == "account" for o in ins.account_opportunities)


def test_suggested_contacts_are_ranked_with_reasons(builder: CrmInsightsBuilder) -> None:
    sugg = builder.build("L-1", now=NOW).suggested_contacts
    assert sugg[0].name == "Bo Li"
    assert any("primary contact" in r for r in sugg[0].reasons)
    assert any("decision maker" in r for r in sugg[0].reasons)
    coordinator = next(s for s in sugg if s.name == "Cy Ho")
    assert not any("decision maker" in r for r in coordinator.reasons)
    assert [s.score for s in sugg] == sorted((s.score for s in sugg), reverse=True)


def test_a_contact_with_the_leads_email_is_suggested_first() -> None:
    ins = CrmInsightsBuilder(crm(), config=config()).build("L-2", now=NOW)
    assert ins.suggested_contacts[0].contact_id == "C-1"
    assert "same person" in ins.suggested_contacts[0].reasons[0]
    assert ins.connect_contact[0].record_id == "C-1"
    assert ins.connect_contact[0].confidence > 0.9


def test_connect_an_account_by_email_domain_and_name() -> None:
    ins = CrmInsightsBuilder(crm(), config=config()).build("L-2", now=NOW)
    assert ins.account_summary is None and ins.account_link == "none"
    best = ins.connect_account[0]
    assert best.record_id == "A-1"
    assert any("email domain" in r for r in best.reasons)
    assert any("same company name" in r for r in best.reasons)
    # the similarly named account on another domain ranks below, with a lower confidence
    other = [s for s in ins.connect_account if s.record_id == "A-3"]
    assert other and other[0].confidence < best.confidence


def test_personal_email_domain_is_not_used_for_matching() -> None:
    ins = CrmInsightsBuilder(crm(), config=config()).build("L-3", now=NOW)
    assert [s.record_id for s in ins.connect_account] == ["A-2"]
    assert not any("domain" in r for r in ins.connect_account[0].reasons)


def test_no_match_gives_no_suggestions() -> None:
    ins = CrmInsightsBuilder(crm(), config=config()).build("L-4", now=NOW)
    assert ins.connect_account == () and ins.connect_contact == () and ins.suggested_contacts == ()
    assert "No colleague" in ins.lead_summary.text


def test_a_manual_link_is_remembered_and_reused() -> None:
    links = ManualLinks()
    b = CrmInsightsBuilder(crm(), config=config(), links=links)
    links.link("L-4", account_id="A-2")
    ins = b.build("L-4", now=NOW)
    assert ins.account_link == "manual"
    assert ins.account_summary is not None and ins.account_summary.name == "Fabrikam GmbH"
    assert [s.contact_id for s in ins.suggested_contacts] == ["C-4"]
    restored = ManualLinks.from_dict(links.to_dict())
    assert (
        CrmInsightsBuilder(crm(), config=config(), links=restored)
        .build("L-4", now=NOW)
        .account_link
        == "manual"
    )
    assert links.erase("L-4") == 1
    assert b.build("L-4", now=NOW).account_link == "none"


def test_a_manual_link_to_a_deleted_account_is_ignored() -> None:
    links = ManualLinks({"L-4": {"account_id": "A-404"}})
    ins = CrmInsightsBuilder(crm(), config=config(), links=links).build("L-4", now=NOW)
    assert ins.account_link == "none"


def test_a_manual_link_to_a_contact_is_followed() -> None:
    links = ManualLinks({"L-4": {"contact_id": "C-4"}})
    ctx, account_link, contact_link = CrmInsightsBuilder(
        crm(), config=config(), links=links
    ).context("L-4")
    assert (account_link, contact_link) == ("none", "manual")
    assert ctx.contact is not None and ctx.contact.id == "C-4"
    assert ctx.lead.contact_id == "C-4" and ctx.lead.account_id is None


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_a_manual_link_to_a_deleted_record_is_ignored_with_a_warning(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    links = ManualLinks({"L-4": {f"{kind}_id": "X-404"}})
    builder = CrmInsightsBuilder(crm(), config=config(), links=links)
    with caplog.at_level("WARNING", logger="leadqual.research.insights"):
        ctx, account_link, contact_link = builder.context("L-4")
    assert (account_link, contact_link) == ("none", "none")
    assert (ctx.account, ctx.contact) == (None, None)
    assert [r.getMessage() for r in caplog.records] == [
        f"manual link of lead L-4 to a deleted {kind} ignored"
    ]


def test_a_context_given_to_build_counts_as_manually_linked_only_where_the_links_say_so() -> None:
    source = crm()
    links = ManualLinks({"L-4": {"account_id": "A-2"}, "L-1": {"contact_id": "C-4"}})
    builder = CrmInsightsBuilder(source, config=config(), links=links)
    linked, _, _ = builder.context("L-4")
    ins = builder.build(linked, now=NOW)
    assert (ins.account_link, ins.contact_link) == ("manual", "none")
    # L-1's account comes from the CRM; its remembered contact link names a contact it lacks.
    ins = builder.build(build_context(source, "L-1"), now=NOW)
    assert (ins.account_link, ins.contact_link) == ("crm", "none")
    with_contact = build_context(source, "L-1").replace(contact=source.get_contact("C-4"))
    assert builder.build(with_contact, now=NOW).contact_link == "manual"
    with_other = build_context(source, "L-1").replace(contact=source.get_contact("C-1"))
    assert builder.build(with_other, now=NOW).contact_link == "crm"


def test_unknown_lead_raises_record_not_found(builder: CrmInsightsBuilder) -> None:
    with pytest.raises(RecordNotFound):
        builder.build("L-404", now=NOW)


def test_manual_links_need_a_target() -> None:
    with pytest.raises(ConfigurationError):
        ManualLinks().link("L-1")


def test_every_sample_lead_gets_insights_and_linked_leads_get_an_account_summary(
    sample_data: SampleData, sample_config: AgentConfig
) -> None:
    source = MemorySource.from_snapshot(sample_data.crm)
    b = CrmInsightsBuilder(source, config=sample_config)
    for lead in source.leads():
        ins = b.build(lead.id, now=sample_data.as_of)
        assert (ins.account_summary is not None) == (lead.account_id is not None)
        if lead.account_id is None:
            assert all(s.kind == "account" for s in ins.connect_account)
        for c in ins.who_knows_whom:
            assert c.last_interaction_at <= sample_data.as_of
            assert c.total >= 1


def test_planted_look_alike_lead_is_offered_its_account(
    sample_data: SampleData, sample_config: AgentConfig
) -> None:
    source = MemorySource.from_snapshot(sample_data.crm)
    ins = CrmInsightsBuilder(source, config=sample_config).build("L-0003", now=sample_data.as_of)
    assert ins.connect_account[0].name == "Yarrow County Services Inc."


def test_privacy_relay_addresses_do_not_make_leads_and_contacts_colleagues() -> None:
    relay = "privaterelay.appleid.com"
    source = MemorySource(
        accounts=[
            Account(id="A-9", name="Apple Inc.", website="https://appleid.com", created_at=T0)
        ],
        contacts=[
            Contact(id="C-9", first_name="Al", last_name="Bo", email=f"x1@{relay}", created_at=T0)
        ],
        leads=[Lead(id="L-9", first_name="Cy", last_name="Do", email=f"x2@{relay}", created_at=T0)],
    )
    ins = CrmInsightsBuilder(source, config=config()).build("L-9", now=NOW)
    assert ins.connect_account == ()
    assert ins.suggested_contacts == ()


def test_accounts_whose_website_is_a_platform_page_are_not_matched_by_it() -> None:
    page = "https://www.linkedin.com/company/"
    source = MemorySource(
        accounts=[
            Account(id="A-1", name="Northwind", website=page + "northwind", created_at=T0),
            Account(id="A-2", name="Tailwind", website=page + "tailwind", created_at=T0),
        ],
        leads=[
            Lead(id="L-1", first_name="Cy", last_name="Do", company_name="Contoso Ltd",
                 website=page + "contoso", created_at=T0),
        ],
    )  # fmt: skip
    ins = CrmInsightsBuilder(source, config=config()).build("L-1", now=NOW)
    assert ins.connect_account == ()


def test_an_internationalised_domain_matches_in_unicode_and_in_idna_form() -> None:
    source = MemorySource(
        accounts=[Account(id="A-1", name="Stadtwerke", website="https://www.münchen.de", created_at=T0)],
        leads=[Lead(id="L-1", first_name="Cy", last_name="Do", email="cy@xn--mnchen-3ya.de",
                    created_at=T0)],
    )  # fmt: skip
    ins = CrmInsightsBuilder(source, config=config()).build("L-1", now=NOW)
    assert [s.record_id for s in ins.connect_account] == ["A-1"]
