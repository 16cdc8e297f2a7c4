"""Tables in: leads (and their accounts, contacts and activities) from CSV, Parquet or DataFrames.

A CRM export becomes validated :class:`~leadqual.models.Lead` records in a few lines, with a
report of every row that could not be read. The pieces:

* :class:`LeadMapping` says which column feeds which field, how to read values (status names,
  date formats, time zone, phone region), and is frozen so it can be saved and reused.
  :func:`preset_mapping` builds one for a known export (Dynamics 365, Salesforce, HubSpot);
  :func:`guess_mapping` proposes one for any table.
* :func:`leads_from_frame` turns a DataFrame into a :class:`LoadResult`: the leads, and a
  :class:`RowProblem` for each cell that was not read (row number as in the file, column, value,
  reason). Good rows load; nothing is dropped without a line in the report.
* :func:`iter_lead_batches` streams a file batch by batch, memory flat in the file's size.
* :class:`TabularSource` is a :class:`~leadqual.sources.CrmSource` over such tables.

Examples:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "First Name": ["Ada", "Alan"], "Last Name": ["Lovelace", "Turing"],
    ...     "Company": ["Analytical Ltd", "Bletchley"], "Created On": ["2025-03-01", "soon"],
    ... })
    >>> result = leads_from_frame(frame)
    >>> [lead.full_name for lead in result.records]
    ['Ada Lovelace']
    >>> p = result.problems[0]
    >>> (p.row, p.column, p.value, p.skipped)
    (3, 'Created On', 'soon', True)
"""

from __future__ import annotations

import contextlib
import gc
import logging
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import UnionType
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar, Union, get_args, get_origin

import numpy as np
import pandas as pd
from nameparser import HumanName
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from rapidfuzz import fuzz, process

from leadqual._base import FrozenModel, to_utc
from leadqual._geo import country_code
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import (
    Account,
    Activity,
    Address,
    Appointment,
    ChatMessage,
    Contact,
    EmailMessage,
    Lead,
    LeadStatus,
    PhoneCall,
    RecordRef,
    Seller,
    Task,
)
from leadqual.sources import _cells, _fast
from leadqual.sources._columns import (
    DEFAULT_LEAD_SOURCES,
    DEFAULT_STATUS_VALUES,
    PRESET_COLUMNS,
    PRESET_NOTES,
    best_matches,
    header_key,
    value_key,
)
from leadqual.sources._files import Chunk, TableInput, canonical_columns, iter_chunks
from leadqual.sources.lead_table import (
    LEAD_TABLE_COLUMNS,
    PHONE_KINDS,
    lead_table,
    leads_from_table,
    python_values,
    record_data,
    typed_table,
)
from leadqual.sources.lead_table import (
    STATUS_DTYPE as _STATUS_DTYPE,
)
from leadqual.sources.memory import MemorySource

__all__ = [
    "PRESETS",
    "AccountMapping",
    "ActivityMapping",
    "ContactMapping",
    "LeadMapping",
    "LoadResult",
    "MappingGuess",
    "RowProblem",
    "TableInput",
    "TabularSource",
    "guess_mapping",
    "iter_lead_batches",
    "leads_from_frame",
    "preset_mapping",
    "read_lead_table",
    "records_from_frame",
]

logger = logging.getLogger(__name__)

PRESETS: Mapping[str, str] = PRESET_NOTES
"""The known exports, by preset name: ``dynamics365``, ``salesforce`` (API names),
``salesforce_report`` (report labels) and ``hubspot``. See :func:`preset_mapping`."""

_R = TypeVar("_R", bound=BaseModel)
_T = TypeVar("_T")
_CHUNK_ROWS = 50_000
_PHONE_KINDS = ("business", "mobile", "home", "other")
_IDENTITY = ("first_name", "last_name", "company_name", "email")


# -- mappings -------------------------------------------------------------------------------------


class _TableMapping(FrozenModel):
    """Which column feeds which field, and how cells are read. Shared by the record kinds."""

    _model: ClassVar[type[BaseModel]]
    _person: ClassVar[bool] = False

    columns: Mapping[str, str] = Field(default_factory=dict)
    """Field -> source column. Nested fields are dotted: ``address.city``, ``phones.mobile``
    (kinds: business, mobile, home, other), ``custom_fields.<name>``; ``full_name`` (people only)
    is split into first and last name when those are not given."""
    date_formats: tuple[str, ...] = ()
    """``strftime`` formats tried first for every date column (then ISO 8601 and common ones)."""
    dayfirst: bool = False
    """Read ``03/04/2025`` as 3 April (day first) rather than 4 March."""
    timezone: str = "UTC"
    """IANA zone of dates written without an offset (``Europe/Berlin``); stored in UTC."""
    default_country: str | None = None
    """Country (name or ISO code) of phone numbers written without ``+``, for rows with no
    readable country of their own."""
    normalize_phones: bool = True
    """Write phone numbers the library can read in E.164 (``+493012345678``)."""
    id_prefix: str = "row-"
    """Prefix of the ids made for rows without one (see :func:`records_from_frame`)."""
    max_cell_chars: Annotated[int, Field(gt=0)] = 100_000
    """A longer cell is reported and its row skipped."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'"
            ) from None
        return value

    @field_validator("default_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = country_code(value)
        if code is None:
            raise ValueError(f"unknown country {value!r}; use an ISO code such as 'DE'")
        return code

    @model_validator(mode="after")
    def _known_targets(self) -> _TableMapping:
        for target in self.columns:
            problem = _target_problem(self._target_model(), target, person=self._person)
            if problem:
                known = _target_names(self._target_model(), person=self._person)
                close = process.extract(target, known, scorer=fuzz.WRatio, limit=3, score_cutoff=70)
                hint = f"; did you mean {', '.join(repr(c[0]) for c in close)}?" if close else ""
                raise ValueError(f"{problem}{hint}")
        return self

    def _target_model(self) -> type[BaseModel]:
        return self._model


class LeadMapping(_TableMapping):
    """How a table's columns become :class:`~leadqual.models.Lead` fields.

    Status cells are looked up in ``status_values`` (case, accents and punctuation ignored), then
    in the values Dynamics 365, Salesforce and HubSpot ship ("Open - Not Contacted",
    "Closed - Converted", "Cannot Contact", "UNQUALIFIED"...); a status found in neither is
    reported and its row skipped. Lead sources are looked up in ``lead_source_values`` and kept as
    written when not found.

    Examples:
        >>> mapping = LeadMapping(
        ...     columns={"first_name": "Vorname", "last_name": "Nachname", "created_at": "Erstellt"},
        ...     dayfirst=True, timezone="Europe/Berlin", default_country="DE",
        ...     status_values={"in Bearbeitung": LeadStatus.OPEN},
        ... )
        >>> mapping.default_country
        'DE'
    """

    _model: ClassVar[type[BaseModel]] = Lead
    _person: ClassVar[bool] = True

    status_values: Mapping[str, LeadStatus] = Field(default_factory=dict)
    """Status cell -> status, for values beyond the vendors' defaults."""
    lead_source_values: Mapping[str, str] = Field(default_factory=dict)
    """Lead source cell -> the name to store (``{"Web": "Web form"}``)."""
    id_prefix: str = "lead-"


class ContactMapping(_TableMapping):
    """How a table's columns become :class:`~leadqual.models.Contact` fields."""

    _model: ClassVar[type[BaseModel]] = Contact
    _person: ClassVar[bool] = True
    id_prefix: str = "contact-"


class AccountMapping(_TableMapping):
    """How a table's columns become :class:`~leadqual.models.Account` fields."""

    _model: ClassVar[type[BaseModel]] = Account
    id_prefix: str = "account-"


_ACTIVITY_KINDS: Mapping[str, type[BaseModel]] = {
    "email": EmailMessage,
    "chat": ChatMessage,
    "appointment": Appointment,
    "phone_call": PhoneCall,
    "task": Task,
}


class ActivityMapping(_TableMapping):
    """How a table of one kind of activity (``phone_call``, ``email``...) becomes records.

    The record an activity regards is two columns: ``regarding.kind`` (lead, contact, account,
    opportunity) and ``regarding.id``; ``regarding_kind`` fills the kind when no column does.

    Examples:
        >>> calls = ActivityMapping(kind="phone_call", regarding_kind="lead", columns={
        ...     "regarding.id": "Lead", "started_at": "Date", "direction": "Direction",
        ...     "answered": "Answered"})
        >>> calls.kind
        'phone_call'
    """

    kind: Literal["email", "chat", "appointment", "phone_call", "task"]
    regarding_kind: Literal["lead", "contact", "account", "opportunity"] | None = None
    id_prefix: str = "activity-"

    def _target_model(self) -> type[BaseModel]:
        return _ACTIVITY_KINDS[self.kind]


