"""Dataverse (Dynamics 365 Sales) as a CRM source and writer, over the Web API.

- :class:`DataverseSource`: the :class:`~leadqual.sources.CrmSource` (``writable=True``: also the
  :class:`~leadqual.sources.CrmWriter`, :class:`WritableDataverseSource`), with change tracking
  (:meth:`DataverseSource.changes`).
- :class:`TokenProvider`, :class:`ClientCredentials`, :class:`StaticToken`: where its bearer
  tokens come from (any ``azure-identity`` credential is a token provider too).

See the Dataverse page of the documentation for setup, paging, throttling and change tracking.
"""

from leadqual.sources.dataverse._odata import ClientStats
from leadqual.sources.dataverse.auth import (
    AccessToken,
    ClientCredentials,
    StaticToken,
    TokenProvider,
)
from leadqual.sources.dataverse.source import (
    DataverseSource,
    QualifiedRecords,
    WritableDataverseSource,
    record_body,
)

__all__ = [
    "AccessToken",
    "ClientCredentials",
    "ClientStats",
    "DataverseSource",
    "QualifiedRecords",
    "StaticToken",
    "TokenProvider",
    "WritableDataverseSource",
    "record_body",
]
