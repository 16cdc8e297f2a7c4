"""From a CSV of leads to a seller's prioritised list with reasons, in a few lines.

The CSV here is written from the sample CRM so the script runs anywhere; point it at your own
export (columns named like the Lead model's fields) to try it on your data.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from leadqual.agent import QualificationAgent
from leadqual.email import EmailValidator
from leadqual.models import Lead, Seller
from leadqual.sources import MemorySource, load_sample, load_sample_config

FIELDS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "job_title",
    "company_name",
    "website",
    "industry",
    "employee_count",
    "lead_source",
    "campaign",
    "need",
    "owner_id",
    "created_at",
)


def write_csv(path: Path) -> None:
    """A 30-lead CSV export, from the sample CRM."""
    leads = [lead for lead in load_sample().leads() if lead.is_open][:30]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=FIELDS)
        out.writeheader()
        for lead in leads:
            row = lead.model_dump(mode="json", include=set(FIELDS))
            out.writerow({k: row.get(k) if row.get(k) is not None else "" for k in FIELDS})


def read_csv(path: Path) -> list[Lead]:
    """Leads from the CSV; empty cells are missing values."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            Lead.model_validate({k: v for k, v in row.items() if v}) for row in csv.DictReader(fh)
        ]


def main() -> None:
    path = Path(tempfile.mkdtemp()) / "leads.csv"
    write_csv(path)
    source = MemorySource(
        leads=read_csv(path),
        sellers=[
            Seller(id=f"S-0{i}", name=f"Seller {i}", roles=("Salesperson",)) for i in range(1, 5)
        ],
    )
    # Offline: no DNS look-ups here; leave the validator out to check deliverability for real.
    agent = QualificationAgent(
        load_sample_config(), source, email_validator=EmailValidator(check_deliverability=False)
    )
    agent.activate()
    for entry in agent.prioritized("S-01", limit=5).entries:
        card = entry.card
        print(
            f"#{entry.rank} {card.name if card else entry.lead_id}: {card.next_action if card else ''}"
        )
        print(f"    why: {entry.why[:110]}")


if __name__ == "__main__":
    main()
