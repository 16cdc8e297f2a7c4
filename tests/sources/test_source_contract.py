"""Every built-in source passes the shared source contract (leadqual.testing.source_contract),
the suite a connector's author runs on their own source."""

from __future__ import annotations

from leadqual.sources import CrmSnapshot, MemorySource, SqliteSource
from leadqual.sources.dataverse import DataverseSource
from leadqual.testing.dataverse import FakeDataverse
from leadqual.testing.source_contract import CrmWriterContract


class TestMemorySource(CrmWriterContract):
    def make_source(self, snapshot: CrmSnapshot, /) -> MemorySource:
        return MemorySource.from_snapshot(snapshot)


class TestSqliteSource(CrmWriterContract):
    def make_source(self, snapshot: CrmSnapshot, /) -> SqliteSource:
        return SqliteSource.from_snapshot(snapshot)


class TestDataverseSource(CrmWriterContract):
    def make_source(self, snapshot: CrmSnapshot, /) -> DataverseSource:
        # Small pages, so every listing of the contract pages through nextLinks.
        return FakeDataverse.from_snapshot(snapshot).writable_source(page_size=2)


class TestDataverseSourceUnderThrottling(CrmWriterContract):
    def make_source(self, snapshot: CrmSnapshot, /) -> DataverseSource:
        server = FakeDataverse.from_snapshot(snapshot)
        server.throttle(every=3, retry_after="2")
        return server.writable_source(page_size=3)
