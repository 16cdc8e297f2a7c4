"""AcmeCrmSource passes leadqual's shared source contract: the same tests leadqual runs on its
own sources, comparing every answer with the reference in-memory source."""

from __future__ import annotations

from typing import Any

from leadqual.models import Lead, LeadStatus, OpportunityStatus
from leadqual.sources import CrmSnapshot
from leadqual.testing.source_contract import CrmSourceContract

from acme_crm import AcmeCrmSource

_STATUS = {LeadStatus.OPEN: "Open", LeadStatus.QUALIFIED: "Converted",
           LeadStatus.DISQUALIFIED: "Junk"}  # fmt: skip
_STAGE = {OpportunityStatus.OPEN: "Open", OpportunityStatus.WON: "Won",
          OpportunityStatus.LOST: "Lost"}  # fmt: skip


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _lead(lead: Lead) -> dict[str, Any]:
    return {
        "Id": lead.id, "FirstName": lead.first_name, "LastName": lead.last_name,
        "Email": lead.email, "Title": lead.job_title, "Company": lead.company_name,
        "Industry": lead.industry, "Source": lead.lead_source, "Employees": lead.employee_count,
        "Phone": lead.phones[0].number if lead.phones else None,
        "Status": _STATUS[lead.status], "StatusReason": lead.status_reason,
        "OwnerId": lead.owner_id, "AccountId": lead.account_id, "ContactId": lead.contact_id,
        "CreatedDate": _time(lead.created_at), "LastModifiedDate": _time(lead.modified_at),
        "ClosedDate": _time(lead.closed_at),
    }  # fmt: skip


def to_acme(snapshot: CrmSnapshot) -> dict[str, list[dict[str, Any]]]:
    """The snapshot's records as Acme's API returns them (what a test server would hold)."""

    def what(record: Any) -> dict[str, Any]:
        return {"WhatType": record.regarding.kind, "WhatId": record.regarding.id}

    return {
        "leads": [_lead(x) for x in snapshot.leads],
        "contacts": [{"Id": c.id, "FirstName": c.first_name, "LastName": c.last_name,
                      "Email": c.email, "AccountId": c.account_id, "OwnerId": c.owner_id,
                      "CreatedDate": _time(c.created_at),
                      "LastModifiedDate": _time(c.modified_at)} for c in snapshot.contacts],
        "accounts": [{"Id": a.id, "Name": a.name, "Industry": a.industry,
                      "Employees": a.employee_count, "ParentId": a.parent_account_id,
                      "OwnerId": a.owner_id, "CreatedDate": _time(a.created_at),
                      "LastModifiedDate": _time(a.modified_at)} for a in snapshot.accounts],
        "deals": [{"Id": o.id, "Name": o.name, "Stage": _STAGE[o.status],
                   "Amount": o.estimated_value, "AccountId": o.account_id,
                   "ContactId": o.contact_id, "LeadId": o.originating_lead_id,
                   "OwnerId": o.owner_id, "CreatedDate": _time(o.created_at)}
                  for o in snapshot.opportunities],
        "activities": [{**a.model_dump(mode="json", exclude={"regarding"}), **what(a)}
                       for a in snapshot.activities],
        "notes": [{"Id": n.id, "Title": n.title, "Body": n.text, "CreatedById": n.author_id,
                   "CreatedDate": _time(n.created_at), **what(n)} for n in snapshot.notes],
        "users": [{"Id": s.id, "Name": s.name, "Email": s.email, "Roles": list(s.roles),
                   "Active": s.is_active} for s in snapshot.sellers],
    }  # fmt: skip


class TestAcmeCrmSource(CrmSourceContract):
    def make_source(self, snapshot: CrmSnapshot, /) -> AcmeCrmSource:
        return AcmeCrmSource(to_acme(snapshot))


def test_a_status_acme_has_but_the_connector_does_not_know_skips_the_row() -> None:
    rows = [
        {"Id": "L1", "LastName": "Ng", "Status": "Nurturing", "CreatedDate": "2026-01-05T09:00Z"},
        {"Id": "L2", "LastName": "Ode", "CreatedDate": "2026-01-05T10:00:00Z"},
    ]
    crm = AcmeCrmSource({"leads": rows})
    assert [lead.id for lead in crm.leads()] == ["L2"]
    assert [e.row_id for e in crm.row_errors] == ["L1"]
