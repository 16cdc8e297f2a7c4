"""DataverseSource against a service that misbehaves: expired tokens mid-paging, links to other
hosts, page loops, malformed answers, endless bodies, redirects, and ids that try to escape
their URL or filter. Every failure is a typed error from leadqual.errors; nothing half-written."""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadqual.sources.dataverse._odata as odata
from leadqual.errors import (
    ConfigurationError,
    HttpStatusError,
    LeadqualError,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
    RecordNotFound,
    ResponseTooLarge,
    UnsafeUrlError,
)
from leadqual.models import LeadStatus, RecordRef
from leadqual.sources.dataverse import AccessToken, DataverseSource, StaticToken
from leadqual.testing.dataverse import FakeDataverse

ORG = "https://contoso.crm.dynamics.com"


def _leads(server: FakeDataverse, count: int) -> list[str]:
    return [
        server.add("lead", {"lastname": f"Lead {i}", "emailaddress1": f"person{i}@example.org",
                            "createdon": f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z"})
        for i in range(count)
    ]  # fmt: skip


def _page_requests(server: FakeDataverse) -> list[httpx.Request]:
    return [r for r in server.requests if r.url.path.endswith("/leads")]


# -- tokens ------------------------------------------------------------------------------------------


def test_a_token_that_expires_mid_paging_is_renewed_once_and_the_listing_resumes() -> None:
    server = FakeDataverse()
    ids = _leads(server, 10)
    pages_served = 0

    def expire_after_two_pages(request: httpx.Request) -> httpx.Response | None:
        nonlocal pages_served
        pages_served += 1
        if pages_served == 3:
            server.expire_tokens()
        return None

    server.interpose(expire_after_two_pages)
    crm = server.source(page_size=3)
    leads = crm.leads()
    assert [lead.id for lead in leads] == ids
    assert server.tokens.issued == ["fake-token-1", "fake-token-2"]
    requests = _page_requests(server)
    # 4 pages + the one page sent again with the new token
    assert len(requests) == 5
    assert str(requests[2].url) == str(requests[3].url)
    assert requests[2].headers["authorization"] == "Bearer fake-token-1"
    assert requests[3].headers["authorization"] == "Bearer fake-token-2"
    assert crm.stats.token_requests == 2


def test_a_token_refused_twice_is_an_http_401_error() -> None:
    server = FakeDataverse()
    _leads(server, 1)
    server.interpose(lambda request: httpx.Response(401))
    crm = server.source()
    with pytest.raises(HttpStatusError) as info:
        crm.leads()
    assert info.value.status_code == 401
    assert len(server.requests) == 2  # the request, and once more with a new token


def test_the_token_is_renewed_before_it_expires() -> None:
    now = [1_000_000.0]

    class Counting:
        def __init__(self) -> None:
            self.calls = 0

        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            self.calls += 1
            return AccessToken(f"t{self.calls}", int(now[0]) + 3600)

    provider = Counting()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"value": []})

    crm = DataverseSource(ORG, token_provider=provider, transport=httpx.MockTransport(handler),
                          clock=lambda: now[0], refresh_margin=300)  # fmt: skip
    crm.leads()
    now[0] += 3000  # 10 minutes left: still used
    crm.leads()
    now[0] += 400  # within the 5-minute margin: renewed before any 401
    crm.leads()
    assert seen == ["Bearer t1", "Bearer t1", "Bearer t2"]
    assert provider.calls == 2


@pytest.mark.parametrize(
    "answer",
    [AccessToken("", 4_000_000_000), AccessToken("x", float("nan")), None],  # type: ignore[arg-type]
)
def test_a_token_provider_that_gives_no_token_is_a_provider_error(answer: object) -> None:
    class Broken:
        def get_token(self, *scopes: str, **kwargs: object) -> object:
            return answer

    crm = DataverseSource(ORG, token_provider=Broken(),
                          transport=httpx.MockTransport(lambda r: httpx.Response(200)))  # fmt: skip
    with pytest.raises(ProviderError, match="token"):
        crm.leads()


def test_a_token_provider_that_raises_is_wrapped_without_its_message() -> None:
    class Raising:
        def get_token(self, *scopes: str, **kwargs: object) -> object:
            raise RuntimeError("client_secret=hunter2 was refused")

    crm = DataverseSource(ORG, token_provider=Raising(),
                          transport=httpx.MockTransport(lambda r: httpx.Response(200)))  # fmt: skip
    with pytest.raises(ProviderError) as info:
        crm.leads()
    assert "hunter2" not in str(info.value) and "RuntimeError" in str(info.value)


