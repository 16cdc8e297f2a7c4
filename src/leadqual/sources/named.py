"""The ``tabular`` and ``sql`` CRM sources by name: the factories their ``leadqual.crm_sources``
entry points name, taking keyword options that may be written as text (``leadqual mcp
--source sql --source-option url=sqlite:///crm.db --source-option mapping=crm-mapping.yaml``).

A mapping option is the mapping itself, a mapping of its fields, or the path of a YAML or JSON
file holding one (``tabular`` also takes a preset name: ``dynamics365``, ``salesforce``...).

Examples:
    >>> from leadqual.sources.registry import crm_source_registry
    >>> registry = crm_source_registry(load_plugins=False)
    >>> registry.factory("tabular") is tabular_source, registry.factory("sql") is sql_source
    (True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from leadqual.config import load_mapping
from leadqual.errors import ConfigurationError, ValidationFailed

if TYPE_CHECKING:
    from pydantic import BaseModel

    from leadqual.sources.sql_source import SqlSource
    from leadqual.sources.tabular import LeadMapping, TabularSource

__all__ = ["sql_source", "tabular_source"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(name: str, value: bool | str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigurationError(f"{name} must be true or false, got {value!r}")


def _whole(name: str, value: int | str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ConfigurationError(f"{name} must be a whole number, got {value!r}")


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


def _model(kind: type[BaseModel], name: str, value: Any) -> Any:
    """``value`` as a ``kind``: itself, its fields as a mapping, or a YAML/JSON file's."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str | Path):
        data: Any = load_mapping(value)
        where = f"{name} file {str(value)!r}"
    elif isinstance(value, Mapping):
        data, where = value, name
    else:
        raise ConfigurationError(
            f"{name} must be a {kind.__name__}, a mapping of its fields or the path of a YAML "
            f"or JSON file, not {type(value).__name__}"
        )
    try:
        return kind.model_validate(data)
    except ValidationFailed as err:
        raise ValidationFailed(
            f"{where} is not a valid {kind.__name__}: {err}", field=err.field, errors=err.errors
        ) from None


def tabular_source(
    leads: str | Path | Any,
    *,
    mapping: LeadMapping | Mapping[str, Any] | str | Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    chunk_rows: int | str = 50_000,
    seller_roles: str | Sequence[str] = (),
) -> TabularSource:
    """A :class:`~leadqual.sources.tabular.TabularSource` over a CSV or Parquet export of leads
    (or a DataFrame), for the ``tabular`` entry point.

    Args:
        leads: the export.
        mapping: a :class:`~leadqual.sources.tabular.LeadMapping`, its fields, a preset name
            (:data:`~leadqual.sources.tabular.PRESETS`) or a YAML/JSON file; guessed from the
            header when not given.
        delimiter: the CSV delimiter (detected when not given).
        encoding: the CSV encoding (detected when not given).
        chunk_rows: rows read at a time.
        seller_roles: the roles each owner of the export has as a seller (``Salesperson``;
            several comma-separated in text), so the agent serves them their own leads.

    Raises:
        ConfigurationError: no such file, a bad option, a mapping file that cannot be read.
        ValidationFailed: a mapping that does not validate, an unreadable export.
    """
    from leadqual.sources.tabular import PRESETS, LeadMapping, TabularSource

    how: LeadMapping | str | None
    if (
        mapping is None
        or isinstance(mapping, LeadMapping)
        or (isinstance(mapping, str) and mapping in PRESETS)
    ):
        how = mapping
    else:
        how = _model(LeadMapping, "mapping", mapping)
    return TabularSource(
        leads,
        mapping=how,
        delimiter=delimiter,
        encoding=encoding,
        chunk_rows=_whole("chunk_rows", chunk_rows),
        seller_roles=_names(seller_roles),
    )


def sql_source(
    url: str,
    *,
    mapping: Any = None,
    writable: bool | str = False,
    page_size: int | str = 1000,
    on_error: Literal["skip", "raise"] = "skip",
) -> SqlSource:
    """A :class:`~leadqual.sources.SqlSource` over existing tables, for the ``sql`` entry point:
    read-only unless ``writable``.

    Args:
        url: a database URL (``sqlite:///crm.db``, ``postgresql+psycopg://...``).
        mapping: a :class:`~leadqual.sources.SqlMapping`, its fields, or a YAML/JSON file
            holding one (default: leadqual's own table layout).
        writable: allow the CRM writes qualification makes (``true``/``false`` as text too).
        page_size: rows fetched per round trip.
        on_error: ``skip`` an unreadable row in a listing, or ``raise`` it.

    Raises:
        ConfigurationError: the URL, the driver, a table, a column or an option is wrong.
        ValidationFailed: a mapping that does not validate.
    """
    from leadqual.sources.sql_mapping import SqlMapping
    from leadqual.sources.sql_source import SqlSource

    if not isinstance(url, str):
        raise ConfigurationError(f"url must be a database URL, not {type(url).__name__}")
    chosen = None if mapping is None else _model(SqlMapping, "mapping", mapping)
    if on_error not in ("skip", "raise"):
        raise ConfigurationError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
    return SqlSource(
        url,
        chosen,
        writable=_flag("writable", writable),
        page_size=_whole("page_size", page_size),
        on_error=on_error,
    )
