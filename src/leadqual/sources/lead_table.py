"""The lead table: leads as one pandas DataFrame, with documented columns and dtypes.

Every batch API reads it and the columnar import writes it:
:func:`~leadqual.sources.tabular.read_lead_table` turns a CRM export into this table without
making a :class:`~leadqual.models.Lead` per row, :func:`lead_table` turns leads into it, and
:func:`leads_from_table` turns it back into leads when records are needed.

Columns are named as :class:`~leadqual.sources.tabular.LeadMapping` names the fields (so
:func:`~leadqual.sources.tabular.guess_mapping` maps a lead table to itself), in this order:

==========================================  ==========================  ===========================
column                                      dtype                       missing
==========================================  ==========================  ===========================
``id`` and the text fields (names, email,   ``str``                     ``NaN``
job title, company, website, industry,
lead source, campaign, topic, need,
description, line of business, status
reason, owner, account and contact ids)
``employee_count``                          ``Int64``                   ``<NA>``
``annual_revenue``                          ``float64``                 ``NaN``
``created_at``, ``modified_at``,            ``datetime64[us, UTC]``     ``NaT``
``closed_at``
``status``                                  ``category`` (``open``,     never (``open`` by default)
                                            ``qualified``,
                                            ``disqualified``)
``other_emails``                            ``object`` (tuples of str)  ``()``
``phones.business``, ``phones.mobile``,     ``str``                     ``NaN``
``phones.home``, ``phones.other``
``address.street``, ``address.city``,       ``str``                     ``NaN``
``address.state``, ``address.postal_code``,
``address.country``
``custom_fields.<name>``, one per custom    ``object`` (str, int,       ``None``
field, after the columns above              float or bool)
==========================================  ==========================  ===========================

The index is a plain ``RangeIndex``. A lead with more than one phone number of a kind keeps
the first in ``phones.<kind>``.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead
    >>> lead = Lead(id="L-1", first_name="Ada", company_name="Analytical Ltd",
    ...             employee_count=12, created_at=datetime(2025, 3, 1, tzinfo=UTC))
    >>> table = lead_table([lead])
    >>> table.loc[0, ["id", "company_name", "status"]].tolist(), table["employee_count"].tolist()
    (['L-1', 'Analytical Ltd', 'open'], [12])
    >>> str(table["created_at"].dtype), str(table["employee_count"].dtype)
    ('datetime64[us, UTC]', 'Int64')
    >>> next(leads_from_table(table)) == lead
    True
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from leadqual.errors import ValidationFailed
from leadqual.models import Address, Lead, LeadStatus
from leadqual.sources import _fast

__all__ = [
    "LEAD_TABLE_COLUMNS",
    "STATUS_DTYPE",
    "check_lead_table",
    "is_lead_table",
    "lead_table",
    "leads_from_table",
]

PHONE_KINDS: tuple[str, ...] = ("business", "mobile", "home", "other")

_STR = pd.StringDtype("pyarrow", na_value=np.nan)

STATUS_DTYPE = pd.CategoricalDtype([s.value for s in LeadStatus])
"""The dtype of the ``status`` column: ``open``, ``qualified``, ``disqualified``."""

_TEXT_BEFORE = ("first_name", "last_name", "job_title", "email")
_TEXT_AFTER = (
    "company_name",
    "website",
    "industry",
    "lead_source",
    "campaign",
    "topic",
    "need",
    "description",
    "line_of_business",
)
_TEXT_END = ("status_reason",)
_OWNERS = ("owner_id", "account_id", "contact_id")

LEAD_TABLE_COLUMNS: Mapping[str, str] = {
    "id": "str",
    **dict.fromkeys(_TEXT_BEFORE, "str"),
    "other_emails": "object",
    **{f"phones.{kind}": "str" for kind in PHONE_KINDS},
    **{f"address.{part}": "str" for part in Address.model_fields},
    **dict.fromkeys(_TEXT_AFTER, "str"),
    "employee_count": "Int64",
    "annual_revenue": "float64",
    "created_at": "datetime64[us, UTC]",
    "modified_at": "datetime64[us, UTC]",
    "status": "category",
    **dict.fromkeys(_TEXT_END, "str"),
    "closed_at": "datetime64[us, UTC]",
    **dict.fromkeys(_OWNERS, "str"),
}
"""Column -> dtype of the lead table, in column order (``custom_fields.<name>`` columns,
``object``, follow)."""

_DATES = ("created_at", "modified_at", "closed_at")
_CUSTOM = "custom_fields."


def is_lead_table(frame: pd.DataFrame, /) -> bool:
    """Whether ``frame`` has the lead table's columns (whatever else it has)."""
    return isinstance(frame, pd.DataFrame) and all(c in frame.columns for c in LEAD_TABLE_COLUMNS)


