"""The email validator's section of ``leadqual demo``: the open leads' addresses, checked offline."""

from __future__ import annotations

from collections import Counter

from leadqual.config import AgentConfig
from leadqual.email import StaticResolver
from leadqual.email.records import validate_records
from leadqual.email.validator import EmailValidator, cache_info
from leadqual.models import EmailMessage
from leadqual.sources.sample import SampleData

__all__ = ["demo_lines"]

_QUIET = frozenset({"free_provider", "smtputf8"})
_WEIGHT = {"invalid": 0, "risky": 1, "unknown": 2, "info": 3}


def demo_lines(data: SampleData, config: AgentConfig) -> list[str]:
    """Validate every email field of the sample's open leads (DNS answered from ``data.dns``)
    and summarise: counts per status and type, then each flagged lead with its reasons.

    With the consent to read emails, the CRM's bounces count as evidence too."""
    validator = EmailValidator(resolver=StaticResolver.from_sample(data), now=data.as_of)
    leads = [lead for lead in data.crm.leads if lead.is_open]
    messages = (
        [a for a in data.crm.activities if isinstance(a, EmailMessage)]
        if config.consent.read_emails
        else []
    )
    reports = validate_records(validator, leads, accounts=data.crm.accounts, messages=messages)
    statuses: Counter[str] = Counter()
    types: Counter[str] = Counter()
    flagged: list[str] = []
    count = 0
    for report in reports:
        if report.primary_missing:
            statuses["missing"] += 1
            count += 1
            flagged.append(f"  {report.record_id}  (no address)  missing: no primary email")
        for field in report.checks:
            check = field.check
            statuses[check.status] += 1
            types[check.email_type] += 1
            loud = sorted(
                (r for r in check.reasons if r.code not in _QUIET),
                key=lambda r: _WEIGHT[r.severity],
            )
            if not loud:
                continue
            count += 1
            hint = f" -> {check.suggestion}" if check.suggestion else ""
            flagged.append(
                f"  {report.record_id}  {check.address}{hint}  {check.status}: "
                + "; ".join(r.code for r in loud)
            )
            flagged.append(f"      {loud[0].message}")
    info = cache_info(validator)
    checked = sum(len(r.checks) for r in reports)
    return [
        f"{checked} addresses of {len(leads)} open leads checked offline "
        f"({info.lookups} DNS domains looked up once each"
        + (f"; {len(messages)} emails read for bounces)" if messages else "; emails not read)"),
        "By status: " + ", ".join(f"{k} {n}" for k, n in statuses.most_common()),
        "By type: " + ", ".join(f"{k} {n}" for k, n in types.most_common()),
        f"Flagged ({count}, most serious reason first):",
        *flagged,
    ]
