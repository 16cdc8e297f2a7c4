"""Knowledge about email domains and local parts for the validator: role accounts, typo
suggestions and whether a domain belongs to a company, over the shared knowledge of which domains
serve personal mailboxes (free providers, disposable domains, privacy relays) in
:mod:`leadqual._domains`.

Registrable domains come from tldextract's bundled Public Suffix List snapshot, used offline.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from cleanco import basename
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from leadqual._domains import (
    ascii_domain,
    extractor,
    is_disposable_domain,
    is_free_provider_domain,
    privacy_relay,
)
from leadqual._domains import registrable_domain as _registrable
from leadqual._text import strip_accents

__all__ = [
    "DomainFacts",
    "POPULAR_DOMAINS",
    "ROLE_LOCAL_PARTS",
    "company_match",
    "domain_facts",
    "registrable_domain",
    "role_account",
    "suggest_domain",
    "website_domain",
]

# Compared with separators removed ("no-reply", "no_reply" and "no.reply" are all "noreply").
ROLE_LOCAL_PARTS: Final[frozenset[str]] = frozenset(
    {
        "abuse", "accounting", "accounts", "admin", "administrator", "billing",
        "bonjour", "booking", "bookings", "careers", "compliance", "contact", "contacto",
        "contactus", "customercare", "customerservice", "customersupport", "dpo", "enquiries",
        "enquiry", "events", "feedback", "finance", "gdpr", "general", "hello", "help",
        "helpdesk", "hostmaster", "hr", "info", "information", "inquiries", "inquiry",
        "invoice", "invoices", "it", "jobs", "kontakt", "legal", "mail", "mailerdaemon",
        "marketing", "media", "newsletter", "noc", "noreply", "donotreply", "notifications",
        "office", "operations", "orders", "partners", "postmaster", "press", "privacy",
        "procurement", "purchasing", "reception", "recruiting", "recruitment", "root", "sales",
        "security", "service", "support", "sysadmin", "talent", "team", "ventas", "verkauf",
        "vertrieb", "webmaster",
    }
)  # fmt: skip
"""Local parts that name a function, not a person (sales@, info@, noreply@, ...)."""

POPULAR_DOMAINS: Final[tuple[str, ...]] = (
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
    "ymail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com",
    "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net",
    "gmx.com", "web.de", "t-online.de", "protonmail.com", "proton.me", "yandex.ru", "mail.ru",
    "comcast.net", "verizon.net", "att.net", "orange.fr", "free.fr", "laposte.net", "libero.it",
    "qq.com", "163.com", "naver.com", "zoho.com", "fastmail.com", "bigpond.com",
)  # fmt: skip
"""Domains whose near misses get a typo suggestion (gmial.com -> gmail.com)."""

_TLD_TYPOS: Final[dict[str, str]] = {
    "con": "com", "cmo": "com", "ocm": "com", "comm": "com", "vom": "com", "xom": "com",
    "cim": "com", "cpm": "com", "coom": "com", "om": "com", "nte": "net", "ent": "net",
    "nett": "net", "ogr": "org", "orgg": "org", "rog": "org",
}  # fmt: skip

# Words too common in company names to prove that a domain belongs to one company.
_GENERIC_WORDS: Final[frozenset[str]] = frozenset(
    {
        "and", "the", "of", "group", "services", "service", "solutions", "systems", "global",
        "international", "holdings", "holding", "company", "partners", "consulting",
        "technologies", "technology", "tech", "industries", "bank", "capital", "digital",
        "software", "labs", "health", "care", "financial", "market", "networks", "enterprises",
        "management", "limited", "corp", "corporation", "inc", "llc", "ltd", "gmbh", "sa",
    }
)  # fmt: skip


def registrable_domain(domain: str) -> str:
    """The domain a company registers (``mail.acme.co.uk`` -> ``acme.co.uk``); the input when
    there is none (see :func:`leadqual._domains.registrable_domain`)."""
    return _registrable(domain) or domain


def _label(domain: str) -> str:
    extracted = extractor()(domain)
    return extracted.domain or domain.split(".")[0]


def website_domain(website: str) -> str | None:
    """The host of a website as written in a CRM (``https://www.acme.com/about`` -> ``acme.com``)."""
    text = website.strip().lower()
    if not text:
        return None
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    host = re.split(r"[/?#:]", text, maxsplit=1)[0].strip(".")
    if host.startswith("www."):
        host = host[4:]
    if "." not in host or "@" in host:
        return None
    return ascii_domain(host)


def role_account(local_part: str) -> bool:
    """Whether ``local_part`` names a function (sales, info, noreply) rather than a person."""
    base = local_part.split("+", 1)[0].lower()
    return re.sub(r"[._-]", "", base) in ROLE_LOCAL_PARTS


# Short names are one edit away from real companies (aol.com/aon.com, live.com/lime.com): only
# providers whose name has five letters or more are typo targets.
_TYPO_TARGETS: Final[tuple[str, ...]] = tuple(
    d for d in POPULAR_DOMAINS if len(d.split(".", 1)[0]) >= 5
)


@lru_cache(maxsize=65536)
def _suggest_popular(domain: str) -> str | None:
    if len(domain.split(".", 1)[0]) < 4:
        return None
    hit = process.extractOne(domain, _TYPO_TARGETS, scorer=OSA.distance, score_cutoff=1)
    return None if hit is None else str(hit[0])


@dataclass(frozen=True, slots=True)
class DomainFacts:
    """What is known about a domain whatever the lead: computed once per domain and cached."""

    disposable: bool
    free: bool
    relay: str | None
    registrable: str
    label: str
    suggestion: str | None
    """A typo suggestion against popular domains or a mistyped TLD (no company involved)."""


@lru_cache(maxsize=65536)
def domain_facts(domain: str) -> DomainFacts:
    """The company-independent facts about ``domain`` (an ASCII, lower-case domain)."""
    return DomainFacts(
        disposable=is_disposable_domain(domain),
        free=is_free_provider_domain(domain),
        relay=privacy_relay(domain),
        registrable=registrable_domain(domain),
        label=_label(domain),
        suggestion=suggest_domain(domain),
    )


def suggest_domain(domain: str, company_domains: Iterable[str] = ()) -> str | None:
    """A likely intended domain when ``domain`` is a near miss of a popular or the company's one.

    Args:
        domain: the ASCII domain of the address, lower case.
        company_domains: registrable domains of the lead's company (website, account website).
    """
    if domain in POPULAR_DOMAINS or is_free_provider_domain(domain):
        return None
    companies = [c for c in company_domains if c]
    if registrable_domain(domain) in companies:
        return None
    popular = _suggest_popular(domain)
    if popular is not None:
        return popular
    for company in companies:
        limit = 1 if len(company) < 10 else 2
        if OSA.distance(domain, company) <= limit:
            return company
    extracted = extractor()(domain)
    if not extracted.suffix:
        tld = domain.rsplit(".", 1)[-1]
        fixed = _TLD_TYPOS.get(tld)
        if fixed is not None:
            return domain[: -len(tld)] + fixed
    return None


def _name_matches(label: str, company_name: str) -> bool:
    name = strip_accents(basename(company_name) or company_name).lower()
    tokens = re.findall(r"[a-z0-9]+", name)
    if not tokens:
        return True  # nothing to compare: no evidence of a mismatch
    if label.startswith("xn--"):
        with contextlib.suppress(UnicodeError):  # an invalid A-label is compared as written
            label = strip_accents(label.encode("ascii").decode("idna")).lower()
    label = label.replace("-", "")
    compact = "".join(tokens)
    if len(label) >= 3 and (label in compact or compact in label):
        return True
    if any(len(t) >= 3 and t not in _GENERIC_WORDS and t in label for t in tokens):
        return True
    acronym = "".join(t[0] for t in tokens if t not in {"and", "the", "of"})
    if len(acronym) >= 2 and label == acronym:
        return True
    return bool(fuzz.ratio(compact, label) >= 85)


def company_match(
    domain: str, *, company_domains: Iterable[str] = (), company_name: str | None = None
) -> bool | None:
    """Whether a work address's domain belongs to the lead's company.

    Returns:
        ``True`` when a website or the company name matches, ``False`` when there is evidence
        (a website or a name) and none matches, ``None`` when there is nothing to compare with.
    """
    websites = [d for d in company_domains if d]
    if not websites and not company_name:
        return None
    email_reg = registrable_domain(domain)
    email_label = _label(domain)
    for site in websites:
        if registrable_domain(site) == email_reg or _label(site) == email_label:
            return True
    if company_name and company_name.strip():
        return _name_matches(email_label, company_name)
    return False