def _target_names(model: type[BaseModel], *, person: bool) -> list[str]:
    names = [
        n
        for n in model.model_fields
        if n not in ("address", "phones", "custom_fields", "kind", "regarding")
    ]
    if "address" in model.model_fields:
        names += [f"address.{f}" for f in Address.model_fields]
    if "phones" in model.model_fields:
        names += [f"phones.{k}" for k in _PHONE_KINDS]
    if "regarding" in model.model_fields:
        names += ["regarding.kind", "regarding.id"]
    if person:
        names.append("full_name")
    return names


_LEAD_TARGETS: tuple[str, ...] = tuple(_target_names(Lead, person=True))
"""What a lead table's column can feed, named as :class:`LeadMapping` names them."""


def _target_problem(model: type[BaseModel], target: str, *, person: bool) -> str | None:
    head, _, tail = target.partition(".")
    if head == "custom_fields" and "custom_fields" in model.model_fields:
        return None if tail and "." not in tail else "write a custom field as custom_fields.<name>"
    if target in _target_names(model, person=person):
        return None
    return f"{model.__name__} has no field {target!r}"


# -- results --------------------------------------------------------------------------------------


class RowProblem(FrozenModel):
    """A cell (or a whole row) that could not be read as it is.

    Examples:
        >>> RowProblem(row=7, column="Created On", value="31/02/2025", reason="not a date",
        ...            skipped=True).row
        7
    """

    row: int
    """Row number in the file, the header being row 1 (as a spreadsheet numbers it). For a
    DataFrame, its position plus 2, as if it had been written to a file with a header."""
    column: str | None
    """The source column, or ``None`` when the problem is the whole row."""
    value: str | None
    """The cell as written (cut to 200 characters)."""
    reason: str
    skipped: bool
    """True when the row was not loaded; False when it loaded without this value (or, for a
    missing id or creation date, with one made up as documented)."""


