"""The syntax layer of the email validator: email-validator plus the sales policy on top of it.

email-validator decides RFC 5322/6531 syntax and normalises the address. The sales policy then
refuses forms that are valid on paper but that no real lead uses (see ``docs/email.md``):
quoted local parts, IP-literal domains, display names, dotless domains, impossible top-level
domains, and special-use or reserved names. Each refusal carries the code of the rule that made it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

import email_validator
from email_validator import ValidatedEmail

from leadqual.email._reasons import Finding, finding

__all__ = ["MAX_INPUT_CHARS", "SyntaxOutcome", "check_syntax"]

MAX_INPUT_CHARS: Final = 1024
"""Inputs longer than this are refused before parsing: an address has at most 254 octets, and the
cap keeps a megabyte string from costing more than a length check."""

# RFC 2606 and RFC 6761 documentation names; email-validator already refuses the special-use ones
# (.arpa, .invalid, .local, .localhost, .onion, .test).
_DOCUMENTATION_DOMAINS: Final = frozenset({"example.com", "example.net", "example.org"})
_DOCUMENTATION_TLDS: Final = frozenset({"example"})

# Scripts whose letters are confusable with Latin ones: a domain label mixing them is a homograph.
_CONFUSABLE_SCRIPTS: Final = frozenset({"LATIN", "CYRILLIC", "GREEK"})


@dataclass(slots=True)
class SyntaxOutcome:
    """What the syntax layer concluded about one address."""

    normalized: str | None = None
    local_part: str | None = None
    domain: str | None = None
    """The domain in its Unicode form (as people write it)."""
    ascii_domain: str | None = None
    """The domain as DNS sees it (IDNA A-labels), lower case."""
    smtputf8: bool = False
    findings: list[Finding] = field(default_factory=list)
    suggestion: str | None = None
    """A corrected address when the input holds one (the bare address of a display-name form)."""

    @property
    def ok(self) -> bool:
        """Whether the address passed syntax and policy."""
        return self.normalized is not None


def _code_for(message: str) -> str:
    text = message.lower()
    table = (
        ("quoting the part before", "quoted_local_part"),
        ("bracket", "ip_literal"),
        ("display name", "display_name"),
        ("special-use or reserved", "reserved_domain"),
        ("must have an @-sign", "missing_at_sign"),
        ("too long", "too_long"),
        ("should have a period", "dotless_domain"),
        ("top-level domain", "invalid_tld"),
        ("invalid character", "invalid_characters"),
        ("unsafe character", "invalid_characters"),
        ("not valid ascii", "invalid_characters"),
        ("internationalized characters", "invalid_characters"),
        ("idna", "invalid_domain"),
    )
    # Angle brackets with a display name mention "bracket" too: check display names first.
    if "display name" in text or "angle bracket" in text:
        return "display_name"
    for needle, code in table:
        if needle in text:
            return code
    return "invalid_syntax"


_POLICY_SENTENCES: Final = {
    "quoted_local_part": "Quoted local parts are RFC-valid but refused by most mail systems and "
    "never used by real leads.",
    "ip_literal": "An IP address in brackets instead of a domain is RFC-valid but not a lead's "
    "address.",
    "display_name": "The field holds a display name and angle brackets, not a bare address.",
    "reserved_domain": "The domain is a special-use or reserved name (RFC 2606/6761) that never "
    "receives mail.",
    "dotless_domain": "The domain has no dot: no public mail domain is a bare top-level name.",
}


def _strip_display_name(address: str) -> str | None:
    """The bare address inside ``Name <addr>``, when the input has that shape."""
    if address.endswith(">") and "<" in address:
        inner = address[address.rindex("<") + 1 : -1].strip()
        return inner or None
    return None


def _scripts(text: str) -> set[str]:
    if text.isascii():
        return {"LATIN"} if any(c.isalpha() for c in text) else set()
    found: set[str] = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            found.add(name.split(" ", 1)[0] if name else "UNKNOWN")
    return found


def _check_tld(ascii_domain: str) -> Finding | None:
    if "." not in ascii_domain:
        return finding(
            "dotless_domain",
            f"The domain {ascii_domain!r} has no dot: no public mail domain is a bare top-level "
            "name.",
        )
    tld = ascii_domain.rsplit(".", 1)[1]
    if tld.startswith("xn--"):
        return None  # an internationalised TLD (.xn--p1ai is .рф), already checked as IDNA
    # Whether a TLD exists is DNS's call (new ones appear every year); refuse only the shape no
    # TLD has: every top-level label in the root zone is letters, or an A-label. A digit or a
    # hyphen (tld-2, c0m) cannot be delivered to, and an all-numeric one reads as an IP address
    # (RFC 3696 section 2).
    if not (tld.isascii() and tld.isalpha()):
        return finding(
            "invalid_tld",
            f"{tld!r} cannot be a top-level domain: top-level domains are letters only (or an "
            "internationalised xn-- label), so mail to it cannot be delivered.",
        )
    return None


def _check_reserved(ascii_domain: str, *, allow_reserved: bool) -> Finding | None:
    if allow_reserved:
        return None
    tld = ascii_domain.rsplit(".", 1)[-1]
    registrable = ".".join(ascii_domain.rsplit(".", 2)[-2:])
    if tld in _DOCUMENTATION_TLDS or registrable in _DOCUMENTATION_DOMAINS:
        return finding(
            "reserved_domain",
            f"{ascii_domain} is reserved for documentation (RFC 2606) and never receives mail.",
        )
    return None


def _check_scripts(local: str, domain: str) -> list[Finding]:
    out: list[Finding] = []
    for label in domain.split("."):
        scripts = _scripts(label) & _CONFUSABLE_SCRIPTS
        if len(scripts) > 1:
            out.append(
                finding(
                    "mixed_script_domain",
                    f"The domain label {label!r} mixes {' and '.join(sorted(scripts)).title()} "
                    "letters, the mark of a look-alike (homograph) domain.",
                )
            )
            break
    if len(_scripts(local) & _CONFUSABLE_SCRIPTS) > 1:
        out.append(
            finding(
                "mixed_script_local",
                "The local part mixes Latin with Cyrillic or Greek letters that look alike; "
                "check it was not retyped or spoofed.",
            )
        )
    return out


def validate_full(address: str) -> ValidatedEmail:
    """email-validator with the sales options, every one given explicitly (never its globals)."""
    return email_validator.validate_email(
        address,
        check_deliverability=False,
        allow_smtputf8=True,
        allow_empty_local=False,
        allow_quoted_local=False,
        allow_domain_literal=False,
        allow_display_name=False,
        strict=True,
        globally_deliverable=False,
        test_environment=False,
    )


# Plain ASCII addresses (no quotes, brackets, spaces or display names), the bulk of CRM data.
_SIMPLE: Final = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+\Z")

try:
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
    from email_validator.syntax import (
        validate_email_domain_name,
        validate_email_length,
        validate_email_local_part,
    )
except ImportError:  # pragma: no cover - an email-validator without these steps: full path only
    _FAST = False
else:
    _FAST = True


@lru_cache(maxsize=65536)
def _domain_name(domain_part: str) -> tuple[str, str] | str:
    try:
        info = validate_email_domain_name(
            domain_part, test_environment=False, globally_deliverable=False
        )
    except email_validator.EmailSyntaxError as err:
        return str(err)
    return info["domain"], info["ascii_domain"]


def validate_simple(address: str) -> ValidatedEmail:
    """The steps of :func:`validate_full` for a plain ASCII address, in the same order, with the
    domain's validation cached: many addresses share few domains, and the domain step is most
    of email-validator's time. Tests check both paths agree."""
    local, domain_part = address.split("@")
    local_info = validate_email_local_part(
        local, allow_smtputf8=True, allow_empty_local=False, quoted_local_part=False, strict=True
    )
    ret = ValidatedEmail()
    ret.original = address
    ret.display_name = None
    ret.smtputf8 = local_info["smtputf8"]
    ret.local_part = local_info["local_part"]
    ret.ascii_local_part = local_info["ascii_local_part"]
    if (
        ret.ascii_local_part is not None
        and ret.ascii_local_part.lower() in CASE_INSENSITIVE_MAILBOX_NAMES
        and ret.local_part is not None
    ):
        ret.ascii_local_part = ret.ascii_local_part.lower()
        ret.local_part = ret.local_part.lower()
    domain = _domain_name(domain_part)
    if isinstance(domain, str):
        raise email_validator.EmailSyntaxError(domain)
    ret.domain, ret.ascii_domain = domain
    ret.normalized = ret.local_part + "@" + ret.domain
    ret.ascii_email = (
        ret.ascii_local_part + "@" + ret.ascii_domain if ret.ascii_local_part else None
    )
    validate_email_length(ret)
    return ret


