"""The CRM sources available by name: the built-ins (``dataverse``, ``memory``, ``sample``,
``sql``, ``sqlite``, ``tabular``) and the packages installed that declare an entry point in
``leadqual.crm_sources``.

Examples:
    >>> reg = crm_source_registry(load_plugins=False)
    >>> reg.names()
    ['dataverse', 'memory', 'sample', 'sql', 'sqlite', 'tabular']
    >>> len(reg.create("sample").leads()) > 100
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from leadqual.plugins import CRM_SOURCES_GROUP, PluginRegistry
from leadqual.sources.base import CrmSource

__all__ = ["crm_source_registry"]


def crm_source_registry(
    *,
    load_plugins: bool = True,
    entry_points: Iterable[metadata.EntryPoint] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> PluginRegistry[Any]:
    """CRM sources: ``memory``, ``sqlite`` (``path=``), ``sample``, ``dataverse``, ``tabular``
    (``leads=`` a CSV or Parquet export, :func:`~leadqual.sources.named.tabular_source`),
    ``sql`` (``url=``, :func:`~leadqual.sources.named.sql_source`), and installed plugins
    (``overrides``: see :class:`~leadqual.plugins.PluginRegistry`)."""
    return PluginRegistry(
        CRM_SOURCES_GROUP,
        kind="CRM source",
        check=lambda obj: isinstance(obj, CrmSource),
        requirement="the read methods of leadqual.sources.CrmSource",
        protocol=CrmSource,
        load_plugins=load_plugins,
        entry_points=entry_points,
        overrides=overrides,
    )
