"""What a duplicate detector looks at: fields, blocking keys, comparisons and rules.

A :class:`DedupeSettings` is plain data (it round-trips through JSON/YAML), so rules can be
configured by users, reviewed, and versioned. Presets build the seeds' rules for leads
(:func:`lead_settings`), the qualification check against contacts and accounts
(:func:`contact_settings`, :func:`account_settings`), and FEBRL-style person records
(:func:`person_record_settings`).

Examples:
    >>> s = lead_settings()
    >>> [r.name for r in s.rules]
    ['same_email', 'same_phone', 'similar_name_company', 'similar_name_domain']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel
from leadqual.errors import ConfigurationError

__all__ = [
    "BlockingKey",
    "Comparison",
    "ComparisonMethod",
    "Condition",
    "DedupeSettings",
    "EXACT_FIELDS",
    "FieldKind",
    "FieldSpec",
    "Rule",
    "account_settings",
    "contact_settings",
    "lead_settings",
    "person_record_settings",
]

FieldKind = Literal[
    "text",
    "given_name",
    "family_name",
    "company",
    "email",
    "email_domain",
    "website_domain",
    "phone",
    "digits",
    "raw",
]
"""How a field is normalised: folded text, person name parts, company name without legal form,
mailbox, registrable email domain (free-mail dropped), website domain, E.164 phone, digits only,
or as given."""

ComparisonMethod = Literal[
    "exact", "jaro_winkler", "levenshtein", "token_set", "company", "person_name", "date"
]
"""How two normalised values are compared, as a similarity in [0, 1]:

- ``exact``: 1 when equal (for multi-valued fields: when they share a value), else 0;
- ``jaro_winkler``: Jaro-Winkler similarity, good for short strings such as names;
- ``levenshtein``: normalised Levenshtein similarity, good for codes with typos;
- ``token_set``: word-set similarity, insensitive to word order and extra words;
- ``company``: word-set similarity capped by the Jaro-Winkler similarity of the first words,
  so "Ironwood Care" ~ "Ironwood Care Group" but a shared generic word ("Vollwo Industries"
  vs "Noullfo Industries") is not enough;
- ``person_name``: two columns (given, family): nicknames count as equal, a swapped
  given/family order is tried, and the weaker of the two parts decides;
- ``date``: dates written as digits (``YYYYMMDD``): 1 equal, 0.9 day and month swapped or one
  digit off, else 0.
"""


EXACT_FIELDS: tuple[tuple[str, ...], ...] = (("email",), ("phone",), ("given", "family", "company"))
"""Exact keys, on normalised fields, that make two person records the same one: a block too
common to pair in full (more than ``max_block_size`` records) still pairs the records sharing
one of these (where the settings have the fields), on one machine and on Spark alike."""


class _Setting(LeadqualModel):
    model_config = ConfigDict(frozen=True)


class FieldSpec(_Setting):
    """One normalised field, derived from a source column.

    Examples:
        >>> FieldSpec(name="phone", kind="phone", source="phones", region_source="country")
        FieldSpec(name='phone', kind='phone', source='phones', region_source='country')
    """

    name: Annotated[str, Field(min_length=1)]
    """Name of the normalised field, used by comparisons, blocking keys and rules."""
    kind: FieldKind = "text"
    source: str | None = None
    """Source column (defaults to ``name``). A cell may hold a list of values (several phones)."""
    region_source: str | None = None
    """For ``phone``: the column holding the record's country, used to read local numbers."""

    @property
    def column(self) -> str:
        """The source column read."""
        return self.source or self.name


class BlockingKey(_Setting):
    """Records that share a blocking key become candidate pairs; nothing else is compared.

    With ``window`` the key is used as a sorted neighbourhood instead: records are sorted by the
    key and each is paired with the next ``window - 1`` records, which tolerates typos in it.

    Examples:
        >>> BlockingKey(name="surname_dob", fields=("surname", "dob"))
        BlockingKey(name='surname_dob', fields=('surname', 'dob'), prefix=None, window=None)
    """

    name: Annotated[str, Field(min_length=1)]
    fields: Annotated[tuple[str, ...], Field(min_length=1)]
    prefix: Annotated[int, Field(ge=1)] | None = None
    """Use only the first ``prefix`` characters of each field's value."""
    window: Annotated[int, Field(ge=2)] | None = None


