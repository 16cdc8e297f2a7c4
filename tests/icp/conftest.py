"""Builders and fixtures for the ICP and prioritisation tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadqual.icp import IcpProfile
from leadqual.models import (
    Account,
    Activity,
    Address,
    Contact,
    Lead,
    LeadContext,
    LeadStatus,
    Opportunity,
)
from leadqual.sources import SampleData, build_context, load_sample

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "icp"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_context(
    lead_id: str = "L-1",
    *,
    account: dict[str, Any] | None = None,
    contact: dict[str, Any] | None = None,
    activities: tuple[Activity, ...] = (),
    opportunities: tuple[Opportunity, ...] = (),
    created_days_ago: float = 30,
    **lead: Any,
) -> LeadContext:
    """A lead context from plain keyword fields (``country``/``state`` go to the address)."""
    country, state = lead.pop("country", None), lead.pop("state", None)
    if country or state:
        lead["address"] = Address(country=country, state=state)
    acc = None
    if account is not None:
        a = dict(account)
        a_country, a_state = a.pop("country", None), a.pop("state", None)
        if a_country or a_state:
            a["address"] = Address(country=a_country, state=a_state)
        acc = Account(
            id=a.pop("id", "A-1"),
            name=a.pop("name", "Acme"),
            created_at=NOW - timedelta(days=400),
            **a,
        )
        lead["account_id"] = acc.id
    con = None
    if contact is not None:
        con = Contact(id="C-1", created_at=NOW - timedelta(days=400), **contact)
        lead["contact_id"] = con.id
    return LeadContext(
        lead=Lead(id=lead_id, created_at=NOW - timedelta(days=created_days_ago), **lead),
        account=acc,
        contact=con,
        activities=activities,
        opportunities=opportunities,
    )


@pytest.fixture(scope="session")
def seeds_profile() -> IcpProfile:
    """The seeds' example ICP (Technology, Financial Services, Healthcare; 500+; NA, Europe...)."""
    return IcpProfile.from_file(FIXTURES / "seeds_icp.yaml")


@pytest.fixture(scope="session")
def sample_contexts(sample_data: SampleData) -> list[LeadContext]:
    """Every lead of the sample CRM with its related records."""
    src = load_sample()
    return [build_context(src, lead.id) for lead in sample_data.crm.leads]


@pytest.fixture(scope="session")
def open_contexts(sample_contexts: list[LeadContext]) -> list[LeadContext]:
    """The sample's open leads."""
    return [c for c in sample_contexts if c.lead.status is LeadStatus.OPEN]


@pytest.fixture(scope="session")
def closed_contexts(sample_contexts: list[LeadContext]) -> list[LeadContext]:
    """The sample's closed history (qualified and disqualified leads)."""
    return [c for c in sample_contexts if c.lead.status is not LeadStatus.OPEN]


@pytest.fixture
def make() -> Any:
    """The :func:`make_context` builder (importlib mode keeps conftest out of imports)."""
    return make_context


@pytest.fixture
def now() -> datetime:
    """The reference time of these tests (the sample's ``as_of``)."""
    return NOW