def validate(address: str) -> ValidatedEmail:
    """Validate with email-validator, through the cached path when the address is plain ASCII."""
    if _FAST and _SIMPLE.match(address):
        return validate_simple(address)
    return validate_full(address)


def check_syntax(address: str, *, allow_reserved: bool = False) -> SyntaxOutcome:
    """Check ``address`` against RFC syntax and the sales policy.

    Args:
        address: the address exactly as found (not stripped: surrounding white space is an error
            the CRM should fix, and is reported as such).
        allow_reserved: accept RFC 2606 documentation domains (example.com, .example).

    Returns:
        The outcome; ``normalized`` is ``None`` when the address was refused.
    """
    out = SyntaxOutcome()
    if not address:
        out.findings.append(finding("empty", "The address is empty."))
        return out
    if len(address) > MAX_INPUT_CHARS:
        out.findings.append(
            finding(
                "too_long",
                f"The input is {len(address):,} characters long; an address has at most 254.",
            )
        )
        return out
    try:
        info = validate(address)
    except email_validator.EmailNotValidError as err:
        message = str(err)
        code = _code_for(message)
        sentence = _POLICY_SENTENCES.get(code)
        text = message if sentence is None else f"{sentence} ({message})"
        out.findings.append(finding(code, text))
        if code == "display_name":
            bare = _strip_display_name(address)
            if bare is not None and check_syntax(bare, allow_reserved=allow_reserved).ok:
                out.suggestion = bare
        return out
    ascii_domain = info.ascii_domain.lower()
    problem = _check_tld(ascii_domain) or _check_reserved(
        ascii_domain, allow_reserved=allow_reserved
    )
    if problem is not None:
        out.findings.append(problem)
        return out
    scripts = _check_scripts(info.local_part, info.domain)
    out.findings.extend(scripts)
    if any(f.severity == "invalid" for f in scripts):
        return out
    out.normalized = info.normalized
    out.local_part = info.local_part
    out.domain = info.domain
    out.ascii_domain = ascii_domain
    out.smtputf8 = bool(info.smtputf8)
    if out.smtputf8:
        out.findings.append(
            finding(
                "smtputf8",
                "The local part has non-ASCII characters: only servers that support SMTPUTF8 "
                "(RFC 6531) can deliver it.",
            )
        )
    return out
