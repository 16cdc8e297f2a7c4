"""Leads with their related records in one listing ($expand), page by page."""

from __future__ import annotations

import httpx
import pytest

from leadqual.errors import UnsafeUrlError
from leadqual.models import LeadStatus, RecordRef
from leadqual.sources import MemorySource, SampleData
from leadqual.testing.dataverse import FakeDataverse, with_guid_ids


@pytest.fixture
def snapshot_and_server(sample_data: SampleData) -> tuple[MemorySource, FakeDataverse]:
    snapshot = with_guid_ids(sample_data.crm)
    return MemorySource.from_snapshot(snapshot), FakeDataverse.from_snapshot(snapshot)


def test_each_context_holds_the_leads_own_records_in_one_request_per_page(
    snapshot_and_server: tuple[MemorySource, FakeDataverse],
) -> None:
    memory, server = snapshot_and_server
    crm = server.source(page_size=40)
    contexts = list(crm.iter_contexts(status=LeadStatus.OPEN))
    expected = memory.leads(status=LeadStatus.OPEN)
    assert sorted(c.lead.id for c in contexts) == sorted(x.id for x in expected)
    assert crm.stats.requests == crm.stats.pages == -(-len(expected) // 40)
    for context in contexts:
        lead = memory.get_lead(context.lead.id)
        ref = RecordRef(kind="lead", id=lead.id)
        own = [a.id for a in memory.activities(regarding=ref) if a.kind != "chat"]
        assert [a.id for a in context.activities] == own
        assert [n.id for n in context.notes] == [n.id for n in memory.notes(regarding=ref)]
        assert [o.id for o in context.opportunities] == [
            o.id for o in memory.opportunities(lead_id=lead.id)
        ]
        assert (context.account.id if context.account else None) == lead.account_id
        assert (context.contact.id if context.contact else None) == lead.contact_id
        owner = memory.get_seller(lead.owner_id) if lead.owner_id else None
        assert (context.owner.id if context.owner else None) == (owner.id if owner else None)
        if owner is not None and context.owner is not None:
            assert set(context.owner.roles) == set(owner.roles)  # security roles come along


def test_a_related_collection_longer_than_the_page_is_read_from_its_own_nextlink() -> None:
    server = FakeDataverse()
    lead = server.add("lead", {"lastname": "Ng"})
    email = {"subject": "hi", "sender": "a@example.org", "senton": "2026-01-05T10:00:00Z",
             "directioncode": False, "_regardingobjectid_value": lead,
             "_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "lead"}  # fmt: skip
    ids = [server.add("email", email) for _ in range(3)]
    inline = ids[:1]

    def cut_short(request: httpx.Request) -> httpx.Response | None:
        if "$expand" not in request.url.params:
            return None
        # the service put one email inline and links to the rest
        response = server._route(request)  # the fake's own answer, then shortened
        body = response.json()
        row = body["value"][0]
        row["Lead_Emails"] = [e for e in row["Lead_Emails"] if e["activityid"] in inline]
        row["Lead_Emails@odata.nextLink"] = (
            f"{server.api}emails?$filter=_regardingobjectid_value eq {lead}"
        )
        return httpx.Response(200, json=body)

    server.interpose(cut_short)
    (context,) = server.source().iter_contexts()
    assert sorted(a.id for a in context.activities) == sorted(ids)


def test_a_related_collection_link_to_another_host_is_refused() -> None:
    server = FakeDataverse()
    server.add("lead", {"lastname": "Ng"})

    def evil(request: httpx.Request) -> httpx.Response | None:
        if "$expand" not in request.url.params:
            return None
        body = server._route(request).json()
        body["value"][0]["Lead_Emails@odata.nextLink"] = "https://evil.example/api/data/v9.2/x"
        return httpx.Response(200, json=body)

    server.interpose(evil)
    with pytest.raises(UnsafeUrlError):
        list(server.source().iter_contexts())
    assert all(r.url.host == "contoso.crm.dynamics.com" for r in server.requests)
