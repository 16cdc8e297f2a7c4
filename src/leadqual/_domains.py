"""Domain helpers shared by the email checks, the research providers and the insights:
registrable domains from the bundled Public Suffix List, website domains, email domains."""

from __future__ import annotations

from functools import cache, lru_cache
from urllib.parse import urlsplit

import tldextract

__all__ = [
    "company_website_domain",
    "email_domain",
    "extractor",
    "is_free_email_domain",
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
        return _ascii(f"{ext.domain}.{ext.suffix}")
    # a suffix missing from the public list (``.example``, ``.test``, a new gTLD): last two labels
    return _ascii(".".join(labels[-2:])) if ":" not in host else None


def _ascii(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # not valid IDNA: compared as written
        return domain


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
    """The lower-cased domain after the last ``@`` of an address, or ``None``."""
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return domain or None


def is_free_email_domain(domain: str | None, /) -> bool:
    """Whether ``domain`` serves personal mailboxes rather than one company: a free provider
    (gmail.com), a disposable domain or a privacy relay (privaterelay.appleid.com). Such a domain
    never identifies a lead's company. The lists are the email validator's."""
    if not domain:
        return False
    # imported here: the email knowledge module builds on this one (registrable domains)
    from leadqual.research._email_domains import is_personal_domain

    return is_personal_domain(domain.strip().lower().rstrip("."))
