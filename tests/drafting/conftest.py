"""Shared fixtures for the engagement tests: the sample CRM, its configuration, small builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from leadqual.config import AgentConfig
from leadqual.drafting import ReplyClassifier
from leadqual.models import EmailMessage, Lead, LeadContext, RecordRef, Seller
from leadqual.sources import MemorySource, SampleData, load_sample, load_sample_config
from leadqual.sources import load_sample_data as _load

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Check:
    """A stand-in for leadqual.research.email.EmailCheck (structural typing)."""

    is_valid: bool = True
    status: str = "valid"


@dataclass(frozen=True)
class Fit:
    tier: str = "High"
    score: float = 88.0


@pytest.fixture(scope="session")
def sample() -> SampleData:
    return _load()


@pytest.fixture(scope="session")
def source() -> MemorySource:
    return load_sample()


@pytest.fixture(scope="session")
def config() -> AgentConfig:
    """The sample configuration, with consent to LLM drafting granted."""
    sample = load_sample_config()
    return sample.replace(consent=sample.consent.replace(llm_drafting=True))


@pytest.fixture(scope="session")
def classifier() -> ReplyClassifier:
    return ReplyClassifier()


SELLER = Seller(
    id="S-9",
    name="Avery Brooks",
    email="avery.brooks@tailspin-analytics.example",
    title="Account Executive",
    phone="+1 415 555 0100",
)


def make_lead(**changes: Any) -> Lead:
    data: dict[str, Any] = {
        "id": "L-1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company_name": "Analytical Engines Ltd",
        "email": "ada@analytical.example",
        "job_title": "VP Sales",
        "need": "Unreliable pipeline forecasts",
        "created_at": datetime(2026, 10, 1, tzinfo=UTC),
        "owner_id": "S-9",
    }
    data.update(changes)
    return Lead(**data)


def email(
    body: str,
    *,
    direction: str = "inbound",
    at: datetime = datetime(2026, 10, 20, 9, 0, tzinfo=UTC),
    subject: str = "RE: Analytical Engines and Tailspin",
    sender: str | None = None,
    ident: str = "E-1",
) -> EmailMessage:
    return EmailMessage(
        id=ident,
        regarding=RecordRef(kind="lead", id="L-1"),
        direction=direction,  # type: ignore[arg-type]
        from_address=sender
        or ("ada@analytical.example" if direction == "inbound" else SELLER.email or "x@y.z"),
        to_addresses=(),
        subject=subject,
        body=body,
        sent_at=at,
        message_id=f"<{ident.lower()}@mail.example>",
    )


def make_context(*activities: Any, lead: Lead | None = None, **extra: Any) -> LeadContext:
    return LeadContext(
        lead=lead or make_lead(), activities=tuple(activities), owner=SELLER, **extra
    )
