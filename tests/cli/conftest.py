"""Fixtures for the command line: a runner, the sample configuration as a file, small exports
(tests/fixtures/cli/) and a history export written from the sample CRM."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadqual.sources import load_sample_config
from leadqual.sources.sample import SampleData

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli"
NOW = "2025-06-30"
"""The reference time of the small exports (their leads were created in 2025)."""


@pytest.fixture
def runner() -> CliRunner:
    """A runner that keeps stdout and stderr apart."""
    return CliRunner()


@pytest.fixture(scope="session")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample vendor's configuration as a YAML file."""
    path = tmp_path_factory.mktemp("config") / "agent.yaml"
    path.write_text(load_sample_config().to_yaml(), encoding="utf-8")
    return path


@pytest.fixture
def leads_csv() -> Path:
    """Seven leads of two owners: a date that is not one (row 7), and L-7 the same person as
    L-1."""
    return FIXTURES / "leads.csv"


@pytest.fixture
def hostile_csv() -> Path:
    """Names, companies and titles written to attack a spreadsheet or a terminal."""
    return FIXTURES / "hostile.csv"


def _history_rows(data: SampleData, *, even: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for k, lead in enumerate(data.crm.leads):
        if (k % 2 == 0) != even:
            continue
        rows.append(
            {
                "Id": lead.id,
                "First Name": lead.first_name,
                "Last Name": lead.last_name,
                "Company": lead.company_name,
                "Email": lead.email,
                "Job Title": lead.job_title,
                "Lead Source": lead.lead_source,
                "Industry": lead.industry,
                "Employees": lead.employee_count,
                "Annual Revenue": lead.annual_revenue,
                "Country": lead.address.country if lead.address else None,
                "Status": lead.status.value,
                "Created On": lead.created_at.isoformat(),
                "Modified On": lead.modified_at.isoformat() if lead.modified_at else None,
                "Owner": lead.owner_id,
            }
        )
    return rows


@pytest.fixture(scope="session")
def history_files(
    tmp_path_factory: pytest.TempPathFactory, sample_data: SampleData
) -> tuple[Path, Path]:
    """The sample CRM's leads as two history exports (alternate leads in each): one to train
    on, one to evaluate on."""
    import pandas as pd

    folder = tmp_path_factory.mktemp("history")
    paths = []
    for even in (True, False):
        path = folder / f"history_{'a' if even else 'b'}.csv"
        pd.DataFrame(_history_rows(sample_data, even=even)).to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]
