"""Lead and opportunity attributes as flat records: the columns a scorer learns from.

Only what is known while a lead is open goes in. Status, status reason, closing and modification
times, and the account and contact a lead is linked to on qualification are left out on purpose:
they are filled when (or after) the outcome is known and would leak it into the model.
Activities are counted only up to the lead's closing time (or ``now`` for an open lead).

Example:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead
    >>> lead = Lead(id="L-1", company_name="Acme", email="ann@gmail.com", lead_source="Web form",
    ...             created_at=datetime(2026, 1, 5, tzinfo=UTC))
    >>> rec = lead_record(lead)
    >>> rec["email_type"], rec["lead_source"], "status" in rec
    ('personal', 'Web form', False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from leadqual._compat import renamed_kwarg
from leadqual._domains import email_domain, is_free_email_domain
from leadqual._geo import country_code
from leadqual._text import is_placeholder
from leadqual.errors import ConfigurationError
from leadqual.models import (
    Appointment,
    ChatMessage,
    EmailMessage,
    Lead,
    LeadContext,
    PhoneCall,
)
from leadqual.sources.lead_table import check_lead_table, python_values

__all__ = ["LEAD_COLUMNS", "country_feature", "lead_record", "leads_frame"]

LEAD_COLUMNS = (
    "job_title",
    "industry",
    "employee_count",
    "annual_revenue",
    "lead_source",
    "campaign",
    "topic",
    "need",
    "line_of_business",
    "country",
    "email_type",
    "has_phone",
    "has_website",
    "owner_id",
)
"""The columns :func:`lead_record` always returns (custom fields add ``custom.<name>`` columns)."""


def _email_type(email: str | None) -> str | None:
    # the package's one list of personal mail domains (free, disposable and relay), as the email
    # validator reads it
    domain = email_domain(email)
    if domain is None:
        return None
    return "personal" if is_free_email_domain(domain) else "work"


def country_feature(written: object) -> str | None:
    """One category per country ("México", "Mexico" and "MX" are "MX"); an unknown value as
    written, so the model still sees it. Missing (``None``, NaN, a number, "N/A") is ``None``.

    >>> country_feature("México"), country_feature("Atlantis"), country_feature(float("nan"))
    ('MX', 'Atlantis', None)
    """
    if not isinstance(written, str) or is_placeholder(written):
        return None
    return country_code(written) or written


@renamed_kwarg("as_of", "now")
def lead_record(
    lead: Lead, /, *, context: LeadContext | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The scoring attributes of one lead.

    Args:
        lead: the lead.
        context: when given, activity counts (emails in and out, answered calls, meetings, chats)
            are added, counted up to the lead's closing time, or ``now`` for an open lead.
        now: the reference time for an open lead's activity counts (default: no cut-off).
    """
    rec: dict[str, Any] = {
        "job_title": lead.job_title,
        "industry": lead.industry,
        "employee_count": lead.employee_count,
        "annual_revenue": lead.annual_revenue,
        "lead_source": lead.lead_source,
        "campaign": lead.campaign,
        "topic": lead.topic,
        "need": lead.need,
        "line_of_business": lead.line_of_business,
        "country": country_feature(lead.address.country if lead.address else None),
        "email_type": _email_type(lead.email),
        "has_phone": bool(lead.phones),
        "has_website": bool(lead.website),
        "owner_id": lead.owner_id,
    }
    for key, value in sorted(lead.custom_fields.items()):
        rec[f"custom.{key}"] = value
    if context is not None:
        cutoff = lead.closed_on or now
        rec.update(_activity_counts(context, cutoff))
    return rec


def _activity_counts(context: LeadContext, cutoff: datetime | None) -> dict[str, int]:
    counts = {
        "emails_in": 0,
        "emails_out": 0,
        "calls_answered": 0,
        "calls_unanswered": 0,
        "meetings": 0,
        "chats_in": 0,
    }
    for a in context.activities:
        if cutoff is not None and a.occurred_at > cutoff:
            continue  # what happened after the outcome must not explain it
        if isinstance(a, EmailMessage):
            counts["emails_in" if a.direction == "inbound" else "emails_out"] += 1
        elif isinstance(a, PhoneCall):
            counts["calls_answered" if a.answered else "calls_unanswered"] += 1
        elif isinstance(a, Appointment) and a.status != "canceled":
            counts["meetings"] += 1
        elif isinstance(a, ChatMessage) and a.direction == "inbound":
            counts["chats_in"] += 1
    return counts


@renamed_kwarg("as_of", "now")
def leads_frame(
    leads: Iterable[Lead] | pd.DataFrame,
    /,
    *,
    contexts: Mapping[str, LeadContext] | None = None,
    now: datetime | None = None,
) -> pd.DataFrame:
    """A DataFrame of :func:`lead_record` rows indexed by lead id.

    ``leads`` are :class:`~leadqual.models.Lead` records or the lead table
    (:mod:`leadqual.sources.lead_table`, e.g. ``read_lead_table(path).table``), whose columns
    give the same rows without a record per lead (activity counts need ``contexts`` and
    records).
    """
    if isinstance(leads, pd.DataFrame):
        if contexts is not None:
            raise ConfigurationError(
                "activity counts need Lead records: pass leads_from_table(table) with contexts"
            )
        return _table_frame(check_lead_table(leads, field="leads"))
    rows: list[dict[str, Any]] = []
    ids: list[str] = []
    for lead in leads:
        ctx = contexts.get(lead.id) if contexts is not None else None
        rows.append(lead_record(lead, context=ctx, now=now))
        ids.append(lead.id)
    df = pd.DataFrame(rows, index=pd.Index(ids, name="lead_id"))
    if df.empty:
        return pd.DataFrame(columns=list(LEAD_COLUMNS), index=pd.Index([], name="lead_id"))
    return df


def _table_frame(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`leads_frame` of a lead table: the columns :func:`lead_record` reads, row by row as
    plain values (each distinct email domain and country looked up once)."""
    if len(table) == 0:
        return pd.DataFrame(columns=list(LEAD_COLUMNS), index=pd.Index([], name="lead_id"))
    plain = {c: python_values(table[c]) for c in _PLAIN}
    emails = python_values(table["email"])
    kinds: dict[str | None, str | None] = {e: _email_type(e) for e in set(emails)}
    written = python_values(table["address.country"])
    countries = {c: country_feature(c) for c in set(written)}
    websites = python_values(table["website"])
    has_phone = (
        table[[c for c in table.columns if str(c).startswith("phones.")]].notna().any(axis=1)
    )
    custom = sorted(c for c in table.columns if str(c).startswith("custom_fields."))
    custom_values = {c: python_values(table[c]) for c in custom}
    rows: list[dict[str, Any]] = []
    for i, phone in enumerate(has_phone.tolist()):
        rec = {c: plain[c][i] for c in _PLAIN[:9]}
        rec["country"] = countries[written[i]]
        rec["email_type"] = kinds[emails[i]]
        rec["has_phone"] = bool(phone)
        rec["has_website"] = bool(websites[i])
        rec["owner_id"] = plain["owner_id"][i]
        for c in custom:
            value = custom_values[c][i]
            if value is not None:
                rec[f"custom.{c.partition('.')[2]}"] = value
        rows.append(rec)
    return pd.DataFrame(rows, index=pd.Index(python_values(table["id"]), name="lead_id"))


_PLAIN = (
    "job_title",
    "industry",
    "employee_count",
    "annual_revenue",
    "lead_source",
    "campaign",
    "topic",
    "need",
    "line_of_business",
    "owner_id",
)
