"""Shared fixtures: the sample CRM (loaded once; records are frozen, so sharing is safe)."""

from __future__ import annotations

import pytest

from leadqual.config import AgentConfig
from leadqual.sources import MemorySource, SampleData, load_sample, load_sample_config
from leadqual.sources.sample import load_sample_data


@pytest.fixture(scope="session")
def sample_data() -> SampleData:
    """The bundled sample CRM with its reference time, DNS answers and planted truth."""
    return load_sample_data()


@pytest.fixture(scope="session")
def sample_config() -> AgentConfig:
    """The sample vendor's configuration."""
    return load_sample_config()


@pytest.fixture
def sample_source() -> MemorySource:
    """A fresh MemorySource over the sample CRM (tests may write to it)."""
    return load_sample()


class StopReporting(Exception):
    """Raised by a :class:`ProgressLog` told to stop the call at one of its reports."""


class ProgressLog:
    """A progress callback that records its reports and checks the contract on them.

    With ``stop_at=k`` the k-th report (1-based) raises :class:`StopReporting`, as a person
    pressing stop in a notebook would.
    """

    def __init__(self, *, stop_at: int | None = None) -> None:
        self.reports: list[tuple[int, int, str]] = []
        self.stop_at = stop_at

    def __call__(self, done: int, total: int, label: str, /) -> None:
        assert type(done) is int and type(total) is int and isinstance(label, str)
        self.reports.append((done, total, label))
        if self.stop_at is not None and len(self.reports) >= self.stop_at:
            raise StopReporting(f"stopped at report {len(self.reports)}")

    @property
    def dones(self) -> list[int]:
        return [d for d, _, _ in self.reports]

    def check(self) -> int:
        """Assert the contract of a completed call and return its total: one total throughout,
        done within 0..total and never decreasing, and done == total once, in the last report."""
        assert self.reports, "the call made no report"
        totals = {t for _, t, _ in self.reports}
        assert len(totals) == 1, totals
        (total,) = totals
        dones = self.dones
        assert all(0 <= d <= total for d in dones), dones
        assert dones == sorted(dones), dones
        assert dones[-1] == total, dones
        assert dones.count(total) == 1, dones
        return total


@pytest.fixture(scope="session")
def progress_log() -> type[ProgressLog]:
    """The :class:`ProgressLog` class (session-scoped, so hypothesis tests may use it)."""
    return ProgressLog


@pytest.fixture(scope="session")
def stop_reporting() -> type[StopReporting]:
    """The error a :class:`ProgressLog` raises to stop a call."""
    return StopReporting