def check_lead_table(frame: object, /, *, field: str = "frame") -> pd.DataFrame:
    """``frame`` when it is a lead table: every column, each with its dtype.

    Raises:
        ValidationFailed: not a DataFrame, a column missing, or a column of another dtype (the
            message names them; :func:`lead_table` or
            :func:`~leadqual.sources.tabular.read_lead_table` make the table).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValidationFailed(
            f"{field} must be a pandas DataFrame (a lead table), got {type(frame).__name__}",
            field=field,
        )
    missing = [c for c in LEAD_TABLE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationFailed(
            f"{field} is not a lead table: it has no {', '.join(repr(c) for c in missing[:6])}"
            f"{' ...' if len(missing) > 6 else ''}; lead_table(leads) or read_lead_table(file) "
            "make one",
            field=field,
        )
    wrong = [
        f"{c} is {frame[c].dtype}, not {dtype}"
        for c, dtype in LEAD_TABLE_COLUMNS.items()
        if not _dtype_is(frame[c], dtype)
    ]
    if wrong:
        raise ValidationFailed(f"{field} is not a lead table: {'; '.join(wrong)}", field=field)
    return frame


def _dtype_is(series: pd.Series, dtype: str) -> bool:
    if dtype == "str":
        return isinstance(series.dtype, pd.StringDtype)
    if dtype == "category":
        return isinstance(series.dtype, pd.CategoricalDtype)
    return str(series.dtype) == dtype


# -- building the table -------------------------------------------------------------------------


def typed_table(columns: Mapping[str, Any], n: int, custom: Sequence[str] = ()) -> pd.DataFrame:
    """The lead table from column values (lists or Series by position; absent columns empty),
    each given its dtype. One place decides the dtypes, for both ways a table is made."""
    data: dict[str, Any] = {}
    empty: dict[str, pd.Series] = {}
    for name, dtype in LEAD_TABLE_COLUMNS.items():
        values = columns.get(name)
        if name == "status":
            data[name] = _status(values, n)
        elif name == "other_emails":
            data[name] = _tuples(values, n)
        elif values is None:
            if dtype not in empty:
                empty[dtype] = _empty(dtype, n)
            data[name] = empty[dtype]
        elif isinstance(values, pd.Series) and _dtype_is(values, dtype):
            data[name] = values.reset_index(drop=True)
        else:
            data[name] = _as(values, dtype)
    for name in custom:
        values = columns.get(f"{_CUSTOM}{name}")
        data[f"{_CUSTOM}{name}"] = pd.Series(
            [None] * n if values is None else _objects(values), dtype=object
        )
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def _empty(dtype: str, n: int) -> pd.Series:
    if dtype == "str":
        return pd.Series(cast(Any, _STR).__from_arrow__(pa.nulls(n, pa.large_string())))
    if dtype == "Int64":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, dtype=bool)))
    if dtype == "float64":
        return pd.Series(np.full(n, np.nan))
    return pd.Series(np.full(n, np.datetime64("NaT", "us")), dtype="datetime64[us]").dt.tz_localize(
        "UTC"
    )


def _as(values: Any, dtype: str) -> pd.Series:
    if isinstance(values, pd.Series):
        values = values.reset_index(drop=True)
    if dtype == "str":
        return pd.Series(values, dtype="str")
    if dtype == "Int64":
        try:
            return pd.Series(pd.array(list(values), dtype="Int64"))
        except (OverflowError, TypeError) as err:
            raise ValidationFailed(
                "employee_count holds a number the lead table cannot store (above 2**63 - 1)",
                field="employee_count",
            ) from err
    if dtype == "float64":
        return pd.Series(values, dtype="float64")
    return pd.Series(values, dtype="datetime64[us, UTC]")


def _status(values: Any, n: int) -> pd.Series:
    if values is None:
        return pd.Series(pd.Categorical(["open"] * n, dtype=STATUS_DTYPE))
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        return values.reset_index(drop=True).fillna("open").astype(STATUS_DTYPE)
    texts = ["open" if v is None else str(getattr(v, "value", v)) for v in values]
    return pd.Series(pd.Categorical(texts, dtype=STATUS_DTYPE))


def _tuples(values: Any, n: int) -> pd.Series:
    out = np.empty(n, dtype=object)
    if values is None:
        out[:] = [()] * n
    else:
        out[:] = [() if v is None else tuple(v) for v in values]
    return pd.Series(out, dtype=object)


def _objects(values: Any) -> list[Any]:
    items = values.tolist() if isinstance(values, pd.Series) else list(values)
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in items]


def lead_table(leads: Iterable[Lead], /, *, custom_fields: Sequence[str] = ()) -> pd.DataFrame:
    """The lead table of ``leads``, one row per lead in their order.

    Args:
        leads: the leads.
        custom_fields: custom field names to give a column even when no lead has a value (the
            leads' own custom fields always get one, sorted by name).

    Raises:
        ValidationFailed: an item is not a :class:`~leadqual.models.Lead`.
    """
    items = list(leads)
    for i, lead in enumerate(items):
        if not isinstance(lead, Lead):
            raise ValidationFailed(
                f"leads must be Lead records; item {i} is a {type(lead).__name__}", field="leads"
            )
    n = len(items)
    simple = [c for c in LEAD_TABLE_COLUMNS if "." not in c and c not in ("other_emails",)]
    columns: dict[str, Any] = {c: [getattr(lead, c) for lead in items] for c in simple}
    columns["other_emails"] = [lead.other_emails for lead in items]
    for part in Address.model_fields:
        columns[f"address.{part}"] = [
            getattr(lead.address, part) if lead.address is not None else None for lead in items
        ]
    for kind in PHONE_KINDS:
        columns[f"phones.{kind}"] = [
            next((p.number for p in lead.phones if p.kind == kind), None) for lead in items
        ]
    names = sorted({*custom_fields, *(k for lead in items for k in lead.custom_fields)})
    for name in names:
        columns[f"{_CUSTOM}{name}"] = [lead.custom_fields.get(name) for lead in items]
    return typed_table(columns, n, names)


# -- back to leads ------------------------------------------------------------------------------


def python_values(series: pd.Series, /) -> list[Any]:
    """A column's values as the model takes them: ``None`` for missing, Python ``int``,
    ``float``, ``str``, and aware datetimes whose zone is ``datetime.UTC``."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        naive = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        return [None if v is None else v.replace(tzinfo=UTC) for v in naive.astype(object).tolist()]
    if isinstance(dtype, pd.CategoricalDtype):
        return [None if v is None or v != v else LeadStatus(v) for v in series.tolist()]
    if str(dtype) == "Int64":
        return [None if v is pd.NA else int(v) for v in series.tolist()]
    return [
        None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
        for v in series.tolist()
    ]


def leads_from_table(table: pd.DataFrame, /, *, batch_rows: int = 10_000) -> Iterator[Lead]:
    """The leads of a lead table, made as they are iterated (``batch_rows`` at a time), equal to
    the leads the table was made from.

    Rows whose values prove what the model validates are built directly; any other row is
    validated by :class:`~leadqual.models.Lead`.

    Raises:
        ValidationFailed: ``table`` is not a lead table, or a row the model refuses (an edited
            table: ``modified_at`` before ``created_at``...); the message gives its position.
    """
    check_lead_table(table, field="table")
    custom = [c for c in table.columns if isinstance(c, str) and c.startswith(_CUSTOM)]
    for start in range(0, len(table), batch_rows):
        part = table.iloc[start : start + batch_rows]
        was_on = gc.isenabled()
        # Leads hold no reference cycles, and each pass of the cyclic collector would walk
        # every lead made so far: paused while a batch is made, restored as it was.
        gc.disable()
        try:
            batch = _leads(part, custom, start)
        finally:
            if was_on:
                gc.enable()
        yield from batch


def _leads(part: pd.DataFrame, custom: list[str], start: int) -> list[Lead]:
    n = len(part)
    values_of: dict[str, list[Any]] = {}
    for column in (*LEAD_TABLE_COLUMNS, *custom):
        if column == "id":
            continue
        values = python_values(part[column])
        if column == "other_emails":
            values = [v if v else None for v in values]
        if all(v is None for v in values):
            continue
        values_of[column] = values
    ids = python_values(part["id"])
    built, _ = _fast.fast_leads(values_of, ids, range(n))
    out: list[Lead] = []
    for i in range(n):
        lead = built.get(i)
        if lead is None:
            data = record_data(values_of, i)
            data["id"] = ids[i]
            try:
                lead = Lead.model_validate(data)
            except ValidationFailed as err:
                raise ValidationFailed(
                    f"row {start + i} of the lead table is not a valid lead: {err}",
                    field="table",
                    errors=err.errors,
                ) from None
        out.append(lead)
    return out


def record_data(values_of: Mapping[str, Sequence[Any]], i: int) -> dict[str, Any]:
    """The model's input for row ``i`` of ``values_of`` (target -> values; nested targets
    dotted: ``address.city``, ``custom_fields.tier``, ``regarding.id`` become nested mappings,
    ``phones.<kind>`` a list of numbers in the kinds' order), ``None`` left out."""
    data: dict[str, Any] = {}
    phones: dict[str, Any] = {}
    for target, values in values_of.items():
        v = values[i]
        if v is None:
            continue
        head, dot, tail = target.partition(".")
        if not dot:
            data[target] = v
        elif head == "phones":
            phones[tail] = v
        else:
            data.setdefault(head, {})[tail] = v
    if phones:
        data["phones"] = [
            {"number": phones[k], "kind": k}
            for k in sorted(phones, key=lambda k: PHONE_KINDS.index(k) if k in PHONE_KINDS else 9)
        ]
    return data
