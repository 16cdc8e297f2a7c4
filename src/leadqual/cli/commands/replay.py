"""``leadqual replay AUDIT_ID --store DSN --config agent.yaml``: derive a stored conclusion again.

An audit record is named by its lead and the insight version it recorded: ``L-0171@2``, or
``L-0171`` for the lead's latest. The recorded observations (email check, research, duplicates)
are taken as they were; ICP fit, hand-raiser segment, rating, score, next action and draft are
derived again with the given configuration (and ``--model``), and every difference is listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadqual.cli.inputs import JsonFlag, KeyFile, load_config, load_model, open_store
from leadqual.cli.output import Screen
from leadqual.errors import RecordNotFound

__all__ = ["parse_audit_id", "replay"]


def parse_audit_id(audit_id: str) -> tuple[str, int | None]:
    """``LEAD@VERSION`` -> (lead, version); a plain lead id -> (lead, None). A lead id that
    itself holds ``@`` keeps it: only a trailing ``@`` and digits name a version.

    Examples:
        >>> parse_audit_id("L-0171@2"), parse_audit_id("ada@contoso.example")
        (('L-0171', 2), ('ada@contoso.example', None))
    """
    lead, sep, version = audit_id.rpartition("@")
    if sep and lead and version.isdigit() and int(version) >= 1:
        return lead, int(version)
    return audit_id, None


def replay(
    audit_id: Annotated[
        str, typer.Argument(help="LEAD_ID@VERSION, or LEAD_ID for the lead's latest record.")
    ],
    store: Annotated[
        str,
        typer.Option(
            "--store", help="The insight store: an SQLAlchemy URL or an SQLite file path."
        ),
    ],
    config: Annotated[
        Path,
        typer.Option("--config", "-c", help="The configuration to derive the conclusions with."),
    ],
    model: Annotated[
        Path | None,
        typer.Option("--model", help="The scoring model to derive scores with."),
    ] = None,
    key_file: KeyFile = None,
    json: JsonFlag = False,
) -> None:
    """Derive a stored conclusion again from its audit record and report any difference.

    Exits 0 whether or not the conclusion changed: the report says which (same: yes/no).
    """
    screen = Screen(json=json)
    lead_id, version = parse_audit_id(audit_id)
    from leadqual.agent import QualificationAgent
    from leadqual.email import EmailValidator
    from leadqual.sources import MemorySource

    with screen.warnings_shown():
        agent_config = load_config(config)
        scorer = None
        if model is not None:
            scorer = load_model(model, key_file, screen=screen)
        insight_store = open_store(store)
        try:
            records = insight_store.audit(lead_id)
            record = (
                records[-1]
                if version is None and records
                else next((r for r in records if r.insight_version == version), None)
            )
            if record is None:
                raise RecordNotFound("audit record", audit_id)
            # The record carries the lead's context as it was: the agent needs no CRM here.
            agent = QualificationAgent(
                agent_config,
                MemorySource(),
                store=insight_store,
                scorer=scorer,
                # the recorded email check is replayed as it was: no DNS is asked
                email_validator=EmailValidator(check_deliverability=False),
            )
            report = agent.replay(record)
        finally:
            insight_store.close()
    if json:
        screen.print_json(
            {
                **report.model_dump(mode="json"),
                "recorded_at": record.recorded_at,
                "available_versions": [r.insight_version for r in records],
            }
        )
        return
    verdict = "the same" if report.same else f"{len(report.differences)} differences"
    screen.line(
        f"{report.lead_id} v{report.insight_version} (recorded {record.recorded_at:%Y-%m-%d %H:%M} "
        f"UTC): {verdict}" + ("; the configuration changed since" if report.config_changed else "")
    )
    for difference in report.differences:
        screen.line(f"  {difference}")