class LoadResult(Generic[_R]):
    """The records a table held, and the problems met reading it.

    ``len(records) + len(skipped_rows) == rows``: every row read is either loaded or reported.

    A lead import read column by column (:func:`read_lead_table`, :func:`iter_lead_batches`,
    :func:`leads_from_frame`) also holds :attr:`table`, the :mod:`lead table
    <leadqual.sources.lead_table>` of the loaded rows; its :attr:`records` are then made from
    that table the first time they are asked for.
    """

    __slots__ = ("_records", "_table", "blank_rows", "mapping", "notes", "problems", "rows")

    _records: tuple[_R, ...] | None
    _table: pd.DataFrame | None
    problems: tuple[RowProblem, ...]
    rows: int
    """Rows read, blank rows not counted."""
    blank_rows: int
    """Rows with no value at all (not records, not reported)."""
    mapping: _TableMapping | None
    """The mapping used (useful when it was guessed)."""
    notes: tuple[str, ...]
    """Remarks about the whole table (a guessed mapping, a field no column feeds...)."""

    def __init__(
        self,
        records: Sequence[_R] | None = (),
        problems: Sequence[RowProblem] = (),
        rows: int = 0,
        blank_rows: int = 0,
        mapping: _TableMapping | None = None,
        notes: Sequence[str] = (),
        *,
        table: pd.DataFrame | None = None,
    ) -> None:
        if records is None and table is None:
            raise ConfigurationError("a LoadResult needs its records, its table, or both")
        set_ = object.__setattr__
        set_(self, "_records", None if records is None else tuple(records))
        set_(self, "_table", table)
        set_(self, "problems", tuple(problems))
        set_(self, "rows", rows)
        set_(self, "blank_rows", blank_rows)
        set_(self, "mapping", mapping)
        set_(self, "notes", tuple(notes))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"LoadResult is read-only: {name} cannot be set")

    def __repr__(self) -> str:
        count = len(self._table) if self._table is not None else len(self.records)
        return (
            f"LoadResult(records={count}, problems={len(self.problems)}, rows={self.rows}, "
            f"blank_rows={self.blank_rows})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LoadResult):
            return NotImplemented
        return (
            self.records == other.records
            and self.problems == other.problems
            and (self.rows, self.blank_rows, self.mapping, self.notes)
            == (other.rows, other.blank_rows, other.mapping, other.notes)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def records(self) -> tuple[_R, ...]:
        """The records loaded, in file order (made from :attr:`table` on first use when the
        import was read column by column)."""
        if self._records is None:
            assert self._table is not None
            built: tuple[Any, ...] = tuple(leads_from_table(self._table))
            object.__setattr__(self, "_records", built)
            return built
        return self._records

    @property
    def table(self) -> pd.DataFrame | None:
        """The lead table of the loaded rows, for an import read column by column (else
        ``None``)."""
        return self._table

    @property
    def skipped_rows(self) -> tuple[int, ...]:
        """Rows not loaded, in file order."""
        return tuple(sorted({p.row for p in self.problems if p.skipped}))

    def problem_frame(self) -> pd.DataFrame:
        """The problems as a table (``row, column, value, reason, skipped``), e.g. to save as CSV."""
        return pd.DataFrame(
            [p.model_dump() for p in self.problems],
            columns=["row", "column", "value", "reason", "skipped"],
        )

    @classmethod
    def combine(cls, parts: Iterable[LoadResult[_R]]) -> LoadResult[_R]:
        """One result from the results of consecutive batches (their tables joined when every
        batch has one; records made from them only when asked for)."""
        items = list(parts)
        problems: list[RowProblem] = []
        rows = blank = 0
        mapping = None
        notes: dict[str, None] = {}
        for part in items:
            problems.extend(part.problems)
            rows += part.rows
            blank += part.blank_rows
            mapping = mapping or part.mapping
            notes.update(dict.fromkeys(part.notes))
        table = None
        records: list[_R] | None = None
        if items and all(p._table is not None for p in items):
            tables = [p._table for p in items if p._table is not None]
            table = _concat_tables(tables)
            if all(p._records is not None for p in items):
                records = [r for p in items for r in p.records]
        else:
            records = [r for p in items for r in p.records]
        return cls(records, tuple(problems), rows, blank, mapping, tuple(notes), table=table)


def _concat_tables(tables: list[pd.DataFrame]) -> pd.DataFrame:
    if len(tables) == 1:
        return tables[0]
    custom = sorted({c for t in tables for c in t.columns if c not in LEAD_TABLE_COLUMNS})
    if any(list(t.columns[len(LEAD_TABLE_COLUMNS) :]) != custom for t in tables):
        tables = [t.reindex(columns=[*LEAD_TABLE_COLUMNS, *custom]) for t in tables]
    joined = pd.concat(tables, ignore_index=True)
    return joined.astype(dict.fromkeys(custom, object)) if custom else joined


class MappingGuess(FrozenModel):
    """A proposed :class:`LeadMapping`, with what it could not place.

    Examples:
        >>> import pandas as pd
        >>> guess = guess_mapping(pd.DataFrame(columns=["Vorname", "Nachname", "Firma", "Hobby"]))
        >>> dict(guess.mapping.columns)
        {'first_name': 'Vorname', 'last_name': 'Nachname', 'company_name': 'Firma'}
        >>> guess.unmapped_columns
        ('Hobby',)
    """

    mapping: LeadMapping
    preset: str | None = None
    """The known export the header matched, if any."""
    scores: Mapping[str, float] = Field(default_factory=dict)
    """Field -> how sure the match is, 0-100 (100: a preset's or a synonym's exact name)."""
    unmapped_columns: tuple[str, ...] = ()
    """Columns no field reads."""
    empty_fields: tuple[str, ...] = ()
    """Lead fields no column feeds (``created_at`` then defaults to the import time, ``id`` is
    made from the row, see :func:`records_from_frame`)."""
    notes: tuple[str, ...] = ()


# -- presets and guessing -------------------------------------------------------------------------


def _resolve(columns: Iterable[str], candidates: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(header_key(c), str(c))
    out: dict[str, str] = {}
    for target, names in candidates.items():
        for name in names:
            found = by_key.get(header_key(name))
            if found is not None:
                out[target] = found
                break
    return out


def preset_mapping(name: str, columns: Iterable[str], /, **options: Any) -> LeadMapping:
    """The mapping of a known export (:data:`PRESETS`) for a table with these ``columns``: each
    field reads the first of the vendor's names for it that the table has. ``options`` are
    further :class:`LeadMapping` settings (``dayfirst``, ``timezone``...).

    Raises:
        ConfigurationError: an unknown preset, or a table that has none of its columns.

    Examples:
        >>> m = preset_mapping("salesforce", ["Id", "FirstName", "LastName", "Company", "Status"])
        >>> m.columns["company_name"], m.columns["id"]
        ('Company', 'Id')
    """
    if name not in PRESET_COLUMNS:
        raise ConfigurationError(
            f"no preset {name!r}; the presets are {', '.join(sorted(PRESET_COLUMNS))}"
        )
    cols = [str(c) for c in columns]
    found = _resolve(cols, PRESET_COLUMNS[name])
    if not found:
        raise ConfigurationError(
            f"the table has none of the {name} preset's columns; its columns are "
            f"{', '.join(repr(c) for c in cols[:12])}"
        )
    _drop_redundant(found)
    return LeadMapping(columns=found, **options)


def _drop_redundant(found: dict[str, str]) -> None:
    # Names are split from the full name only when the table has no first/last name columns, and
    # a status reason column is not also the status when a status column exists.
    if "first_name" in found or "last_name" in found:
        found.pop("full_name", None)
    if found.get("status") == found.get("status_reason"):
        found.pop("status_reason", None)


def guess_mapping(frame: pd.DataFrame, /) -> MappingGuess:
    """Propose a :class:`LeadMapping` for a table: the known export its header matches best,
    then the remaining columns by name (English, German, French and Spanish synonyms, matched
    fuzzily with rapidfuzz). The sample's dates decide ``dayfirst``.

    Check the guess (``unmapped_columns``, ``empty_fields``) before loading a large file.
    """
    frame = canonical_columns(frame, what="the frame")
    columns = [str(c) for c in frame.columns]
    # A column already named as the field it holds (the lead table's own names: ``company_name``,
    # ``address.city``, ``phones.mobile``) is that field, whatever a preset would make of it.
    canonical = {c: c for c in columns if c in _LEAD_TARGETS}
    others = [c for c in columns if c not in canonical]
    preset, found = None, {}
    best = 0
    for name, candidates in PRESET_COLUMNS.items():
        matched = _resolve(others, {t: n for t, n in candidates.items() if t not in canonical})
        # A vendor's own spelling of its columns (API names) beats generic labels shared by all.
        exact = sum(
            1 for c in matched.values() if c in {n for ns in candidates.values() for n in ns}
        )
        rank = len(matched) * 2 + exact
        if len(matched) >= 3 and rank > best:
            preset, found, best = name, matched, rank
    found = {**canonical, **found}
    scores: dict[str, float] = dict.fromkeys(found, 100.0)
    rest = [c for c in columns if c not in found.values()]
    targets = [t for t in _LEAD_TARGETS if t not in found]
    for target, (column, score) in best_matches(rest, targets=targets).items():
        found[target] = column
        scores[target] = score
    _drop_redundant(found)
    scores = {t: s for t, s in scores.items() if t in found}
    notes: list[str] = []
    dayfirst = _dayfirst_in_sample(
        frame, [found[t] for t in ("created_at", "modified_at", "closed_at") if t in found]
    )
    if dayfirst:
        notes.append("dates are written day first (a first number above 12 in the sample)")
    mapping = LeadMapping(columns=found, dayfirst=dayfirst)
    status_col = found.get("status")
    if status_col is not None:
        unknown = _unknown_statuses(frame[status_col].head(1000), mapping)
        if unknown:
            notes.append(
                f"status values not known: {', '.join(repr(u) for u in unknown[:5])}; add them to "
                "LeadMapping.status_values or their rows are skipped"
            )
    used = set(found.values())
    lead_fields = [
        f
        for f in Lead.model_fields
        if f not in ("address", "phones", "custom_fields", "other_emails")
    ]
    empty = [
        f
        for f in lead_fields
        if f not in found and not (f in ("first_name", "last_name") and "full_name" in found)
    ]
    return MappingGuess(
        mapping=mapping,
        preset=preset,
        scores=scores,
        unmapped_columns=tuple(c for c in columns if c not in used),
        empty_fields=tuple(empty),
        notes=tuple(notes),
    )


def _dayfirst_in_sample(frame: pd.DataFrame, columns: Sequence[str]) -> bool:
    day_first = month_first = 0
    for column in columns:
        values, _ = _cells.read_text(frame[column].head(2000))
        for v in values:
            if v is None:
                continue
            parts = v.replace("-", "/").replace(".", "/").split("/")
            if len(parts) < 3 or not (parts[0].isdigit() and parts[1].isdigit()):
                continue
            if len(parts[0]) > 2 or len(parts[1]) > 2:
                continue
            if int(parts[0]) > 12 >= int(parts[1]):
                day_first += 1
            elif int(parts[1]) > 12 >= int(parts[0]):
                month_first += 1
    return day_first > month_first


def _unknown_statuses(series: pd.Series, mapping: LeadMapping) -> list[str]:
    table = _status_table(mapping)
    values, _ = _cells.read_text(series)
    return sorted({v for v in values if v is not None and value_key(v) not in table})


def _status_table(mapping: LeadMapping) -> dict[str, LeadStatus]:
    table = {k: LeadStatus(v) for k, v in DEFAULT_STATUS_VALUES.items()}
    table.update({value_key(k): v for k, v in mapping.status_values.items()})
    return table


def _memo(fn: Callable[[str], _T]) -> Callable[[str], _T]:
    """``fn`` remembered for one column of one chunk (CRM columns repeat a few values)."""
    seen: dict[str, _T] = {}

    def call(value: str) -> _T:
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = fn(value)
            return result

    return call


# -- reading records ------------------------------------------------------------------------------


def _kind_of(annotation: Any) -> str:
    """How a field's cells are read: text, int, float, date, bool, list or status."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind_of(get_args(annotation)[0])
    if origin in (Union, UnionType):
        kinds = {_kind_of(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else "text"
    if origin is tuple:
        return "list"
    if annotation is LeadStatus:
        return "status"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    if annotation is datetime:
        return "date"
    return "text"


class _IdLedger:
    """The ids seen so far, as 64-bit hashes with the row of each (16 bytes an id), in sorted
    runs merged as they grow, so a check costs a binary search and memory stays small."""

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []

    def first_rows(self, hashes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """For each hash, the row it was first seen on, or 0."""
        out = np.zeros(len(hashes), dtype=np.int64)
        for keys, rows in self._runs:
            at = np.searchsorted(keys, hashes)
            at[at >= len(keys)] = 0
            hit = (keys[at] == hashes) & (out == 0) if len(keys) else np.zeros(len(hashes), bool)
            out[hit] = rows[at[hit]]
        return out

    def add(self, hashes: np.ndarray[Any, Any], rows: np.ndarray[Any, Any]) -> None:
        order = np.argsort(hashes, kind="stable")
        run = (hashes[order], rows[order])
        while self._runs and len(self._runs[-1][0]) <= 2 * len(run[0]):
            keys, old_rows = self._runs.pop()
            merged_keys = np.concatenate([keys, run[0]])
            merged_rows = np.concatenate([old_rows, run[1]])
            order = np.argsort(merged_keys, kind="stable")
            run = (merged_keys[order], merged_rows[order])
        self._runs.append(run)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a batch's records are made: records hold
    no reference cycles, and each collection would walk every record made so far (it took
    three quarters of the building time at 50,000 rows). Restored as it was on the way out."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass
class _Reader(Generic[_R]):
    """Reads chunks of one table into records, keeping what must outlive a chunk (the ids)."""

    mapping: _TableMapping
    now: datetime
    what: str
    ledger: _IdLedger = field(default_factory=_IdLedger)
    fast: bool = True
    """Build leads whose columns prove them valid without validating each with the model
    (:mod:`leadqual.sources._fast`); ``False`` validates every row (the reference the fast path
    is tested against)."""

    def __post_init__(self) -> None:
        model = self.mapping._target_model()
        self.model = model
        self.validator = model.__pydantic_validator__
        self.kinds: dict[str, str] = {}
        for target in self.mapping.columns:
            head = target.partition(".")[0]
            if head == "address":
                self.kinds[target] = "text"
            elif head == "phones":
                self.kinds[target] = "phone"
            elif head in ("custom_fields", "regarding") or target == "full_name":
                self.kinds[target] = "text"
            else:
                self.kinds[target] = _kind_of(model.model_fields[head].annotation)
        self.required_dates = [
            t
            for t in ("created_at",)
            if t in model.model_fields and model.model_fields[t].is_required()
        ]
        self.status_table = (
            _status_table(self.mapping) if isinstance(self.mapping, LeadMapping) else {}
        )
        self.source_table: dict[str, str] = dict(DEFAULT_LEAD_SOURCES)
        if isinstance(self.mapping, LeadMapping):
            self.source_table.update(
                {value_key(k): v for k, v in self.mapping.lead_source_values.items()}
            )

    def check_columns(self, columns: Sequence[str]) -> None:
        have = set(columns)
        for target, column in self.mapping.columns.items():
            if column not in have:
                close = process.extract(
                    column, list(columns), scorer=fuzz.WRatio, limit=3, score_cutoff=60
                )
                hint = (
                    f"; close matches: {', '.join(repr(c[0]) for c in close)}"
                    if close
                    else f"; its columns are {', '.join(repr(c) for c in list(columns)[:12])}"
                )
                raise ConfigurationError(
                    f"the mapping reads {target} from the column {column!r}, which {self.what} "
                    f"does not have{hint}"
                )

    def read(self, chunk: Chunk) -> LoadResult[_R]:
        frame, rows = chunk.frame, chunk.rows
        n = len(frame)
        problems: list[RowProblem] = [
            RowProblem(row=line, column=None, value=None, reason=reason, skipped=True)
            for line, reason in chunk.bad_lines
        ]
        if n == 0:
            return LoadResult((), tuple(problems), len(problems), 0, self.mapping)
        skip = np.zeros(n, dtype=bool)

        def report(i: int, column: str | None, value: Any, reason: str, *, skipped: bool) -> None:
            text = None if value is None else str(value)[:200]
            problems.append(
                RowProblem(
                    row=int(rows[i]), column=column, value=text, reason=reason, skipped=skipped
                )
            )
            if skipped:
                skip[i] = True

        # Raw text of the mapped columns, for reports and the blank-row test.
        raw: dict[str, list[Any]] = {}
        unread: dict[str, dict[int, str]] = {}  # bytes and broken text: reported, not read
        for column in dict.fromkeys(self.mapping.columns.values()):
            raw[column], unread[column] = _cells.read_text(frame[column])
        blank = np.ones(n, dtype=bool)
        for column, values in raw.items():
            blank &= np.fromiter((v is None for v in values), dtype=bool, count=n)
            blank[list(unread[column])] = False
        for column in frame.columns:
            if column in raw or not blank.any():
                continue
            blank &= _empty_cells(frame[column])
        for column, values in raw.items():
            for i, v in enumerate(values):
                if v is not None and len(v) > self.mapping.max_cell_chars:
                    report(
                        i,
                        column,
                        v,
                        f"the cell is longer than {self.mapping.max_cell_chars} characters",
                        skipped=True,
                    )

        values_of: dict[str, list[Any]] = {}
        countries = self._regions(frame, n)
        for target, column in self.mapping.columns.items():
            kind = self.kinds[target]
            series = frame[column]
            errors: dict[int, str]
            if kind == "text":
                values, errors = raw[column], {}
            elif kind == "list":
                values = [
                    None
                    if v is None
                    else tuple(p.strip() for p in v.replace(",", ";").split(";") if p.strip())
                    for v in raw[column]
                ]
                errors = {}
            elif kind in ("int", "float"):
                values, errors = _cells.read_numbers(series, integer=kind == "int")
            elif kind == "date":
                values, errors = _cells.read_dates(
                    series,
                    formats=self.mapping.date_formats,
                    dayfirst=self.mapping.dayfirst,
                    timezone=self.mapping.timezone,
                )
            elif kind == "bool":
                values, errors = _cells.read_bools(series)
            elif kind == "phone":
                values, errors = _cells.read_phones(
                    series, regions=countries, normalize=self.mapping.normalize_phones
                )
            else:  # status
                values, errors = list(raw[column]), {}
                keys = _memo(value_key)
                for i, v in enumerate(values):
                    if v is None:
                        continue
                    status = self.status_table.get(keys(v))
                    if status is None:
                        values[i] = None
                        errors[i] = "unknown status: add it to LeadMapping.status_values"
                    else:
                        values[i] = status
            for i, reason in unread[column].items():
                values[i] = None
                errors.setdefault(i, reason)
            if target == "lead_source":
                keys = _memo(value_key)
                values = [None if v is None else self.source_table.get(keys(v), v) for v in values]
            required = target in ("id", *self.required_dates) or kind == "status"
            for i, reason in errors.items():
                if not blank[i]:
                    report(i, column, raw[column][i], reason, skipped=required)
            values_of[target] = values
        self._split_names(values_of, n)
        ids = self._ids(frame, values_of, rows, blank, report)
        if self.mapping._person:
            identity = [values_of[t] for t in _IDENTITY if t in values_of]
            what = (
                "name, company or email"
                if isinstance(self.mapping, LeadMapping)
                else "name or email"
            )
            for i in range(n):
                if not blank[i] and not skip[i] and not any(v[i] is not None for v in identity):
                    # A report's footer ("Confidential Information...") or a stray note line.
                    report(i, None, None, f"nothing identifies the record: no {what}", skipped=True)
        for target in self.required_dates:
            dates = values_of.setdefault(target, [None] * n)
            date_column = self.mapping.columns.get(target)
            for i in range(n):
                if dates[i] is None and not skip[i] and not blank[i]:
                    dates[i] = self.now
                    if date_column is not None and raw[date_column][i] is None:
                        report(
                            i,
                            date_column,
                            None,
                            f"no {target}: the import time is used",
                            skipped=False,
                        )
        records: list[_R] = []
        column_of = self._column_of()
        todo: list[int] = np.flatnonzero(~(blank | skip)).tolist()
        with _collector_paused():
            self._build(_kind_ordered(values_of), ids, todo, raw, column_of, records, report)
        problems.sort(key=lambda p: p.row)
        read_rows = int(n - blank.sum()) + len(chunk.bad_lines)
        return LoadResult(
            tuple(records), tuple(problems), read_rows, int(blank.sum()), self.mapping
        )

    def _column_of(self) -> dict[str, str]:
        """Field (and its head: ``address`` for ``address.city``) -> the column it is read from."""
        column_of = {t.partition(".")[0]: c for t, c in self.mapping.columns.items()}
        column_of.update(self.mapping.columns)
        return column_of

    def _refused(
        self,
        err: ValidationError,
        i: int,
        raw: Mapping[str, Sequence[Any]],
        report: Any,
        *,
        row: int | None = None,
    ) -> None:
        """Report row ``i`` of ``raw`` (``row`` of the chunk, when not the same) as the model
        refused it: the first error's field, column and cell."""
        column_of = self._column_of()
        first = err.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        bad_column = column_of.get(loc) or column_of.get(
            str(first["loc"][0]) if first["loc"] else ""
        )
        value = raw[bad_column][i] if bad_column is not None and bad_column in raw else None
        at = i if row is None else row
        report(at, bad_column, value, f"{loc or 'row'}: {first['msg']}", skipped=True)

    def _build(
        self,
        values_of: dict[str, list[Any]],
        ids: list[str],
        todo: list[int],
        raw: dict[str, list[Any]],
        column_of: dict[str, str],
        records: list[_R],
        report: Callable[..., None],
    ) -> None:
        built: dict[int, Any] = {}
        if self.fast and self.model is Lead and _fast.fast_targets(list(values_of)):
            # Rows whose columns prove what the model's validators would are built directly;
            # the others are validated below, and reported as the model says.
            built, _ = _fast.fast_leads(values_of, ids, todo)
        for i in todo:
            record = built.get(i)
            if record is not None:
                records.append(record)
                continue
            data = self._record(values_of, i)
            data["id"] = ids[i]
            try:
                records.append(self.validator.validate_python(data))
            except ValidationError as err:
                self._refused(err, i, raw, report)

    def _regions(self, frame: pd.DataFrame, n: int) -> list[str | None]:
        default = self.mapping.default_country
        column = self.mapping.columns.get("address.country")
        if column is None or not any(t.startswith("phones.") for t in self.mapping.columns):
            return [default] * n
        values, _ = _cells.read_text(frame[column])
        code = _memo(country_code)
        return [(code(v) if v else None) or default for v in values]

    def _split_names(self, values_of: dict[str, list[Any]], n: int) -> None:
        full = values_of.pop("full_name", None)
        if full is None:
            return
        first = values_of.setdefault("first_name", [None] * n)
        last = values_of.setdefault("last_name", [None] * n)
        for i, name in enumerate(full):
            if name is None or first[i] is not None or last[i] is not None:
                continue
            parsed = HumanName(name)
            first[i] = " ".join(p for p in (parsed.first, parsed.middle) if p) or None
            last[i] = " ".join(p for p in (parsed.last, parsed.suffix) if p) or None
            if first[i] is None and last[i] is None:
                last[i] = name

    def _ids(
        self,
        frame: pd.DataFrame,
        values_of: dict[str, list[Any]],
        rows: np.ndarray[Any, Any],
        blank: np.ndarray[Any, Any],
        report: Any,
    ) -> list[str]:
        n = len(frame)
        given = values_of.pop("id", None)
        column = self.mapping.columns.get("id")
        made: list[str] | None = None
        if given is None or any(v is None for v in given):
            # Made from the row's cells: the same row of the same file gets the same id each time.
            hashes = pd.util.hash_pandas_object(_as_text(frame), index=False).to_numpy()
            made = [f"{self.mapping.id_prefix}{h:016x}" for h in hashes.tolist()]
        ids: list[str] = []
        for i in range(n):
            if given is not None and given[i] is not None:
                ids.append(str(given[i]))
                continue
            assert made is not None
            ids.append(made[i])
            if given is not None and not blank[i]:
                report(i, column, None, f"no id: {made[i]} is made from the row", skipped=False)
        live = np.flatnonzero(~blank)
        if not len(live):
            return ids
        keys = pd.util.hash_array(
            np.asarray([ids[i] for i in live], dtype=object), categorize=False
        )
        earlier = self.ledger.first_rows(keys)
        fresh = np.zeros(len(live), dtype=bool)
        seen: dict[int, int] = {}
        for j, key in enumerate(keys.tolist()):
            if earlier[j]:
                continue
            if key in seen:
                earlier[j] = seen[key]
                continue
            seen[key] = int(rows[live[j]])
            fresh[j] = True
        for j in np.flatnonzero(earlier).tolist():
            i = int(live[j])
            why = (
                f"the id {ids[i]!r} is also on row {int(earlier[j])}"
                if given is not None
                else f"the same as row {int(earlier[j])} (ids are made from the row's cells)"
            )
            report(i, column, ids[i] if given is not None else None, why, skipped=True)
        self.ledger.add(keys[fresh], rows[live][fresh])
        return ids

    def _record(self, values_of: dict[str, list[Any]], i: int) -> dict[str, Any]:
        data = record_data(values_of, i)
        if isinstance(self.mapping, ActivityMapping):
            data["kind"] = self.mapping.kind
            if self.mapping.regarding_kind:
                data.setdefault("regarding", {}).setdefault("kind", self.mapping.regarding_kind)
        return data


def _kind_ordered(values_of: dict[str, _T]) -> dict[str, _T]:
    """``values_of`` with phone numbers in the kinds' order (business, mobile, home, other), as
    the lead table holds them, whatever order the mapping names them in."""

    def rank(target: str) -> int:
        head, _, tail = target.partition(".")
        return PHONE_KINDS.index(tail) if head == "phones" and tail in PHONE_KINDS else -1

    return {t: values_of[t] for t in sorted(values_of, key=rank)}


class _TableReader(_Reader[Lead]):
    """Reads chunks of a leads table column by column into the lead table
    (:mod:`leadqual.sources.lead_table`), with the row report :class:`_Reader` gives.

    Each step is :meth:`_Reader.read`'s, on whole columns: the cell readers' ``*_column``
    twins; statuses and lead sources looked up once per distinct value; the model's rules
    (text stripped, counts and amounts not negative, times in order, an open lead not closed)
    checked on the columns. A row those checks cannot vouch for is validated by the model,
    which reports it as the per-row reader does, or loads it as the model made it.
    """

    def read_table(self, chunk: Chunk) -> LoadResult[Lead]:
        frame, rows = chunk.frame, chunk.rows
        n = len(frame)
        problems: list[RowProblem] = [
            RowProblem(row=line, column=None, value=None, reason=reason, skipped=True)
            for line, reason in chunk.bad_lines
        ]
        custom = sorted(
            t.partition(".")[2] for t in self.mapping.columns if t.startswith("custom_fields.")
        )
        if n == 0:
            return LoadResult(
                None,
                tuple(problems),
                len(problems),
                0,
                self.mapping,
                table=typed_table({}, 0, custom),
            )
        skip = np.zeros(n, dtype=bool)

        def report(i: int, column: str | None, value: Any, reason: str, *, skipped: bool) -> None:
            text = None if value is None or value != value else str(value)[:200]
            problems.append(
                RowProblem(
                    row=int(rows[i]), column=column, value=text, reason=reason, skipped=skipped
                )
            )
            if skipped:
                skip[i] = True

        raw: dict[str, pd.Series] = {}
        unread: dict[str, dict[int, str]] = {}
        for column in dict.fromkeys(self.mapping.columns.values()):
            raw[column], unread[column] = _cells.text_column(frame[column])
        blank = np.ones(n, dtype=bool)
        for column, cells in raw.items():
            blank &= cells.isna().to_numpy()
            blank[list(unread[column])] = False
        for column in frame.columns:
            if column in raw or not blank.any():
                continue
            blank &= _empty_cells(frame[column])
        for column, cells in raw.items():
            if _cells.longest_bytes(cells) <= self.mapping.max_cell_chars:
                continue  # no cell has more characters than bytes
            too_long = (cells.str.len() > self.mapping.max_cell_chars).fillna(False)
            for i in np.flatnonzero(too_long.to_numpy(dtype=bool)).tolist():
                report(
                    i,
                    column,
                    cells.iat[i],
                    f"the cell is longer than {self.mapping.max_cell_chars} characters",
                    skipped=True,
                )

        values_of: dict[str, pd.Series] = {}
        region_of, regions = self._region_codes(frame, n)
        for target, column in self.mapping.columns.items():
            kind = self.kinds[target]
            series = frame[column]
            errors: dict[int, str]
            values: pd.Series
            if kind == "text":
                values, errors = raw[column], {}
            elif kind == "list":
                values, errors = _lists(raw[column]), {}
            elif kind in ("int", "float"):
                values, errors = _cells.per_distinct(series, _number_reader(kind == "int"))
            elif kind == "date":
                values, errors = _cells.date_column(
                    series,
                    formats=self.mapping.date_formats,
                    dayfirst=self.mapping.dayfirst,
                    timezone=self.mapping.timezone,
                )
            elif kind == "phone":
                # a number in plain international form is read alike whatever the region
                values, errors = _cells.per_distinct(
                    series,
                    _phone_reader(region_of, regions, normalize=self.mapping.normalize_phones),
                    also=np.where(_cells.plain_international(series), 0, region_of),
                )
            else:  # status
                values, errors = self._statuses(raw[column])
            if unread[column]:
                values = values.copy()
                gone = list(unread[column])
                values.iloc[gone] = None if values.dtype == object else np.nan
                for i, reason in unread[column].items():
                    errors.setdefault(i, reason)
            if target == "lead_source":
                values = _looked_up(values, self.source_table, keep=True)
            required = target in ("id", *self.required_dates) or kind == "status"
            for i, reason in errors.items():
                if not blank[i]:
                    cell: Any = raw[column].iat[i]
                    report(i, column, None if pd.isna(cell) else cell, reason, skipped=required)
            values_of[target] = values
        self._split_column_names(values_of, n)
        given_ids = values_of.pop("id", None)
        ids = self._id_column(frame, given_ids, rows, blank, report)
        if given_ids is not None and not given_ids.isna().any():
            id_texts = given_ids  # every row had its id: the column as read, no copy
        else:
            id_texts = pd.Series(ids, dtype="str")
        if self.mapping._person:
            identity = np.zeros(n, dtype=bool)
            for t in _IDENTITY:
                if t in values_of:
                    identity |= values_of[t].notna().to_numpy()
            for i in np.flatnonzero(~blank & ~skip & ~identity).tolist():
                report(
                    i,
                    None,
                    None,
                    "nothing identifies the record: no name, company or email",
                    skipped=True,
                )
        created = values_of.get("created_at")
        if created is None:
            created = _cells.date_column(
                pd.Series([None] * n, dtype=object), formats=(), dayfirst=False, timezone="UTC"
            )[0]
        stamp = created.isna().to_numpy() & ~skip & ~blank
        if stamp.any():
            created = created.copy()
            created.iloc[np.flatnonzero(stamp)] = pd.Timestamp(self.now)
            date_column = self.mapping.columns.get("created_at")
            if date_column is not None:
                empty = raw[date_column].isna().to_numpy()
                for i in np.flatnonzero(stamp & empty).tolist():
                    report(
                        i,
                        date_column,
                        None,
                        "no created_at: the import time is used",
                        skipped=False,
                    )
        values_of["created_at"] = created
        keep = ~(blank | skip)
        doubtful = keep & self._doubtful(values_of, n)
        table = self._assemble(values_of, id_texts, keep & ~doubtful, custom)
        if doubtful.any():
            table = self._validated(
                table, values_of, ids, np.flatnonzero(doubtful), keep, raw, report, custom
            )
        problems.sort(key=lambda p: p.row)
        read_rows = int(n - blank.sum()) + len(chunk.bad_lines)
        return LoadResult(
            None, tuple(problems), read_rows, int(blank.sum()), self.mapping, table=table
        )

    def _region_codes(self, frame: pd.DataFrame, n: int) -> tuple[np.ndarray[Any, Any], list[Any]]:
        """:meth:`_Reader._regions` as codes: each row's index into the regions, each
        distinct country cell read once."""
        default = self.mapping.default_country
        column = self.mapping.columns.get("address.country")
        if column is None or not any(t.startswith("phones.") for t in self.mapping.columns):
            return np.zeros(n, dtype=np.int64), [default]
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
        texts, _ = _cells.read_text(pd.Series(uniques))
        regions = [(country_code(v) if v else None) or default for v in texts] + [default]
        return np.where(codes < 0, len(regions) - 1, codes).astype(np.int64), regions

    def _statuses(self, raw: pd.Series) -> tuple[pd.Series, dict[int, str]]:
        codes, uniques = pd.factorize(raw)
        found = [self.status_table.get(value_key(v)) for v in uniques.tolist()]
        names = np.asarray([None if f is None else f.value for f in found] + [None], dtype=object)
        statuses = names[codes]  # code -1 (an empty cell) takes the last: None
        known = np.asarray([f is not None for f in found] + [True], dtype=bool)
        unknown = ~known[codes]
        errors = dict.fromkeys(
            np.flatnonzero(unknown).tolist(),
            "unknown status: add it to LeadMapping.status_values",
        )
        return pd.Series(pd.Categorical(statuses, dtype=_STATUS_DTYPE)), errors

    def _id_column(
        self,
        frame: pd.DataFrame,
        given: pd.Series | None,
        rows: np.ndarray[Any, Any],
        blank: np.ndarray[Any, Any],
        report: Any,
    ) -> np.ndarray[Any, Any]:
        """:meth:`_Reader._ids` on whole columns: the ids (an array of str), rows without one
        and repeated ids reported as it reports them."""
        n = len(frame)
        column = self.mapping.columns.get("id")
        missing = np.ones(n, dtype=bool) if given is None else given.isna().to_numpy()
        ids = np.empty(n, dtype=object)
        if given is not None:
            ids[~missing] = given[~missing].to_numpy(dtype=object)
        if missing.any():
            hashes = pd.util.hash_pandas_object(_as_text(frame), index=False).to_numpy()
            prefix = self.mapping.id_prefix
            made = np.asarray([f"{prefix}{h:016x}" for h in hashes[missing].tolist()], dtype=object)
            ids[missing] = made
            if given is not None:
                for i in np.flatnonzero(missing & ~blank).tolist():
                    report(i, column, None, f"no id: {ids[i]} is made from the row", skipped=False)
        live = np.flatnonzero(~blank)
        if not len(live):
            return ids
        keys = pd.util.hash_array(ids[live], categorize=False)
        earlier = self.ledger.first_rows(keys)
        live_rows = rows[live]
        first_here = pd.Series(live_rows).groupby(keys, sort=False).transform("first").to_numpy()
        repeat = (earlier == 0) & (first_here != live_rows)
        earlier[repeat] = first_here[repeat]
        fresh = earlier == 0
        for j in np.flatnonzero(earlier).tolist():
            i = int(live[j])
            why = (
                f"the id {ids[i]!r} is also on row {int(earlier[j])}"
                if given is not None
                else f"the same as row {int(earlier[j])} (ids are made from the row's cells)"
            )
            report(i, column, ids[i] if given is not None else None, why, skipped=True)
        self.ledger.add(keys[fresh], live_rows[fresh])
        return ids

    def _split_column_names(self, values_of: dict[str, pd.Series], n: int) -> None:
        if "full_name" not in values_of:
            return
        lists: dict[str, list[Any]] = {
            t: python_values(values_of.pop(t))
            for t in ("full_name", "first_name", "last_name")
            if t in values_of
        }
        self._split_names(lists, n)
        for t in ("first_name", "last_name"):
            values_of[t] = pd.Series(lists[t], dtype="str")

    def _doubtful(self, values_of: Mapping[str, pd.Series], n: int) -> np.ndarray[Any, Any]:
        """Rows whose columns do not prove what the model checks (its validators decide)."""
        out = np.zeros(n, dtype=bool)
        for target in ("first_name", "last_name", "lead_source"):
            # made here (names split, lead sources mapped), not read as stripped text
            values = values_of.get(target)
            if values is not None:
                out |= (values.str.strip() != values).fillna(False).to_numpy(dtype=bool)
                out |= (values == "").fillna(False).to_numpy(dtype=bool) & (target != "lead_source")
        created = values_of["created_at"]
        for later in ("modified_at", "closed_at"):
            values = values_of.get(later)
            if values is not None:
                out |= (values < created).fillna(False).to_numpy(dtype=bool)
        closed = values_of.get("closed_at")
        if closed is not None:
            status = values_of.get("status")
            is_open = (
                np.ones(n, dtype=bool)
                if status is None
                else (status.isna() | (status == "open")).to_numpy(dtype=bool)
            )
            out |= closed.notna().to_numpy() & is_open
        return out

    def _assemble(
        self,
        values_of: Mapping[str, pd.Series],
        ids: pd.Series,
        rows: np.ndarray[Any, Any],
        custom: Sequence[str],
    ) -> pd.DataFrame:
        at = np.flatnonzero(rows)
        columns: dict[str, Any] = {
            t: v.iloc[at].reset_index(drop=True) for t, v in values_of.items()
        }
        columns["id"] = ids.iloc[at].reset_index(drop=True)
        return typed_table(columns, len(at), custom)

    def _validated(
        self,
        table: pd.DataFrame,
        values_of: Mapping[str, pd.Series],
        ids: np.ndarray[Any, Any],
        doubtful: np.ndarray[Any, Any],
        keep: np.ndarray[Any, Any],
        raw: Mapping[str, pd.Series],
        report: Any,
        custom: Sequence[str],
    ) -> pd.DataFrame:
        """``table`` with the doubtful rows the model accepts, as it made them, in file order;
        the others reported as the model says."""
        lists = {t: python_values(v.iloc[doubtful]) for t, v in values_of.items()}
        lists = _kind_ordered(lists)
        raws = {c: python_values(v.iloc[doubtful]) for c, v in raw.items()}
        accepted: list[Lead] = []
        where: list[int] = []
        for j, i in enumerate(doubtful.tolist()):
            data = record_data(lists, j)
            data["id"] = ids[i]
            try:
                accepted.append(self.validator.validate_python(data))
            except ValidationError as err:
                self._refused(err, j, raws, report, row=i)
                keep[i] = False
                continue
            where.append(i)
        if not accepted:
            return table
        from_model = lead_table(accepted, custom_fields=custom)
        fast_rows = np.flatnonzero(keep & ~np.isin(np.arange(len(keep)), doubtful))
        order = np.argsort(
            np.concatenate([fast_rows, np.asarray(where, dtype=np.int64)]), kind="stable"
        )
        joined = pd.concat([table, from_model], ignore_index=True)
        return joined.iloc[order].reset_index(drop=True).astype(table.dtypes.to_dict())


def _number_reader(integer: bool) -> Callable[[pd.Series, np.ndarray[Any, Any]], _cells.Column]:
    def read(cells: pd.Series, _at: np.ndarray[Any, Any]) -> _cells.Column:
        return _cells.number_column(cells, integer=integer)

    return read


def _phone_reader(
    region_of: np.ndarray[Any, Any], regions: Sequence[str | None], *, normalize: bool
) -> Callable[[pd.Series, np.ndarray[Any, Any]], _cells.Column]:
    """Phone cells read with the region of the row each was taken from."""

    def read(cells: pd.Series, at: np.ndarray[Any, Any]) -> _cells.Column:
        where = [regions[r] for r in region_of[at].tolist()]
        return _cells.phone_column(cells, regions=where, normalize=normalize)

    return read


def _lists(raw: pd.Series) -> pd.Series:
    """``other_emails`` cells: addresses split at ``;`` or ``,``."""
    return pd.Series(
        [
            None
            if v != v
            else tuple(p.strip() for p in v.replace(",", ";").split(";") if p.strip())
            for v in raw.tolist()
        ],
        dtype=object,
    )


def _looked_up(values: pd.Series, table: Mapping[str, str], *, keep: bool) -> pd.Series:
    """Each distinct cell looked up once (folded with :func:`value_key`); kept as written when
    not found."""
    codes, uniques = pd.factorize(values)
    found = [table.get(value_key(v), v if keep else None) for v in uniques.tolist()]
    names = pd.Series([*found, None], dtype="str")
    return names.take(np.where(codes < 0, len(found), codes)).reset_index(drop=True)


# -- public entry points --------------------------------------------------------------------------

_M = TypeVar("_M", bound=_TableMapping)


def _empty_cells(series: pd.Series) -> np.ndarray[Any, Any]:
    """Which cells of a column hold nothing (missing or only spaces); bytes and broken text are
    something."""
    missing: np.ndarray[Any, Any] = series.isna().to_numpy()
    try:
        spaces: np.ndarray[Any, Any] = (series.astype(str).str.strip() == "").to_numpy()
    except UnicodeError:  # a bytes cell that is not UTF-8, or a lone surrogate
        spaces = np.fromiter(
            (isinstance(v, str) and not v.strip() for v in series.tolist()),
            dtype=bool,
            count=len(series),
        )
    empty: np.ndarray[Any, Any] = missing | spaces
    return empty


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The cells as text, to hash a row into an id; a cell pandas cannot turn into text (bytes
    that are not UTF-8, a lone surrogate) is hashed as its escaped form."""
    try:
        return frame.astype(str)
    except UnicodeError:
        return frame.map(lambda v: ascii(v) if _cells.not_text(v) else v).astype(str)


def _lead_mapping(
    mapping: LeadMapping | str | None, frame: pd.DataFrame
) -> tuple[LeadMapping, tuple[str, ...]]:
    if isinstance(mapping, LeadMapping):
        return mapping, ()
    if isinstance(mapping, str):
        return preset_mapping(mapping, frame.columns), ()
    if mapping is not None:
        raise ConfigurationError(
            f"mapping must be a LeadMapping, a preset name or None, not {type(mapping).__name__}"
        )
    guess = guess_mapping(frame)
    how = f"the {guess.preset} preset" if guess.preset else "column names"
    notes = [f"mapping guessed from {how}: {dict(guess.mapping.columns)}"]
    if guess.unmapped_columns:
        notes.append(f"columns not read: {', '.join(guess.unmapped_columns)}")
    notes.extend(guess.notes)
    return guess.mapping, tuple(notes)


def _results(
    table: TableInput,
    choose: Any,
    *,
    what: str,
    now: datetime | None,
    chunk_rows: int,
    delimiter: str | None,
    encoding: str | None,
    columnar: bool = False,
) -> Iterator[LoadResult[Any]]:
    if chunk_rows < 1:
        raise ConfigurationError(f"chunk_rows must be at least 1, got {chunk_rows}")
    when = to_utc(now, "now") if now is not None else datetime.now(UTC)
    reader: _Reader[Any] | None = None
    notes: tuple[str, ...] = ()
    for chunk in iter_chunks(table, chunk_rows=chunk_rows, delimiter=delimiter, encoding=encoding):
        if reader is None:
            mapping, notes = choose(chunk.frame)
            if columnar and isinstance(mapping, LeadMapping):
                reader = _TableReader(mapping, when, what)
            else:
                reader = _Reader(mapping, when, what)
            reader.check_columns([str(c) for c in chunk.frame.columns])
            for note in notes:
                logger.info("%s: %s", what, note)
        if isinstance(reader, _TableReader):
            result = reader.read_table(chunk)
        else:
            result = reader.read(chunk)
        if notes:
            result = LoadResult(
                result._records,
                result.problems,
                result.rows,
                result.blank_rows,
                result.mapping,
                notes,
                table=result.table,
            )
            notes = ()
        yield result


def _what(table: TableInput) -> str:
    return "the frame" if isinstance(table, pd.DataFrame) else repr(str(table))


def iter_lead_batches(
    table: TableInput,
    /,
    *,
    mapping: LeadMapping | str | None = None,
    chunk_rows: int = _CHUNK_ROWS,
    delimiter: str | None = None,
    encoding: str | None = None,
    now: datetime | None = None,
) -> Iterator[LoadResult[Lead]]:
    """Leads from a CSV or Parquet file (or a DataFrame), one :class:`LoadResult` per batch of at
    most ``chunk_rows`` rows. The file is streamed: memory depends on ``chunk_rows``, not on the
    file's size (besides 16 bytes an id, kept to report duplicates across batches).

    Each batch is read column by column into the lead table (``result.table``); its ``records``
    are made from that table when first asked for, so a caller that needs only the table
    never makes a :class:`~leadqual.models.Lead`.

    ``mapping`` is a :class:`LeadMapping`, a preset name (:data:`PRESETS`) or ``None`` to guess it
    from the first batch (:func:`guess_mapping`; the first result's ``notes`` say what was
    guessed). CSV files: the encoding (UTF-8 with or without BOM, UTF-16, else Windows-1252 with
    a warning) and the delimiter (``,``, ``;``, tab, ``|``) are detected unless given.

    Raises:
        ConfigurationError: no such file, a format not read here, pyarrow missing for Parquet, or
            a mapping naming a column the table does not have (the message names close matches).
        ValidationFailed: an empty or binary file, or the wrong delimiter.
    """
    choose = lambda frame: _lead_mapping(mapping, frame)  # noqa: E731
    yield from _results(
        table,
        choose,
        what=_what(table),
        now=now,
        chunk_rows=chunk_rows,
        delimiter=delimiter,
        encoding=encoding,
        columnar=True,
    )


def read_lead_table(
    table: TableInput,
    /,
    *,
    mapping: LeadMapping | str | None = None,
    chunk_rows: int = _CHUNK_ROWS,
    delimiter: str | None = None,
    encoding: str | None = None,
    now: datetime | None = None,
) -> LoadResult[Lead]:
    """A CRM export (CSV, Parquet or DataFrame) read straight into the lead table
    (:mod:`leadqual.sources.lead_table`): ``result.table``, with the same row report, the same
    values and the same rows as the leads :func:`leads_from_frame` loads, without making a
    :class:`~leadqual.models.Lead` per row (``result.records`` makes them if asked).

    Cells are read a column at a time with pandas (dates with ``pd.to_datetime`` in the
    mapping's formats, then the usual ones; numbers with ``pd.to_numeric``, the odd ones such
    as ``1,200`` or ``$1.5M`` one by one; statuses and lead sources looked up once per distinct
    value; phone numbers in international form normalised with pandas, the others parsed once
    per distinct number). CSV files are read in chunks of ``chunk_rows``; arguments as for
    :func:`iter_lead_batches`, which yields the same results batch by batch.

    Examples:
        >>> import pandas as pd
        >>> export = pd.DataFrame({
        ...     "First Name": ["Ada", "Alan"], "Last Name": ["Lovelace", "Turing"],
        ...     "Company": ["Analytical Ltd", "Bletchley"], "Employees": ["1.2E+03", "00012"],
        ...     "Created On": ["2025-03-01", "soon"],
        ... })
        >>> result = read_lead_table(export)
        >>> result.table[["last_name", "employee_count"]].values.tolist()
        [['Lovelace', 1200]]
        >>> [(p.row, p.column, p.reason) for p in result.problems]
        [(3, 'Created On', 'not a date')]

    Raises:
        ConfigurationError: as for :func:`iter_lead_batches`.
        ValidationFailed: as for :func:`iter_lead_batches`.
    """
    return LoadResult.combine(
        iter_lead_batches(
            table,
            mapping=mapping,
            chunk_rows=chunk_rows,
            delimiter=delimiter,
            encoding=encoding,
            now=now,
        )
    )


def leads_from_frame(
    frame: pd.DataFrame,
    /,
    mapping: LeadMapping | str | None = None,
    *,
    now: datetime | None = None,
) -> LoadResult[Lead]:
    """The leads of a DataFrame, and a :class:`RowProblem` for every cell not read.

    ``mapping`` as for :func:`iter_lead_batches`. Rows are read as
    :func:`records_from_frame` describes.

    Raises:
        ValidationFailed: ``frame`` is not a DataFrame, or names a column twice.
        ConfigurationError: the mapping names a column the frame does not have.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValidationFailed(
            f"frame must be a pandas DataFrame, got {type(frame).__name__}", field="frame"
        )
    return LoadResult.combine(iter_lead_batches(frame, mapping=mapping, now=now))


def records_from_frame(
    frame: pd.DataFrame,
    /,
    mapping: _TableMapping,
    *,
    now: datetime | None = None,
) -> LoadResult[Any]:
    """Records of the kind ``mapping`` describes (leads, contacts, accounts, activities).

    How rows are read:

    * every cell is read as text first, so ``00123`` keeps its zeros; numbers accept ``1,200``,
      ``1.200.000``, ``1.2E+05``, ``$1.5M``; dates are tried in several formats per cell;
    * an empty cell is a missing value; a row with no value at all is not a record;
    * a cell that cannot be read is reported; its row is skipped when the field is the id, the
      status, the creation date or a value the model refuses, else it loads without the value;
    * with no id column (or an empty id cell) the id is ``id_prefix`` and 16 hex digits hashed
      from the row's cells: reading the same file again gives the same ids; identical rows are
      then duplicates;
    * a repeated id is reported on every row after the first, and those rows skipped;
    * a record with no creation date is stamped ``now`` (default: the time of the call).
    """
    if not isinstance(mapping, _TableMapping):
        raise ConfigurationError(f"mapping must be a table mapping, not {type(mapping).__name__}")
    results = _results(
        frame,
        lambda _f: (mapping, ()),
        what="the frame",
        now=now,
        chunk_rows=_CHUNK_ROWS,
        delimiter=None,
        encoding=None,
    )
    return LoadResult.combine(results)


def _load(
    table: TableInput,
    mapping: _TableMapping,
    *,
    now: datetime | None,
    chunk_rows: int,
    delimiter: str | None,
    encoding: str | None,
) -> LoadResult[Any]:
    return LoadResult.combine(
        _results(
            table,
            lambda _f: (mapping, ()),
            what=_what(table),
            now=now,
            chunk_rows=chunk_rows,
            delimiter=delimiter,
            encoding=encoding,
        )
    )


class TabularSource:
    """A :class:`~leadqual.sources.CrmSource` over tables: a leads table (CSV, Parquet or
    DataFrame) and optional accounts, contacts and activities tables, each with its mapping.

    The tables are read when the source is built; what could not be read is in :attr:`results`.
    Sellers are the distinct owners of the leads (id and name both the owner cell, since an
    export names owners rather than giving their ids), each with ``seller_roles`` (an export
    has no roles; give the role the agent configuration's ``team_access`` lets use the agent,
    e.g. ``("Salesperson",)``, so the owners can be served their own lists).

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"Id": ["00Q1"], "FirstName": ["Ada"], "LastName": ["Lovelace"],
        ...                       "Company": ["Analytical Ltd"], "Status": ["Open - Not Contacted"],
        ...                       "CreatedDate": ["2025-03-01T09:30:00Z"], "OwnerId": ["005A"]})
        >>> source = TabularSource(frame)
        >>> source.get_lead("00Q1").company_name, [s.id for s in source.sellers()]
        ('Analytical Ltd', ['005A'])
    """

    def __init__(
        self,
        leads: TableInput,
        /,
        *,
        mapping: LeadMapping | str | None = None,
        accounts: TableInput | None = None,
        account_mapping: AccountMapping | None = None,
        contacts: TableInput | None = None,
        contact_mapping: ContactMapping | None = None,
        activities: Sequence[tuple[TableInput, ActivityMapping]] = (),
        delimiter: str | None = None,
        encoding: str | None = None,
        now: datetime | None = None,
        chunk_rows: int = _CHUNK_ROWS,
        seller_roles: Sequence[str] = (),
    ) -> None:
        if isinstance(seller_roles, str) or not all(
            isinstance(r, str) and r.strip() for r in seller_roles
        ):
            raise ConfigurationError("seller_roles is a list of role names, e.g. ['Salesperson']")
        options: dict[str, Any] = {
            "now": now,
            "chunk_rows": chunk_rows,
            "delimiter": delimiter,
            "encoding": encoding,
        }
        results: dict[str, LoadResult[Any]] = {
            "leads": LoadResult.combine(iter_lead_batches(leads, mapping=mapping, **options))
        }
        if (accounts is None) != (account_mapping is None):
            raise ConfigurationError("give accounts and account_mapping together")
        if (contacts is None) != (contact_mapping is None):
            raise ConfigurationError("give contacts and contact_mapping together")
        if accounts is not None and account_mapping is not None:
            results["accounts"] = _load(accounts, account_mapping, **options)
        if contacts is not None and contact_mapping is not None:
            results["contacts"] = _load(contacts, contact_mapping, **options)
        acts: list[LoadResult[Any]] = []
        for table, activity_mapping in activities:
            if not isinstance(activity_mapping, ActivityMapping):
                raise ConfigurationError("activities are (table, ActivityMapping) pairs")
            acts.append(_load(table, activity_mapping, **options))
        if acts:
            results["activities"] = LoadResult.combine(acts)
        self.results: Mapping[str, LoadResult[Any]] = results
        """What each table yielded: ``leads``, and ``accounts``, ``contacts``, ``activities``
        when given; each with its problems."""
        owners = sorted({lead.owner_id for lead in results["leads"].records if lead.owner_id})
        self._store = MemorySource(
            leads=results["leads"].records,
            accounts=results.get("accounts", LoadResult(())).records,
            contacts=results.get("contacts", LoadResult(())).records,
            activities=_unique_ids(results.get("activities", LoadResult(())).records),
            sellers=[Seller(id=o, name=o, roles=tuple(seller_roles)) for o in owners],
        )

    @property
    def mapping(self) -> LeadMapping:
        """The mapping the leads were read with (the guessed one when none was given)."""
        used = self.results["leads"].mapping
        assert isinstance(used, LeadMapping)
        return used

    @property
    def problems(self) -> tuple[RowProblem, ...]:
        """The problems met reading the leads table."""
        return self.results["leads"].problems

    def get_lead(self, lead_id: str, /) -> Lead:
        """The lead with this id."""
        return self._store.get_lead(lead_id)

    def get_contact(self, contact_id: str, /) -> Contact:
        """The contact with this id."""
        return self._store.get_contact(contact_id)

    def get_account(self, account_id: str, /) -> Account:
        """The account with this id."""
        return self._store.get_account(account_id)

    def get_opportunity(self, opportunity_id: str, /) -> Any:
        """The opportunity with this id (tables hold none: always :class:`RecordNotFound`)."""
        return self._store.get_opportunity(opportunity_id)

    def get_seller(self, seller_id: str, /) -> Seller:
        """The seller with this id."""
        return self._store.get_seller(seller_id)

    def leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Leads, filtered by owner, status and last modification."""
        return self._store.leads(owner_id=owner_id, status=status, modified_since=modified_since)

    def contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Sequence[Contact]:
        """Contacts, optionally those of one account."""
        return self._store.contacts(account_id=account_id, modified_since=modified_since)

    def accounts(self, *, modified_since: datetime | None = None) -> Sequence[Account]:
        """Accounts."""
        return self._store.accounts(modified_since=modified_since)

    def opportunities(
        self,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        lead_id: str | None = None,
        status: Any = None,
    ) -> Sequence[Any]:
        """Opportunities (tables hold none)."""
        return self._store.opportunities(
            account_id=account_id, contact_id=contact_id, lead_id=lead_id, status=status
        )

    def activities(
        self, *, regarding: RecordRef | None = None, since: datetime | None = None
    ) -> Sequence[Activity]:
        """Activities regarding a record, oldest first."""
        return self._store.activities(regarding=regarding, since=since)

    def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Any]:
        """Notes (tables hold none)."""
        return self._store.notes(regarding=regarding)

    def sellers(self) -> Sequence[Seller]:
        """The owners of the leads, by id."""
        return self._store.sellers()


def _unique_ids(activities: Sequence[Any]) -> list[Any]:
    # Two activity tables may both make ids from rows; the ids are per table, so a clash across
    # tables is a coincidence of content and the later record is renamed by its kind.
    seen: set[str] = set()
    out: list[Any] = []
    for a in activities:
        if a.id in seen:
            a = a.model_copy(update={"id": f"{a.kind}-{a.id}"})
        seen.add(a.id)
        out.append(a)
    return out
