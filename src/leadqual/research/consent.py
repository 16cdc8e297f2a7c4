"""Whether a lead's company may be researched on the web, and what may be sent out.

A :class:`ResearchPolicy` authorises web research per lead (:class:`ConsentPolicy`, the default,
follows ``AgentConfig.consent.web_research``); :func:`company_query_for` builds the company
identifiers sent to providers, never the person's name or address.

Examples:
    >>> from datetime import datetime
    >>> from leadqual.models import Lead, LeadContext
    >>> lead = Lead(id="L-1", last_name="Roe", company_name="Contoso Ltd",
    ...             email="jane@contoso.com", created_at=datetime(2026, 1, 5))
    >>> query, origin = company_query_for(LeadContext(lead=lead))
    >>> query.name, query.domain
    ('Contoso Ltd', 'contoso.com')
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from leadqual._base import FrozenModel
from leadqual._domains import (
    company_website_domain,
    email_domain,
    is_free_email_domain,
    registrable_domain,
)
from leadqual._text import normalize_company_name
from leadqual.config import Consent
from leadqual.models import Lead, LeadContext
from leadqual.research.providers import CompanyQuery

__all__ = ["Authorization", "ConsentPolicy", "ResearchPolicy", "company_query_for"]


class Authorization(FrozenModel):
    """A research policy's answer for one lead: may its company be researched on the web?"""

    allowed: bool
    reason: str
    """Shown in "how was this generated" and in skipped sources' details."""
    lawful_basis: Literal["consent", "legitimate_interest"] | None = None
    basis_ref: str | None = None
    """Where the basis is recorded (a consent record, a legitimate-interest assessment id)."""
    providers: frozenset[str] | None = None
    """Outside providers allowed for this lead (``None``: all), e.g. per jurisdiction."""


@runtime_checkable
class ResearchPolicy(Protocol):
    """Decides, per lead, whether web research may run and through which providers.

    Examples:
        >>> class EuOnlyRegistries:
        ...     def authorize(self, context: LeadContext, /) -> Authorization:
        ...         return Authorization(allowed=True, reason="legitimate interest (LIA-7)",
        ...                              lawful_basis="legitimate_interest", basis_ref="LIA-7",
        ...                              providers=frozenset({"gleif", "wikidata"}))
        >>> isinstance(EuOnlyRegistries(), ResearchPolicy)
        True
    """

    def authorize(self, context: LeadContext, /) -> Authorization:
        """The authorisation for this lead's web research."""
        ...


class ConsentPolicy:
    """The default policy: web research for every lead when ``AgentConfig.consent.web_research``
    is set, for none otherwise.

    Examples:
        >>> from leadqual.config import Consent
        >>> ConsentPolicy(Consent()).authorize(None).allowed  # type: ignore[arg-type]
        False
    """

    def __init__(self, consent: Consent) -> None:
        self.consent = consent

    def authorize(self, context: LeadContext, /) -> Authorization:
        """Allowed exactly when web research was consented."""
        if not self.consent.web_research:
            return Authorization(
                allowed=False,
                reason="no consent for web research (AgentConfig.consent.web_research)",
            )
        by = f" by {self.consent.granted_by}" if self.consent.granted_by else ""
        when = f" on {self.consent.granted_at:%Y-%m-%d}" if self.consent.granted_at else ""
        return Authorization(
            allowed=True,
            reason=f"web research consented{by}{when}",
            lawful_basis="consent",
            basis_ref=self.consent.granted_by,
        )


def _names_the_person(company: str, lead: Lead) -> bool:
    """Whether the company name is, or contains, the lead's full name ("Jane Roe", "Jane Roe
    Consulting LLC"): sending it out would send the person's name."""
    person = normalize_company_name(lead.full_name) if lead.full_name.strip() else ""
    if not person:
        return False
    words, wanted = normalize_company_name(company).split(), person.split()
    if len(wanted) < 2:
        return words == wanted
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words)))


def company_query_for(context: LeadContext, /) -> tuple[CompanyQuery | None, str]:
    """The company identifiers of a lead (account first, else the lead's company fields), and a
    sentence saying where they came from. Never the lead's name or email address.

    Returns ``(None, reason)`` when there is nothing to research, or when the only identifier is
    the lead's own name (a sole trader: that would send personal data out).
    """
    lead, account = context.lead, context.account
    name = account.name if account else lead.company_name
    website = (account.website if account else None) or lead.website
    country = None
    if account is not None and account.address is not None:
        country = account.address.country
    if country is None and lead.address is not None:
        country = lead.address.country
    domain = company_website_domain(website) if website else None
    if website and domain is None:
        website = None  # a page on a shared platform (LinkedIn, Wix): not the company's site
    origin = f"account {account.id}" if account else "the lead's company fields"
    if domain is None:
        for address in lead.all_emails:
            d = email_domain(address)
            if d and not is_free_email_domain(d):
                domain = registrable_domain(d)
                origin += " and the work email domain"
                break
    if name and _names_the_person(name, lead):
        name = None  # a sole trader's "company" is a person: do not send it out
        if domain is None:
            return None, "the company name is the lead's own name; nothing company-level to send"
    if not (name or domain):
        return None, "no company name, website or work email domain to research"
    try:
        query = CompanyQuery(
            name=name, domain=domain, website=website if domain else None, country=country
        )
    except ValueError as err:
        return None, f"the company fields cannot be sent out: {err}"
    return query, origin
