"""The web view under attack: hostile CRM and scraped text, forged or missing CSRF tokens,
forged sessions, URL editing to another seller's lead, and role escalation through forms."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from leadqual.config import AgentConfig
from leadqual.models import LeadStatus, Seller
from leadqual.sources import SampleData
from leadqual.web.security import COOKIE, Session, SessionKeys

from .conftest import (
    HOSTILE_COMPANY,
    HOSTILE_FIRST,
    HOSTILE_ID,
    HOSTILE_LAST,
    HOSTILE_NEED,
    HOSTILE_NEWS,
    HOSTILE_NEWS_URL,
    MANAGER,
    OTHER_SELLERS_LEAD,
    Site,
    assert_inert,
    build_site,
    csrf_of,
    sign_in,
)

# -- hostile text --------------------------------------------------------------------------------


def test_a_hostile_lead_name_renders_as_text_on_the_carousel(site: Site) -> None:
    sign_in(site.client, "S-01")
    pages = [site.client.get(f"/leads?page={n}") for n in (1, 2, 3)]
    page = next(p for p in pages if HOSTILE_ID in p.text)
    markup = assert_inert(page.text)
    assert HOSTILE_FIRST in markup.visible_text  # shown, as text
    assert "<script>alert('first')" not in page.text


def test_hostile_crm_and_scraped_text_render_as_text_on_the_insight(site: Site) -> None:
    sign_in(site.client, "S-01")
    page = site.client.get(f"/leads/{HOSTILE_ID}")
    assert page.status_code == 200
    markup = assert_inert(page.text)
    text = markup.visible_text
    for hostile in (HOSTILE_FIRST, HOSTILE_LAST, HOSTILE_COMPANY, HOSTILE_NEED, HOSTILE_NEWS):
        assert hostile in text, hostile
    assert "<iframe src=https://evil.example></iframe> scraped" in text
    assert "<svg onload=alert(1)>" in text
    # The news link is not a link: its URL would break out of the attribute.
    hrefs = [a.get("href") for tag, a in markup.tags if tag == "a"]
    assert not any(h and "news.example" in h for h in hrefs)
    assert HOSTILE_NEWS_URL not in page.text
    # A hostile need never closes the draft's text area early (the drafting guards may also
    # refuse to draft from such text at all, leaving no text area).
    assert page.text.count("</textarea>") <= 1


def test_a_draft_edited_with_markup_comes_back_as_text_and_in_the_mail_link(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    # The seller's own lead with a draft; the seller types the markup.
    drafted = [
        i for i in site.agent.store.insights() if i.owner_id == "S-01" and i.draft is not None
    ]
    assert drafted, "the site has a drafted lead of S-01's"
    lead_id, draft = drafted[0].lead_id, drafted[0].draft
    assert draft is not None
    subject = 'Re: "you" & <me>?'
    body = "Hello </textarea><script>alert(1)</script>\nline two & more?cc=boss@evil.example"
    page = site.client.post(
        f"/leads/{lead_id}/draft", data={"csrf": token, "subject": subject, "body": body}
    )
    assert page.status_code == 200
    markup = assert_inert(page.text)
    mailto = markup.by_id("mailto")
    assert mailto is not None and mailto["href"] is not None
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(mailto["href"])
    assert parts.scheme == "mailto" and parts.path == ",".join(draft.to)
    query = parse_qs(parts.query)
    assert query == {"subject": [subject], "body": [body.replace("\n", "\r\n")]}
    subject_input = markup.by_id("draft-subject")
    assert subject_input is not None and subject_input["value"] == subject


# -- CSRF ----------------------------------------------------------------------------------------


WRITES = [
    ("/leads/L-0171/qualify", {}),
    ("/leads/L-0171/disqualify", {"reason": "no budget"}),
    ("/leads/L-0171/feedback", {"verdict": "accepted"}),
    ("/leads/L-0171/process", {}),
    ("/admin/activate", {}),
    ("/review/L-0192", {"decision": "confirmed"}),
]


def _nothing_written(site: Site) -> None:
    assert site.source.get_lead("L-0171").status is LeadStatus.OPEN
    assert list(site.agent.store.feedback(lead_id="L-0171")) == []
    assert site.agent.insight("L-0171", seller="S-01").version == 1
    assert len(site.agent.store.insights()) == 8  # activation processed nothing
    review = site.agent.store.review("L-0192")
    assert review is not None and review.status == "open"


@pytest.mark.parametrize(("path", "data"), WRITES)
@pytest.mark.parametrize("token", ["missing", "empty", "forged", "another session's"])
def test_a_write_without_the_sessions_token_is_refused(
    site: Site,
    path: str,
    data: dict[str, str],
    token: str,
) -> None:
    own = sign_in(site.client, "S-01" if "review" not in path else MANAGER)
    other_site = TestClient(site.app)
    other = sign_in(other_site, "S-01")
    assert other != own
    form = dict(data)
    if token == "empty":
        form["csrf"] = ""
    elif token == "forged":
        form["csrf"] = own[:-2] + ("AA" if not own.endswith("AA") else "BB")
    elif token == "another session's":
        form["csrf"] = other
    response = site.client.post(path, data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "security token" in response.text
    _nothing_written(site)


def test_a_form_posted_from_another_site_is_refused_even_with_the_token(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    response = site.client.post(
        "/leads/L-0171/disqualify",
        data={"csrf": token, "reason": "no budget"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    _nothing_written(site)
    same = site.client.post(
        "/leads/L-0171/feedback",
        data={"csrf": token, "verdict": "accepted"},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 200  # the same site's own form goes through


def test_a_multipart_or_json_body_is_refused(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    multipart = site.client.post(
        "/leads/L-0171/disqualify",
        data={"csrf": token, "reason": "x"},
        files={"upload": ("a.txt", b"x")},
    )
    assert multipart.status_code == 415
    as_json = site.client.post("/leads/L-0171/disqualify", json={"csrf": token, "reason": "x"})
    assert as_json.status_code == 415
    _nothing_written(site)


def test_signing_in_needs_the_token_too(site: Site) -> None:
    response = site.client.post("/signin", data={"seller": "S-01"}, follow_redirects=False)
    assert response.status_code == 403
    assert site.client.get("/leads", follow_redirects=False).status_code == 303


def test_signing_in_changes_the_token(site: Site) -> None:
    before = csrf_of(site.client.get("/signin"))
    after = sign_in(site.client, "S-01")
    assert before != after
    stale = site.client.post(
        "/leads/L-0171/disqualify", data={"csrf": before, "reason": "no budget"}
    )
    assert stale.status_code == 403


# -- sessions ------------------------------------------------------------------------------------


def test_a_session_signed_with_another_key_is_nobody(site: Site) -> None:
    forged = SessionKeys(b"x" * 32).dump(Session(csrf="t", seller_id="S-ADMIN"))
    site.client.cookies.set(COOKIE, forged)
    response = site.client.get("/admin/settings", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin"


def test_an_edited_session_payload_is_nobody(site: Site) -> None:
    sign_in(site.client, "S-01")
    value = site.client.cookies.get(COOKIE)
    assert value
    _payload, signature = value.split(".")
    mine = SessionKeys(b"y" * 32).dump(Session(csrf="t", seller_id="S-ADMIN")).split(".")[0]
    site.client.cookies.clear()
    site.client.cookies.set(COOKIE, f"{mine}.{signature}")
    response = site.client.get("/leads", follow_redirects=False)
    assert response.status_code == 303


def test_one_apps_session_is_worth_nothing_in_another(
    site: Site, sample_data: SampleData, sample_config: AgentConfig
) -> None:
    sign_in(site.client, "S-01")
    stolen = site.client.cookies.get(COOKIE)
    other = build_site(sample_data, sample_config, process=())
    other.client.cookies.set(COOKIE, stolen or "")
    assert other.client.get("/leads", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_http_only_and_same_site(site: Site) -> None:
    response = site.client.get("/signin")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


def test_secure_cookie_is_marked_secure(
    sample_data: SampleData, sample_config: AgentConfig
) -> None:
    built = build_site(sample_data, sample_config, process=(), secure_cookie=True)
    assert "secure" in built.client.get("/signin").headers["set-cookie"].lower()


# -- another seller's lead -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/leads/{OTHER_SELLERS_LEAD}",
        "/leads/L-NOPE",
        "/leads/..%2FL-0202",
        "/leads/L-0202%00",
        "/leads/%3Cscript%3E",
    ],
)
def test_another_sellers_lead_is_answered_as_a_missing_one(site: Site, path: str) -> None:
    sign_in(site.client, "S-01")
    response = site.client.get(path)
    missing = site.client.get("/leads/L-NOPE")
    assert response.status_code == 404
    if "%2F" not in path:  # a slash makes it another route: a page that does not exist
        assert response.text == missing.text
    assert "Thompson" not in response.text  # nothing of the lead leaks (S-04's lead's name)
    assert_inert(response.text)


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("qualify", {"confirm": "1"}),
        ("disqualify", {"reason": "not mine but I'll try"}),
        ("feedback", {"verdict": "accepted"}),
        ("draft", {"subject": "s", "body": "b"}),
        ("process", {}),
    ],
)
def test_no_write_reaches_another_sellers_lead(
    site: Site, action: str, data: dict[str, str]
) -> None:
    token = sign_in(site.client, "S-01")
    before = site.agent.store.latest(OTHER_SELLERS_LEAD)
    response = site.client.post(
        f"/leads/{OTHER_SELLERS_LEAD}/{action}", data={"csrf": token, **data}
    )
    assert response.status_code == 404
    assert site.source.get_lead(OTHER_SELLERS_LEAD).status is LeadStatus.OPEN
    assert list(site.agent.store.feedback(lead_id=OTHER_SELLERS_LEAD)) == []
    assert site.agent.store.latest(OTHER_SELLERS_LEAD) == before


def test_the_owner_sees_the_lead_another_seller_was_refused(site: Site) -> None:
    sign_in(site.client, "S-04")
    assert site.client.get(f"/leads/{OTHER_SELLERS_LEAD}").status_code == 200


# -- roles ---------------------------------------------------------------------------------------


def test_a_seller_cannot_sign_in_as_someone_not_listed(site: Site) -> None:
    site.source.add(Seller(id="S-GONE", name="Gone", roles=("Salesperson",), is_active=False))
    site.source.add(Seller(id="S-NOROLE", name="Intern", roles=("Intern",)))
    site.agent.refresh_sellers()
    page = site.client.get("/signin")
    assert "S-GONE" not in page.text and "S-NOROLE" not in page.text
    for who in ("S-GONE", "S-NOROLE", "S-NOPE", "", "S-01 ", "s-admin"):
        token = csrf_of(site.client.get("/signin"))
        response = site.client.post("/signin", data={"csrf": token, "seller": who})
        assert response.status_code == 422, who
        assert site.client.get("/leads", follow_redirects=False).status_code == 303


def test_form_fields_do_not_grant_a_role(site: Site) -> None:
    token = sign_in(site.client, "S-01")
    before = site.current.config
    escalation = {
        "csrf": token,
        "seller": "S-ADMIN",
        "seller_id": "S-ADMIN",
        "role": "admin",
        "action": "save",
        "company.name": "Hijacked",
    }
    assert site.client.post("/admin/settings", data=escalation).status_code == 403
    assert site.client.get("/admin/settings?role=admin&seller=S-ADMIN").status_code == 403
    assert site.client.post("/admin/activate", data=escalation).status_code == 403
    assert site.client.get("/review?seller=S-05").status_code == 403
    response = site.client.post("/review/L-0192", data={**escalation, "decision": "confirmed"})
    assert response.status_code == 403
    assert site.current.config == before
    assert site.agent.store.review("L-0192") is not None
    assert site.agent.store.review("L-0192").status == "open"  # type: ignore[union-attr]
    page = site.client.get("/leads")
    assert "/admin/settings" not in page.text and "/review" not in page.text


def test_a_seller_who_loses_the_role_loses_the_pages(site: Site) -> None:
    sign_in(site.client, "S-01")
    assert site.client.get("/leads").status_code == 200
    demoted = site.source.get_seller("S-01").replace(roles=("Intern",))
    site.source.add(demoted)
    site.agent.refresh_sellers()
    assert site.client.get("/leads").status_code == 403
    assert site.client.get("/leads/L-0172").status_code == 403


# -- secrets and headers -------------------------------------------------------------------------


def test_pages_carry_no_secret_and_forbid_framing_and_inline_script(
    sample_data: SampleData, sample_config: AgentConfig
) -> None:
    secret = b"do-not-show-this-session-secret-0123456789"
    built = build_site(sample_data, sample_config, process=("L-0172",), secret=secret)
    sign_in(built.client, "S-ADMIN")
    cookie = built.client.cookies.get(COOKIE) or ""
    for path in ("/leads", "/leads/L-0172", "/admin/settings", "/review", "/signin"):
        response = built.client.get(path)
        assert response.status_code == 200, path
        assert secret.decode() not in response.text
        assert cookie not in response.text
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"


def test_a_failing_store_shows_no_url_or_password(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadqual.errors import StoreError

    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("cannot reach postgresql+psycopg://leadqual:hunter2@db.internal/leads")

    sign_in(site.client, "S-01")
    monkeypatch.setattr(site.agent, "prioritized", broken)
    response = site.client.get("/leads")
    assert response.status_code == 500
    assert "StoreError" in response.text
    assert "hunter2" not in response.text and "db.internal" not in response.text
