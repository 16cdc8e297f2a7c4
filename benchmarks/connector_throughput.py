"""Connector throughput: leads with their related records streamed through ``DataverseSource``
from a local recorded OData server that pages and throttles like the service.

The server (an ``httpx.MockTransport`` handler) answers a ``leads`` query with ``$expand`` in the
shapes the recorded responses show (compact JSON, annotations before their value, lookups as
``_x_value``, the ``$skiptoken`` paging cookie of ``contacts_page1_maxpagesize2.json``), builds
each page from the row numbers it covers (so its own memory does not grow with the table), and
answers the first of every 20 requests with HTTP 429, ``Retry-After: 1`` and the recorded
throttling body. Each lead comes with its parent account and contact, its owner (with security
roles), two emails, a phone call, a task and a note.

Measured: wall time of ``iter_contexts()`` over every lead (validated ``LeadContext`` objects,
consumed and dropped), the requests the server received against pages + retries, and the peak
memory (tracemalloc) at several table sizes. The source's waits are recorded, not slept (the
server asks for 1 s each); wall time is the source's own work.

Run: ``.venv/bin/python benchmarks/connector_throughput.py [--leads 50000] [--page-size 5000]``
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import time
import tracemalloc
import uuid
from typing import Any
from urllib.parse import quote

import httpx
from _common import write_results

from leadqual.sources.dataverse import DataverseSource, StaticToken

ORG = "https://contoso.crm.dynamics.com"
API = f"{ORG}/api/data/v9.2/"
THROTTLE_EVERY = 20
THROTTLED = {"error": {"code": "0x80072322", "message": "Number of requests exceeded the limit "
                       "of 8000 over time window of 300 seconds."}}  # fmt: skip
LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
OWNERS = [str(uuid.UUID(int=10_000 + i)) for i in range(25)]
FIRST = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Tim", "Barbara", "Ken", "Radia", "Hedy"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Liskov", "Thompson", "Lamarr"]


def _guid(kind: int, i: int) -> str:
    return str(uuid.UUID(int=(kind << 64) + i))


def _stamp(i: int, minutes: int = 0) -> str:
    seconds = 1_735_689_600 + i * 60 + minutes * 60  # from 2025-01-01, a lead a minute
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _lead(i: int) -> dict[str, Any]:
    lead, account, contact = _guid(1, i), _guid(2, i), _guid(3, i)
    owner = OWNERS[i % len(OWNERS)]
    first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]

    def regarding() -> dict[str, Any]:
        return {f"_regardingobjectid_value{LOGICAL}": "lead", "_regardingobjectid_value": lead}

    return {
        "@odata.etag": f'W/"{900_000 + i}"',
        "leadid": lead, "subject": "Interested in licences", "firstname": first,
        "lastname": last, "companyname": f"Company {i % 5003}", "jobtitle": "Head of IT",
        "emailaddress1": f"{first.lower()}.{last.lower()}{i}@company{i % 5003}.example",
        "emailaddress2": None, "emailaddress3": None, "telephone1": "+1 425 555 0100",
        "mobilephone": None, "websiteurl": f"https://company{i % 5003}.example",
        "description": None,
        f"leadsourcecode{FORMATTED}": "Web", "leadsourcecode": 8,
        f"industrycode{FORMATTED}": "Consulting", "industrycode": 7,
        "numberofemployees": 250, "revenue": 12_000_000.0, "need": None,
        "address1_line1": None, "address1_city": "Redmond",
        "address1_stateorprovince": "WA", "address1_postalcode": None,
        "address1_country": "United States",
        f"statecode{FORMATTED}": "Open", "statecode": 0,
        f"statuscode{FORMATTED}": "New", "statuscode": 1,
        "createdon": _stamp(i), "modifiedon": _stamp(i, 5),
        f"_ownerid_value{LOGICAL}": "systemuser", "_ownerid_value": owner,
        f"_parentaccountid_value{LOGICAL}": "account", "_parentaccountid_value": account,
        f"_parentcontactid_value{LOGICAL}": "contact", "_parentcontactid_value": contact,
        "_campaignid_value": None, "leadqualitycode": 2, "budgetamount": None,
        "budgetstatus": None, "purchasetimeframe": None,
        "parentaccountid": {"accountid": account, "name": f"Company {i % 5003}",
                            "industrycode": 7, "numberofemployees": 250,
                            "createdon": _stamp(i, -60 * 24), "modifiedon": _stamp(i, -60)},
        "parentcontactid": {"contactid": contact, "firstname": first, "lastname": last,
                            f"_parentcustomerid_value{LOGICAL}": "account",
                            "_parentcustomerid_value": account, "createdon": _stamp(i, -60)},
        "owninguser": {"systemuserid": owner, "fullname": f"Seller {owner[-2:]}",
                       "internalemailaddress": f"seller{owner[-2:]}@vendor.example",
                       "isdisabled": False,
                       "systemuserroles_association": [{"roleid": _guid(9, 1),
                                                        "name": "Salesperson"}]},
        "Lead_Emails": [
            {"activityid": _guid(4, 2 * i + k), "subject": f"Re: licences {k}",
             "directioncode": bool(k), "sender": "buyer@example.org",
             "torecipients": "seller@vendor.example", "description": "Can we talk pricing?",
             "senton": _stamp(i, 10 + k), "createdon": _stamp(i, 10 + k), **regarding()}
            for k in range(2)
        ],
        "Lead_Phonecalls": [{"activityid": _guid(5, i), "directioncode": True,
                             "phonenumber": "+1 425 555 0100", "statecode": 1,
                             "actualstart": _stamp(i, 20), **regarding()}],
        "Lead_Appointments": [],
        "Lead_Tasks": [{"activityid": _guid(6, i), "subject": "Send the deck", "statecode": 0,
                        "createdon": _stamp(i, 30), **regarding()}],
        "Lead_Annotation": [{"annotationid": _guid(7, i), "subject": "Call notes",
                             "notetext": "Budget in Q3.", f"_objectid_value{LOGICAL}": "lead",
                             "_objectid_value": lead, "createdon": _stamp(i, 25)}],
        "opportunity_originating_lead": [],
    }  # fmt: skip


class RecordedServer:
    """Pages of leads with their related records, built from the row numbers on the page."""

    def __init__(self, leads: int) -> None:
        self.leads = leads
        self.requests = 0
        self.throttled = 0
        self.pages = 0
        self.seconds = 0.0
        """Time spent building the answers (the server's share of the wall time)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            return self._answer(request)
        finally:
            self.seconds += time.perf_counter() - started

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests % THROTTLE_EVERY == 1:  # the first of every 20 requests
            self.throttled += 1
            return httpx.Response(429, headers={"Retry-After": "1", "OData-Version": "4.0"},
                                  content=json.dumps(THROTTLED).encode())  # fmt: skip
        prefer = request.headers.get("prefer", "")
        size = min(int(prefer.split("odata.maxpagesize=")[1].split(",")[0]), 5000)
        token = request.url.params.get("$skiptoken")
        page = int(token.split('pagenumber="')[1].split('"')[0]) if token else 1
        start = (page - 1) * size
        stop = min(start + size, self.leads)
        body: dict[str, Any] = {
            "@odata.context": f"{API}$metadata#leads(leadid,subject,firstname,lastname)",
            "value": [_lead(i) for i in range(start, stop)],
        }
        if stop < self.leads:
            cookie = (f'<cookie pagenumber="{page + 1}" pagingcookie="%253ccookie%2520page%253d'
                      f'%2522{page}%2522%253e%253c%252fcookie%253e" istracking="False" />')  # fmt: skip
            query = [(k, v) for k, v in request.url.params.multi_items() if k != "$skiptoken"]
            query.append(("$skiptoken", cookie))
            body["@odata.nextLink"] = f"{API}leads?" + "&".join(
                f"{k}={quote(v, safe=',()=$')}" for k, v in query
            )
        self.pages += 1
        return httpx.Response(
            200,
            headers={"Content-Type": "application/json; odata.metadata=minimal",
                     "OData-Version": "4.0",
                     "Preference-Applied": f"odata.maxpagesize={size}",
                     "x-ms-ratelimit-burst-remaining-xrm-requests": "5999",
                     "x-ms-ratelimit-time-remaining-xrm-requests": "1,200.00"},
            content=json.dumps(body, separators=(",", ":")).encode(),
        )  # fmt: skip


def stream(leads: int, page_size: int) -> dict[str, Any]:
    """Every lead's context through the source; what it took."""
    server = RecordedServer(leads)
    waits: list[float] = []
    crm = DataverseSource(ORG, token_provider=StaticToken("benchmark"), page_size=page_size,
                          transport=httpx.MockTransport(server), sleep=waits.append)  # fmt: skip
    started = time.perf_counter()
    count = related = 0
    for context in crm.iter_contexts():
        count += 1
        related += len(context.activities) + len(context.notes) + 3
    seconds = time.perf_counter() - started
    crm.close()
    return {
        "leads": count, "related": related, "seconds": seconds, "server": server.seconds,
        "requests": server.requests, "pages": crm.stats.pages, "retries": crm.stats.retries,
        "throttled": server.throttled, "waited": sum(waits), "skipped": crm.skipped,
    }  # fmt: skip


def peak_mb(leads: int, page_size: int) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        stream(leads, page_size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=5000)
    args = parser.parse_args(argv)

    runs = []
    for leads, size in ((args.leads, args.page_size), (args.leads, args.page_size // 10)):
        result = stream(leads, size)
        expected_pages = math.ceil(leads / size)
        assert result["leads"] == leads and result["skipped"] == 0, result
        assert result["pages"] == expected_pages, result
        runs.append((size, result, expected_pages))
        print(size, result)
    memory = []
    for leads in (args.leads // 5, args.leads // 2, args.leads):
        memory.append((leads, peak_mb(leads, args.page_size)))
        print("peak", memory[-1])

    rows = "\n".join(
        f"| {r['leads']:,} | {size:,} | {r['seconds']:.2f} | {r['server']:.2f} | "
        f"{r['leads'] / (r['seconds'] - r['server']):,.0f} | "
        f"{r['related']:,} | {r['requests']} | {pages} | {r['retries']} | "
        f"{'yes' if r['requests'] == pages + r['retries'] else 'NO'} | {r['waited']:.0f} |"
        for size, r, pages in runs
    )
    mem_rows = "\n".join(f"| {n:,} | {mb:.1f} |" for n, mb in memory)
    flat = max(mb for _, mb in memory) / min(mb for _, mb in memory)
    body = f"""
{args.leads:,} leads, each with its parent account and contact, its owner (with security roles),
two emails, a phone call, a task and a note, streamed through `DataverseSource.iter_contexts()`
(one `$expand` query, paged with `Prefer: odata.maxpagesize`, every record validated into a
`LeadContext`) from a local recorded OData server that answers the first of every
{THROTTLE_EVERY} requests with HTTP 429 and `Retry-After: 1` (the recorded 0x80072322 body).
The source's waits are recorded, not slept, and listed apart. Wall time includes the server
building its pages (shown apart); leads/s counts the source's share only: reading the pages,
parsing the JSON and validating every record.

| leads | page size | wall s | of which the server s | leads/s (source) | related records | requests | pages | retries | requests = pages + retries | waits asked, s |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|
{rows}

Target met when the last column but one says yes: no request beyond one per page and one per
throttled attempt (the token is asked for once; related records come inline with their lead).

Peak memory (tracemalloc) streaming the same records, page size {args.page_size:,}:

| leads | peak MB |
|---:|---:|
{mem_rows}

Largest / smallest peak: {flat:.2f}x for {args.leads // (args.leads // 5)}x the leads. The peak is
one page: its JSON body and the rows parsed from it (a page of {args.page_size:,} leads with
their related records is the unit of memory); the leads already yielded are not kept, so the
peak does not grow with the table. A smaller page size lowers it, at one request per page.
"""
    print(write_results("connector_throughput", body))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
