"""Synthetic FEBRL-style person records with known duplicates, for tuning, tests and benchmarks.

Each entity has one original record and 0-5 duplicates (a skewed distribution: most entities
have none or one). Duplicates are corrupted the way FEBRL corrupts them: typos (insert, delete,
substitute, transpose), blanked fields, a space inserted inside a word, given and family name
swapped, address lines swapped, digit changes in numbers and dates.

``profile="household"`` is a second, harder generator with other parameters: people live in
households (several people sharing a surname, street address, suburb, postcode and state, with
their own given name, date of birth and national id), 0-9 duplicates per person, about three
times the blanking, blanks often written as placeholders ("n/a", "unknown", "-", "0",
"0000000"), fewer surnames, suburbs and postcodes (larger blocks) and a more skewed surname
distribution.

Examples:
    >>> records, entity = synthetic_person_records(100, seed=1)
    >>> len(records) > 100, list(records.columns)[:3]
    (True, ['rec_id', 'given_name', 'surname'])
    >>> len(true_pairs(records["rec_id"], entity)) > 0
    True
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from leadqual.dedupe.normalize import Normalizer
from leadqual.dedupe.settings import FEBRL_COLUMNS
from leadqual.errors import ValidationFailed

__all__ = ["synthetic_person_records", "true_pairs"]

_COLUMNS = FEBRL_COLUMNS
_ONSETS = (
    "b",
    "br",
    "c",
    "ch",
    "d",
    "f",
    "g",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "sh",
    "st",
    "t",
    "th",
    "v",
    "w",
    "y",
    "z",
    "",
)
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou", "y")
_CODAS = ("", "n", "r", "s", "t", "ll", "ck", "m", "nd", "rt", "ss", "ng")
_STREET_KINDS = ("street", "road", "avenue", "place", "crescent", "circuit", "close", "drive")
_STATES = ("nsw", "vic", "qld", "sa", "wa", "tas", "act", "nt")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _words(rng: np.random.Generator, n: int, syllables: tuple[int, int]) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        k = int(rng.integers(syllables[0], syllables[1] + 1))
        word = "".join(
            _ONSETS[rng.integers(len(_ONSETS))]
            + _VOWELS[rng.integers(len(_VOWELS))]
            + _CODAS[rng.integers(len(_CODAS))]
            for _ in range(k)
        )
        if len(word) >= 3:
            out.add(word)
    return sorted(out)


def _given_names() -> list[str]:
    from nicknames import name_triplets

    return sorted({t.name1 for t in name_triplets()} | {t.name2 for t in name_triplets()})


def _typo(word: str, rng: np.random.Generator) -> str:
    if not word:
        return word
    i = int(rng.integers(len(word)))
    kind = int(rng.integers(4))
    letter = _LETTERS[rng.integers(26)]
    if kind == 0:
        return word[:i] + letter + word[i:]
    if kind == 1 and len(word) > 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + letter + word[i + 1 :]
    if i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word + letter


def _digit_change(value: str, rng: np.random.Generator) -> str:
    if not value:
        return value
    i = int(rng.integers(len(value)))
    return value[:i] + str(rng.integers(10)) + value[i + 1 :]


def _split(word: str, rng: np.random.Generator) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    return word[:i] + " " + word[i:]


_PLACEHOLDER_TEXT = ("n/a", "unknown", "-", "N/A", "none")
_PLACEHOLDER_DIGITS = {
    "street_number": ("0",),
    "postcode": ("0000",),
    "date_of_birth": ("00000000", "11111111"),
    "soc_sec_id": ("0000000", "9999999", "1111111"),
}


def synthetic_person_records(
    n_entities: int,
    /,
    *,
    max_duplicates: int | None = None,
    corruptions: tuple[int, int] = (1, 3),
    seed: int = 0,
    profile: Literal["febrl", "household"] = "febrl",
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Records of ``n_entities`` people with FEBRL-style duplicates, shuffled, opaque ids.

    Args:
        n_entities: distinct people.
        max_duplicates: duplicates per person at most (0 to this, skewed towards few); default
            5 (``febrl``) or 9 (``household``).
        corruptions: how many corruptions a duplicate receives, at least and at most.
        seed: random seed.
        profile: ``febrl`` (independent people, light blanking) or ``household`` (people
            sharing addresses and surnames, more duplicates, heavy blanking with placeholders,
            larger blocks, more skewed surnames; see the module's description).

    Returns:
        The records (column ``rec_id`` plus the FEBRL columns, all strings, "" or a
        placeholder = missing) and the entity number of each record, for scoring.
    """
    household = profile == "household"
    if profile not in ("febrl", "household"):
        raise ValidationFailed(
            f"profile must be 'febrl' or 'household', got {profile!r}", field="profile"
        )
    if isinstance(n_entities, bool) or not isinstance(n_entities, int) or n_entities < 1:
        raise ValidationFailed(
            f"n_entities must be a whole number of people, at least 1, got {n_entities!r}",
            field="n_entities",
        )
    if max_duplicates is None:
        max_duplicates = 9 if household else 5
    rng = np.random.default_rng(seed)
    given_pool = np.array(_given_names(), dtype=object)
    surnames = max(1000, n_entities // 60) if household else max(2000, n_entities // 20)
    surname_pool = np.array(_words(rng, surnames, (1, 3)), dtype=object)
    street_pool = np.array(_words(rng, max(1000, n_entities // 50), (1, 3)), dtype=object)
    suburbs = max(300, n_entities // 300) if household else max(800, n_entities // 100)
    suburb_pool = np.array(_words(rng, suburbs, (2, 3)), dtype=object)
    # Zipf-like popularity: a few names are very common, as in real data.
    for pool in (given_pool, surname_pool, street_pool, suburb_pool):
        rng.shuffle(pool)

    def popular(
        pool: npt.NDArray[np.object_], n: int, exponent: float = 0.8
    ) -> npt.NDArray[np.object_]:
        weights = 1.0 / np.arange(1, len(pool) + 1) ** exponent
        picked: npt.NDArray[np.object_] = pool[
            rng.choice(len(pool), size=n, p=weights / weights.sum())
        ]
        return picked

    n = n_entities
    if household:
        # Households of 1-6 people: the address and (mostly) the surname are shared.
        sizes = rng.integers(1, 7, size=n)
        home = np.repeat(np.arange(n), sizes)[:n]
    else:
        home = np.arange(n)
    n_homes = int(home.max()) + 1 if n else 0
    # The draws come in the order of the febrl profile's first version, so its data stays the same.
    given = popular(given_pool, n)
    surname = popular(surname_pool, n_homes, 1.1 if household else 0.8)[home]
    street_number = rng.integers(1, 400, size=n_homes).astype(str).astype(object)[home]
    street = np.array(
        [
            f"{s} {_STREET_KINDS[k]}"
            for s, k in zip(
                popular(street_pool, n_homes),
                rng.integers(len(_STREET_KINDS), size=n_homes),
                strict=True,
            )
        ],
        dtype=object,
    )[home]
    address_2 = np.where(rng.random(n_homes) < 0.6, popular(street_pool, n_homes), "")[home]
    suburb = popular(suburb_pool, n_homes)[home]
    postcode = np.char.zfill(
        rng.integers(200, 2999 if household else 9999, size=n_homes).astype(str), 4
    ).astype(object)[home]
    state = np.array(_STATES, dtype=object)[rng.integers(len(_STATES), size=n_homes)][home]
    base = {
        "given_name": given,
        "surname": surname,
        "street_number": street_number,
        "address_1": street,
        "address_2": address_2,
        "suburb": suburb,
        "postcode": postcode,
        "state": state,
        "date_of_birth": np.array(
            [
                f"{y}{m:02d}{d:02d}"
                for y, m, d in zip(
                    rng.integers(1900, 2005, size=n),
                    rng.integers(1, 13, size=n),
                    rng.integers(1, 29, size=n),
                    strict=True,
                )
            ],
            dtype=object,
        ),
        "soc_sec_id": rng.integers(1_000_000, 9_999_999, size=n).astype(str).astype(object),
    }
    if household:
        # Some members keep another surname (a partner, a lodger).
        other = np.flatnonzero(rng.random(n) < 0.2)
        base["surname"][other] = popular(surname_pool, len(other), 1.1)
    base = {c: np.asarray(v, dtype=object).copy() for c, v in base.items()}

    def blank(col: str, size: int) -> list[str]:
        """Blanks: "" (febrl), or often a placeholder (household)."""
        if not household:
            return [""] * size
        words = _PLACEHOLDER_DIGITS.get(col, _PLACEHOLDER_TEXT)
        kinds = rng.random(size)
        return ["" if k < 0.6 else words[int(k * 1000) % len(words)] for k in kinds.tolist()]

    # Originals miss some values too.
    for col in ("address_2", "street_number", "date_of_birth", "soc_sec_id", "given_name"):
        blanked = np.flatnonzero(rng.random(n) < (0.08 if household else 0.02))
        base[col][blanked] = blank(col, len(blanked))
    # Skewed duplicate counts: P(k) ~ 0.45^k (febrl) or 0.7^k (household), capped.
    counts = np.minimum(rng.geometric(0.3 if household else 0.55, size=n) - 1, max_duplicates)
    entity = np.concatenate([np.arange(n), np.repeat(np.arange(n), counts)]).astype(np.int64)
    rows = {c: base[c][entity].copy() for c in _COLUMNS}
    blank_share = 0.3 if household else 0.1
    for r in range(n, len(entity)):
        for _ in range(int(rng.integers(corruptions[0], corruptions[1] + 1))):
            kind = rng.random()
            col = _COLUMNS[int(rng.integers(len(_COLUMNS)))]
            value = str(rows[col][r])
            if kind < 0.05:
                rows["given_name"][r], rows["surname"][r] = (
                    rows["surname"][r],
                    rows["given_name"][r],
                )
            elif kind < 0.08:
                rows["address_1"][r], rows["address_2"][r] = (
                    rows["address_2"][r],
                    rows["address_1"][r],
                )
            elif kind < 0.08 + blank_share:
                rows[col][r] = blank(col, 1)[0]
            elif col in ("street_number", "postcode", "date_of_birth", "soc_sec_id"):
                rows[col][r] = _digit_change(value, rng)
            elif col == "state":
                rows[col][r] = _STATES[int(rng.integers(len(_STATES)))]
            elif kind < 0.2 + blank_share:
                rows[col][r] = _split(value, rng)
            else:
                rows[col][r] = _typo(value, rng)
    order = rng.permutation(len(entity))
    frame = pd.DataFrame({c: rows[c][order] for c in _COLUMNS})
    frame.insert(0, "rec_id", [f"r{i}" for i in range(len(frame))])
    return frame, entity[order]


def true_pairs(ids: pd.Series | npt.ArrayLike, entity: npt.ArrayLike, /) -> set[frozenset[str]]:
    """Every pair of ids that belong to one entity."""
    frame = pd.DataFrame({"id": np.asarray(ids, dtype=object), "entity": np.asarray(entity)})
    out: set[frozenset[str]] = set()
    for members in frame.groupby("entity")["id"].apply(list):
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                out.add(frozenset((str(a), str(b))))
    return out


_LEGAL = ("Inc.", "LLC", "Ltd", "GmbH", "Corp.", "plc", "B.V.", "S.A.", "")
_SECTORS = (
    "Pharma",
    "Digital",
    "Ledger",
    "Components",
    "Outfitters",
    "Wealth",
    "Care",
    "Pay",
    "Industries",
    "Savings",
    "Biotech",
    "Logistics",
    "Foods",
    "Energy",
    "Systems",
)
_AREAS = ("212", "312", "415", "512", "617", "206", "303", "404", "713", "305", "646", "818")
_FREE = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com")


def _nickname_table() -> dict[str, list[str]]:
    from nicknames import name_triplets

    table: dict[str, list[str]] = {}
    for t in name_triplets():
        if t.relationship == "has_nickname":
            table.setdefault(t.name1, []).append(t.name2)
    return table


_LEAD_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "company_name",
    "emails",
    "phones",
    "country",
    "website",
)


def synthetic_leads(
    n_leads: int, /, *, duplicate_share: float = 0.1, seed: int = 0
) -> tuple[pd.DataFrame, list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Leads shaped like :func:`~leadqual.dedupe.leads_frame`'s table, with planted duplicates
    of the seeds' four kinds and look-alikes (same surname and company, another person).

    Returns:
        The table (``n_leads`` rows), the planted duplicates as ``(kind, id, id)`` and the
        look-alike pairs.
    """
    if isinstance(n_leads, bool) or not isinstance(n_leads, int) or n_leads < 0:
        raise ValidationFailed(
            f"n_leads must be a whole number, at least 0, got {n_leads!r}", field="n_leads"
        )
    if not 0 <= duplicate_share <= 0.45:
        # Each duplicate and look-alike copies a distinct original lead.
        raise ValidationFailed(
            f"duplicate_share must be between 0 and 0.45, got {duplicate_share!r}",
            field="duplicate_share",
        )
    rng = np.random.default_rng(seed)
    nick = _nickname_table()
    formal = np.array(sorted(nick), dtype=object)
    surnames = np.array(_words(rng, max(5000, n_leads // 10), (2, 3)), dtype=object)
    company_words = np.array(_words(rng, max(3000, n_leads // 20), (2, 3)), dtype=object)
    n_companies = max(50, n_leads // 5)
    comp_word = company_words[rng.integers(len(company_words), size=n_companies)]
    comp_sector = np.array(_SECTORS, dtype=object)[rng.integers(len(_SECTORS), size=n_companies)]
    comp_legal = np.array(_LEGAL, dtype=object)[rng.integers(len(_LEGAL), size=n_companies)]
    comp_name = [
        f"{w.title()} {s} {lg}".strip()
        for w, s, lg in zip(comp_word, comp_sector, comp_legal, strict=True)
    ]
    comp_domain = [
        f"{w}{s.lower()}{i}.com"
        for i, (w, s) in enumerate(zip(comp_word, comp_sector, strict=True))
    ]
    n_dup = int(n_leads * duplicate_share)
    # One look-alike at least where there is an original for it; each duplicate and look-alike
    # needs an original of its own.
    n_look = max(1, n_dup // 10) if n_leads >= 2 else 0
    n_dup = max(0, min(n_dup, n_leads // 2 - n_look))
    n_base = n_leads - n_dup - n_look
    first = formal[rng.integers(len(formal), size=n_base)]
    last = surnames[rng.integers(len(surnames), size=n_base)]
    company = rng.integers(n_companies, size=n_base)
    # A unique phone per base lead (sampled without replacement from 12 areas x 8M numbers).
    numbers = rng.choice(len(_AREAS) * 8_000_000, size=n_base, replace=False)
    rows: list[dict[str, object]] = []
    for i in range(n_base):
        f, ln, c = str(first[i]), str(last[i]), int(company[i])
        area = _AREAS[int(numbers[i] // 8_000_000)]
        rest = int(numbers[i] % 8_000_000) + 2_000_000
        rows.append(
            {
                "id": f"B{i}",
                "first_name": f.title(),
                "last_name": ln.title(),
                "company_name": comp_name[c],
                "emails": (f"{f}.{ln}{i}@{comp_domain[c]}",),
                "phones": (f"+1 ({area}) {rest // 10000:03d}-{rest % 10000:04d}",),
                "country": "US",
                "website": f"https://www.{comp_domain[c]}",
            }
        )
    planted: list[tuple[str, str, str]] = []
    kinds = ("same_email", "same_phone", "similar_name_company", "similar_name_domain")
    sources = rng.choice(n_base, size=n_dup + n_look, replace=False)
    for k in range(n_dup):
        src = rows[int(sources[k])]
        kind = kinds[k % 4]
        f, ln = str(src["first_name"]).lower(), str(src["last_name"])
        new_id = f"D{k}"
        dup = dict(src, id=new_id)
        email = str(src["emails"][0])  # type: ignore[index]
        local, _, dom = email.partition("@")
        if kind == "same_email":
            dup.update(emails=(local.title() + "@" + dom.upper(),), phones=())
        elif kind == "same_phone":
            digits = "".join(ch for ch in str(src["phones"][0]) if ch.isdigit())[1:]  # type: ignore[index]
            dup.update(
                emails=(f"{f}{k}@{_FREE[k % len(_FREE)]}",),
                phones=(f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",),
                company_name=None,
            )
        else:
            nicks = nick.get(f, [])
            given = (nicks[k % len(nicks)] if nicks else f).title()
            if kind == "similar_name_company":
                base_name = (
                    str(src["company_name"]).rsplit(" ", 1)[0]
                    if str(src["company_name"]).count(" ") >= 2
                    else str(src["company_name"])
                )
                dup.update(
                    first_name=given,
                    company_name=base_name.upper() if k % 2 else base_name + " Group",
                    emails=(f"{given.lower()}.{ln.lower()}{k}@{_FREE[k % len(_FREE)]}",),
                    phones=(),
                )
            else:
                dup.update(
                    first_name=given,
                    company_name=None,
                    emails=(f"{given.lower()[0]}{ln.lower()}{k}x@{dom}",),
                    phones=(),
                )
        rows.append(dup)
        planted.append((kind, str(src["id"]), new_id))
    norm = Normalizer()
    look_alikes: list[tuple[str, str]] = []
    for k in range(n_look):
        src = rows[int(sources[n_dup + k])]
        f = str(src["first_name"]).lower()
        # Another person: a different initial, and not a nickname of the same name (Bill is
        # William's nickname: that would be a duplicate, not a look-alike).
        other = next(
            x
            for x in formal[rng.integers(len(formal), size=50)]
            if str(x)[0] != f[0] and not norm.given_names_equivalent(str(x), f)
        )
        email = str(src["emails"][0])  # type: ignore[index]
        new_id = f"X{k}"
        rows.append(
            dict(
                src,
                id=new_id,
                first_name=str(other).title(),
                emails=(f"{other}.{str(src['last_name']).lower()}x{k}@{email.partition('@')[2]}",),
                phones=(),
            )
        )
        look_alikes.append((str(src["id"]), new_id))
    order = rng.permutation(len(rows))
    # The columns named, so an empty table has them too.
    frame = pd.DataFrame([rows[i] for i in order], columns=_LEAD_COLUMNS)
    return frame, planted, look_alikes