class Comparison(_Setting):
    """How one field (or a pair of name fields) of two records is compared.

    ``levels`` are the similarity cut-offs that split comparisons into agreement levels for
    the Fellegi-Sunter model, strongest first; "exact" (similarity 1) is always its own level.

    Examples:
        >>> Comparison(name="surname", fields=("surname",), method="jaro_winkler").levels
        (0.92, 0.8)
    """

    name: Annotated[str, Field(min_length=1)]
    fields: Annotated[tuple[str, ...], Field(min_length=1, max_length=2)]
    method: ComparisonMethod = "jaro_winkler"
    levels: tuple[float, ...] = (0.92, 0.8)
    family_only: Annotated[float, Field(ge=0, le=1)] | None = 0.8
    """For ``person_name``, when a side lacks the given name: the family names' similarity,
    capped at this (some evidence, never enough for a rule at 0.85); ``None`` reads the name as
    missing then, so a shared family name (a household) is no agreement on the person."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.method == "person_name") != (len(self.fields) == 2):
            raise ValueError("person_name compares two fields (given, family); others compare one")
        if any(not 0 < x < 1 for x in self.levels) or list(self.levels) != sorted(
            self.levels, reverse=True
        ):
            raise ValueError("levels must be decreasing similarities strictly between 0 and 1")
        return self


class Condition(_Setting):
    """A test on one comparison's similarity: ``at_least <= similarity < below``.

    A missing value on either side never satisfies a condition.
    """

    comparison: Annotated[str, Field(min_length=1)]
    at_least: Annotated[float, Field(ge=0, le=1)] | None = 1.0
    below: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _satisfiable(self) -> Self:
        if self.at_least is not None and self.below is not None and self.at_least >= self.below:
            raise ValueError(
                f"at_least ({self.at_least}) must be below 'below' ({self.below}): "
                "the condition could never hold"
            )
        return self


class Rule(_Setting):
    """A duplicate rule: every ``all_of`` condition holds and no ``none_of`` condition holds.

    ``kind`` says how to read it: a ``matchcode`` rule is an exact key (email, phone), a
    ``fuzzy`` rule uses similarity thresholds.

    Examples:
        >>> Rule(
        ...     name="similar_name_company",
        ...     kind="fuzzy",
        ...     all_of=(Condition(comparison="name", at_least=0.85),
        ...             Condition(comparison="company", at_least=0.85)),
        ... ).name
        'similar_name_company'
    """

    name: Annotated[str, Field(min_length=1)]
    kind: Literal["matchcode", "fuzzy"] = "fuzzy"
    all_of: Annotated[tuple[Condition, ...], Field(min_length=1)]
    none_of: tuple[Condition, ...] = ()
    description: str = ""


class DedupeSettings(_Setting):
    """Everything a :class:`~leadqual.dedupe.DuplicateDetector` needs to know about the records.

    ``classify`` picks the decision: ``rules`` (a pair is a duplicate when a rule fires),
    ``model`` (the Fellegi-Sunter match probability reaches ``threshold``), or ``any`` (either).
    Blocking keys that would put more than ``max_block_size`` records together are dropped as
    non-discriminating (and reported).
    """

    id_column: str = "id"
    fields: Annotated[tuple[FieldSpec, ...], Field(min_length=1)]
    blocking: Annotated[tuple[BlockingKey, ...], Field(min_length=1)]
    comparisons: Annotated[tuple[Comparison, ...], Field(min_length=1)]
    rules: tuple[Rule, ...] = ()
    classify: Literal["rules", "model", "any"] = "rules"
    threshold: Annotated[float, Field(gt=0, lt=1)] = 0.5
    max_block_size: Annotated[int, Field(ge=2)] = 1000
    identifying: tuple[str, ...] = ()
    """Comparisons that identify a person (name, date of birth, a national id), as opposed to
    low-entropy ones many people share (state, suburb, street, postcode). When set, a pair on
    which no identifying comparison agrees (each is missing or below its lowest level) is never
    a match, whatever the other fields say: the learned model gives it probability 0 (see
    :class:`~leadqual.dedupe.FellegiSunter`). A shared address is a household, not a person."""
    cut_margin: Annotated[float, Field(gt=0)] | None = 20.0
    """When the model classifies: a link (a duplicate pair) whose removal splits its cluster in
    two, and whose match weight is more than this many bits below the median weight of the
    cluster's links, is cut; the cut links are reported
    (:attr:`~leadqual.dedupe.DuplicateReport.cut_links`). ``None`` keeps every link."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("two fields share a name")
        known = set(names)
        for key in self.blocking:
            missing = set(key.fields) - known
            if missing:
                raise ValueError(
                    f"blocking key {key.name!r} uses unknown field(s) {sorted(missing)}"
                )
        comps = {c.name for c in self.comparisons}
        for comp in self.comparisons:
            missing = set(comp.fields) - known
            if missing:
                raise ValueError(
                    f"comparison {comp.name!r} uses unknown field(s) {sorted(missing)}"
                )
        for rule in self.rules:
            for cond in (*rule.all_of, *rule.none_of):
                if cond.comparison not in comps:
                    raise ValueError(
                        f"rule {rule.name!r} uses unknown comparison {cond.comparison!r}; "
                        f"known: {sorted(comps)}"
                    )
        unknown = set(self.identifying) - comps
        if unknown:
            raise ValueError(
                f"identifying names unknown comparison(s) {sorted(unknown)}; known: {sorted(comps)}"
            )
        if self.classify in ("rules", "any") and not self.rules:
            raise ValueError(f"classify={self.classify!r} needs at least one rule")
        return self

    def comparison(self, name: str, /) -> Comparison:
        """The comparison called ``name``."""
        for comp in self.comparisons:
            if comp.name == name:
                return comp
        raise ConfigurationError(f"no comparison named {name!r}")

    def exact_keys(self) -> tuple[BlockingKey, ...]:
        """The exact keys that still pair records inside a block too common to pair in full
        (more than ``max_block_size`` records): those of :data:`EXACT_FIELDS` whose fields the
        settings have (normalised email, phone, or name and company), else one key on every
        field (the whole record). One machine and Spark split such blocks by these same keys."""
        names = {f.name for f in self.fields}
        keys = tuple(
            BlockingKey(name="exact_" + "_".join(fields), fields=fields)
            for fields in EXACT_FIELDS
            if set(fields) <= names
        )
        if keys:
            return keys
        return (BlockingKey(name="exact_record", fields=tuple(f.name for f in self.fields)),)

    def with_rules(self, rules: Sequence[Rule], /) -> DedupeSettings:
        """A validated copy with other rules (for instance the defaults plus one of your own)."""
        data = self.model_dump()
        data["rules"] = [r.model_dump() for r in rules]
        return DedupeSettings.model_validate(data)


