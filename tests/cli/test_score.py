"""``leadqual score train | evaluate | predict`` over history exports of the sample CRM."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadqual.cli import app
from leadqual.cli.commands.score import PREDICT_COLUMNS
from leadqual.cli.inputs import KEY_ENV


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, history_files: tuple[Path, Path]
) -> tuple[Path, Path, dict[str, object]]:
    """A model trained by the command on the first history export: (model, key, JSON out)."""
    folder = tmp_path_factory.mktemp("model")
    model, key = folder / "model.lqm", folder / "signing.key"
    result = CliRunner().invoke(
        app,
        [
            "score",
            "train",
            str(history_files[0]),
            "--out",
            str(model),
            "--key-file",
            str(key),
            "--min-per-class",
            "20",
            "--report",
            str(folder / "report.md"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return model, key, json.loads(result.stdout)


def test_train_writes_a_signed_model_a_key_and_a_report(
    trained: tuple[Path, Path, dict[str, object]],
) -> None:
    model, key, out = trained
    assert model.read_bytes().startswith(b"LEADQUAL-MODEL\n")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert len(key.read_text().strip()) == 64
    report = out["report"]
    assert isinstance(report, dict)
    assert report["qualified"] + report["disqualified"] == report["rows"]
    assert 0.0 <= report["cv"]["roc_auc"] <= 1.0
    assert (model.parent / "report.md").read_text().startswith("#")


def test_evaluate_measures_the_model_on_leads_it_did_not_see(
    runner: CliRunner,
    trained: tuple[Path, Path, dict[str, object]],
    history_files: tuple[Path, Path],
) -> None:
    model, key, _ = trained
    result = runner.invoke(
        app,
        ["score", "evaluate", str(model), str(history_files[1]), "--key-file", str(key), "--json"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    metrics = out["metrics"]
    assert metrics["rows"] == metrics["qualified"] + metrics["disqualified"] > 40
    assert metrics["roc_auc"] > 0.6  # better than a coin on held-out leads
    assert sum(g["leads"] for g in out["grades"]) == metrics["rows"]
    screen = runner.invoke(
        app, ["score", "evaluate", str(model), str(history_files[1]), "--key-file", str(key)]
    )
    assert "ROC-AUC" in screen.stdout and "By grade" in screen.stdout


def test_predict_scores_open_leads_best_first_and_says_why_others_are_not(
    runner: CliRunner,
    trained: tuple[Path, Path, dict[str, object]],
    history_files: tuple[Path, Path],
) -> None:
    model, key, _ = trained
    result = runner.invoke(
        app,
        [
            "score",
            "predict",
            str(model),
            str(history_files[1]),
            "--key-file",
            str(key),
            "--now",
            "2026-11-01",
            "--explain",
            "--csv",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(PREDICT_COLUMNS)
    scored = [r for r in rows if r["score"]]
    assert scored and [int(r["score"]) for r in scored] == sorted(
        (int(r["score"]) for r in scored), reverse=True
    )
    reasons = {r["not_scored"] for r in rows if not r["score"]}
    assert "closed" in reasons and reasons <= {"closed", "too_old"}
    assert any(r["raised_by"] for r in scored)


def test_the_key_may_come_from_the_environment(
    runner: CliRunner,
    trained: tuple[Path, Path, dict[str, object]],
    history_files: tuple[Path, Path],
) -> None:
    model, key, _ = trained
    result = runner.invoke(
        app,
        ["score", "predict", str(model), str(history_files[1]), "--json", "-q"],
        env={KEY_ENV: key.read_text().strip()},
    )
    assert result.exit_code == 0, result.output


def test_another_key_or_a_changed_file_is_refused(
    runner: CliRunner,
    trained: tuple[Path, Path, dict[str, object]],
    history_files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    model, _, _ = trained
    other = tmp_path / "other.key"
    other.write_text("x" * 40)
    result = runner.invoke(
        app, ["score", "predict", str(model), str(history_files[1]), "--key-file", str(other)]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("leadqual: ModelIntegrityError: ")
    assert "nothing in it was loaded" in result.stderr
    not_a_model = runner.invoke(
        app,
        [
            "score",
            "predict",
            str(history_files[0]),
            str(history_files[1]),
            "--key-file",
            str(other),
        ],
    )
    assert not_a_model.exit_code == 1
    assert not_a_model.stderr.startswith("leadqual: ModelFileError: ")


def test_no_key_at_all_says_how_to_give_one(
    runner: CliRunner, trained: tuple[Path, Path, dict[str, object]], tmp_path: Path
) -> None:
    model, _, _ = trained
    result = runner.invoke(
        app, ["score", "predict", str(model), str(tmp_path / "x.csv")], env={KEY_ENV: ""}
    )
    assert result.exit_code == 1
    assert "pass --key-file" in result.stderr and KEY_ENV in result.stderr


def test_too_little_history_is_bad_input_with_advice(runner: CliRunner, tmp_path: Path) -> None:
    history = tmp_path / "few.csv"
    history.write_text(
        "Id,First Name,Status,Created On,Modified On\n"
        "A-1,Ann,Qualified,2025-01-01,2025-02-01\n"
        "A-2,Bo,Disqualified,2025-01-02,2025-02-02\n"
        "A-3,Cy,Qualified,2025-01-03,2025-02-03\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "score",
            "train",
            str(history),
            "--out",
            str(tmp_path / "m"),
            "--key-file",
            str(tmp_path / "k"),
        ],
    )
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "leadqual: InsufficientTrainingData: found 2 qualified and 1 disqualified leads"
        )
    )
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "text",
    [
        "Id,First Name,Status\nA-1,Ann,Open\n",
        # closed, but with no date saying when: nothing to place in a training window
        "Id,First Name,Status\nA-1,Ann,Qualified\n",
    ],
)
def test_history_with_no_dated_closed_lead_is_bad_input(
    runner: CliRunner, tmp_path: Path, text: str
) -> None:
    history = tmp_path / "open.csv"
    history.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "score",
            "train",
            str(history),
            "--out",
            str(tmp_path / "m"),
            "--key-file",
            str(tmp_path / "k"),
        ],
    )
    assert result.exit_code == 1
    assert "has no qualified or disqualified lead with a closing date" in result.stderr