# -- links to elsewhere --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/api/data/v9.2/leads?$skiptoken=2",
        "http://contoso.crm.dynamics.com/api/data/v9.2/leads?$skiptoken=2",  # not https
        "https://contoso.crm.dynamics.com:8443/api/data/v9.2/leads?$skiptoken=2",  # another port
        "https://user:pw@contoso.crm.dynamics.com/api/data/v9.2/leads",  # credentials
        "https://contoso.crm.dynamics.com.evil.example/api/data/v9.2/leads",
        "https://127.0.0.1/api/data/v9.2/leads",  # loopback, from data
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata, from data
        "//evil.example/api/data/v9.2/leads",  # scheme-relative
        "https://contoso.crm.dynamics.com/_admin/export",  # the org, outside the Web API
    ],
)
def test_a_nextlink_to_another_place_is_refused_and_the_token_never_goes_there(link: str) -> None:
    server = FakeDataverse()
    _leads(server, 3)

    def redirect_paging(request: httpx.Request) -> httpx.Response | None:
        if request.url.host != "contoso.crm.dynamics.com" or request.url.port:
            raise AssertionError(f"a request reached {request.url}")
        return httpx.Response(200, json={"value": [], "@odata.nextLink": link})

    server.interpose(redirect_paging)
    crm = server.source()
    with pytest.raises(UnsafeUrlError) as info:
        crm.leads()
    assert info.value.reason in ("other host", "outside the Web API")
    assert len(server.requests) == 1


def test_a_relative_nextlink_to_the_same_web_api_is_followed() -> None:
    server = FakeDataverse()
    ids = _leads(server, 2)
    served = []

    def relative(request: httpx.Request) -> httpx.Response | None:
        if "$skiptoken" in request.url.params:
            return None
        served.append(request)
        return httpx.Response(200, json={"value": [], "@odata.nextLink": "leads?$skiptoken="
                                         "%3Ccookie%20pagenumber=%221%22%20/%3E"})  # fmt: skip

    server.interpose(relative)
    assert [lead.id for lead in server.source().leads()] == ids


def test_a_delta_link_token_to_another_host_is_refused_before_any_request() -> None:
    server = FakeDataverse()
    crm = server.source()
    with pytest.raises(UnsafeUrlError):
        crm.changes("lead", token="https://evil.example/api/data/v9.2/leads?$deltatoken=1")
    assert server.requests == []


def test_a_redirect_is_not_followed_so_the_token_stays_home() -> None:
    server = FakeDataverse()
    server.interpose(
        lambda request: (
            httpx.Response(302, headers={"Location": "https://evil.example/steal"})
            if request.url.host == "contoso.crm.dynamics.com"
            else pytest.fail("followed a redirect")
        )
    )
    with pytest.raises(LeadqualError):
        server.source().leads()
    assert len(server.requests) == 1


# -- endless and malformed answers -----------------------------------------------------------------


def test_a_nextlink_back_to_a_page_already_read_is_a_loop_and_stops() -> None:
    server = FakeDataverse()
    _leads(server, 4)
    first: list[str] = []

    def loop(request: httpx.Request) -> httpx.Response | None:
        if not first:
            first.append(str(request.url))
        if "$skiptoken" in request.url.params:
            # page 2 links back to page 1
            return httpx.Response(200, json={"value": [], "@odata.nextLink": first[0]})
        return None

    server.interpose(loop)
    crm = server.source(page_size=2)
    with pytest.raises(MalformedResponse, match="already sent"):
        list(crm.iter_leads())
    assert len(server.requests) == 2


