"""``leadqual score train | evaluate | predict``: predictive scoring from a history export.

``train`` fits a :class:`~leadqual.scoring.LeadScorer` on the qualified and disqualified leads of
a history file and saves it signed; ``evaluate`` measures a saved model on another history (leads
it did not see: the honest test before publishing it); ``predict`` scores the open leads of an
export. Model files are read only through :func:`leadqual.scoring.load_model`, which checks the
signature and every type in the file before anything in it is built, and never unpickles.

The signing key comes from ``--key-file`` or the ``LEADQUAL_MODEL_KEY`` environment variable;
``train`` creates the key file when it does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadqual.cli.inputs import (
    JsonFlag,
    KeyFile,
    Now,
    Quiet,
    TableRead,
    load_model,
    one_stdout,
    parse_now,
    problem_rows,
    read_leads,
    reads_table,
    signing_key,
)
from leadqual.cli.output import Screen, open_output, write_csv
from leadqual.errors import ConfigurationError, InsufficientTrainingData, NotScorable

if TYPE_CHECKING:
    from leadqual.models import Lead

__all__ = ["PREDICT_COLUMNS", "app", "evaluate", "predict", "train"]

app = typer.Typer(
    help="Train, evaluate and apply a predictive lead-scoring model.",
    rich_markup_mode=None,
    no_args_is_help=True,
)

PREDICT_COLUMNS = (
    "lead_id",
    "name",
    "company",
    "score",
    "grade",
    "probability",
    "extrapolated",
    "not_scored",
    "raised_by",
    "lowered_by",
)
"""The columns of ``score predict --csv`` and the keys of each ``--json`` entry."""

_PREDICT_SCREEN = (
    ("lead_id", "Lead"),
    ("name", "Name"),
    ("company", "Company"),
    ("score", "Score"),
    ("grade", "Grade"),
    ("not_scored", "Not scored"),
    ("raised_by", "Raised by"),
)


def _scorer_of(obj: Any, path: Path) -> Any:
    from leadqual.scoring import LeadScorer, ModelRegistry

    if not isinstance(obj, LeadScorer | ModelRegistry):
        raise ConfigurationError(
            f"{path} holds a {type(obj).__name__}; these commands read a LeadScorer or a "
            "ModelRegistry (as 'leadqual score train' writes)"
        )
    return obj


@app.command("train")
@reads_table()
def train(
    history: Annotated[Path, typer.Argument(help="History export: leads with their final status.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the model file.")],
    key_file: KeyFile = None,
    months: Annotated[
        int,
        typer.Option("--months", min=3, max=24, help="Training window in months (3-24)."),
    ] = 24,
    now: Now = None,
    line_of_business: Annotated[
        str | None,
        typer.Option("--line-of-business", help="Train on this line of business only."),
    ] = None,
    min_per_class: Annotated[
        int,
        typer.Option(
            "--min-per-class", min=2, help="Qualified and disqualified leads needed of each."
        ),
    ] = 40,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Write the model report: .md for Markdown, .html with plots."
        ),
    ] = None,
    json: JsonFlag = False,
    quiet: Quiet = False,
    *,
    read: TableRead,
) -> None:
    """Train a scoring model on the closed leads of a history export and save it signed.

    The window ends at --now, by default at the newest outcome in the file, so an old export
    trains as it is. The report (cross-validated and time-ordered ROC-AUC, calibration, grades)
    is printed; nothing is published anywhere.
    """
    screen = Screen(quiet=quiet, json=json)
    when = parse_now(now)
    if report is not None and report.suffix.lower() not in (".md", ".html", ".htm"):
        raise typer.BadParameter("the report is .md (Markdown) or .html", param_hint="--report")
    from leadqual.scoring import save_model, train_from_crm
    from leadqual.sources import MemorySource

    with screen.warnings_shown():
        key = signing_key(key_file, create=True, screen=screen)
        loaded = read_leads(screen, history, read, now=when)
        closed = [lead.closed_on for lead in loaded.records if lead.closed_on is not None]
        if not closed:
            raise InsufficientTrainingData(
                f"{history.name} has no qualified or disqualified lead with a closing date to "
                "learn from; export closed leads with their status and when they closed (a "
                "closed or last-modified date column)",
                qualified=0,
                disqualified=0,
                needed=min_per_class,
            )
        end = when if when is not None else max(closed)
        with screen.progress("Training") as advance:
            trained = train_from_crm(
                MemorySource(leads=loaded.records),
                now=end,
                months=months,
                line_of_business=line_of_business,
                min_per_class=min_per_class,
            )
            advance(1, 1)
        save_model(trained.scorer, out, key=key)
    model_report = trained.report
    if report is not None:
        text = (
            model_report.to_markdown() if report.suffix.lower() == ".md" else model_report.to_html()
        )
        report.write_text(text, encoding="utf-8")
    if json:
        screen.print_json(
            {
                "model": str(out),
                "report": model_report.model_dump(mode="json"),
                "leakage": [f.model_dump(mode="json") for f in trained.leakage],
                "problems": problem_rows(loaded),
            }
        )
        return
    screen.line(model_report.headline)
    screen.table(
        (("grade", "Grade"), ("min_score", "From"), ("leads", "Leads"), ("rate", "Qualified")),
        [
            {
                "grade": g.grade,
                "min_score": g.min_score,
                "leads": g.leads,
                "rate": None if g.conversion_rate is None else f"{g.conversion_rate:.0%}",
            }
            for g in model_report.grades
        ],
        title="Grades on held-out leads",
    )
    for finding in trained.leakage:
        screen.warn(f"column {finding.column!r} may leak the outcome: {finding.reason}")
    screen.note(
        f"model saved to {out} (trained on leads closed up to {end:%Y-%m-%d}, {months} months)"
    )


def _history(screen: Screen, path: Path, read: TableRead) -> tuple[list[Lead], Any]:
    from leadqual.models import LeadStatus

    loaded = read_leads(screen, path, read)
    closed = [
        lead
        for lead in loaded.records
        if lead.status in (LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED)
    ]
    return closed, loaded


def _probabilities(model: Any, leads: list[Lead]) -> tuple[list[float], list[str]]:
    """Each lead's probability and grade from a scorer, or from its line's model in a registry,
    computed on the same attributes training used."""
    from leadqual.scoring import LeadScorer, leads_frame

    frame = leads_frame(leads)
    if isinstance(model, LeadScorer):
        scored = model.score_table(frame)
        return [float(p) for p in scored["probability"]], [str(g) for g in scored["grade"]]
    probabilities: list[float] = []
    grades: list[str] = []
    for lead in leads:
        scorer = model.select(lead)
        one = scorer.score_table(frame.loc[[lead.id]])
        probabilities.append(float(one["probability"].iloc[0]))
        grades.append(str(one["grade"].iloc[0]))
    return probabilities, grades


@app.command("evaluate")
@reads_table()
def evaluate(
    model: Annotated[Path, typer.Argument(help="A model file from 'leadqual score train'.")],
    history: Annotated[
        Path, typer.Argument(help="History export the model did not see: closed leads.")
    ],
    key_file: KeyFile = None,
    json: JsonFlag = False,
    quiet: Quiet = False,
    *,
    read: TableRead,
) -> None:
    """Measure a saved model on closed leads: ROC-AUC, PR-AUC, Brier score and how each grade
    converted."""
    screen = Screen(quiet=quiet, json=json)
    import numpy as np
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    from leadqual.models import LeadStatus

    with screen.warnings_shown():
        scorer = _scorer_of(load_model(model, key_file, screen=screen), model)
        closed, loaded = _history(screen, history, read)
        y = np.array([1 if lead.status is LeadStatus.QUALIFIED else 0 for lead in closed])
        qualified = int(y.sum())
        if qualified == 0 or qualified == len(y):
            raise InsufficientTrainingData(
                f"{history.name} has {qualified} qualified and {len(y) - qualified} disqualified "
                "leads; measuring a model needs both",
                qualified=qualified,
                disqualified=len(y) - qualified,
                needed=1,
            )
        with screen.progress("Scoring", total=len(closed)) as advance:
            p, grades = _probabilities(scorer, closed)
            advance(len(closed), len(closed))
    proba = np.asarray(p)
    metrics = {
        "rows": len(y),
        "qualified": qualified,
        "disqualified": len(y) - qualified,
        "roc_auc": round(float(roc_auc_score(y, proba)), 4),
        "pr_auc": round(float(average_precision_score(y, proba)), 4),
        "base_rate": round(qualified / len(y), 4),
        "brier": round(float(brier_score_loss(y, proba)), 4),
    }
    by_grade = []
    for grade in sorted(set(grades)):
        mask = np.array([g == grade for g in grades])
        by_grade.append(
            {
                "grade": grade,
                "leads": int(mask.sum()),
                "qualified": int(y[mask].sum()),
                "conversion_rate": round(float(y[mask].mean()), 4),
                "mean_probability": round(float(proba[mask].mean()), 4),
            }
        )
    if json:
        screen.print_json(
            {
                "model": str(model),
                "history": str(history),
                "metrics": metrics,
                "grades": by_grade,
                "problems": problem_rows(loaded),
            }
        )
        return
    screen.line(
        f"{model.name} on {metrics['rows']} closed leads of {history.name} "
        f"({qualified} qualified): ROC-AUC {metrics['roc_auc']:.3f}, PR-AUC "
        f"{metrics['pr_auc']:.3f} (base rate {metrics['base_rate']:.3f}), "
        f"Brier {metrics['brier']:.3f}"
    )
    screen.table(
        (
            ("grade", "Grade"),
            ("leads", "Leads"),
            ("qualified", "Qualified"),
            ("rate", "Rate"),
            ("predicted", "Predicted"),
        ),
        [
            {
                **g,
                "rate": f"{g['conversion_rate']:.0%}",
                "predicted": f"{g['mean_probability']:.0%}",
            }
            for g in by_grade
        ],
        title="By grade",
    )


@app.command("predict")
@reads_table()
def predict(
    model: Annotated[Path, typer.Argument(help="A model file from 'leadqual score train'.")],
    file: Annotated[Path, typer.Argument(help="The CRM export of leads to score.")],
    key_file: KeyFile = None,
    now: Now = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Name the attributes raising and lowering each score."),
    ] = False,
    csv: Annotated[
        str | None,
        typer.Option("--csv", help="Write the scores as CSV to this file ('-' for stdout)."),
    ] = None,
    json: JsonFlag = False,
    quiet: Quiet = False,
    *,
    read: TableRead,
) -> None:
    """Score the leads of an export with a saved model, best first. Closed leads and leads too
    old to score are listed with the reason in not_scored."""
    screen = Screen(quiet=quiet, json=json)
    one_stdout(json=json, csv=csv)
    when = parse_now(now)
    with screen.warnings_shown():
        scorer = _scorer_of(load_model(model, key_file, screen=screen), model)
        loaded = read_leads(screen, file, read, now=when)
        leads = loaded.records
        rows: list[dict[str, Any]] = []
        with screen.progress("Scoring", total=len(leads)) as advance:
            for k, lead in enumerate(leads, start=1):
                row: dict[str, Any] = {
                    "lead_id": lead.id,
                    "name": lead.full_name or None,
                    "company": lead.company_name,
                }
                try:
                    result = scorer.score_lead(lead, now=when, explain=3 if explain else False)
                except NotScorable as err:
                    row["not_scored"] = err.reason
                else:
                    row.update(
                        score=result.score,
                        grade=result.grade,
                        probability=round(result.probability, 4),
                        extrapolated=result.extrapolated,
                        raised_by=[f"{f.column}={f.value}" for f in result.factors_up],
                        lowered_by=[f"{f.column}={f.value}" for f in result.factors_down],
                    )
                rows.append(row)
                if k % 100 == 0 or k == len(leads):
                    advance(k, len(leads))
    rows.sort(key=lambda r: (r.get("score") is None, -(r.get("score") or 0)))
    if csv is not None:
        with open_output(csv) as target:
            write_csv(rows, PREDICT_COLUMNS, target)
    if json:
        screen.print_json({"scores": rows, "problems": problem_rows(loaded)})
    elif csv != "-":
        screen.table(_PREDICT_SCREEN, rows, title=f"Scores of {file.name}")
    scored = sum(1 for r in rows if r.get("score") is not None)
    screen.note(f"{scored} of {len(rows)} leads scored")
