"""Reason codes of the email validator and the severity each one carries.

The codes are stable machine identifiers (documented in ``docs/email.md``); the severity decides
the verdict: any ``invalid`` reason makes the address invalid, else any ``risky`` one makes it
risky, else any ``unknown`` one leaves it unknown; ``info`` reasons never change the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "Finding",
    "REASON_SEVERITY",
    "Severity",
    "finding",
    "status_of",
]

Severity = Literal["invalid", "risky", "unknown", "info"]
Status = Literal["valid", "invalid", "risky", "unknown"]

REASON_SEVERITY: Final[dict[str, Severity]] = {
    # syntax and policy
    "empty": "invalid",
    "not_text": "invalid",
    "too_long": "invalid",
    "missing_at_sign": "invalid",
    "invalid_syntax": "invalid",
    "invalid_characters": "invalid",
    "invalid_domain": "invalid",
    "quoted_local_part": "invalid",
    "ip_literal": "invalid",
    "display_name": "invalid",
    "reserved_domain": "invalid",
    "dotless_domain": "invalid",
    "invalid_tld": "invalid",
    "mixed_script_domain": "invalid",
    "mixed_script_local": "risky",
    "smtputf8": "info",
    # deliverability
    "domain_not_found": "invalid",
    "null_mx": "invalid",
    "no_mail_server": "invalid",
    "hard_bounce": "invalid",
    "dns_timeout": "unknown",
    "dns_failure": "unknown",
    "dns_unreliable": "unknown",
    "implicit_mx": "info",
    "deliverability_not_checked": "info",
    # type and quality
    "disposable": "risky",
    "role_account": "risky",
    "privacy_relay": "risky",
    "possible_typo": "risky",
    "domain_mismatch": "risky",
    "free_provider": "info",
    # seller decisions
    "override": "info",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason before it becomes a public :class:`~leadqual.email.EmailReason`."""

    code: str
    message: str

    @property
    def severity(self) -> Severity:
        """How much this reason weighs in the verdict."""
        return REASON_SEVERITY[self.code]


def finding(code: str, message: str) -> Finding:
    """A finding with a known code (an unknown code is a programming error)."""
    if code not in REASON_SEVERITY:  # pragma: no cover - guarded by tests over every code path
        raise KeyError(f"unknown email reason code {code!r}")
    return Finding(code, message)


_ORDER: Final[tuple[tuple[Severity, Status], ...]] = (
    ("invalid", "invalid"),
    ("risky", "risky"),
    ("unknown", "unknown"),
)


def status_of(severities: set[Severity]) -> Status:
    """The verdict for a set of reason severities: invalid, then risky, then unknown, else valid."""
    for severity, status in _ORDER:
        if severity in severities:
            return status
    return "valid"