def test_a_listing_that_never_ends_stops_at_max_pages() -> None:
    server = FakeDataverse()
    count = 0

    def endless(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1  # a new skiptoken every time: no loop to see, just no end
        return httpx.Response(200, json={"value": [], "@odata.nextLink":
                                         f"{server.api}leads?$skiptoken={count}"})  # fmt: skip

    server.interpose(endless)
    crm = server.source(max_pages=25)
    with pytest.raises(MalformedResponse, match="25 pages"):
        crm.leads()
    assert count == 25


def test_a_body_larger_than_max_bytes_is_refused_even_when_compressed() -> None:
    server = FakeDataverse()
    bomb = gzip.compress(b'{"value": [' + b'{"a": 1},' * 200_000 + b'{"a": 1}]}')
    server.interpose(
        lambda request: httpx.Response(
            200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(bomb)
        )
    )
    crm = server.source(max_bytes=100_000)
    assert len(bomb) < 100_000
    with pytest.raises(ResponseTooLarge):
        crm.leads()


def test_a_body_that_trickles_past_the_total_timeout_is_cut_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter(range(0, 10_000, 7))

    class Trickle(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b'{"value": ['
            while True:
                yield b" "

    server = FakeDataverse()
    server.interpose(lambda request: httpx.Response(200, stream=Trickle()))
    crm = server.source(total_timeout=30)
    monkeypatch.setattr(odata.time, "perf_counter", lambda: float(next(clock)))
    with pytest.raises(ProviderTimeout, match="30 s"):
        crm.leads()


@pytest.mark.parametrize(
    "body",
    [b"<html>Service Unavailable</html>", b'{"value": [', b"[1, 2, 3]", b'{"value": {"a": 1}}',
     b"\xff\xfe\x00", b"[" * 100_000],
)  # fmt: skip
def test_an_answer_that_is_not_an_odata_collection_is_malformed(body: bytes) -> None:
    server = FakeDataverse()
    server.interpose(lambda request: httpx.Response(200, content=body))
    with pytest.raises(MalformedResponse):
        server.source().leads()


def test_rows_that_are_not_objects_are_ignored() -> None:
    server = FakeDataverse()
    server.interpose(lambda request: httpx.Response(200, json={"value": [1, "x", None, []]}))
    assert server.source().leads() == []


def test_a_timeout_on_every_attempt_is_a_provider_timeout() -> None:
    server = FakeDataverse()

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    server.interpose(slow)
    crm = server.source(max_retries=2)
    with pytest.raises(ProviderTimeout):
        crm.leads()
    assert len(server.requests) == 3 and crm.stats.retries == 2


def test_a_service_briefly_unavailable_is_retried() -> None:
    server = FakeDataverse()
    ids = _leads(server, 1)
    answers = [httpx.Response(503), httpx.Response(502)]
    server.interpose(lambda request: answers.pop(0) if answers else None)
    crm = server.source()
    assert [lead.id for lead in crm.leads()] == ids
    assert crm.stats.retries == 2 and len(server.sleeps) == 2


# -- ids and filters from data ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    ["L-0001", "", "../accounts", "00000000-0000-0000-0000-000000000001)?$select=fullname",
     "{00000000-0000-0000-0000-000000000001}", "00000000-0000-0000-0000-00000000000g",
     "00000000-0000-0000-0000-000000000001\n"],
)  # fmt: skip
def test_an_id_that_is_not_a_guid_is_not_found_without_asking(bad_id: str) -> None:
    server = FakeDataverse()
    crm = server.source()
    for getter in (crm.get_lead, crm.get_contact, crm.get_account, crm.get_seller):
        with pytest.raises(RecordNotFound):
            getter(bad_id)
    assert server.requests == []


def test_a_filter_value_that_is_no_guid_matches_nothing_without_asking() -> None:
    server = FakeDataverse()
    _leads(server, 2)
    crm = server.source()
    assert crm.leads(owner_id="x' or statecode ne 99 or 'a' eq 'a") == []
    assert crm.contacts(account_id="1 or 1 eq 1") == []
    assert server.requests == []


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_as_an_id_or_owner_is_not_found_or_matches_nothing(text: str) -> None:
    server = FakeDataverse()
    crm = server.source()
    with contextlib.suppress(RecordNotFound):
        crm.get_lead(text)
    assert crm.leads(owner_id=text) == []
    for request in server.requests:
        assert request.url.host == "contoso.crm.dynamics.com"


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        st.text(max_size=80),
        st.builds(lambda host, path: f"https://{host}/{path}",
                  st.from_regex(r"[a-z0-9.-]{1,30}", fullmatch=True), st.text(max_size=30)),
    )
)  # fmt: skip
def test_any_link_is_followed_only_to_the_organisation(link: str) -> None:
    server = FakeDataverse()
    crm = server.source()
    client = crm._client
    try:
        followed = client.follow(link, what="nextLink", base=client.url("leads"))
    except (UnsafeUrlError, MalformedResponse):
        return
    parsed = httpx.URL(followed)
    assert (parsed.scheme, parsed.host, parsed.port) == ("https", "contoso.crm.dynamics.com", None)
    assert parsed.path.startswith("/api/data/")


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org_url", "options"),
    [
        ("http://contoso.crm.dynamics.com", {}),
        ("https://contoso.crm.dynamics.com/api/data/v9.2", {}),
        ("https://user:pw@contoso.crm.dynamics.com", {}),
        ("contoso.crm.dynamics.com", {}),
        (ORG, {"page_size": 5001}),
        (ORG, {"page_size": 0}),
        (ORG, {"max_retries": -1}),
        (ORG, {"timeout": float("nan")}),
        (ORG, {"max_wait": -1}),
        (ORG, {"api_version": "9.2; drop"}),
        (ORG, {"on_error": "ignore"}),
        (ORG, {"token_provider": "a token string"}),
    ],
)
def test_a_wrong_setting_is_a_configuration_error(org_url: str, options: dict[str, object]) -> None:
    options.setdefault("token_provider", StaticToken("t"))
    with pytest.raises(ConfigurationError):
        DataverseSource(org_url, **options)  # type: ignore[arg-type]


