"""The Web API's view of the Dataverse tables: entity sets, lookups, ``$select``, filters, and
rows to records and back.

The columns and choice values are those of :meth:`SqlMapping.dataverse
<leadqual.sources.SqlMapping.dataverse>` (one list for the SQL copy and the Web API); what
differs on the wire is written here: a lookup column ``x`` is read as ``_x_value`` and written as
``<navigation property>@odata.bind``, the table a polymorphic lookup points to comes in the
``lookuplogicalname`` annotation, and a choice's label in the ``FormattedValue`` annotation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import cached_property
from typing import Any

from leadqual.errors import ValidationFailed
from leadqual.models import RecordRef
from leadqual.sources._records import (
    OCCURRED,
    build_record,
    candidates,
    check_targets,
    shape_of,
    value_of,
)
from leadqual.sources.dataverse._odata import FORMATTED, LOGICAL_NAME
from leadqual.sources.sql_mapping import SqlMapping, TableMap, normalize_code

__all__ = [
    "ENTITY_SETS",
    "LABELLED",
    "GUID",
    "WebTable",
    "is_guid",
    "json_key",
    "literal",
    "regarding_bind",
    "web_tables",
]

logger = logging.getLogger("leadqual.sources.dataverse")

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

ENTITY_SETS: dict[str, str] = {
    "lead": "leads", "account": "accounts", "contact": "contacts",
    "opportunity": "opportunities", "email": "emails", "phonecall": "phonecalls",
    "appointment": "appointments", "task": "tasks", "annotation": "annotations",
    "systemuser": "systemusers", "team": "teams", "campaign": "campaigns", "role": "roles",
}  # fmt: skip
"""Table logical name -> entity set name (the Web API's collection)."""

LOOKUPS = frozenset({
    "ownerid", "owninguser", "owningteam", "parentaccountid", "parentcontactid", "campaignid",
    "parentcustomerid", "customerid", "primarycontactid", "originatingleadid",
    "regardingobjectid", "objectid", "createdby", "modifiedby", "transactioncurrencyid",
    "qualifyingopportunityid",
})  # fmt: skip
"""Lookup columns: read as ``_<name>_value``."""

_KIND_OF = {"regardingobjecttypecode": "regardingobjectid", "objecttypecode": "objectid"}
"""Columns naming the table of a polymorphic lookup: read from that lookup's annotation."""

_POINTS_TO = {("contact", "parentcustomerid"): "account"}
"""Polymorphic lookups whose value is kept only when it points at this table (a contact's
parent customer may be another contact, which is not an account)."""

_READ_ONLY = frozenset({"createdon", "modifiedon", "createdby", "sender", "fullname"})
"""Columns the service stamps or computes: never written."""

_BINDS: dict[tuple[str, str], tuple[str, str]] = {
    ("lead", "parentaccountid"): ("parentaccountid", "accounts"),
    ("lead", "parentcontactid"): ("parentcontactid", "contacts"),
    ("lead", "campaignid"): ("campaignid", "campaigns"),
    ("account", "parentaccountid"): ("parentaccountid", "accounts"),
    ("account", "primarycontactid"): ("primarycontactid", "contacts"),
    ("account", "originatingleadid"): ("originatingleadid", "leads"),
    ("contact", "parentcustomerid"): ("parentcustomerid_account", "accounts"),
    ("contact", "originatingleadid"): ("originatingleadid", "leads"),
    ("opportunity", "parentaccountid"): ("parentaccountid", "accounts"),
    ("opportunity", "parentcontactid"): ("parentcontactid", "contacts"),
    ("opportunity", "originatingleadid"): ("originatingleadid", "leads"),
}
"""(table, lookup column) -> (single-valued navigation property, entity set it points to);
``ownerid`` points to ``systemusers`` everywhere."""

_BOOLEANS = frozenset({"directioncode", "isdisabled"})
"""Two-option columns among the mapped ones: written as JSON true/false, not 1/0."""

_LOOKUP_TABLE: dict[tuple[str, str], str] = {
    **{(table, column): target_set[:-1] if target_set != "opportunities" else "opportunity"
       for (table, column), (_, target_set) in _BINDS.items()},
    ("annotation", "createdby"): "systemuser",
}  # fmt: skip
"""(table, lookup column) -> the table it points to, where that is one table."""

LABELLED = frozenset({"lead_source", "industry", "need", "status_reason", "stage"})
"""Targets read as text: a code the mapping does not know (an option the organisation added)
is read as its label, from the FormattedValue annotation."""

_RECORD_KINDS = ("lead", "contact", "account", "opportunity")


def is_guid(value: object) -> bool:
    """Whether ``value`` is a Dataverse id (a GUID, without braces)."""
    return isinstance(value, str) and GUID.fullmatch(value) is not None


def literal(value: Any) -> str:
    """``value`` as an OData literal in a ``$filter``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str) and is_guid(value):
        return value.lower()
    return "'" + str(value).replace("'", "''") + "'"


def json_key(column: str) -> str:
    """The property a column is read from in the Web API's JSON."""
    if column in _KIND_OF:
        return f"_{_KIND_OF[column]}_value{LOGICAL_NAME}"
    if column in LOOKUPS:
        return f"_{column}_value"
    return column


@dataclass(frozen=True)
class WebTable:
    """One mapped table as the Web API serves it."""

    kind: str
    """The record kind: lead, account, contact, opportunity, activity, note or seller."""
    spec: TableMap
    entity_set: str
    keys: dict[str, tuple[str, ...]]
    """Target -> the JSON properties it is read from, in order."""
    codes: dict[str, dict[str, Any]]
    select: tuple[str, ...]
    """The properties asked for with ``$select``."""
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Target -> its columns' logical names, for messages."""

    @cached_property
    def _plan(
        self,
    ) -> tuple[tuple[str, tuple[tuple[str, str | None], ...], bool, Mapping[str, Any]], ...]:
        """Per target: its properties (with the table a polymorphic lookup must point to),
        whether an unknown code is read as its label, and its codes (worked out once, as every
        row of a listing needs them)."""
        plan = []
        for target, keys in self.keys.items():
            codes = self.codes.get(target, {})
            labelled = target in LABELLED and target in self.codes
            props = tuple(
                (
                    key,
                    _POINTS_TO.get((self.logical, key[1:-6]))
                    if key.startswith("_") and key.endswith("_value")
                    else None,
                )
                for key in keys
            )
            plan.append((target, props, labelled, codes))
        return tuple(plan)

    @property
    def logical(self) -> str:
        """The table's logical name (``lead``, ``email``...)."""
        return self.spec.table

    @property
    def id_key(self) -> str:
        """The primary key's property."""
        return self.keys["id"][0]

    @property
    def activity_kind(self) -> str | None:
        """The activity kind a table of activities holds (``email``...)."""
        fixed = self.spec.constants.get("kind")
        return str(fixed) if fixed is not None else None

    def key(self, target: str) -> str | None:
        """The first property ``target`` is read from, or ``None`` when it is not mapped."""
        keys = self.keys.get(target)
        return keys[0] if keys else None

    # -- reading ----------------------------------------------------------------------------------

    def row_id(self, row: Mapping[str, Any]) -> str | None:
        """The row's id, when it has one."""
        value = row.get(self.id_key)
        return value if isinstance(value, str) else None

    def record(
        self,
        row: Mapping[str, Any],
        /,
        *,
        regarding: RecordRef | None = None,
        extra: Mapping[str, list[Any]] | None = None,
    ) -> Any:
        """The record a row holds.

        Args:
            row: one JSON row.
            regarding: the record an activity or note was asked for as regarding, used when the
                service left out the annotation naming the regarding table.
            extra: values of targets read from elsewhere than the row's columns (a seller's
                security roles, from the related role rows).

        Raises:
            RowConversionError: the row cannot be read (a missing column a field needs, a code
                the model refuses...), naming the entity set, the row's id and the column.
        """
        raw: dict[str, list[Any]] = {}
        for target, keys, labelled, codes in self._plan:
            values: list[Any] = []
            for key, points_to in keys:
                value = row.get(key)
                if value is None:
                    continue
                if labelled and normalize_code(value) not in codes:
                    label = row.get(key + FORMATTED)
                    if isinstance(label, str) and label.strip():
                        value = label
                if points_to is not None:
                    pointed = row.get(key + LOGICAL_NAME)
                    if isinstance(pointed, str) and pointed != points_to:
                        continue
                values.append(value)
            if values:
                raw[target] = values
        if (
            regarding is not None
            and "regarding.kind" in self.keys
            and not raw.get("regarding.kind")
        ):
            raw["regarding.kind"] = [regarding.kind]
        raw.update(extra or {})
        return build_record(
            self.kind,
            self.spec,
            raw,
            self.codes,
            label=self.entity_set,
            row_id=self.row_id(row),
            columns=self.names,
        )

    # -- querying ---------------------------------------------------------------------------------

    def condition(self, target: str, value: Any) -> str | None:
        """A ``$filter`` condition keeping the rows whose ``target`` may be ``value``;
        ``None`` when no row can (a value that is no code, an id that is no GUID). Records are
        checked again once read."""
        key = self.key(target)
        if key is None:
            return None
        if target in self.codes or target in self.spec.values:
            codes = [
                c
                for c in candidates(self.spec, target, value)
                if isinstance(c, int) and not isinstance(c, bool)
            ]
            if not codes:
                return None
            return "(" + " or ".join(f"{key} eq {c}" for c in sorted(set(codes))) + ")"
        if key.startswith("_") or target == "id":
            if not is_guid(value):
                return None
            return f"{key} eq {literal(value)}"
        plain = value.value if isinstance(value, Enum) else value
        return f"{key} eq {literal(plain)}"

    def since(self, target: str, when: datetime) -> str | None:
        """A ``$filter`` condition keeping the rows whose ``target`` (its first column that is
        not null, as the record reads it) is at or after ``when``."""
        keys = self.keys.get(target, ())
        if not keys:
            return None
        terms = []
        for i, key in enumerate(keys):
            nulls = [f"{k} eq null" for k in keys[:i]]
            terms.append(" and ".join([*nulls, f"{key} ge {literal(when)}"]))
        return "(" + " or ".join(f"({t})" for t in terms) + ")" if len(terms) > 1 else terms[0]

    def order(self) -> str:
        """``$orderby``: creation (or when an activity took place) then id."""
        first = "created_at"
        if self.kind == "activity":
            first = OCCURRED.get(self.activity_kind or "", "")
        elif self.kind == "seller":
            first = ""
        keys = [k for k in (self.key(first), self.id_key) if k and "@" not in k]
        return ",".join(f"{k} asc" for k in keys)

    # -- writing ----------------------------------------------------------------------------------

    def bind(self, column: str, value: Any, *, target: str) -> tuple[str, str | None]:
        """The ``@odata.bind`` property and value linking ``column`` to the record ``value``."""
        nav, entity_set = _BINDS.get((self.logical, column), (column, "systemusers"))
        if value is None:
            return f"{nav}@odata.bind", None
        if not is_guid(value):
            raise ValidationFailed(
                f"{self.entity_set}: {target} {value!r} is not a Dataverse id (a GUID)",
                field=target,
            )
        return f"{nav}@odata.bind", f"/{entity_set}({value.lower()})"

    def encode(
        self,
        record: Any,
        /,
        *,
        targets: Sequence[str] | None = None,
        creating: bool = False,
        server_columns: bool = False,
        dropped: list[str] | None = None,
    ) -> dict[str, Any]:
        """The JSON body that stores ``record`` (its ``targets``, else every mapped one).

        Choice values become their codes; a label no code stands for is left out (and named in
        ``dropped``) for the text fields read through labels (industry, lead source...) and
        refused for the others. Lookups are bound by id.

        Args:
            record: the record.
            targets: the targets to write (default: every mapped one).
            creating: a new record: empty values are left out, and an id that is a GUID is sent
                as the primary key.
            server_columns: also the columns the service stamps or computes (``createdon``,
                ``statecode``, ``sender``...), read-only lookups as ``_x_value``, and the
                regarding link: a row as the service would hold it (test doubles use it).
            dropped: receives the targets left out because no choice value stands for their
                value (the caller says so once per write).

        Raises:
            ValidationFailed: a value the table cannot store.
        """
        body: dict[str, Any] = {}
        for target in targets if targets is not None else list(self.spec.columns):
            columns = self.spec.column_names(target)
            column = columns[0]
            if target == "regarding.id" and server_columns:
                ref = record.regarding
                body[f"_{column}_value"] = ref.id.lower() if is_guid(ref.id) else ref.id
                body[f"_{column}_value{LOGICAL_NAME}"] = ref.kind
                continue
            if target.startswith("regarding."):
                continue
            if target == "id":
                if (creating or server_columns) and is_guid(record.id):
                    body[column] = record.id.lower()
                continue
            server_only = column in _READ_ONLY or column in ("statecode", "statuscode")
            if column in _KIND_OF or (server_only and not server_columns):
                continue
            value = value_of(record, target)
            if (creating or server_columns) and value in (None, (), {}):
                continue
            if isinstance(value, tuple) and len(columns) > 1:
                parts = (*value, *([None] * len(columns)))
                for col, part in zip(columns, parts, strict=False):
                    body[col] = part
                continue
            if column in LOOKUPS:
                if server_only or server_columns:
                    body[f"_{column}_value"] = value.lower() if is_guid(value) else value
                    pointed = _LOOKUP_TABLE.get((self.logical, column)) or (
                        "systemuser" if column == "ownerid" else None
                    )
                    if pointed:
                        body[f"_{column}_value{LOGICAL_NAME}"] = pointed
                else:
                    key, bound = self.bind(column, value, target=target)
                    body[key] = bound
                continue
            if target in self.spec.values and value is not None:
                codes = [
                    c
                    for c in candidates(self.spec, target, value)
                    if isinstance(c, int | bool) and not isinstance(c, str)
                ]
                if not codes:
                    if target in LABELLED:
                        if dropped is not None:
                            dropped.append(target)
                        continue
                    raise ValidationFailed(
                        f"cannot store {target} {value!r} in {column} of {self.entity_set}: no "
                        "choice value stands for it",
                        field=target,
                    )
                code = codes[0]
                body[column] = bool(code) if column in _BOOLEANS else code
                continue
            body[column] = _json_value(value)
        for target, fixed in self.spec.constants.items():
            if target.startswith("regarding.") or target == "kind":
                continue
            if value_of(record, target) != fixed:
                raise ValidationFailed(
                    f"{self.entity_set} holds only records whose {target} is {fixed!r}",
                    field=target,
                )
        return body

    def stores(self, field_name: str) -> bool:
        """Whether a mapped, writable column holds the field."""
        return any(
            (t == field_name or t.startswith(f"{field_name}."))
            and self.spec.column_names(t)[0] not in _READ_ONLY
            for t in self.spec.columns
        )

    def status_codes(self, state: Any, reason: str | None) -> tuple[int, int | None]:
        """``statecode`` and ``statuscode`` for a status and an optional reason label; the
        status code is ``None`` when the reason is no label of that state (the service then
        picks the state's default)."""
        states = [
            c
            for c in candidates(self.spec, "status", state)
            if isinstance(c, int) and not isinstance(c, bool)
        ]
        if not states:
            raise ValidationFailed(
                f"{self.entity_set}: no statecode stands for {state!r}", field="status"
            )
        wanted = (reason or "").strip().casefold()
        allowed = _STATUS_OF_STATE.get((self.logical, states[0]), ())
        for code, label in self.spec.values.get("status_reason", {}).items():
            if wanted and isinstance(label, str) and label.casefold() == wanted and code in allowed:
                return states[0], int(code)
        return states[0], None


_STATUS_OF_STATE: dict[tuple[str, int], tuple[int, ...]] = {
    ("lead", 0): (1, 2),
    ("lead", 1): (3,),
    ("lead", 2): (4, 5, 6, 7),
}
"""Which status reasons belong to which state (the lead table's reference)."""


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value) if value else None
    return value


