"""Turning the stored values of one row into a record, through a :class:`TableMap`.

Shared by the sources that read a CRM's own tables, whatever carries the rows: SQL through
SQLAlchemy (:mod:`leadqual.sources.sql_source`) and the Dataverse Web API's JSON
(:mod:`leadqual.sources.dataverse`). A source gathers, for each mapped target, the values its
columns hold (``None`` left out, in column order); everything from there on (codes mapped to
labels, values converted to what the field holds, nested fields assembled, the model validated,
a row that cannot be read reported with its table, id and column) is written once, here.
"""

from __future__ import annotations

import difflib
import functools
import types
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from leadqual._base import LeadqualModel
from leadqual._text import clean_cell
from leadqual.errors import ConfigurationError, RowConversionError, ValidationFailed
from leadqual.models import (
    Account,
    Appointment,
    ChatMessage,
    Contact,
    EmailMessage,
    Lead,
    Note,
    Opportunity,
    PhoneCall,
    Seller,
    Task,
)
from leadqual.sources.sql_mapping import TableMap, normalize_code

__all__ = [
    "ACTIVITY_MODELS",
    "MODELS",
    "OCCURRED",
    "TARGETS",
    "Unreadable",
    "build_record",
    "candidates",
    "check_targets",
    "close_matches",
    "convert",
    "put",
    "required",
    "shape_of",
    "target_of",
    "text",
    "value_of",
]

MODELS: dict[str, type[LeadqualModel]] = {
    "lead": Lead, "account": Account, "contact": Contact, "opportunity": Opportunity,
    "note": Note, "seller": Seller,
}  # fmt: skip
"""The model of each record kind but activities."""
ACTIVITY_MODELS: dict[str, type[LeadqualModel]] = {
    "email": EmailMessage, "chat": ChatMessage, "appointment": Appointment,
    "phone_call": PhoneCall, "task": Task,
}  # fmt: skip
"""The model of each activity kind."""
OCCURRED = {"email": "sent_at", "chat": "sent_at", "appointment": "start",
            "phone_call": "started_at", "task": "created_at"}  # fmt: skip
"""The field that says when an activity of each kind took place."""


# -- what each target field holds --------------------------------------------------------------


