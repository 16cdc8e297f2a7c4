"""Validate the sample CRM's lead addresses offline and show what a seller would see.

Run: ``python examples/email_validation.py``
"""

from __future__ import annotations

from collections import Counter

from leadqual.email import EmailOverrides, EmailValidator, cache_info, validate_records
from leadqual.sources.sample import load_sample_data
from leadqual.testing.dns import StaticResolver


def main() -> None:
    data = load_sample_data()
    # The sample ships the DNS answers of its domains, so deliverability is checked offline.
    overrides = EmailOverrides()
    validator = EmailValidator(
        resolver=StaticResolver.from_sample(data), overrides=overrides, now=data.as_of
    )

    open_leads = [lead for lead in data.crm.leads if lead.is_open]
    reports = validate_records(validator, open_leads, accounts=data.crm.accounts)
    checks = [f.check for r in reports for f in r.checks]
    print(f"{len(checks)} addresses on {len(open_leads)} open leads")
    print("status:", dict(Counter(c.status for c in checks)))
    print("type:  ", dict(Counter(c.email_type for c in checks)))
    print("no address:", [r.record_id for r in reports if r.primary_missing])

    print("\nNeeds attention:")
    for report in reports:
        for field in report.checks:
            check = field.check
            if check.status == "valid":
                continue
            fix = f"  (did you mean {check.suggestion}?)" if check.suggestion else ""
            codes = ", ".join(c for c in check.reason_codes if c != "free_provider")
            print(f"  {report.record_id} {check.address:40} {check.status:8} {codes}{fix}")

    # A seller who phoned the lead overrules the automatic verdict; it sticks to this address.
    overrides.set(
        "sales@tridentsavings.de", is_valid=True, by="S-02", note="shared desk, confirmed"
    )
    check = validator.validate("sales@tridentsavings.de")
    print(f"\nAfter the override: {check.address} is {check.status} ({check.reasons[-1].message})")
    print(f"DNS domains looked up: {cache_info(validator).lookups}")


if __name__ == "__main__":
    main()