def _web_table(kind: str, spec: TableMap, entity_sets: Mapping[str, str]) -> WebTable:
    check_targets(kind, spec)
    keys: dict[str, tuple[str, ...]] = {}
    names: dict[str, tuple[str, ...]] = {}
    for target in spec.columns:
        shape_of(kind, target)  # refuses a target the kind does not have
        columns = spec.column_names(target)
        keys[target] = tuple(json_key(c) for c in columns)
        names[target] = columns
    select: dict[str, None] = {}
    for target_keys in keys.values():
        for key in target_keys:
            if "@" not in key:
                select.setdefault(key, None)
    codes = {
        target: {normalize_code(code): value for code, value in table_codes.items()}
        for target, table_codes in spec.values.items()
    }
    entity_set = entity_sets.get(spec.table) or ENTITY_SETS.get(spec.table) or f"{spec.table}s"
    return WebTable(kind, spec, entity_set, keys, codes, tuple(select), names)


def web_tables(
    mapping: SqlMapping, entity_sets: Mapping[str, str] | None = None
) -> dict[str, list[WebTable]]:
    """Record kind -> the tables holding it, as the Web API serves them.

    Raises:
        ConfigurationError: a table map naming a target its kind does not have, or leaving out
            one it needs.
    """
    sets = dict(entity_sets or {})
    out: dict[str, list[WebTable]] = {}
    for kind, name in (("lead", "leads"), ("account", "accounts"), ("contact", "contacts"),
                       ("opportunity", "opportunities"), ("activity", "activities"),
                       ("note", "notes"), ("seller", "sellers")):  # fmt: skip
        specs = getattr(mapping, name)
        specs = specs if isinstance(specs, tuple) else (specs,)
        out[kind] = [_web_table(kind, s, sets) for s in specs if s is not None]
    return out


def regarding_bind(table: WebTable, target: RecordRef) -> tuple[str, str]:
    """The ``@odata.bind`` property and value pointing an activity or a note at ``target``."""
    if target.kind not in _RECORD_KINDS or not is_guid(target.id):
        raise ValidationFailed(
            f"cannot point {table.entity_set} at {target.kind} {target.id!r}: not a Dataverse id",
            field="regarding.id",
        )
    column = table.spec.column_names("regarding.id")[0]
    nav = f"{column}_{target.kind}" + (f"_{table.logical}" if table.kind == "activity" else "")
    return f"{nav}@odata.bind", f"/{ENTITY_SETS[target.kind]}({target.id.lower()})"