# -- presets ------------------------------------------------------------------------------------


def _person_fields(*, extra: Sequence[FieldSpec] = ()) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec(name="given", kind="given_name", source="first_name"),
        FieldSpec(name="family", kind="family_name", source="last_name"),
        FieldSpec(name="email", kind="email", source="emails"),
        FieldSpec(name="email_domain", kind="email_domain", source="emails"),
        FieldSpec(name="phone", kind="phone", source="phones", region_source="country"),
        *extra,
    )


_NAME = Comparison(name="name", fields=("given", "family"), method="person_name")
_EMAIL = Comparison(name="email", fields=("email",), method="exact", levels=())
_PHONE = Comparison(name="phone", fields=("phone",), method="exact", levels=())
_DOMAIN = Comparison(name="email_domain", fields=("email_domain",), method="exact", levels=())
_COMPANY = Comparison(name="company", fields=("company",), method="company", levels=(0.9, 0.75))
_CLEARLY_OTHER_PERSON = Condition(comparison="name", at_least=None, below=0.6)


def _seed_rules(
    *, name_threshold: float, company_threshold: float, company_rule: bool = True
) -> tuple[Rule, ...]:
    rules = [
        Rule(
            name="same_email",
            kind="matchcode",
            all_of=(Condition(comparison="email"),),
            description="the same email address (case, and dots/plus tags where the provider "
            "ignores them, do not matter)",
        ),
        Rule(
            name="same_phone",
            kind="matchcode",
            all_of=(Condition(comparison="phone"),),
            # A switchboard number shared by colleagues is not a duplicate person.
            none_of=(_CLEARLY_OTHER_PERSON,),
            description="the same phone number in E.164 form, unless the names are clearly "
            "different people",
        ),
    ]
    if company_rule:
        rules.append(
            Rule(
                name="similar_name_company",
                kind="fuzzy",
                all_of=(
                    Condition(comparison="name", at_least=name_threshold),
                    Condition(comparison="company", at_least=company_threshold),
                ),
                description="a similar person name (nicknames allowed) at a similar company name",
            )
        )
    rules.append(
        Rule(
            name="similar_name_domain",
            kind="fuzzy",
            all_of=(
                Condition(comparison="name", at_least=name_threshold),
                Condition(comparison="email_domain"),
            ),
            description="a similar person name with the same company email domain (free-mail "
            "domains never count)",
        )
    )
    return tuple(rules)