# -- what is logged ----------------------------------------------------------------------------------


def test_nothing_personal_is_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"firstname": "Zelda", "lastname": "Quartermain",
                               "emailaddress1": "zelda.q@example.org", "statecode": 7})  # fmt: skip
    server.add("lead", {"firstname": "Yusuf", "lastname": "Okonkwo",
                        "emailaddress1": "yusuf@example.org", "createdon": "bad date"})  # fmt: skip
    crm = server.writable_source()
    with caplog.at_level(logging.DEBUG, logger="leadqual"):
        crm.leads()
        with pytest.raises(LeadqualError):
            crm.update_lead(lead, {"job_title": "CEO"})
    info_and_up = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert info_and_up
    for message in info_and_up:
        for secret in ("Zelda", "Quartermain", "zelda.q@", "Yusuf", "Okonkwo", "yusuf@",
                       "contoso.crm.dynamics.com", "fake-token"):  # fmt: skip
            assert secret not in message, message
    assert any("GET leads status=200" in m for m in info_and_up)


# -- writes that fail leave nothing behind -----------------------------------------------------------


def test_an_update_to_a_lead_deleted_meanwhile_never_creates_it() -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"lastname": "Ng"})
    crm = server.writable_source()

    def vanish(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PATCH":
            assert request.headers["if-match"] == "*"  # an update, never an upsert
            server.tables["lead"].pop(lead, None)  # deleted between the read and the write
        return None

    server.interpose(vanish)
    with pytest.raises(RecordNotFound):
        crm.update_lead(lead, {"job_title": "CEO"})
    assert lead not in server.tables["lead"]


def test_moving_notes_that_fails_in_the_service_changes_none_of_them() -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"lastname": "Ng"})
    contact = server.add("contact", {"lastname": "Ng"})
    notes = [
        server.add("annotation", {"notetext": f"n{i}", "_objectid_value": lead,
                                  "_objectid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "lead"})
        for i in range(3)
    ]  # fmt: skip
    crm = server.writable_source()

    # The second note disappears before the change set arrives: the service refuses the whole set.
    def delete_one(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("$batch"):
            server.tables["annotation"].pop(notes[1])
        return None

    server.interpose(delete_one)
    with pytest.raises(LeadqualError, match="nothing was changed"):
        crm.move_notes(RecordRef(kind="lead", id=lead), RecordRef(kind="contact", id=contact))
    for note in (notes[0], notes[2]):
        assert server.tables["annotation"][note]["_objectid_value"] == lead
    with pytest.raises(LeadqualError, match="not a Dataverse id"):
        crm.move_notes(RecordRef(kind="lead", id=lead), RecordRef(kind="contact", id="C-1"))


def test_a_status_change_refused_by_the_service_is_a_typed_error() -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"lastname": "Ng"})
    server.interpose(
        lambda r: httpx.Response(400, json={"error": {"code": "0x80040203",
                                                      "message": "Invalid status transition"}})
        if r.method == "PATCH" else None
    )  # fmt: skip
    crm = server.writable_source()
    with pytest.raises(HttpStatusError, match="0x80040203"):
        crm.update_lead_status(lead, LeadStatus.QUALIFIED, at=datetime(2026, 1, 6, tzinfo=UTC))
    assert server.tables["lead"][lead]["statecode"] == 0


def test_the_request_bodies_are_json_and_carry_no_token() -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"lastname": "Ng"})
    crm = server.writable_source()
    crm.update_lead(lead, {"job_title": "CEO"})
    (patch,) = [r for r in server.requests if r.method == "PATCH"]
    assert json.loads(patch.content) == {"jobtitle": "CEO"}
    assert "fake-token" not in patch.content.decode()
