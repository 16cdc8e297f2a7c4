"""The web view's pages as a seller, a manager and an admin use them: the carousel of their own
leads, the insight, qualification with the duplicate check, disqualification, feedback and the
supervisor's review list."""

from __future__ import annotations

import re

import pytest

from leadqual.models import LeadStatus, RecordRef
from leadqual.web import PAGE_SIZE, create_app

from .conftest import MANAGER, Markup, Site, assert_inert, csrf_of, sign_in

_LEAD_LINK = re.compile(r'href="/leads/([^"?/]+)"')


def _carousel(site: Site) -> list[str]:
    """Every lead id the carousel links to, page after page."""
    ids: list[str] = []
    page = 1
    while True:
        response = site.client.get(f"/leads?page={page}")
        assert response.status_code == 200
        found = _LEAD_LINK.findall(response.text)
        assert len(found) <= PAGE_SIZE
        ids += found
        if 'rel="next"' not in response.text:
            return ids
        page += 1


def test_pages_send_a_visitor_who_has_not_signed_in_to_sign_in(site: Site) -> None:
    for path in ("/", "/leads", "/leads/L-0172", "/review", "/admin/settings"):
        response = site.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/signin"


@pytest.mark.parametrize("seller", ["S-01", "S-04"])
def test_a_seller_sees_exactly_their_own_leads_in_rank_order(site: Site, seller: str) -> None:
    sign_in(site.client, seller)
    ids = _carousel(site)
    view = site.agent.prioritized(seller, now=site.now)
    assert ids == view.lead_ids
    assert ids, "the seller has leads"
    assert {site.source.get_lead(i).owner_id for i in ids} == {seller}


def test_a_manager_sees_the_team_and_an_admin_everyone(site: Site) -> None:
    sign_in(site.client, MANAGER)
    assert _carousel(site) == site.agent.prioritized(MANAGER, now=site.now).lead_ids
    sign_in(site.client, "S-ADMIN")
    everyone = _carousel(site)
    assert len(everyone) == len(site.agent.prioritized("S-ADMIN", now=site.now).entries)
    assert len({site.source.get_lead(i).owner_id for i in everyone}) >= 4


def test_each_card_says_why_it_has_its_rank_and_what_to_do(site: Site) -> None:
    sign_in(site.client, "S-01")
    page = site.client.get("/leads")
    markup = assert_inert(page.text)
    first = site.agent.prioritized("S-01", now=site.now).entries[0]
    assert first.card is not None
    text = markup.visible_text
    for line in (first.card.name, first.card.next_action, first.card.reason, first.why):
        assert line in text
    titles = [a.get("title") for _, a in markup.tags if a.get("title")]
    assert first.why in titles  # the reasoning on hover
    summaries = re.findall(r"<summary>(Why #\d+)</summary>", page.text)
    assert summaries[0] == "Why #1"  # and without a mouse