def lead_settings(
    *,
    name_threshold: float = 0.85,
    company_threshold: float = 0.85,
    max_block_size: int = 1000,
) -> DedupeSettings:
    """The seeds' four rules for leads: same email; same phone; similar name and company name;
    similar name and the same (non free-mail) email domain.

    Input columns (as made by :func:`leadqual.dedupe.leads_frame`): ``id``, ``first_name``,
    ``last_name``, ``company_name``, ``emails`` (list), ``phones`` (list), ``country`` (to read
    local phone numbers).
    """
    fields = _person_fields(
        extra=(FieldSpec(name="company", kind="company", source="company_name"),)
    )
    return DedupeSettings(
        fields=fields,
        blocking=(
            BlockingKey(name="email", fields=("email",)),
            BlockingKey(name="phone", fields=("phone",)),
            BlockingKey(name="email_domain", fields=("email_domain",)),
            BlockingKey(name="company", fields=("company",)),
            BlockingKey(name="family_name", fields=("family",)),
            BlockingKey(name="given_family_prefix", fields=("given", "family"), prefix=3),
        ),
        comparisons=(_NAME, _EMAIL, _PHONE, _DOMAIN, _COMPANY),
        rules=_seed_rules(name_threshold=name_threshold, company_threshold=company_threshold),
        max_block_size=max_block_size,
    )


def contact_settings(
    *, name_threshold: float = 0.85, company_threshold: float = 0.85
) -> DedupeSettings:
    """Rules for matching a lead against contacts: the seeds' rules, where a contact's
    company is its account's name (column ``company_name``)."""
    return lead_settings(name_threshold=name_threshold, company_threshold=company_threshold)


def account_settings(*, company_threshold: float = 0.88) -> DedupeSettings:
    """Rules for matching a lead's company against accounts: a similar company name, a shared
    website or company email domain, or the same main phone number.

    Input columns (as made by :func:`leadqual.dedupe.accounts_frame`): ``id``,
    ``company_name``, ``domains`` (websites and email addresses: their registrable domains are
    compared, free-mail ones dropped), ``phones`` (list), ``country``.
    """
    fields = (
        FieldSpec(name="company", kind="company", source="company_name"),
        FieldSpec(name="domain", kind="website_domain", source="domains"),
        FieldSpec(name="phone", kind="phone", source="phones", region_source="country"),
    )
    return DedupeSettings(
        fields=fields,
        blocking=(
            BlockingKey(name="company", fields=("company",)),
            BlockingKey(name="company_prefix", fields=("company",), prefix=4),
            BlockingKey(name="domain", fields=("domain",)),
            BlockingKey(name="phone", fields=("phone",)),
        ),
        comparisons=(
            Comparison(name="company", fields=("company",), method="company", levels=(0.9, 0.75)),
            Comparison(name="domain", fields=("domain",), method="exact", levels=()),
            Comparison(name="phone", fields=("phone",), method="exact", levels=()),
        ),
        rules=(
            Rule(
                name="same_domain",
                kind="matchcode",
                all_of=(Condition(comparison="domain"),),
                description="the same website or company email domain",
            ),
            Rule(
                name="similar_company_name",
                all_of=(Condition(comparison="company", at_least=company_threshold),),
                description="a similar company name, legal form ignored",
            ),
            Rule(
                name="same_phone",
                kind="matchcode",
                all_of=(Condition(comparison="phone"),),
                # A shared number (a serviced office, a reseller) does not make one company.
                none_of=(Condition(comparison="company", at_least=None, below=0.6),),
                description="the same main phone number, unless the names are clearly different",
            ),
        ),
    )


