"""Every batch API reads the lead table as it is, and gives what it gives for the records the
table was made from."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from leadqual.dedupe import DuplicateDetector
from leadqual.dedupe import leads_frame as dedupe_frame
from leadqual.email import EmailValidator, validate_frame
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.icp import IcpMatcher
from leadqual.models import Address, Lead, LeadStatus, Phone
from leadqual.scoring import leads_frame as scoring_frame
from leadqual.sources import build_context, load_sample, load_sample_config
from leadqual.sources.lead_table import lead_table, leads_from_table

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _leads() -> list[Lead]:
    extra = [
        Lead(
            id="X-1",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@gmail.com",
            other_emails=("ada@analytical.example", "ada@gmail.com"),
            phones=(Phone(number="+44 1", kind="mobile"), Phone(number="+44 2", kind="business")),
            address=Address(country="México"),
            website="",
            custom_fields={"tier": "gold", "seats": 3},
            employee_count=0,
            created_at=T0,
            modified_at=T0,
            status=LeadStatus.DISQUALIFIED,
            closed_at=T0,
        ),
        Lead(id="X-2", company_name="Analytical Ltd", created_at=T0, custom_fields={"tier": None}),
    ]
    return [*load_sample().leads(), *extra]


def test_dedupe_reads_the_table_as_the_records() -> None:
    leads = [lead for lead in _leads() if len({p.kind for p in lead.phones}) == len(lead.phones)]
    table = lead_table(leads)
    # phones in the kinds' order, as the table and a tabular import hold them
    records = list(leads_from_table(table))
    pd.testing.assert_frame_equal(dedupe_frame(table), dedupe_frame(records))
    detector = DuplicateDetector(workers=1)
    pd.testing.assert_frame_equal(detector.find_frame(table), detector.find_frame(records))


def test_icp_matches_the_table_as_the_lead_columns_of_the_contexts() -> None:
    crm = load_sample()
    matcher = IcpMatcher(load_sample_config().icp)
    leads = crm.leads()
    frame = matcher.to_frame([build_context(crm, lead.id) for lead in leads])
    frame = frame[[c for c in frame.columns if c.startswith("lead.")]]
    expected = matcher.match_frame(frame, reasons=True)
    pd.testing.assert_frame_equal(matcher.match_frame(lead_table(leads), reasons=True), expected)


def test_scoring_reads_the_table_as_the_records() -> None:
    leads = _leads()
    pd.testing.assert_frame_equal(scoring_frame(lead_table(leads)), scoring_frame(leads))
    empty = scoring_frame(lead_table([]))
    assert len(empty) == 0 and empty.index.name == "lead_id"
    with pytest.raises(ConfigurationError, match="activity counts"):
        scoring_frame(lead_table(leads), contexts={})


def test_email_validation_reads_the_tables_email_column() -> None:
    table = lead_table(_leads())
    out = validate_frame(EmailValidator(check_deliverability=False), table)
    expected = validate_frame(
        EmailValidator(check_deliverability=False),
        pd.DataFrame({"email": [lead.email for lead in _leads()]}),
    )
    assert out["email_status"].tolist() == expected["email_status"].tolist()


def test_a_frame_that_only_looks_like_a_lead_table_is_refused_not_misread() -> None:
    table = lead_table(_leads()).assign(created_at="2025-01-01")
    with pytest.raises(ValidationFailed, match="created_at"):
        dedupe_frame(table)
    with pytest.raises(ValidationFailed, match="created_at"):
        scoring_frame(table)