def _shape(annotation: Any) -> str:
    """What a model field holds: text, int, float, bool, datetime, texts (a tuple of strings),
    phones, address, ref, custom, or other."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _shape(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _shape(args[0]) if len(args) == 1 else "scalar"
    if origin is Literal:
        return "text"
    if origin is tuple:
        inner = _shape(get_args(annotation)[0])
        return {"text": "texts", "phone": "phones"}.get(inner, "other")
    if origin is not None and origin.__name__ == "Mapping":
        return "custom"
    if isinstance(annotation, type):
        for kind, shape in ((bool, "bool"), (int, "int"), (float, "float"),
                            (datetime, "datetime"), (str, "text")):  # fmt: skip
            if issubclass(annotation, kind):
                return shape
        if annotation.__name__ == "Phone":
            return "phone"
        if annotation.__name__ == "Address":
            return "address"
        if annotation.__name__ == "RecordRef":
            return "ref"
    return "other"


def _targets(model: type[BaseModel]) -> dict[str, str]:
    """Every target a mapping may name for ``model``, with the shape of its value."""
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        shape = _shape(info.annotation)
        if shape == "address":
            out.update({f"address.{part}": "text" for part in ("street", "city", "state",
                                                                "postal_code", "country")})  # fmt: skip
        elif shape == "ref":
            out.update({"regarding.kind": "text", "regarding.id": "text"})
        elif shape == "phones":
            out.update({f"phones.{k}": "text" for k in ("business", "mobile", "home", "other")})
        elif shape in ("custom", "other"):
            continue
        else:
            out[name] = shape
    return out


_ACTIVITY_TARGETS: dict[str, str] = {
    t: s for model in ACTIVITY_MODELS.values() for t, s in _targets(model).items()
}
TARGETS: dict[str, dict[str, str]] = {
    **{kind: _targets(model) for kind, model in MODELS.items()},
    "activity": _ACTIVITY_TARGETS,
}
"""Record kind -> every target a mapping may name -> the shape of its value."""


@functools.cache
def shape_of(kind: str, target: str) -> str:
    """The shape of the value ``target`` holds in a ``kind`` record."""
    if target.startswith("custom_fields."):
        return "scalar"
    return TARGETS[kind][target]


def required(kind: str) -> list[str]:
    """The targets a ``kind`` record cannot be built without."""
    if kind == "activity":
        return ["id", "kind", "regarding.kind", "regarding.id"]
    model = MODELS[kind]
    out = [n for n, info in model.model_fields.items() if info.is_required()]
    return [("regarding.id" if n == "regarding" else n) for n in out]


def close_matches(name: str, names: Sequence[str]) -> str:
    """``; did you mean 'x'?`` naming the names close to ``name`` (or listing some of them)."""
    by_fold = {n.casefold(): n for n in names}
    near = difflib.get_close_matches(name.casefold(), list(by_fold), n=3, cutoff=0.6)
    if not near:
        shown = ", ".join(sorted(names)[:15])
        return f"; it has: {shown}" if names else ""
    return "; did you mean " + " or ".join(repr(by_fold[n]) for n in near) + "?"


def check_targets(kind: str, spec: TableMap) -> None:
    """Refuse a table map naming a target ``kind`` records do not have, values for a target no
    column is mapped to, or one that leaves out a target the record needs.

    Raises:
        ConfigurationError: what is wrong, and the close matches.
    """
    known = TARGETS[kind]
    for group, targets in (("columns", spec.columns), ("values", spec.values),
                           ("constants", spec.constants)):  # fmt: skip
        for target in targets:
            if target in known or (target.startswith("custom_fields.") and len(target) > 14):
                continue
            raise ConfigurationError(
                f"{spec.table}: {kind} records have no field {target!r} (in {group})"
                + close_matches(target, list(known))
            )
    for target in spec.values:
        if target not in spec.columns:
            raise ConfigurationError(
                f"{spec.table}: values are given for {target!r}, which is mapped to no column"
            )
    fixed = spec.constants.get("kind")
    if kind == "activity" and fixed is not None and fixed not in ACTIVITY_MODELS:
        raise ConfigurationError(
            f"{spec.table}: {fixed!r} is not an activity kind ({', '.join(ACTIVITY_MODELS)})"
        )
    missing = [t for t in required(kind) if t not in spec.columns and t not in spec.constants]
    if kind == "activity" and "kind" in missing:
        raise ConfigurationError(
            f"{spec.table}: say which kind of activity each row is: constants={{'kind': "
            f"'email'}} for a table of one kind, or map 'kind' to a column"
        )
    if missing:
        raise ConfigurationError(
            f"{spec.table}: {kind} records need {', '.join(repr(m) for m in missing)}: map a "
            "column (or a constant) to each"
        )


# -- reading values ----------------------------------------------------------------------------


class Unreadable(Exception):
    """A stored value the target cannot hold; the message says why."""


def text(value: Any) -> str:
    """A stored value as text (:class:`Unreadable` for bytes and other objects)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float | Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise Unreadable(f"a {type(value).__name__} value is not text")


def convert(shape: str, value: Any) -> Any:
    """``value`` as read from storage, in a form the model's field accepts."""
    if shape == "text":
        return text(value)
    if shape == "texts":
        parts = value if isinstance(value, list) else [value]
        out: list[str] = []
        for part in parts:
            out.extend(p.strip() for p in text(part).split(";") if p.strip())
        return out
    if shape == "datetime":
        if isinstance(value, datetime | str):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        raise Unreadable(f"a {type(value).__name__} value is not a date and time")
    if shape in ("int", "float"):
        if isinstance(value, bytes | datetime | date):
            raise Unreadable(f"a {type(value).__name__} value is not a number")
        if isinstance(value, Decimal):
            return (
                int(value)
                if shape == "int" and value == value.to_integral_value()
                else (float(value))
            )
        return value
    if shape == "scalar":
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, Decimal):
            return float(value)
        return text(value)
    if isinstance(value, bytes):  # bool
        raise Unreadable("a bytes value is not true or false")
    return value


def _is_key(target: str) -> bool:
    """Whether a target holds a record's key (``id``, ``owner_id``, ``regarding.id``): kept as
    stored, since the source looks records up by it."""
    return target == "id" or target.endswith((".id", "_id"))


@functools.cache
def _parts(target: str) -> tuple[str, str]:
    head, _, rest = target.partition(".")
    return head, rest


def put(data: dict[str, Any], target: str, value: Any) -> None:
    """Set ``target`` (dotted for nested fields) in the model's input ``data``."""
    head, rest = _parts(target)
    if not rest:
        data[head] = value
    elif head == "phones":
        data.setdefault("phones", []).append({"number": value, "kind": rest})
    else:
        data.setdefault(head, {})[rest] = value