FEBRL_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)


def person_record_settings(
    *,
    id_column: str = "rec_id",
    threshold: float = 0.5,
    max_block_size: int = 200,
) -> DedupeSettings:
    """Settings for FEBRL-style person records (given_name, surname, street_number, address_1,
    address_2, suburb, postcode, state, date_of_birth, soc_sec_id), classified by a
    Fellegi-Sunter model whose weights are learned from the data itself (EM).

    Blocking is several single-field keys plus sorted neighbourhoods, so a typo in one field
    never hides a pair; keys shared by more than ``max_block_size`` records are dropped. Given
    and family name are one ``person_name`` comparison (swapped order tolerated) rather than two,
    so the model does not count the same evidence twice.
    """
    text = ("given_name", "surname", "address_1", "address_2", "suburb")
    digits = ("street_number", "postcode", "date_of_birth", "soc_sec_id")
    fields = (
        *(FieldSpec(name=c, kind="text") for c in (*text, "state")),
        *(FieldSpec(name=c, kind="digits") for c in digits),
    )
    return DedupeSettings(
        id_column=id_column,
        fields=fields,
        blocking=(
            BlockingKey(name="soc_sec_id", fields=("soc_sec_id",)),
            # Date of birth alone is shared by dozens of people in a million records: paired
            # with the state here, and with names in the sorted neighbourhoods below.
            BlockingKey(name="dob_state", fields=("date_of_birth", "state")),
            BlockingKey(name="given_surname", fields=("given_name", "surname")),
            BlockingKey(name="surname_postcode", fields=("surname", "postcode")),
            BlockingKey(name="given_postcode", fields=("given_name", "postcode")),
            BlockingKey(name="address_suburb", fields=("address_1", "suburb")),
            BlockingKey(name="surname_dob_sn", fields=("surname", "date_of_birth"), window=3),
            BlockingKey(name="given_dob_sn", fields=("given_name", "date_of_birth"), window=3),
            BlockingKey(name="dob_surname_sn", fields=("date_of_birth", "surname"), window=3),
            BlockingKey(name="soc_sec_sn", fields=("soc_sec_id",), window=3),
        ),
        comparisons=(
            Comparison(
                name="name",
                fields=("given_name", "surname"),
                method="person_name",
                levels=(0.92, 0.8),
                family_only=None,
            ),
            Comparison(
                name="street_number", fields=("street_number",), method="levenshtein", levels=(0.6,)
            ),
            Comparison(name="address_1", fields=("address_1",), levels=(0.9, 0.75)),
            Comparison(name="address_2", fields=("address_2",), levels=(0.9, 0.75)),
            Comparison(name="suburb", fields=("suburb",), levels=(0.9, 0.75)),
            Comparison(name="postcode", fields=("postcode",), method="levenshtein", levels=(0.7,)),
            Comparison(name="state", fields=("state",), method="exact", levels=()),
            Comparison(
                name="date_of_birth", fields=("date_of_birth",), method="date", levels=(0.85,)
            ),
            Comparison(
                name="soc_sec_id", fields=("soc_sec_id",), method="levenshtein", levels=(0.85, 0.7)
            ),
        ),
        classify="model",
        threshold=threshold,
        max_block_size=max_block_size,
        identifying=("name", "date_of_birth", "soc_sec_id"),
    )
