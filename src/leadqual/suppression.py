"""One suppression list for the whole package: people and companies that must not be contacted
or researched (an unsubscribe, a GDPR Art. 21 objection).

The same object goes to drafting (:class:`~leadqual.drafting.ActionAdvisor`,
:class:`~leadqual.drafting.TemplateDrafter`: no email suggested or drafted) and to research
(:class:`~leadqual.research.Researcher`: no web research). Entries are email addresses, domains
(a domain covers its subdomains) and company names (compared folded, legal forms ignored).

With a ``salt``, every entry is kept only as a salted SHA-256 hash, so an erased lead stays
suppressed without its address being stored.

Examples:
    >>> s = SuppressionList(addresses={"ann@contoso.example"}, domains={"fabrikam.example"})
    >>> s.reason_for("bob@eu.FABRIKAM.example")
    'the domain fabrikam.example is on the suppression list'
    >>> hashed = SuppressionList(salt="org-secret", addresses={"Jane.Roe@Contoso.com"})
    >>> hashed.addresses, hashed.matches_address("jane.roe@contoso.com")
    (frozenset(), True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from pydantic import Field, field_validator, model_validator

from leadqual._base import FrozenModel
from leadqual._compat import warn_deprecated
from leadqual._domains import ascii_domain
from leadqual._text import normalize_company_name
from leadqual.errors import ConfigurationError

__all__ = ["SuppressedLead", "SuppressionList"]

_COMPANY_PREFIX = "company:"


class SuppressedLead(Protocol):
    """What a suppression check reads from a lead (:class:`~leadqual.models.Lead` fits)."""

    @property
    def all_emails(self) -> tuple[str, ...]:
        """Every address of the lead, primary first."""
        ...

    @property
    def company_name(self) -> str | None:
        """The company name the lead gave."""
        ...


def _address_key(value: str) -> str:
    """An address or a domain as entries are kept and compared: case-folded, its domain in IDNA
    form (``bücher.example`` and ``xn--bcher-kva.example`` are one domain)."""
    text = value.strip().lstrip("@")
    local, at, domain = text.rpartition("@")
    return f"{local.casefold()}{at}{ascii_domain(domain)}"


def _company_key(value: str) -> str:
    return normalize_company_name(value)


class SuppressionList(FrozenModel):
    """Addresses, domains and companies never contacted nor researched.

    Attributes:
        addresses: opted-out email addresses (case does not matter).
        domains: opted-out domains; ``contoso.com`` also covers ``eu.contoso.com``.
        companies: company names that objected (``"Contoso Ltd"`` covers ``"CONTOSO"``).
        salt: keep every entry only as a salted hash (keep the salt secret and stable; it is
            never serialised).
        hashes: hashes saved from an earlier list with the same salt.

    Examples:
        >>> s = SuppressionList(companies={"Contoso Ltd"})
        >>> s.reason_for_company("CONTOSO")
        'the company CONTOSO is on the suppression list'
    """

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    companies: frozenset[str] = frozenset()
    salt: str | None = Field(default=None, exclude=True, repr=False)
    hashes: frozenset[str] = frozenset()
    """Salted SHA-256 entries (only with a ``salt``), for persistence."""

    @field_validator("addresses", "domains", mode="after")
    @classmethod
    def _normalised(cls, values: frozenset[str]) -> frozenset[str]:
        return frozenset(_address_key(v) for v in values if v.strip())

    @field_validator("companies", mode="after")
    @classmethod
    def _companies(cls, values: frozenset[str]) -> frozenset[str]:
        return frozenset(k for k in (_company_key(v) for v in values if v.strip()) if k)

    @model_validator(mode="before")
    @classmethod
    def _hash_entries(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        salt = data.get("salt")
        if salt is None:
            if data.get("hashes"):
                raise ConfigurationError(
                    "hashed suppression entries need the salt they were made with"
                )
            return data
        if not isinstance(salt, str) or not salt:
            raise ConfigurationError(
                "SuppressionList needs a non-empty salt (keep it secret and stable)"
            )
        entries = [_address_key(v) for key in ("addresses", "domains") for v in data.get(key) or ()]
        entries += [_COMPANY_PREFIX + _company_key(v) for v in data.get("companies") or ()]
        hashes = set(data.get("hashes") or ()) | {_hash(salt, e) for e in entries if e.strip(":")}
        rest = {k: v for k, v in data.items() if k not in ("addresses", "domains", "companies")}
        return {**rest, "hashes": frozenset(hashes)}

    # -- checks -----------------------------------------------------------------------------------

    def _has(self, plain: frozenset[str], key: str) -> bool:
        if key in plain:
            return True
        return self.salt is not None and _hash(self.salt, key) in self.hashes

    def reason_for(self, address: str | None, /) -> str | None:
        """Why ``address`` is suppressed (it, or its domain or a parent domain, is listed), or
        ``None`` when it is not."""
        if not address or not address.strip():
            return None
        key = _address_key(address)
        if self._has(self.addresses, key):
            return "the address is on the suppression list (opted out)"
        labels = key.rpartition("@")[2].split(".")
        for i in range(len(labels) - 1):
            parent = ".".join(labels[i:])
            if self._has(self.domains, parent):
                return f"the domain {parent} is on the suppression list"
        return None

    def reason_for_company(self, name: str | None, /) -> str | None:
        """Why the company ``name`` is suppressed, or ``None``."""
        key = _company_key(name) if name and name.strip() else ""
        if not key:
            return None
        if key in self.companies or (
            self.salt is not None and _hash(self.salt, _COMPANY_PREFIX + key) in self.hashes
        ):
            return f"the company {_display(name)} is on the suppression list"
        return None

    def reason_for_lead(self, lead: SuppressedLead, /) -> str | None:
        """Why the lead is suppressed (any of its addresses, their domains, or its company), or
        ``None``."""
        for address in lead.all_emails:
            reason = self.reason_for(address)
            if reason:
                return reason
        return self.reason_for_company(lead.company_name)

    def matches_address(self, address: str, /) -> bool:
        """Whether ``address`` or its domain is suppressed."""
        return self.reason_for(address) is not None

    def matches(self, lead: SuppressedLead, /) -> bool:
        """Whether the lead is suppressed (see :meth:`reason_for_lead`)."""
        return self.reason_for_lead(lead) is not None

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and (
            self.reason_for(value) is not None or self.reason_for_company(value) is not None
        )

    # -- copies with more entries -----------------------------------------------------------------

    def with_address(self, address: str, /) -> SuppressionList:
        """A copy with ``address`` added (e.g. after an unsubscribe reply)."""
        return self.extended(addresses=(address,))

    def extended(
        self,
        *,
        addresses: Iterable[str] = (),
        domains: Iterable[str] = (),
        companies: Iterable[str] = (),
    ) -> SuppressionList:
        """A copy with more entries (hashed when this list has a salt).

        Only the new entries are normalised (or hashed); the entries already kept are copied as
        they are.
        """
        new = {"addresses": [*addresses], "domains": [*domains], "companies": [*companies]}
        for kind, values in new.items():
            for v in values:
                if not isinstance(v, str):
                    raise ConfigurationError(
                        f"{kind} to suppress must be strings, got {type(v).__name__}: {v!r:.40}"
                    )
        if any(not v.strip() for values in new.values() for v in values):
            raise ConfigurationError("cannot suppress an empty value")
        more = SuppressionList.model_validate({**new, "salt": self.salt})
        return self.model_copy(
            update={
                "addresses": self.addresses | more.addresses,
                "domains": self.domains | more.domains,
                "companies": self.companies | more.companies,
                "hashes": self.hashes | more.hashes,
            }
        )

    def add(self, value: str, /) -> None:
        """Deprecated: suppression lists are immutable; use :meth:`extended` or
        :meth:`with_address`, which return a copy.

        Adds an address (``a@b.com``) or a domain (``b.com``) in place for one more release.
        """
        if not isinstance(value, str):
            raise ConfigurationError(
                f"add needs an address or a domain as a string, got {type(value).__name__}"
            )
        warn_deprecated(
            "SuppressionList.add() is deprecated: the list is immutable; use "
            "suppression = suppression.extended(addresses=[...]) or extended(domains=[...])"
        )
        grown = (
            self.extended(addresses=(value,)) if "@" in value else self.extended(domains=(value,))
        )
        for name in ("addresses", "domains", "hashes"):
            # the one place the frozen model is changed in place, kept for old callers
            object.__setattr__(self, name, getattr(grown, name))


def _hash(salt: str, key: str) -> str:
    return hashlib.sha256(salt.encode() + key.encode()).hexdigest()


def _display(name: str | None) -> str:
    return " ".join((name or "").split())