def target_of(err: ValidationFailed) -> str | None:
    """The target a model's validation error is about (``address.city``, ``status``...)."""
    if not err.errors:
        return err.field
    loc = [str(p) for p in err.errors[0]["loc"]]
    if not loc:
        return None
    if loc[0] in ("address", "regarding", "custom_fields") and len(loc) > 1:
        return f"{loc[0]}.{loc[1]}"
    return loc[0]


def build_record(
    kind: str,
    spec: TableMap,
    raw: Mapping[str, Sequence[Any]],
    codes: Mapping[str, Mapping[str, Any]],
    *,
    label: str,
    row_id: str | None,
    columns: Mapping[str, Sequence[str]],
) -> Any:
    """The record one row holds.

    Args:
        kind: ``lead``, ``account``, ``contact``, ``opportunity``, ``activity``, ``note`` or
            ``seller``.
        spec: the row's table map (its constants are applied).
        raw: target -> the values the target's columns hold, ``None`` left out, in column order.
        codes: target -> {:func:`~leadqual.sources.sql_mapping.normalize_code` of a stored code:
            model value}.
        label: the table, as errors name it.
        row_id: the row's id, as errors name it.
        columns: target -> the names of its columns, as errors name them.

    Raises:
        RowConversionError: the row cannot be read as a record, naming its table, id and column.
    """
    data: dict[str, Any] = {}
    for target, values in raw.items():
        if not values:
            continue
        shape = shape_of(kind, target)
        value: Any = list(values) if shape == "texts" else values[0]
        table_codes = codes.get(target)
        if table_codes is not None:
            value = (
                [table_codes.get(normalize_code(v), v) for v in values]
                if shape == "texts"
                else (table_codes.get(normalize_code(value), value))
            )
        if value is None:
            continue
        try:
            value = convert(shape, value)
            if shape in ("text", "texts") and not _is_key(target):
                # the tabular sources' cleaning: a cell is the same text from a CSV or a table,
                # and one with nothing left in it is empty there too
                value = (
                    [c for c in (clean_cell(v) for v in value) if c]
                    if shape == "texts"
                    else clean_cell(value)
                )
                if not value:
                    continue
        except Unreadable as err:
            column = columns.get(target, (None,))[0]
            raise RowConversionError(
                f"{label} row {row_id!r}: column {column!r} ({target}): {err}",
                table=label, row_id=row_id, column=column, field=target,
            ) from None  # fmt: skip
        put(data, target, value)
    for target, fixed in spec.constants.items():
        put(data, target, fixed)
    model = MODELS.get(kind)
    if kind == "activity":
        model = ACTIVITY_MODELS.get(str(data.get("kind")))
        if model is None:
            kind_columns = columns.get("kind", ())
            raise RowConversionError(
                f"{label} row {row_id!r}: {data.get('kind')!r} is not an activity kind "
                f"({', '.join(ACTIVITY_MODELS)}); map the codes with values={{'kind': ...}}",
                table=label, row_id=row_id, column=kind_columns[0] if kind_columns else None,
                field="kind",
            )  # fmt: skip
        fields = model.model_fields
        data = {k: v for k, v in data.items() if k in fields}
    assert model is not None
    try:
        return model.model_validate(data)
    except ValidationFailed as err:
        bad = target_of(err)
        cols = tuple(columns.get(bad, ())) if bad else ()
        place = f"column {cols[0]!r} ({bad})" if cols else f"field {bad!r}"
        if bad and not cols and bad in spec.constants:
            place = f"constant {bad!r}"
        elif bad and not cols:
            place += " (not mapped to a column)"
        reason = err.errors[0]["msg"] if err.errors else str(err)
        raise RowConversionError(
            f"{label} row {row_id!r}: {place}: {reason}",
            table=label, row_id=row_id, column=cols[0] if cols else None,
            field=bad, errors=err.errors,
        ) from None  # fmt: skip


# -- writing values ----------------------------------------------------------------------------


def value_of(record: Any, target: str) -> Any:
    """The value of ``target`` (dotted for nested fields) in ``record``."""
    head, _, rest = target.partition(".")
    value = getattr(record, head, None)
    if not rest:
        return value
    if head == "phones":
        return next((p.number for p in value or () if p.kind == rest), None)
    if head == "custom_fields":
        return (value or {}).get(rest)
    return getattr(value, rest, None) if value is not None else None


def candidates(spec: TableMap, target: str, model_value: Any) -> list[Any]:
    """The stored values that read as ``model_value``: the codes that map to it, and itself."""
    out = [
        code
        for code, value in spec.values.get(target, {}).items()
        if value == model_value or (isinstance(model_value, Enum) and value == model_value.value)
    ]
    plain = model_value.value if isinstance(model_value, Enum) else model_value
    out.append(plain)
    return out