@pytest.mark.parametrize(("query", "page"), [("abc", 1), ("0", 1), ("-3", 1), ("99999", None)])
def test_a_page_number_out_of_range_shows_a_real_page(
    site: Site, query: str, page: int | None
) -> None:
    sign_in(site.client, "S-01")
    response = site.client.get(f"/leads?page={query}")
    assert response.status_code == 200
    total = len(site.agent.prioritized("S-01", now=site.now).entries)
    last = -(-total // PAGE_SIZE)
    assert f"Page {page or last} of {last}" in response.text


def test_the_insight_page_has_every_part_a_seller_reads(site: Site) -> None:
    sign_in(site.client, "S-01")
    response = site.client.get("/leads/L-0171")
    assert response.status_code == 200
    markup = assert_inert(response.text)
    insight = site.agent.insight("L-0171", seller="S-01")
    headings = markup.headings
    for heading in (
        "Suggested action",
        "Email address",
        "About the lead",
        "About the account",
        "Overview",
        "Finances",
        "News",
        "Suggested contacts",
        "Open opportunities",
        "How this was generated",
    ):
        assert heading in headings, heading
    assert insight.card.next_action in markup.visible_text
    assert insight.email is not None and insight.email.address in markup.visible_text
    assert f"version {insight.version}" in markup.visible_text
    assert insight.config_hash in markup.visible_text
    for run in insight.stages:
        assert f"{run.stage}" in markup.visible_text


def test_every_input_has_a_label_and_the_page_has_landmarks(site: Site) -> None:
    sign_in(site.client, "S-ADMIN")
    for path in ("/leads", "/leads/L-0172", "/admin/settings", "/review", "/signin"):
        markup = Markup(site.client.get(path).text)
        tags = [t for t, _ in markup.tags]
        assert "main" in tags and "header" in tags and "footer" in tags, path
        labelled = {a.get("for") for t, a in markup.tags if t == "label"}
        for tag, attrs in markup.tags:
            if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
                assert attrs.get("id") in labelled, (path, tag, attrs)
        ids = [a["id"] for _, a in markup.tags if a.get("id")]
        assert len(ids) == len(set(ids)), path


def test_a_lead_without_an_insight_can_be_processed_from_its_page(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    assert site.agent.store.latest("L-0199") is None
    page = site.client.get("/leads/L-0199")
    assert page.status_code == 200 and "Not processed yet" in page.text
    done = site.client.post("/leads/L-0199/process", data={"csrf": token})
    assert done.status_code == 200 and "The lead was processed." in done.text
    assert site.agent.store.latest("L-0199") is not None


def test_qualifying_a_duplicate_asks_then_creates_and_moves_the_notes(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    lead = site.source.get_lead("L-0210")
    ref = RecordRef(kind="lead", id=lead.id)
    notes = len(site.source.notes(regarding=ref))
    activities = len(site.source.activities(regarding=ref))
    assert notes >= 1 and activities >= 1

    first = site.client.post("/leads/L-0210/qualify", data={"csrf": token})
    assert first.status_code == 409
    assert site.source.get_lead("L-0210").status is LeadStatus.OPEN
    markup = assert_inert(first.text)
    choices = {
        a.get("value") for t, a in markup.tags if t == "input" and a.get("name") == "account"
    }
    assert "new" in choices and len(choices) >= 2  # a matching account, or a new one

    form = {
        "csrf": csrf_of(first),
        "confirm": "1",
        "create_given": "1",
        "account": "new",
        "create_account": "on",
        "create_contact": "on",
        "create_opportunity": "on",
    }
    done = site.client.post("/leads/L-0210/qualify", data=form)
    assert done.status_code == 200, done.text
    after = site.source.get_lead("L-0210")
    assert after.status is LeadStatus.QUALIFIED
    assert after.account_id and after.contact_id
    account = site.source.get_account(after.account_id)
    contact = site.source.get_contact(after.contact_id)
    opportunities = site.source.opportunities(account_id=account.id)
    assert len(opportunities) == 1
    opportunity = opportunities[0]
    assert account.id != "A-0028"  # a new account, not the matching one
    moved = RecordRef(kind="opportunity", id=opportunity.id)
    assert len(site.source.notes(regarding=moved)) == notes
    assert len(site.source.notes(regarding=ref)) == 0
    text = Markup(done.text).visible_text
    for shown in (account.id, contact.id, opportunity.id):
        assert shown in text
    assert f"Notes moved{notes}" in text.replace("\n", "")
    assert f"Activities moved{activities}" in text.replace("\n", "")

    # Another seller edits the URL to the qualified lead: nothing.
    sign_in(site.client, "S-04")
    assert site.client.get("/leads/L-0210").status_code == 404


def test_linking_the_matching_account_links_it(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    first = site.client.post("/leads/L-0172/qualify", data={"csrf": token})
    assert first.status_code == 409
    markup = Markup(first.text)
    account = next(
        a["value"]
        for t, a in markup.tags
        if t == "input" and a.get("name") == "account" and a.get("value") not in ("new", None)
    )
    assert account is not None
    accounts_before = len(site.source.accounts())
    form = {"csrf": token, "confirm": "1", "create_given": "1", "account": account}
    form |= {"create_contact": "on", "create_opportunity": "on"}
    done = site.client.post("/leads/L-0172/qualify", data=form)
    assert done.status_code == 200
    assert site.source.get_lead("L-0172").account_id == account
    assert len(site.source.accounts()) == accounts_before
    assert "(linked)" in done.text


def test_qualifying_with_an_account_that_does_not_exist_says_so(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    form = {"csrf": token, "confirm": "1", "account": "A-NOPE<script>"}
    response = site.client.post("/leads/L-0172/qualify", data=form)
    assert response.status_code == 422
    assert_inert(response.text)
    assert site.source.get_lead("L-0172").status is LeadStatus.OPEN


def test_disqualifying_needs_a_reason(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    for blank in ("", "   ", "\n"):
        response = site.client.post(
            "/leads/L-0171/disqualify", data={"csrf": token, "reason": blank}
        )
        assert response.status_code == 422
        assert site.source.get_lead("L-0171").status is LeadStatus.OPEN
    reason = "<b>no budget</b> this year"
    done = site.client.post("/leads/L-0171/disqualify", data={"csrf": token, "reason": reason})
    assert done.status_code == 200
    lead = site.source.get_lead("L-0171")
    assert lead.status is LeadStatus.DISQUALIFIED and lead.status_reason == reason
    assert reason in assert_inert(done.text).visible_text
    again = site.client.post("/leads/L-0171/disqualify", data={"csrf": token, "reason": "twice"})
    assert again.status_code == 422  # no longer open
    assert site.source.get_lead("L-0171").status_reason == reason


@pytest.mark.parametrize(
    "form",
    [
        {"verdict": "rejected"},
        {"verdict": "rejected", "reason": "<script>"},
        {"verdict": "maybe"},
        {"verdict": "accepted", "reason": "because"},
        {},
    ],
)
def test_bad_feedback_is_refused_and_not_stored(site: Site, form: dict[str, str]) -> None:
    token = sign_in(site.client, "S-01")
    response = site.client.post("/leads/L-0171/feedback", data={"csrf": token, **form})
    assert response.status_code == 422
    assert_inert(response.text)
    assert list(site.agent.store.feedback(lead_id="L-0171")) == []


def test_feedback_is_stored_with_the_seller_and_the_insight_version(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    form = {"csrf": token, "verdict": "rejected", "reason": "wrong_timing", "comment": "Q3"}
    response = site.client.post("/leads/L-0171/feedback", data=form)
    assert (
        response.status_code == 200 and "feedback on this suggestion is recorded" in response.text
    )
    (stored,) = site.agent.store.feedback(lead_id="L-0171")
    assert (stored.seller_id, stored.verdict, stored.reason, stored.comment) == (
        "S-01",
        "rejected",
        "wrong_timing",
        "Q3",
    )
    assert stored.insight_version == site.agent.insight("L-0171", seller="S-01").version


def test_the_supervisor_confirms_and_reassigns_from_the_review_list(site: Site) -> None:
    token = sign_in(site.client, MANAGER)
    page = site.client.get("/review")
    assert page.status_code == 200
    assert "L-0192" in page.text
    assert_inert(page.text)
    bad = site.client.post("/review/L-0192", data={"csrf": token, "decision": "reassigned"})
    assert bad.status_code == 422  # reassigning needs someone
    assert site.agent.store.review("L-0192").status == "open"  # type: ignore[union-attr]
    form = {"csrf": token, "decision": "reassigned", "reassign_to": "S-02"}
    done = site.client.post("/review/L-0192", data=form)
    assert done.status_code == 200 and "The review item is resolved." in done.text
    item = site.agent.store.review("L-0192")
    assert item is not None
    assert (item.status, item.resolved_by, item.reassigned_to) == ("reassigned", MANAGER, "S-02")
    assert "L-0192" not in site.client.get("/review").text


def test_signing_out_ends_the_session(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    response = site.client.post("/signout", data={"csrf": token})
    assert response.status_code == 200 and "Sign in" in response.text
    assert site.client.get("/leads", follow_redirects=False).status_code == 303


def test_create_app_refuses_what_is_not_an_agent_or_a_short_secret(site: Site) -> None:
    from leadqual.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="QualificationAgent"):
        create_app(object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="32 bytes"):
        create_app(site.agent, secret=b"short")
