"""The base class of every public pydantic model, and shared field types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic._internal._model_construction import ModelMetaclass

from leadqual.errors import ValidationFailed

__all__ = [
    "FrozenModel",
    "LeadqualModel",
    "UtcDatetime",
    "as_validation_failed",
    "check_frame",
    "parse_utc",
    "to_utc",
]


def to_utc(value: datetime, field: str = "now") -> datetime:
    """Return ``value`` as an aware UTC datetime; a naive value is taken to be UTC already.

    Components call it on the reference time they are given, so anything but a datetime raises
    :class:`~leadqual.errors.ValidationFailed` naming ``field``.
    """
    if not isinstance(value, datetime):
        raise ValidationFailed(
            f"{field} must be a datetime, got {type(value).__name__}: {value!r:.60}", field=field
        )
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01 at +05:00 is still year 0 in UTC, 9999-12-31 at -05:00 already year 10000
        raise ValidationFailed(
            f"{field} {value.isoformat()} lies outside the years 1 to 9999 once read in UTC",
            field=field,
        ) from None


def parse_utc(text: str, /, field: str = "now") -> datetime:
    """An ISO 8601 date or time read as an aware UTC datetime (surrounding spaces ignored; a
    naive value is taken to be UTC already), as the command lines read ``--now``.

    Raises:
        ValidationFailed: not an ISO 8601 date or time, or one outside the years 1 to 9999 once
            read in UTC; ``field`` names where it came from.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2025-06-30T09:00:00Z)", field=field
        ) from None
    return to_utc(parsed, field)


def check_frame(frame: Any, /, *, field: str = "frame") -> None:
    """Refuse anything but a pandas DataFrame with unique column names, naming ``field``.

    A repeated name makes ``frame[name]`` a table rather than a column, which no component reads;
    an integer beyond the float range cannot be compared as a number; a bytes cell is text in an
    unknown encoding (pandas would decode it as UTF-8 in one place and print it as ``b'...'`` in
    another), and a string holding a lone surrogate is not text at all: each is refused, naming
    its column and row, rather than read one way or another.
    """
    import numpy as np  # only when a table is passed in: importing leadqual stays light
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ValidationFailed(
            f"{field} must be a pandas DataFrame, got {type(frame).__name__}", field=field
        )
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        names = ", ".join(sorted({repr(c) for c in repeated}))
        raise ValidationFailed(
            f"{field} has repeated column names: {names}; each column must be named once: rename "
            "or drop the repeats (e.g. frame.loc[:, ~frame.columns.duplicated()])",
            field=str(repeated[0]),
        )
    for name, dtype in zip(frame.columns, frame.dtypes, strict=True):
        python_text = isinstance(dtype, pd.StringDtype) and dtype.storage == "python"
        if dtype != np.dtype(object) and not python_text:
            continue  # numbers, dates, flags and Arrow-backed text hold none of these
        kind = pd.api.types.infer_dtype(frame[name], skipna=True)
        if kind == "string":
            if _encodes(frame[name]):
                continue
        elif kind in _PLAIN:
            continue
        for row, value in frame[name].items():
            why = _unreadable_cell(value, name)
            if why is not None:
                raise ValidationFailed(
                    f"{field} column {name!r} holds {why} in row {row!r}", field=str(name)
                )


def _encodes(column: Any) -> bool:
    """Whether a column of strings is all valid Unicode (one pass, in C, for the common case)."""
    try:
        "".join(column.dropna().tolist()).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unreadable_cell(value: Any, column: Any) -> str | None:
    """Why one cell of a table cannot be read as a value, or ``None`` when it can."""
    if isinstance(value, int) and abs(value) > _MAX_FLOAT_INT:
        return "an integer too large for a number; fix the value or pass it as text"
    if isinstance(value, bytes | bytearray):
        return (
            f"bytes ({bytes(value)!r:.40}), not text; decode the column first, e.g. "
            f"frame[{column!r}].str.decode('utf-8')"
        )
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return (
                f"text that is not valid Unicode ({value!r:.40}: a lone surrogate); fix the "
                "value where it was read"
            )
    return None


_PLAIN = frozenset({"string", "floating", "boolean", "datetime", "date", "empty"})
"""Column kinds (``pandas.api.types.infer_dtype``) that cannot hold a Python integer."""
_MAX_FLOAT_INT = int(1.7976931348623157e308)
"""The largest integer a float holds."""


def _field_to_utc(value: datetime) -> datetime:
    # pydantic's error already names the field; the message only needs to say what is wrong
    return to_utc(value, field="the time")


UtcDatetime = Annotated[datetime, AfterValidator(_field_to_utc)]
"""A datetime stored in UTC. Naive input is read as UTC, so CRM exports without offsets still load."""


def as_validation_failed(err: ValidationError, title: str) -> ValidationFailed:
    """Turn a pydantic error into a :class:`~leadqual.errors.ValidationFailed` naming the field."""
    errors = err.errors(include_url=False, include_context=False)
    first = errors[0] if errors else None
    field = ".".join(str(part) for part in first["loc"]) if first and first["loc"] else None
    lines = [
        f"  {'.'.join(str(p) for p in e['loc']) or '(model)'}: {e['msg']}" for e in errors[:10]
    ]
    more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
    message = f"invalid {title}: {len(errors)} problem(s)\n" + "\n".join(lines) + more
    plain = [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in errors]
    return ValidationFailed(message, field=field, errors=plain)


class _LeadqualMeta(ModelMetaclass):
    # Constructor calls go through the metaclass; catching here (not in ``__init__``) keeps
    # pydantic's fast path and the full error location for nested models.
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass method
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as err:
            raise as_validation_failed(err, cls.__name__) from None


class LeadqualModel(BaseModel, metaclass=_LeadqualMeta):
    """Base of leadqual's models: unknown fields refused, strings stripped.

    Validation problems raise :class:`~leadqual.errors.ValidationFailed` (a ``ValueError``) that
    names the offending field, whether the model is built with its constructor, ``model_validate``
    or ``model_validate_json``.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` (a mapping or a model) into this model."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as err:
            raise as_validation_failed(err, cls.__name__) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """Validate a JSON document into this model."""
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as err:
            raise as_validation_failed(err, cls.__name__) from None

    def replace(self, **changes: Any) -> Self:
        """Return a validated copy with ``changes`` applied (``model_copy`` does not validate)."""
        data = self.model_dump()
        data.update(changes)
        return type(self).model_validate(data)


class FrozenModel(LeadqualModel):
    """Base of immutable results and configuration parts: a :class:`LeadqualModel` that is frozen
    (hashable, safe to share between threads and to cache)."""

    model_config = ConfigDict(frozen=True)
