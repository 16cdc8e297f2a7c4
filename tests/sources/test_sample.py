"""Invariants of the bundled sample CRM, which the demo, docs and component tests rely on."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from leadqual.models import EmailMessage, LeadStatus
from leadqual.sources import MemorySource, SampleData, build_context
from leadqual.sources.sample import SAMPLE_AS_OF

ROOT = Path(__file__).resolve().parents[2]


def test_committed_sample_matches_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_sample.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_reference_resolves(sample_source: MemorySource) -> None:
    assert sample_source.dangling_references() == []


def test_size_and_reference_time(sample_data: SampleData) -> None:
    assert 150 <= len(sample_data.crm.leads) <= 300
    assert sample_data.as_of == SAMPLE_AS_OF
    assert len(sample_data.crm.sellers) >= 3


def test_enough_closed_history_to_train_within_two_years(sample_data: SampleData) -> None:
    window_start = sample_data.as_of - timedelta(days=730)
    closed = [
        lead
        for lead in sample_data.crm.leads
        if not lead.is_open and lead.closed_on and lead.closed_on >= window_start
    ]
    counts = Counter(lead.status for lead in closed)
    assert counts[LeadStatus.QUALIFIED] >= 40
    assert counts[LeadStatus.DISQUALIFIED] >= 40
    oldest = min(lead.created_at for lead in sample_data.crm.leads)
    assert sample_data.as_of - oldest > timedelta(days=730)


def test_every_duplicate_kind_is_planted_and_resolves(sample_data: SampleData) -> None:
    leads = {lead.id: lead for lead in sample_data.crm.leads}
    kinds = Counter(d["kind"] for d in sample_data.truth["duplicates"])
    assert set(kinds) == {"same_email", "same_phone", "similar_name_company", "similar_name_domain"}
    for pair in sample_data.truth["duplicates"]:
        a, b = (leads[i] for i in pair["lead_ids"])
        if pair["kind"] == "same_email":
            assert a.email and b.email and a.email.casefold() == b.email.casefold()
            assert a.email != b.email  # written differently
        if pair["kind"] == "same_phone":
            digits = {
                "".join(c for c in p.number if c.isdigit())[-10:] for p in (*a.phones, *b.phones)
            }
            assert len(digits) == 1
            assert a.phones[0].number != b.phones[0].number
        if pair["kind"] == "similar_name_domain":
            assert a.email and b.email
            assert a.email.split("@")[1] == b.email.split("@")[1]
            assert a.first_name != b.first_name


def test_planted_email_problems_cover_every_kind(sample_data: SampleData) -> None:
    kinds = set(sample_data.truth["emails"])
    assert kinds >= {"invalid_syntax", "disposable", "personal", "typo", "role", "missing"}
    for domain, answer in sample_data.dns.items():
        assert set(answer) <= {"mx", "a", "nxdomain", "null_mx"}, domain


def test_handraisers_and_reply_intents_are_open_leads(sample_data: SampleData) -> None:
    leads = {lead.id: lead for lead in sample_data.crm.leads}
    assert len(sample_data.truth["handraisers"]) >= 10
    assert all(leads[i].is_open for i in sample_data.truth["handraisers"])
    intents = Counter(sample_data.truth["reply_intents"].values())
    for intent in ("meeting_request", "pricing_request", "information_request"):
        assert intents[intent] >= 1
    assert intents["not_interested"] >= 1 and intents["out_of_office"] >= 1


def test_replies_thread_onto_an_outbound_email(sample_source: MemorySource) -> None:
    threaded = 0
    for lead in sample_source.leads(status=LeadStatus.OPEN):
        emails = list(build_context(sample_source, lead.id).emails)
        ids = {e.message_id for e in emails if isinstance(e, EmailMessage)}
        for e in emails:
            if e.in_reply_to is not None:
                assert e.in_reply_to in ids
                threaded += 1
    assert threaded >= 15


def test_sellers_own_open_leads(sample_source: MemorySource) -> None:
    owners = Counter(lead.owner_id for lead in sample_source.leads(status=LeadStatus.OPEN))
    assert len(owners) >= 3
    assert None not in owners


def test_unrelated_leads_and_accounts_never_share_a_phone(sample_data: SampleData) -> None:
    planted = {frozenset(d["lead_ids"]) for d in sample_data.truth["duplicates"]}
    owners: dict[str, set[str]] = {}
    for record in (*sample_data.crm.leads, *sample_data.crm.accounts):
        for phone in record.phones:
            digits = "".join(c for c in phone.number if c.isdigit())[-10:]
            owners.setdefault(digits, set()).add(record.id)
    shared = [ids for ids in owners.values() if len(ids) > 1 and frozenset(ids) not in planted]
    assert shared == []


def test_unrelated_leads_never_share_an_email_address(sample_data: SampleData) -> None:
    planted = {frozenset(d["lead_ids"]) for d in sample_data.truth["duplicates"]}
    owners: dict[str, set[str]] = {}
    for lead in sample_data.crm.leads:
        if lead.email:
            owners.setdefault(lead.email.casefold(), set()).add(lead.id)
    shared = [ids for ids in owners.values() if len(ids) > 1 and frozenset(ids) not in planted]
    assert shared == []


def test_unrelated_leads_never_share_a_name_and_employer(sample_data: SampleData) -> None:
    planted = {frozenset(d["lead_ids"]) for d in sample_data.truth["duplicates"]}
    planted |= {frozenset(pair) for pair in sample_data.truth["look_alikes"]}
    owners: dict[tuple[str, str, str], set[str]] = {}
    for lead in sample_data.crm.leads:
        if lead.email and "@" in lead.email:
            key = (lead.first_name or "", lead.last_name, lead.email.rsplit("@", 1)[1].casefold())
            owners.setdefault(key, set()).add(lead.id)
    shared = [ids for ids in owners.values() if len(ids) > 1 and frozenset(ids) not in planted]
    assert shared == []


def test_no_lead_address_names_another_person(sample_data: SampleData) -> None:
    first_names = {(lead.first_name or "").casefold() for lead in sample_data.crm.leads} - {""}
    # planted problems (a typo'd or malformed address) are written as they are on purpose
    planted = {i for ids in sample_data.truth["emails"].values() for i in ids}
    wrong = []
    for lead in sample_data.crm.leads:
        if lead.id in planted or not lead.email or "@" not in lead.email or not lead.first_name:
            continue
        words = set(re.split(r"[._+-]", lead.email.split("@", 1)[0].casefold()))
        own = lead.first_name.casefold()
        if own not in words and words & (first_names - {own}):
            wrong.append((lead.id, lead.full_name, lead.email))
    assert wrong == []
