"""DataverseSource against the service's own documented responses (tests/fixtures/dataverse,
see PROVENANCE.md there), replayed by a local OData server (an httpx MockTransport handler)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from leadqual.change_feed import events_from_changes
from leadqual.errors import (
    CrmWriteError,
    HttpStatusError,
    RateLimited,
    RecordNotFound,
    RowConversionError,
)
from leadqual.models import Account, LeadStatus, RecordRef, Task
from leadqual.sources.dataverse import DataverseSource, StaticToken, WritableDataverseSource
from leadqual.sources.dataverse._odata import Answer
from leadqual.sources.dataverse.source import batch_parts

ORG = "https://contoso.crm.dynamics.com"
API = f"{ORG}/api/data/v9.2/"
Handler = Callable[[httpx.Request], httpx.Response]


def _source(handler: Handler, **options: object) -> tuple[DataverseSource, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    waits: list[float] = []
    source = DataverseSource(
        ORG,
        token_provider=StaticToken("t0ken"),
        transport=httpx.MockTransport(record),
        sleep=waits.append,
        **options,  # type: ignore[arg-type]
    )
    source.waits = waits  # type: ignore[attr-defined]
    return source, seen


def _empty(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"value": []})


# -- paging ----------------------------------------------------------------------------------------


def test_the_recorded_pages_are_followed_by_their_nextlink_verbatim_with_the_same_prefer(
    recorded: Callable[..., httpx.Response],
) -> None:
    page1, page2 = (
        recorded("recorded/contacts_page1_maxpagesize2"),
        recorded("recorded/contacts_page2_nextlink"),
    )
    link1 = json.loads(page1.content)["@odata.nextLink"]
    link2 = json.loads(page2.content)["@odata.nextLink"]
    # The recording stops at page 2; page 3 is page 2 without a nextLink (built for this test).
    last = json.loads(page2.content)
    del last["@odata.nextLink"]

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == link1:
            return page2
        if url == link2:
            return httpx.Response(200, json=last)
        return page1

    crm, seen = _source(handler, page_size=2)
    contacts = crm.contacts()
    assert [str(r.url) for r in seen[1:]] == [link1, link2]  # verbatim: nothing rebuilt
    assert {r.headers["prefer"] for r in seen} == {
        'odata.maxpagesize=2,odata.include-annotations="OData.Community.Display.V1.FormattedValue,'
        'Microsoft.Dynamics.CRM.lookuplogicalname"'
    }
    assert crm.stats.pages == 3 and crm.stats.requests == 3
    # The documented rows hold only fullname: no creation time, so no contact can be read,
    # and each is reported with its id and the column it lacks instead of ending the listing.
    assert contacts == []
    assert crm.skipped == 6
    assert [e.column for e in crm.row_errors] == ["createdon"] * 6
    assert crm.row_errors[0].row_id == "49b0be2e-d01c-ed11-b83e-000d3a572421"
    assert crm.row_errors[0].table == "contacts"


def test_real_account_rows_are_read(recorded: Callable[..., httpx.Response]) -> None:
    crm, seen = _source(
        lambda r: recorded("recorded/vmware_accounts_select_name_createdon_modifiedon")
    )
    accounts = crm.accounts()
    assert [(a.name, a.created_at, a.modified_at) for a in accounts] == [
        ("Super Account 2", datetime(2019, 8, 20, 4, 56, 10, tzinfo=UTC),
         datetime(2019, 8, 20, 4, 56, 10, tzinfo=UTC)),
        ("Osborn", datetime(2019, 8, 20, 9, 46, 16, tzinfo=UTC),
         datetime(2019, 8, 20, 11, 50, 43, tzinfo=UTC)),
        ("Account2", datetime(2019, 8, 20, 11, 44, 46, tzinfo=UTC),
         datetime(2019, 8, 20, 11, 44, 56, tzinfo=UTC)),
    ]  # fmt: skip
    query = seen[0].url.params
    assert "accountid" in query["$select"].split(",")
    assert "_ownerid_value" in query["$select"].split(
        ","
    )  # a lookup, selected as the service names it
    assert query["$orderby"] == "createdon asc,accountid asc"


def test_a_recorded_row_missing_a_required_column_is_raised_on_a_lookup(
    recorded: Callable[..., httpx.Response],
) -> None:
    crm, _ = _source(
        lambda r: recorded("recorded/contact_retrieve_null_description_all_annotations")
    )
    with pytest.raises(RowConversionError) as info:
        crm.get_contact("0928bcb4-bb27-ed11-9db1-002248274ada")
    assert (info.value.table, info.value.column) == ("contacts", "createdon")
    assert info.value.row_id == "0928bcb4-bb27-ed11-9db1-002248274ada"


def test_the_lookups_of_a_recorded_page_name_their_owner_even_a_team(
    recorded: Callable[..., httpx.Response],
) -> None:
    crm, _ = _source(lambda r: recorded("recorded/accounts_ownerid_lookup_annotations"),
                     on_error="raise")  # fmt: skip
    # the rows lack createdon (only name and owner were selected in the recording)
    with pytest.raises(RowConversionError, match="createdon"):
        crm.accounts()


def test_a_recorded_task_regarding_a_contact_is_read_with_the_table_its_annotation_names(
    recorded: Callable[..., httpx.Response],
) -> None:
    contact = RecordRef(kind="contact", id="7017e397-5ec6-ea11-a812-000d3a3e1af1")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tasks"):
            return recorded("recorded/vmware_tasks_regarding_formatted_values")
        return _empty(request)

    crm, seen = _source(handler)
    (task,) = crm.activities(regarding=contact)
    assert isinstance(task, Task)
    assert task.regarding == contact
    assert task.subject == "Provide product information"
    # the raw UTC value is read, not the formatted one in the user's locale
    assert task.created_at == datetime(2020, 7, 15, 6, 3, 26, tzinfo=UTC)
    assert task.due == datetime(2020, 7, 15, 2, 30, tzinfo=UTC)
    filters = {r.url.path.rsplit("/", 1)[1]: r.url.params["$filter"] for r in seen}
    assert filters["tasks"] == f"_regardingobjectid_value eq {contact.id}"
    assert set(filters) == {"emails", "phonecalls", "appointments", "tasks"}


# -- leads (constructed from the documented columns: no lead GET body was ever published) ------


def test_a_page_of_leads_reads_known_and_organisation_added_options_and_skips_the_rest(
    recorded: Callable[..., httpx.Response],
) -> None:
    crm, _ = _source(lambda r: recorded("constructed/leads_page"))
    first, second = crm.leads()
    assert (first.industry, first.lead_source, first.status, first.status_reason) == (
        "Consulting", "Web", LeadStatus.OPEN, "New"
    )  # fmt: skip
    assert first.owner_id == "4026be43-6b69-e111-8f65-78e7d1620f5e"
    assert first.account_id == "1adef0b8-54d3-ed11-a7c7-000d3a993550"
    assert first.topic == "Interested in 500 licences"
    # options the organisation added are read as their labels (FormattedValue)
    assert (second.industry, second.lead_source, second.status_reason) == (
        "Robotics", "Webinar", "Budget frozen"
    )  # fmt: skip
    assert second.status is LeadStatus.DISQUALIFIED
    assert second.owner_id == "39e0dbe4-131b-e111-ba7e-78e7d1620f5e"  # a team owns it
    # a state leadqual does not know and a missing creation time: skipped, each reported
    assert [(e.row_id, e.column) for e in crm.row_errors] == [
        ("72bf4d48-34cb-ed11-b596-0022481d68cd", "statecode"),
        ("74bf4d48-34cb-ed11-b596-0022481d68cd", "createdon"),
    ]


def test_looking_up_a_lead_in_a_state_leadqual_does_not_know_raises_a_row_error(
    recorded: Callable[..., httpx.Response],
) -> None:
    row = json.loads(recorded("constructed/leads_page").content)["value"][2]
    crm, _ = _source(lambda r: httpx.Response(200, json=row))
    with pytest.raises(RowConversionError) as info:
        crm.get_lead(row["leadid"])
    assert info.value.column == "statecode" and info.value.field == "status"


# -- change tracking ---------------------------------------------------------------------------------


def test_the_recorded_delta_is_read_as_changes_and_events(
    recorded: Callable[..., httpx.Response],
) -> None:
    initial = recorded("recorded/delta_tracking_initial")
    changes = recorded("recorded/delta_tracking_changes")
    token = json.loads(initial.content)["@odata.deltaLink"]

    def handler(request: httpx.Request) -> httpx.Response:
        return changes if "$deltatoken" in str(request.url) else initial

    crm, seen = _source(handler)
    baseline = crm.changes("account")
    assert baseline.changes == () and baseline.token == token
    page = crm.changes("account", token=baseline.token)
    assert str(seen[1].url) == token
    for request in seen:
        assert "odata.track-changes" in request.headers["prefer"]
        assert not {"$filter", "$orderby", "$expand", "$top"} & set(request.url.params)
    changed, deleted = page.changes
    assert (changed.id, changed.deleted) == ("60c4e274-0d87-e711-80e5-00155db19e6d", False)
    # the documented delta rows carry only the selected columns: no creation time
    assert changed.record is None and "createdon" in (changed.problem or "")
    assert (deleted.id, deleted.deleted) == ("2e451703-c686-e711-80e5-00155db19e6d", True)
    assert page.token == json.loads(changes.content)["@odata.deltaLink"]
    now = datetime(2026, 1, 5, tzinfo=UTC)
    events = events_from_changes(page.changes, now=now)
    assert [(e.type, e.account_id) for e in events] == [  # type: ignore[union-attr]
        ("account_updated", changed.id),
        ("account_updated", deleted.id),
    ]


# -- errors in the service's envelope ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "text"),
    [
        ("recorded/error_400_0x80040265_plugin_ilogger", 400, "0x80040265: An invalid request URI"),
        ("recorded/error_412_optimistic_concurrency_update", 412, "The version of the existing"),
        ("recorded/error_404_0x80060888_resource_not_found_segment", 404,
         "0x80060888: Resource not found for the segment 'account'."),
        ("recorded/error_envelope_legacy_innererror_pre2020", 200,
         "<A message describing the error>"),
    ],
)  # fmt: skip
def test_an_error_envelope_in_a_listing_is_a_typed_error_with_the_service_code(
    recorded: Callable[..., httpx.Response], name: str, status: int, text: str
) -> None:
    answer = recorded(name)
    code = answer.status_code if answer.status_code >= 400 else 400

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code, headers=answer.headers, content=answer.content)

    crm, seen = _source(handler)
    with pytest.raises(HttpStatusError) as info:
        crm.leads()
    assert info.value.status_code == code
    assert text in str(info.value)
    assert "Details from the server" not in str(info.value)  # an old server's stack trace
    assert len(seen) == 1  # a client error is not retried


def test_a_missing_record_answers_the_recorded_404_and_is_not_found(
    recorded: Callable[..., httpx.Response],
) -> None:
    crm, _ = _source(lambda r: recorded("recorded/error_404_upsert_if_match_star"))
    with pytest.raises(RecordNotFound) as info:
        crm.get_account("00000000-0000-0000-0000-000000000001")
    assert info.value.kind == "account"


def test_the_duplicate_detection_500_is_not_retried_and_nothing_is_written(
    recorded: Callable[..., httpx.Response],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return recorded("recorded/error_500_0x80040333_duplicate_lead")

    crm = WritableDataverseSource(ORG, token_provider=StaticToken("t"), writable=True,
                                  transport=httpx.MockTransport(handler))  # fmt: skip
    with pytest.raises(CrmWriteError, match="0x80040333") as info:
        crm.create_account(Account(id="A-1", name="Contoso", created_at=datetime(2026, 1, 1)))
    assert info.value.done == ()
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("name", "retry_after"),
    [("recorded/error_429_0x80072322_observed", None), ("constructed/throttled_429", 7.0)],
)
def test_throttling_that_never_ends_is_rate_limited_after_the_retries(
    recorded: Callable[..., httpx.Response], name: str, retry_after: float | None
) -> None:
    answer = recorded(name)
    answer.status_code = 429
    crm, seen = _source(lambda r: answer, max_retries=3, backoff=0.5, max_wait=60)
    with pytest.raises(RateLimited, match="0x80072322") as info:
        crm.leads()
    assert info.value.retry_after == retry_after
    assert len(seen) == 4  # one try and three retries, no more
    waits = crm.waits  # type: ignore[attr-defined]
    if retry_after is None:  # no Retry-After: doubling back-off with jitter
        assert [int(w / 0.5) for w in waits][:1] == [1] and len(waits) == 3
        assert all(0.5 <= w <= 0.5 * 2**i + 0.5 for i, w in enumerate(waits))
    else:
        assert waits == [7.0, 7.0, 7.0]


def test_a_retry_after_of_300_seconds_is_capped_at_max_wait(
    recorded: Callable[..., httpx.Response],
) -> None:
    body = recorded("recorded/error_429_0x80072321_execution_time_observed").content
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, headers={"Retry-After": "300"}, content=body)
        return _empty(request)

    crm, _ = _source(handler, max_wait=30)
    assert crm.leads() == []
    assert crm.waits == [30]  # type: ignore[attr-defined]
    assert crm.stats.retries == 1 and crm.stats.requests == 2


def test_the_full_429_is_waited_out_and_the_listing_continues(
    recorded: Callable[..., httpx.Response],
) -> None:
    answers = [recorded("constructed/throttled_429"), recorded("constructed/leads_page")]
    crm, seen = _source(lambda r: answers.pop(0))
    assert len(crm.leads()) == 2
    assert crm.waits == [7.0]  # type: ignore[attr-defined]
    assert str(seen[0].url) == str(seen[1].url)  # the same request, sent again


# -- writes --------------------------------------------------------------------------------------------


def test_a_create_answered_201_with_the_representation_returns_the_stored_record(
    recorded: Callable[..., httpx.Response],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return recorded("recorded/account_create_return_representation")

    crm = WritableDataverseSource(ORG, token_provider=StaticToken("t"), writable=True,
                                  transport=httpx.MockTransport(handler))  # fmt: skip
    account = crm.create_account(
        Account(
            id="A-7",
            name="Sample Account",
            annual_revenue=5_000_000,
            created_at=datetime(2016, 9, 28),
        )
    )
    assert account.id == "d6f193fc-ce85-e611-80d8-00155d2a68de"  # the service's id
    assert (account.name, account.annual_revenue) == ("Sample Account", 5_000_000.0)
    body = json.loads(seen[0].content)
    assert body == {"name": "Sample Account", "revenue": 5000000.0}  # "A-7" is no GUID: not sent
    assert "return=representation" in seen[0].headers["prefer"]


def test_a_create_answered_204_is_read_back_from_its_entity_id(
    recorded: Callable[..., httpx.Response],
) -> None:
    created = "7eb682f1-ca75-e511-80d4-00155d2a68d1"
    row = {"accountid": created, "name": "Contoso", "createdon": "2026-01-05T09:00:00Z"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            # the recorded 204 (its entity link names API v9.0: the id is what is read)
            return recorded("recorded/account_create_204")
        assert request.url.path.endswith(f"/accounts({created})")
        return httpx.Response(200, json=row)

    crm = WritableDataverseSource(ORG, token_provider=StaticToken("t"), writable=True,
                                  transport=httpx.MockTransport(handler))  # fmt: skip
    account = crm.create_account(Account(id="x", name="Contoso", created_at=datetime(2026, 1, 5)))
    assert account.id == created


def test_qualify_lead_reads_the_records_the_action_created(
    recorded: Callable[..., httpx.Response],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return recorded("constructed/qualifylead_response")

    crm = WritableDataverseSource(ORG, token_provider=StaticToken("t"), writable=True,
                                  transport=httpx.MockTransport(handler))  # fmt: skip
    lead = "425195a4-7a75-e911-a97a-000d3a34a1bd"
    result = crm.qualify_lead(lead, create_contact=False)
    assert [(r.kind, r.id) for r in result.created] == [
        ("account", "4f5195a4-7a75-e911-a97a-000d3a34a1bd"),
        ("contact", "495195a4-7a75-e911-a97a-000d3a34a1bd"),
        ("opportunity", "535195a4-7a75-e911-a97a-000d3a34a1bd"),
    ]
    assert seen[0].url.path.endswith(f"/leads({lead})/Microsoft.Dynamics.CRM.QualifyLead")
    assert json.loads(seen[0].content) == {
        "CreateAccount": True, "CreateContact": False, "CreateOpportunity": True, "Status": 3,
    }  # fmt: skip


def test_the_recorded_batch_answers_are_split_into_their_parts(
    recorded: Callable[..., httpx.Response],
) -> None:
    ok = recorded("recorded/batch_changeset_contentid_lead_contact_account")
    # The recorded headers lack Content-Type (the docs' generator stripped it): the boundary is
    # read from the body.
    parts = batch_parts(Answer(ok.status_code, ok.headers, ok.content, API + "$batch"))
    assert [p.status_code for p in parts] == [204, 204, 204]
    assert (
        parts[2]
        .headers["OData-EntityId"]
        .endswith("accounts(4f5195a4-7a75-e911-a97a-000d3a34a1bd)")
    )
    failed = recorded("recorded/batch_error_400_stops_at_first_failure")
    (part,) = batch_parts(Answer(failed.status_code, failed.headers, failed.content, API))
    assert part.status_code == 400
    assert json.loads(part.body)["error"]["code"] == "0x80044331"


def test_moving_notes_in_a_refused_change_set_raises_and_says_nothing_was_changed(
    recorded: Callable[..., httpx.Response],
) -> None:
    lead = "425195a4-7a75-e911-a97a-000d3a34a1bd"
    note = {"annotationid": "0a0b0c0d-0000-0000-0000-000000000001", "notetext": "hi",
            "createdon": "2026-01-05T09:00:00Z", "_objectid_value": lead,
            "_objectid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "lead"}  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"value": [note]})
        return recorded("recorded/batch_error_400_stops_at_first_failure")

    crm = WritableDataverseSource(ORG, token_provider=StaticToken("t"), writable=True,
                                  transport=httpx.MockTransport(handler))  # fmt: skip
    target = RecordRef(kind="contact", id="495195a4-7a75-e911-a97a-000d3a34a1bd")
    with pytest.raises(CrmWriteError, match=r"nothing was changed.*0x80044331") as info:
        crm.move_notes(RecordRef(kind="lead", id=lead), target)
    assert info.value.done == ()


def test_a_success_with_the_full_recorded_header_set_is_read(
    recorded: Callable[..., httpx.Response],
) -> None:
    # The only unstripped header set: duplicate request ids, cookies, rate-limit headers.
    headers = recorded("recorded/whoami_fiddler_full_headers").headers
    page = recorded("constructed/leads_page")
    crm, _ = _source(lambda r: httpx.Response(200, headers=headers, content=page.content))
    assert len(crm.leads()) == 2
