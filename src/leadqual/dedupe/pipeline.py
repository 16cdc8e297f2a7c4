"""The stages of duplicate detection, each a small swappable object.

normalise (:class:`Preparer`) -> block (:class:`Blocker`) -> compare (:class:`Comparer`) ->
classify (rules: :func:`apply_rules`; learned: :class:`~leadqual.dedupe.FellegiSunter`) ->
cluster (:func:`~leadqual.dedupe.union_find_clusters`) -> explain.

Records travel between stages as :class:`Prepared` (column arrays, one row per record) and
candidate pairs as two ``int64`` arrays of row positions, so every stage is vectorised.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from leadqual._progress import Steps
from leadqual.dedupe._fork import fork_imap
from leadqual.dedupe.normalize import Normalizer, fold_text
from leadqual.dedupe.settings import BlockingKey, Comparison, DedupeSettings, FieldSpec, Rule
from leadqual.errors import ConfigurationError, ValidationFailed

__all__ = [
    "BlockingReport",
    "Blocker",
    "Comparer",
    "DroppedKey",
    "IntArray",
    "Prepared",
    "Preparer",
    "apply_rules",
    "is_placeholder",
    "placeholder_mask",
]

logger = logging.getLogger(__name__)

_NOT_DIGITS = re.compile(r"[^0-9]")
_DIGIT_SEPARATORS = re.compile(r"[\s+().\-/]")
_PLACEHOLDERS = frozenset(
    {
        "n/a", "n.a.", "n a", "none", "null", "unknown", "not known", "not available",
        "not applicable", "tbd", "tba", "-", "--", "---", "?", "??", "???", "xxx", ".", "...", "_",
    }
)  # fmt: skip
"""Words that stand for no value. Not "na", "nan" or "nil": they are also names."""
_REPEATED_DIGITS = 5
"""A value of one digit repeated this many times or more (``1111111``) is a placeholder."""


def is_placeholder(value: str, /) -> bool:
    """Whether ``value`` stands for "no value": blank, a placeholder word ("n/a", "unknown",
    "-", ...), zeros only ("0", "0000"), or one digit repeated five times or more ("1111111",
    "99999999") once spaces and separators are ignored.

    Such values neither agree nor disagree with anything: they are read as missing.

    Examples:
        >>> [is_placeholder(v) for v in ("", " N/A ", "unknown", "0", "000-000", "9999999")]
        [True, True, True, True, True, True]
        >>> [is_placeholder(v) for v in ("2222", "10", "nash", "1999-09-09")]
        [False, False, False, False]
    """
    folded = value.strip().casefold()
    if not folded or folded in _PLACEHOLDERS:
        return True
    digits = _DIGIT_SEPARATORS.sub("", folded)
    if not digits.isdigit() or not digits.isascii():
        return False
    return digits.count("0") == len(digits) or (
        len(digits) >= _REPEATED_DIGITS and digits.count(digits[0]) == len(digits)
    )


_ASCII_SPACE = np.array([ord(c) for c in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"], dtype=np.uint32)
"""The ASCII characters ``str.strip`` and ``\\s`` treat as white space."""
_ASCII_SEPARATORS = np.array([ord(c) for c in "+()./-"], dtype=np.uint32)
_WORD_CODES = tuple(
    (w, np.array([ord(c) for c in w], dtype=np.uint32)) for w in sorted(_PLACEHOLDERS)
)
_MASK_BATCH = 65_536
"""Values checked at a time (a batch is held as a fixed-width array of code points)."""


def placeholder_mask(values: Sequence[Any] | npt.NDArray[np.object_], /) -> npt.NDArray[np.bool_]:
    """:func:`is_placeholder` over many values at once (``None``, NaN and any value that is not
    text count as placeholders), vectorised over the values' code points (a value with a
    character outside ASCII is checked on its own).

    Examples:
        >>> placeholder_mask(["", " N/A ", "0", "000-000", "9999999", None, "2222", "nash"]).tolist()
        [True, True, True, True, True, True, False, False]
    """
    items = list(values)
    out = np.ones(len(items), dtype=bool)
    text = np.flatnonzero(
        np.fromiter((type(v) is str for v in items), dtype=bool, count=len(items))
    )
    for start in range(0, len(text), _MASK_BATCH):
        at = text[start : start + _MASK_BATCH]
        batch = [items[i] for i in at.tolist()]
        out[at] = _placeholder_batch(batch)
    return out


def _placeholder_batch(batch: list[str]) -> npt.NDArray[np.bool_]:
    if not batch:
        return np.zeros(0, dtype=bool)
    points = np.array(batch, dtype=str)
    width = points.dtype.itemsize // 4
    if width == 0:
        return np.ones(len(batch), dtype=bool)
    m = points.view(np.uint32).reshape(len(batch), width)
    used = m != 0  # numpy pads with NUL; a NUL in the text itself goes to the exact check
    space = np.isin(m, _ASCII_SPACE)
    digit = (m >= 48) & (m <= 57)
    ignorable = space | np.isin(m, _ASCII_SEPARATORS) | ~used
    lengths = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
    exotic = (m > 127).any(axis=1) | (used.sum(axis=1) != lengths)
    blank = (space | ~used).all(axis=1)
    # one ASCII digit, repeated, once separators and white space are ignored
    numeric = (digit | ignorable).all(axis=1) & digit.any(axis=1)
    low = np.where(digit, m, 255).min(axis=1)
    high = np.where(digit, m, 0).max(axis=1)
    same = numeric & (low == high)
    by_digits = same & ((low == 48) | (digit.sum(axis=1) >= _REPEATED_DIGITS))
    # a placeholder word once white space at the ends is stripped and ASCII letters lowered
    lower = np.where((m >= 65) & (m <= 90), m + 32, m)
    solid = used & ~space
    first = np.argmax(solid, axis=1)
    last = width - 1 - np.argmax(solid[:, ::-1], axis=1)
    size = last - first + 1
    words = np.zeros(len(batch), dtype=bool)
    rows = np.arange(len(batch))[:, None]
    for word, code in _WORD_CODES:
        fits = np.flatnonzero(~blank & (size == len(word)))
        if len(fits) == 0:
            continue
        taken = lower[rows[fits], first[fits, None] + np.arange(len(word))[None, :]]
        words[fits[(taken == code[None, :]).all(axis=1)]] = True
    out: npt.NDArray[np.bool_] = np.asarray(blank | by_digits | words, dtype=bool)
    for k in np.flatnonzero(exotic).tolist():
        out[k] = is_placeholder(batch[k])
    return out


_UNSEEN: Any = object()
_PARALLEL_PREPARE_MIN = 20_000
"""Fewest records normalised in worker processes: below, forking costs more than it saves."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]


