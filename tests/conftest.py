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