# -- normalise --------------------------------------------------------------------------------


def _strings(values: ObjArray, multi: bool) -> tuple[ObjArray, npt.NDArray[np.bool_]]:
    if not multi:
        # Normalised single values are str or None: vectorised.
        series = pd.Series(values, dtype=object)
        missing = series.isna().to_numpy()
        return series.where(~missing, "").to_numpy(dtype=object), missing
    missing = np.fromiter((not v for v in values), dtype=bool, count=len(values))
    texts = np.empty(len(values), dtype=object)
    texts[:] = ["" if m else str(v[0]) for v, m in zip(values, missing, strict=True)]
    return texts, missing


@dataclass(frozen=True)
class Prepared:
    """Normalised records: ``ids`` and one object array per field (``None`` when missing; a
    tuple for multi-valued fields such as phones)."""

    ids: ObjArray
    columns: Mapping[str, ObjArray]
    multi: frozenset[str] = frozenset()
    """Fields whose cells are tuples of values."""
    _texts: dict[str, tuple[ObjArray, npt.NDArray[np.bool_]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _codes: dict[str, IntArray] = field(default_factory=dict, compare=False, repr=False)
    _values: dict[tuple[str, ...], tuple[IntArray, IntArray]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def value_codes(self, names: tuple[str, ...]) -> tuple[IntArray, IntArray]:
        """Each record's values of the fields ``names`` as one code (``0..k-1``; records with
        equal values, missing ones included, share a code) and, per code, the first record
        with it; computed once per tuple of fields. A comparison depends on the values only,
        so it can be computed once per distinct pair of codes."""
        if names not in self._values:
            combined: IntArray | None = None
            for name in names:
                col = self.columns[name]
                if name in self.multi:
                    # tuples are hashable: one code per distinct cell
                    codes, _ = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=False)
                else:
                    codes, _ = pd.factorize(col, use_na_sentinel=False)
                codes = codes.astype(np.int64)
                if combined is None:
                    combined = codes
                else:
                    width = np.int64(int(codes.max()) + 1 if len(codes) else 1)
                    combined, _ = pd.factorize(combined * width + codes)
                    combined = combined.astype(np.int64)
            assert combined is not None
            first = np.full(int(combined.max()) + 1 if len(combined) else 0, -1, dtype=np.int64)
            rows = np.arange(len(combined), dtype=np.int64)
            first[combined[::-1]] = rows[::-1]  # the last write per code is its first record
            self._values[names] = (combined, first)
        return self._values[names]

    def codes(self, name: str) -> IntArray:
        """The field as integer codes, one column per value of a multi-valued cell (``-1``
        pads and marks missing values), computed once per field; equal values, equal codes."""
        if name not in self._codes:
            col = self.columns[name]
            if name in self.multi:
                lengths = np.fromiter((len(c) for c in col), dtype=np.int64, count=len(col))
                width = max(1, int(lengths.max()) if len(col) else 1)
                flat = [v for c in col for v in c]
                flat_codes, _ = pd.factorize(pd.Series(flat, dtype=object))
                out = np.full((len(col), width), -1, dtype=np.int64)
                rows = np.repeat(np.arange(len(col)), lengths)
                pos = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
                out[rows, pos] = flat_codes
            else:
                single, _ = pd.factorize(pd.Series(col, dtype=object))
                out = single.astype(np.int64).reshape(-1, 1)
            self._codes[name] = out
        return self._codes[name]

    def first_words(self, name: str) -> ObjArray:
        """The first word of each value of the field ("" when missing), computed once."""
        key = "\x00first:" + name
        if key not in self._texts:
            texts, missing = self.texts(name)
            words = pd.Series(texts, dtype=object).str.split(" ", n=1).str[0]
            self._texts[key] = (words.fillna("").to_numpy(dtype=object), missing)
        return self._texts[key][0]

    def texts(self, name: str) -> tuple[ObjArray, npt.NDArray[np.bool_]]:
        """The field as strings ("" when missing; the first value of a multi-valued cell) and
        its missing mask, computed once per field."""
        if name not in self._texts:
            self._texts[name] = _strings(self.columns[name], name in self.multi)
        return self._texts[name]

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: IntArray) -> Prepared:
        """The records at ``rows``."""
        return Prepared(
            ids=self.ids[rows],
            columns={k: v[rows] for k, v in self.columns.items()},
            multi=self.multi,
        )

    def concat(self, other: Prepared) -> Prepared:
        """These records followed by ``other``'s (a field multi-valued on either side is
        multi-valued in the result, its single values becoming 1-tuples)."""
        multi = self.multi | other.multi

        def cells(side: Prepared, name: str) -> ObjArray:
            col = side.columns[name]
            if name not in multi or name in side.multi:
                return col
            out = np.empty(len(col), dtype=object)
            for i, v in enumerate(col.tolist()):
                out[i] = () if v is None else (v,)
            return out

        return Prepared(
            ids=np.concatenate([self.ids, other.ids]),
            columns={k: np.concatenate([cells(self, k), cells(other, k)]) for k in self.columns},
            multi=multi,
        )


_CONTAINERS = (list, tuple, set, frozenset, np.ndarray)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return bool(isinstance(value, str) and not value.strip())


def _number_text(value: object) -> str:
    """A number as written; a whole float (pandas reads a column of numbers with a blank as
    floats) loses its ".0", which would otherwise become a digit."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _same(raw: object, norm: str | None) -> str | None:
    """``raw`` itself when normalising did not change it, so the two share memory."""
    return raw if norm is not None and raw == norm and isinstance(raw, str) else norm


def _as_values(cell: object) -> tuple[Any, ...]:
    if isinstance(cell, (list, tuple, set, frozenset, np.ndarray)):
        return tuple(v for v in cell if not _is_missing(v))
    if _is_missing(cell) or cell is pd.NA:
        return ()
    return (cell,)


class Preparer:
    """Normalises the source columns named by the settings' :class:`FieldSpec`\\ s.

    Normalisation runs once per distinct value (a column of a million values with a hundred
    thousand distinct ones costs a hundred thousand calls).
    """

    def __init__(self, settings: DedupeSettings, normalizer: Normalizer) -> None:
        self.settings = settings
        self.normalizer = normalizer

    def _scalar(self, spec: FieldSpec) -> Callable[[Any, str | None], str | None]:
        """The normaliser of one value of the field; a placeholder ("n/a", "0", "1111111"),
        before or after normalising, is missing."""
        base = self._normalise(spec)

        def scalar(value: Any, region: str | None) -> str | None:
            if is_placeholder(_number_text(value)):
                return None
            norm = base(value, region)
            return None if norm is None or is_placeholder(norm) else norm

        return scalar

    def _many(self, spec: FieldSpec, distinct: list[Any]) -> list[str | None]:
        """What :meth:`_scalar` gives for each of ``distinct`` (values with no region), with
        the placeholder checks run over all of them at once."""
        base = self._normalise(spec)
        texts = [v if type(v) is str else _number_text(v) for v in distinct]
        before = placeholder_mask(texts)
        normed = [
            None if skip or _is_missing(v) else base(v, None)
            for v, skip in zip(distinct, before.tolist(), strict=True)
        ]
        after = placeholder_mask(normed)
        return [
            None if skip else _same(v, norm)
            for v, norm, skip in zip(distinct, normed, after.tolist(), strict=True)
        ]

    def _normalise(self, spec: FieldSpec) -> Callable[[Any, str | None], str | None]:
        n = self.normalizer
        kind = spec.kind
        if kind == "text":
            return lambda v, _r: fold_text(str(v))
        if kind == "given_name":
            return lambda v, _r: n.person_name(str(v), None).given
        if kind == "family_name":
            return lambda v, _r: n.person_name(None, str(v)).family
        if kind == "company":
            return lambda v, _r: n.company(str(v))
        if kind == "email":
            return lambda v, _r: n.email(str(v))
        if kind == "email_domain":
            return lambda v, _r: n.email_domain(str(v))
        if kind == "website_domain":
            return lambda v, _r: n.website_domain(str(v))
        if kind == "phone":
            return lambda v, r: n.phone_key(_number_text(v), r)
        if kind == "digits":
            return lambda v, _r: _NOT_DIGITS.sub("", _number_text(v)) or None
        return lambda v, _r: None if _is_missing(v) else str(v)

    def prepare_record(self, record: Mapping[str, Any], /) -> Prepared:
        """Normalise one record given as a mapping (the incremental path: no DataFrame).

        Raises:
            ValidationFailed: the id or a source column is missing.
        """
        s = self.settings
        rid = record.get(s.id_column)
        if rid is None or _is_missing(rid):
            raise ValidationFailed(f"the record has no {s.id_column!r}", field=s.id_column)
        columns: dict[str, ObjArray] = {}
        multi: set[str] = set()
        for spec in s.fields:
            if spec.column not in record:
                raise ValidationFailed(
                    f"field {spec.name!r} reads {spec.column!r}, which the record lacks",
                    field=spec.column,
                )
            region = None
            if spec.region_source is not None:
                where = record.get(spec.region_source)
                region = None if _is_missing(where) else self.normalizer.region_of(str(where))
            fn = self._scalar(spec)
            cell = record[spec.column]
            is_multi = isinstance(cell, (list, tuple, set, frozenset, np.ndarray))
            values: list[str] = []
            for v in _as_values(cell):
                norm = fn(v, region)
                if norm is not None and norm not in values:
                    values.append(norm)
            col = np.empty(1, dtype=object)
            col[0] = tuple(values) if is_multi else (values[0] if values else None)
            columns[spec.name] = col
            if is_multi:
                multi.add(spec.name)
        return Prepared(ids=np.array([rid], dtype=object), columns=columns, multi=frozenset(multi))

    def prepare(
        self, frame: pd.DataFrame, /, *, steps: Steps | None = None, workers: int = 1
    ) -> Prepared:
        """Normalise ``frame`` (one row per record, the settings' source columns); ``steps``
        advances by one per field. With ``workers`` above 1 (``-1``: one per core) and enough
        records, fields are normalised in forked worker processes, one field per task (the
        result is the same).

        Raises:
            ValidationFailed: a source column or the id column is missing, or ids repeat.
        """
        s = self.settings
        if s.id_column not in frame.columns:
            raise ValidationFailed(
                f"the records have no id column {s.id_column!r} (columns: {list(frame.columns)})",
                field=s.id_column,
            )
        ids = frame[s.id_column].to_numpy(dtype=object)
        as_text = frame[s.id_column].astype(object).astype(str)
        if pd.isna(frame[s.id_column]).any() or (as_text.str.strip() == "").any():
            raise ValidationFailed(f"some records have no {s.id_column!r}", field=s.id_column)
        # Results name records by str(id): 1 and "1" would be one record there.
        if not as_text.is_unique:
            raise ValidationFailed(f"ids in {s.id_column!r} repeat", field=s.id_column)
        for spec in s.fields:
            if spec.column not in frame.columns:
                raise ValidationFailed(
                    f"field {spec.name!r} reads column {spec.column!r}, which the records lack "
                    f"(columns: {list(frame.columns)})",
                    field=spec.column,
                )
        columns: dict[str, ObjArray] = {}
        multi: set[str] = set()
        done: Iterator[tuple[ObjArray, bool] | None] = iter(())
        if workers != 1 and len(frame) >= _PARALLEL_PREPARE_MIN and len(s.fields) > 1:
            done = fork_imap((self, frame), _prepare_one, range(len(s.fields)), workers) or done
        try:
            for spec in s.fields:
                # A field a worker could not normalise (None) is normalised here, where its
                # error, if any, is raised as it would be without workers.
                result = next(done, None)
                columns[spec.name], is_multi = (
                    result if result is not None else self.column(frame, spec)
                )
                if is_multi:
                    multi.add(spec.name)
                if steps is not None:
                    steps.advance(1, f"normalised {spec.name}")
        finally:
            close = getattr(done, "close", None)
            if close is not None:
                close()  # the workers end here, even when a progress callback raised
        return Prepared(ids=ids, columns=columns, multi=frozenset(multi))

    def column(self, frame: pd.DataFrame, spec: FieldSpec) -> tuple[ObjArray, bool]:
        """One field of ``frame`` normalised, and whether it is multi-valued.

        Raises:
            ValidationFailed: a cell is neither text, a number nor a list of them.
        """
        try:
            return self._column(frame, spec)
        except TypeError as err:  # an unhashable cell (a dict, a nested list)
            raise ValidationFailed(
                f"column {spec.column!r} holds a value that is neither text, a number nor a "
                f"list of them ({err})",
                field=spec.column,
            ) from None

    def _column(self, frame: pd.DataFrame, spec: FieldSpec) -> tuple[ObjArray, bool]:
        fn = self._scalar(spec)
        raw = frame[spec.column]
        regions: list[str | None]
        if spec.region_source is not None and spec.region_source in frame.columns:
            regions = [
                None if _is_missing(c) else self.normalizer.region_of(str(c))
                for c in frame[spec.region_source].tolist()
            ]
        else:
            regions = [None] * len(frame)
        is_multi = raw.dtype == object and any(isinstance(v, _CONTAINERS) for v in raw.head(1000))
        out = np.empty(len(frame), dtype=object)
        if not is_multi and spec.region_source is None:
            # One call per distinct value: factorize, normalise the uniques, take back.
            try:
                codes, uniques = pd.factorize(raw, use_na_sentinel=True)
            except TypeError:  # a list cell past the rows looked at above: multi-valued
                uniques = None
            if uniques is not None:
                distinct = np.asarray(uniques, dtype=object).tolist()  # no per-item indexing
                # A tuple past the first rows: multi-valued after all (the path below).
                if not any(isinstance(u, _CONTAINERS) for u in distinct):
                    normed = np.empty(len(distinct) + 1, dtype=object)
                    normed[:] = [*self._many(spec, distinct), None]
                    out[:] = normed[codes]
                    return out, False
        cache: dict[tuple[Any, str | None], str | None] = {}
        rows: list[list[str]] = []
        for cell, region in zip(raw.tolist(), regions, strict=True):
            values: list[str] = []
            if isinstance(cell, _CONTAINERS):
                is_multi = True
            items = cell if type(cell) is tuple else _as_values(cell)
            for v in items:
                key = (v, region)
                norm = cache.get(key, _UNSEEN)
                if norm is _UNSEEN:
                    norm = cache[key] = None if _is_missing(v) else fn(v, region)
                if norm is not None and norm not in values:
                    values.append(norm)
            rows.append(values)
        # Decided over every cell, so a list far down the column keeps all its values.
        for i, v in enumerate(rows):  # item by item: numpy would unpack equal-length tuples
            out[i] = tuple(v) if is_multi else (v[0] if v else None)
        return out, is_multi


# -- block --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DroppedKey:
    """A blocking key value shared by too many records to tell them apart (a switchboard phone,
    a common surname): its pairs were not all generated. Records in it that share an exact key
    (normalised email, phone, or name and company) were still paired: ``exact_pairs`` of them."""

    key: str
    records: int
    exact_pairs: int = 0


@dataclass
class BlockingReport:
    """What blocking did: candidate pairs per key and the keys dropped as non-discriminating."""

    candidates: int = 0
    pairs_per_key: dict[str, int] = field(default_factory=dict)
    dropped: list[DroppedKey] = field(default_factory=list)

    @property
    def dropped_records(self) -> int:
        """Records in dropped blocks (a record may count once per key)."""
        return sum(d.records for d in self.dropped)


def _pairs_in_groups(
    order: IntArray, starts: IntArray, sizes: IntArray
) -> tuple[IntArray, IntArray]:
    """Every pair (i < j by position) within each group of the sorted ``order``."""
    if len(sizes) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # For each position p in a group [s, s+n): partners p+1 .. s+n-1.
    first = np.cumsum(sizes) - sizes
    pos = np.repeat(starts, sizes) + (
        np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(first, sizes)
    )
    counts = np.repeat(starts + sizes, sizes) - pos - 1
    total = int(counts.sum())
    left_pos = np.repeat(pos, counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    right_pos = left_pos + 1 + offsets
    return order[left_pos], order[right_pos]


def _key_codes(left: IntArray, right: IntArray, n: np.int64) -> IntArray:
    """One key's pairs as sorted distinct ``lo * n + hi`` codes (a record paired with itself,
    as two equal values of a multi-valued cell do, is dropped)."""
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    keep = lo != hi
    codes: IntArray = lo[keep] * n + hi[keep]
    del lo, hi, keep
    # pd.unique hashes (fast on tens of millions of codes); the distinct ones are then sorted.
    out: IntArray = pd.unique(codes)
    out.sort()
    return out


def _merge_codes(seen: IntArray, new: IntArray) -> IntArray:
    """The union of two sorted arrays of distinct codes, sorted."""
    if len(seen) == 0:
        return new
    at = np.searchsorted(seen, new)
    present = seen[np.minimum(at, len(seen) - 1)] == new
    new = new[~present]
    if len(new) == 0:
        return seen
    merged = np.concatenate([seen, new])
    del seen, new
    merged.sort(kind="stable")  # two sorted runs: a linear merge
    return merged


class Blocker:
    """Generates candidate pairs: records sharing a key value, or neighbours in key order.

    Keys shared by more than ``max_block_size`` records are skipped and reported; pairs are
    returned once each, as row positions ``left < right``.
    """

    def __init__(
        self,
        keys: Sequence[BlockingKey],
        *,
        max_block_size: int,
        exact_keys: Sequence[BlockingKey] = (),
    ) -> None:
        self.keys = tuple(keys)
        self.max_block_size = max_block_size
        self.exact_keys = tuple(exact_keys)
        """Keys whose equal values make records the same one (an email address): within a
        block too common to pair in full, records sharing one are still paired, so a flood of
        identical records is never lost with the block."""

    @staticmethod
    def key_values(prepared: Prepared, key: BlockingKey) -> tuple[IntArray, ObjArray]:
        """(row, key value) for every record with a complete key; multi-valued fields expand."""
        n = len(prepared)
        rows: IntArray = np.arange(n, dtype=np.int64)
        values: ObjArray | None = None
        for name in key.fields:
            col = prepared.columns[name]
            if name in prepared.multi:
                lengths = np.fromiter((len(c) for c in col[rows]), dtype=np.int64, count=len(rows))
                flat = np.empty(int(lengths.sum()), dtype=object)
                flat[:] = [v for c in col[rows] for v in c]
                rows = np.repeat(rows, lengths)
                part = flat
                if values is not None:
                    values = np.repeat(values, lengths)
            else:
                part = col[rows]
            if key.prefix is not None:
                part = np.array(
                    [None if v is None else str(v)[: key.prefix] for v in part], dtype=object
                )
            keep = pd.notna(pd.Series(part, dtype=object)).to_numpy()
            rows, part = rows[keep], part[keep]
            values = part if values is None else values[keep] + "\x1f" + part.astype(object)
        assert values is not None
        return rows, values

    def pairs(
        self, prepared: Prepared, /, *, steps: Steps | None = None
    ) -> tuple[IntArray, IntArray, BlockingReport]:
        """Candidate pairs over ``prepared``, with a report; ``steps`` advances by one per key."""
        codes, report = self.pair_codes(prepared, steps=steps)
        n = np.int64(max(len(prepared), 1))
        return codes // n, codes % n, report

    def pair_codes(
        self, prepared: Prepared, /, *, steps: Steps | None = None, workers: int = 1
    ) -> tuple[IntArray, BlockingReport]:
        """Candidate pairs over ``prepared`` as one sorted ``int64`` per pair, ``lo * n + hi``
        (``n`` records, ``lo < hi`` row positions), with a report; ``steps`` advances by one
        per key.

        Each key's pairs are deduplicated on their own and merged into the pairs of the keys
        before: memory holds the distinct candidate pairs (eight bytes each) and a key's pairs,
        never every key's pairs at once. With ``workers`` above 1 (``-1``: one per core) and
        enough records, keys are paired in forked worker processes, a key per task (the
        result is the same).
        """
        report = BlockingReport()
        seen: IntArray = np.empty(0, dtype=np.int64)
        done: Generator[tuple[IntArray, int, list[DroppedKey]], None, None] | None = None
        if workers != 1 and len(prepared) >= _PARALLEL_PREPARE_MIN and len(self.keys) > 1:
            done = fork_imap((self, prepared), _block_one, range(len(self.keys)), workers)
        exact: dict[str, tuple[IntArray, ObjArray]] = {}
        try:
            for key in self.keys:
                codes, count, dropped = (
                    self.key_codes(prepared, key, exact) if done is None else next(done)
                )
                report.pairs_per_key[key.name] = count
                report.dropped += dropped
                seen = _merge_codes(seen, codes)
                del codes
                if steps is not None:
                    steps.advance(1, f"blocked on {key.name}")
        finally:
            if done is not None:
                done.close()  # the workers end here, even when a progress callback raised
        report.candidates = len(seen)
        return seen, report

    def key_codes(
        self,
        prepared: Prepared,
        key: BlockingKey,
        exact: dict[str, tuple[IntArray, ObjArray]] | None = None,
    ) -> tuple[IntArray, int, list[DroppedKey]]:
        """One key's pairs as sorted distinct codes (see :meth:`pair_codes`), how many pairs
        it generated, and its values dropped as too common. ``exact`` caches the exact keys'
        values between calls."""
        rows, values = self.key_values(prepared, key)
        if len(rows) < 2:
            return np.empty(0, dtype=np.int64), 0, []
        part = BlockingReport()
        if key.window is not None:
            left, right = self._window_pairs(rows, values, key.window)
        else:
            codes, _ = pd.factorize(values)
            left, right = self._block_pairs(
                rows, codes, key, part, prepared, {} if exact is None else exact
            )
        del rows, values
        return _key_codes(left, right, np.int64(len(prepared))), len(left), part.dropped

    def _block_pairs(
        self,
        rows: IntArray,
        codes: IntArray,
        key: BlockingKey,
        report: BlockingReport,
        prepared: Prepared,
        exact: dict[str, tuple[IntArray, ObjArray]],
    ) -> tuple[IntArray, IntArray]:
        sizes_all = np.bincount(codes)
        too_big = np.flatnonzero(sizes_all > self.max_block_size)
        extra_left: list[IntArray] = []
        extra_right: list[IntArray] = []
        for code in too_big:
            members = np.unique(rows[codes == code])
            lefts, rights = self._exact_pairs(members, prepared, exact)
            extra_left.append(lefts)
            extra_right.append(rights)
            report.dropped.append(
                DroppedKey(key=key.name, records=int(sizes_all[code]), exact_pairs=len(lefts))
            )
        if len(too_big):
            logger.info(
                "blocking key %s: %d value(s) shared by more than %d records dropped",
                key.name,
                len(too_big),
                self.max_block_size,
            )
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        starts_all = np.searchsorted(sorted_codes, np.arange(len(sizes_all)))
        use = (sizes_all >= 2) & (sizes_all <= self.max_block_size)
        left, right = _pairs_in_groups(
            rows[order], starts_all[use].astype(np.int64), sizes_all[use].astype(np.int64)
        )
        if extra_left:
            left = np.concatenate([left, *extra_left])
            right = np.concatenate([right, *extra_right])
        # Multi-valued keys can pair a record with itself (two phones, one number twice).
        return left, right

    def _exact_pairs(
        self,
        members: IntArray,
        prepared: Prepared,
        exact: dict[str, tuple[IntArray, ObjArray]],
    ) -> tuple[IntArray, IntArray]:
        """Within one over-common block, each record paired with the first record sharing an
        exact key with it: a star per group, so n identical records cost n - 1 pairs (not
        n(n - 1)/2) and still end in one cluster."""
        lefts: list[IntArray] = [np.empty(0, dtype=np.int64)]
        rights: list[IntArray] = [np.empty(0, dtype=np.int64)]
        for key in self.exact_keys:
            if key.name not in exact:
                exact[key.name] = self.key_values(prepared, key)
            rows, values = exact[key.name]
            inside = np.isin(rows, members)
            rows, values = rows[inside], values[inside]
            if len(rows) < 2:
                continue
            codes, _ = pd.factorize(values)
            order = np.argsort(codes, kind="stable")
            rows, codes = rows[order], codes[order]
            first = np.r_[True, codes[1:] != codes[:-1]]
            leader = rows[np.flatnonzero(first)[np.cumsum(first) - 1]]
            keep = leader != rows
            lefts.append(leader[keep])
            rights.append(rows[keep])
        n = np.int64(len(prepared))
        both: IntArray = pd.unique(np.concatenate(lefts) * n + np.concatenate(rights))
        return both // n, both % n

    @staticmethod
    def _window_pairs(rows: IntArray, values: ObjArray, window: int) -> tuple[IntArray, IntArray]:
        order = np.argsort(values.astype(str), kind="stable")
        srt = rows[order]
        lefts = [srt[:-d] for d in range(1, window) if d < len(srt)]
        rights = [srt[d:] for d in range(1, window) if d < len(srt)]
        if not lefts:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(lefts), np.concatenate(rights)


# -- compare ------------------------------------------------------------------------------------


class Comparer:
    """Computes each comparison's similarity for candidate pairs, vectorised with rapidfuzz.

    The result is a float matrix (pairs x comparisons) with ``NaN`` where a value is missing.
    """

    def __init__(
        self,
        comparisons: Sequence[Comparison],
        normalizer: Normalizer,
        *,
        workers: int = 1,
    ) -> None:
        self.comparisons = tuple(comparisons)
        self.normalizer = normalizer
        self.workers = workers

    def compare(self, prepared: Prepared, left: IntArray, right: IntArray, /) -> FloatArray:
        """Similarities of the pairs ``(left[k], right[k])`` of ``prepared``.

        Each comparison is computed once per distinct pair of values (see
        :meth:`Prepared.value_codes`): candidate pairs repeat values a great deal (a block
        shares its key; states, suburbs and street numbers recur), and the result is the same.
        """
        out = np.full((len(left), len(self.comparisons)), np.nan, dtype=np.float64)
        for j, comp in enumerate(self.comparisons):
            if comp.method == "exact" or len(left) == 0:
                out[:, j] = self.similarity(comp, prepared, prepared, left, right)
                continue
            codes, first = prepared.value_codes(comp.fields)
            width = np.int64(len(first))
            index, distinct = pd.factorize(codes[left] * width + codes[right])
            distinct = np.asarray(distinct, dtype=np.int64)
            sim = self.similarity(
                comp, prepared, prepared, first[distinct // width], first[distinct % width]
            )
            out[:, j] = sim[index]
        return out

    def similarity(
        self,
        comp: Comparison,
        a: Prepared,
        b: Prepared,
        left: IntArray,
        right: IntArray,
    ) -> FloatArray:
        """One comparison over pairs whose left side is in ``a`` and right side in ``b``."""
        if comp.method == "person_name":
            return self._person_name(comp, a, b, left, right)
        name = comp.fields[0]
        if comp.method == "exact":
            if a is b:
                return self._exact_codes(a.codes(name)[left], a.codes(name)[right])
            lv, rv = a.columns[name][left], b.columns[name][right]
            return self._exact(lv, rv, name in a.multi or name in b.multi)
        la, lma = a.texts(name)
        ra, rma = b.texts(name)
        ls, lm, rs, rm = la[left], lma[left], ra[right], rma[right]
        if comp.method == "company":
            sim = self._company(ls, rs, a.first_words(name)[left], b.first_words(name)[right])
        elif comp.method == "date":
            sim = self._date(ls, rs)
        else:
            sim = self._fuzzy(comp.method, ls, rs)
        sim[lm | rm] = np.nan
        return sim

    def _fuzzy(self, method: str, ls: ObjArray, rs: ObjArray) -> FloatArray:
        from rapidfuzz import fuzz, process
        from rapidfuzz.distance import JaroWinkler, Levenshtein

        if len(ls) == 0:
            return np.empty(0, dtype=np.float64)
        if method == "jaro_winkler":
            scorer: Any = JaroWinkler.normalized_similarity
            scale = 1.0
        elif method == "levenshtein":
            scorer, scale = Levenshtein.normalized_similarity, 1.0
        elif method == "token_set":
            scorer, scale = fuzz.token_set_ratio, 100.0
        else:  # pragma: no cover - settings validation keeps this out
            raise ConfigurationError(f"unknown comparison method {method!r}")
        sim = process.cpdist(ls, rs, scorer=scorer, dtype=np.float64, workers=self.workers)
        result: FloatArray = np.asarray(sim, dtype=np.float64) / scale
        return result

    def _company(self, ls: ObjArray, rs: ObjArray, fl: ObjArray, fr: ObjArray) -> FloatArray:
        from rapidfuzz import fuzz, process
        from rapidfuzz.distance import JaroWinkler

        if len(ls) == 0:
            return np.empty(0, dtype=np.float64)
        words = (
            np.asarray(
                process.cpdist(
                    ls, rs, scorer=fuzz.token_set_ratio, dtype=np.float64, workers=self.workers
                ),
                dtype=np.float64,
            )
            / 100.0
        )
        first = np.asarray(
            process.cpdist(
                fl,
                fr,
                scorer=JaroWinkler.normalized_similarity,
                dtype=np.float64,
                workers=self.workers,
            ),
            dtype=np.float64,
        )
        capped: FloatArray = np.minimum(words, first)
        return capped

    @staticmethod
    def _exact_codes(lc: IntArray, rc: IntArray) -> FloatArray:
        present = (lc >= 0).any(axis=1) & (rc >= 0).any(axis=1)
        same = np.zeros(len(lc), dtype=bool)
        for i in range(lc.shape[1]):
            for j in range(rc.shape[1]):
                same |= (lc[:, i] == rc[:, j]) & (lc[:, i] >= 0)
        out = np.where(same, 1.0, 0.0)
        out[~present] = np.nan
        return out

    @staticmethod
    def _exact(lv: ObjArray, rv: ObjArray, multi: bool) -> FloatArray:
        out = np.full(len(lv), np.nan, dtype=np.float64)
        if multi:
            for k, (x, y) in enumerate(zip(lv, rv, strict=True)):
                xs = x if isinstance(x, tuple) else (() if x is None else (x,))
                ys = y if isinstance(y, tuple) else (() if y is None else (y,))
                if xs and ys:
                    out[k] = 1.0 if set(xs) & set(ys) else 0.0
            return out
        present = (
            pd.notna(pd.Series(lv, dtype=object)).to_numpy()
            & pd.notna(pd.Series(rv, dtype=object)).to_numpy()
        )
        eq = lv[present] == rv[present]
        out[present] = np.asarray(eq, dtype=np.float64)
        return out

    def _date(self, ls: ObjArray, rs: ObjArray) -> FloatArray:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        if len(ls) == 0:
            return np.empty(0, dtype=np.float64)
        dist = np.asarray(
            process.cpdist(ls, rs, scorer=Levenshtein.distance, workers=self.workers),
            dtype=np.int64,
        )
        out = np.where(dist == 0, 1.0, np.where(dist == 1, 0.9, 0.0))
        # Day and month swapped (YYYYMMDD vs YYYYDDMM) is a common keying error.
        for k in np.flatnonzero(dist == 2):
            x, y = ls[k], rs[k]
            if (
                len(x) == 8
                and len(y) == 8
                and x[:4] == y[:4]
                and x[4:6] == y[6:8]
                and x[6:8] == y[4:6]
            ):
                out[k] = 0.9
        return out.astype(np.float64)

    def _person_name(
        self, comp: Comparison, a: Prepared, b: Prepared, left: IntArray, right: IntArray
    ) -> FloatArray:
        from rapidfuzz import process
        from rapidfuzz.distance import JaroWinkler

        g, f = comp.fields
        (ag, agm), (af, afm) = a.texts(g), a.texts(f)
        (bg, bgm), (bf, bfm) = b.texts(g), b.texts(f)
        lg, lgm, lf, lfm = ag[left], agm[left], af[left], afm[left]
        rg, rgm, rf, rfm = bg[right], bgm[right], bf[right], bfm[right]
        if len(lg) == 0:
            return np.empty(0, dtype=np.float64)

        def jw(x: ObjArray, y: ObjArray) -> FloatArray:
            return np.asarray(
                process.cpdist(
                    x, y, scorer=JaroWinkler.normalized_similarity, workers=self.workers
                ),
                dtype=np.float64,
            )

        gg, ff, gf, fg = jw(lg, rg), jw(lf, rf), jw(lg, rf), jw(lf, rg)
        # Nicknames (Bob/Robert) count as the same given name; only checked where they differ.
        n = self.normalizer
        # Nickname look-ups only where the family names already agree (few pairs).
        for k in np.flatnonzero((gg < 1.0) & (ff >= 0.8) & ~lgm & ~rgm):
            if n.given_names_equivalent(lg[k], rg[k]):
                gg[k] = 1.0
        direct = np.minimum(gg, ff)
        swapped = np.minimum(gf, fg)
        sim = np.maximum(direct, swapped)
        missing = lgm | rgm | lfm | rfm
        sim[missing] = np.nan
        # Only the family name on one side: some evidence, never enough for a rule on its own.
        if comp.family_only is not None:
            only_family = (lgm | rgm) & ~lfm & ~rfm
            sim[only_family] = np.minimum(ff[only_family], comp.family_only)
        return sim


# -- classify (rules) -----------------------------------------------------------------------------


def apply_rules(
    rules: Sequence[Rule], comparisons: Sequence[Comparison], similarities: FloatArray
) -> npt.NDArray[np.bool_]:
    """A boolean matrix (pairs x rules): which rules fire for each pair.

    A condition on a missing value (``NaN``) is false, so a rule never fires on absent data and
    a veto (``none_of``) never fires on it either.
    """
    index = {c.name: j for j, c in enumerate(comparisons)}
    fired = np.zeros((similarities.shape[0], len(rules)), dtype=bool)
    with np.errstate(invalid="ignore"):
        for r, rule in enumerate(rules):
            mask = np.ones(similarities.shape[0], dtype=bool)
            for cond in rule.all_of:
                mask &= _holds(similarities[:, index[cond.comparison]], cond.at_least, cond.below)
            for cond in rule.none_of:
                mask &= ~_holds(similarities[:, index[cond.comparison]], cond.at_least, cond.below)
            fired[:, r] = mask
    return fired


def _holds(sim: FloatArray, at_least: float | None, below: float | None) -> npt.NDArray[np.bool_]:
    ok = ~np.isnan(sim)
    if at_least is not None:
        ok &= sim >= at_least - 1e-12
    if below is not None:
        ok &= sim < below
    return ok


def _prepare_one(job: tuple[Preparer, pd.DataFrame], index: int) -> tuple[ObjArray, bool] | None:
    """In a worker: one field normalised, sent back compactly (a code per record and the
    distinct cells) and rebuilt in the caller's process; ``None`` when it fails (the caller
    normalises that field itself and raises its error)."""
    preparer, frame = job
    try:
        out, is_multi = preparer.column(frame, preparer.settings.fields[index])
        codes, uniques = pd.factorize(pd.Series(out, dtype=object), use_na_sentinel=True)
    except Exception:  # redone in the caller, which raises it properly
        return None
    return _Rebuilt(codes.astype(np.int64), list(uniques)), is_multi  # type: ignore[return-value]


class _Rebuilt:
    """A column sent back from a worker as codes and distinct cells, rebuilt when unpickled."""

    def __init__(self, codes: IntArray, uniques: list[Any]) -> None:
        self.codes = codes
        self.uniques = uniques

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.codes, self.uniques))


def _rebuild(codes: IntArray, uniques: list[Any]) -> ObjArray:
    table = np.empty(len(uniques) + 1, dtype=object)
    for i, cell in enumerate(uniques):  # one by one: numpy would unpack tuples
        table[i] = cell
    table[-1] = None
    out: ObjArray = table[codes]
    return out


def _block_one(job: tuple[Blocker, Prepared], index: int) -> tuple[IntArray, int, list[DroppedKey]]:
    """In a worker: one blocking key's pair codes."""
    blocker, prepared = job
    return blocker.key_codes(prepared, blocker.keys[index])
