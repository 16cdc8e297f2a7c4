"""``leadqual dedupe``: the duplicate leads of an export, as pairs and clusters."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from leadqual.cli import app
from leadqual.cli.commands.dedupe import CLUSTER_COLUMNS, PAIR_COLUMNS


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(
        "Id,First Name,Last Name,Company,Email,Phone\n"
        "A-1,Robert,Cohen,Pioneer Digital Inc.,rcohen@pioneer.com,\n"
        "A-2,Bob,Cohen,PIONEER DIGITAL,,\n"
        "A-3,Ana,Lima,Lima SA,ana@lima.com,+55 11 5555 0100\n"
        "A-4,Ana Paula,Lima,Other Co,ana@lima.com,\n"
        "A-5,Zed,Unique,Nothing Alike,zed@unique.com,\n"
        "A-6,Roberto,Cohen,Pioneer Digital,,\n",
        encoding="utf-8",
    )
    return path


def test_pairs_and_clusters_with_the_rule_that_matched(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["dedupe", str(_export(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    pairs = {(p["left_id"], p["right_id"]): p for p in out["pairs"]}
    assert pairs[("A-3", "A-4")]["rule"] == "same_email"
    assert pairs[("A-1", "A-2")]["rule"] == "similar_name_company"
    assert pairs[("A-1", "A-2")]["left_name"] == "Robert Cohen"
    assert list(out["pairs"][0]) == list(PAIR_COLUMNS)
    clusters = sorted(sorted(c) for c in out["clusters"])
    assert ["A-3", "A-4"] in clusters
    assert not any("A-5" in c for c in clusters)
    assert out["summary"]["leads"] == 6


def test_csv_files_for_pairs_and_clusters(runner: CliRunner, tmp_path: Path) -> None:
    pairs, clusters = tmp_path / "pairs.csv", tmp_path / "clusters.csv"
    result = runner.invoke(
        app,
        ["dedupe", str(_export(tmp_path)), "--csv", str(pairs), "--clusters", str(clusters)],
    )
    assert result.exit_code == 0, result.output
    pair_rows = list(csv.DictReader(io.StringIO(pairs.read_text(encoding="utf-8"))))
    cluster_rows = list(csv.DictReader(io.StringIO(clusters.read_text(encoding="utf-8"))))
    assert list(pair_rows[0]) == list(PAIR_COLUMNS)
    assert list(cluster_rows[0]) == list(CLUSTER_COLUMNS)
    assert {r["lead_id"] for r in cluster_rows} >= {"A-3", "A-4", "A-1", "A-2"}
    assert "Duplicate pairs in people.csv" in result.stdout
    assert "duplicate pairs in" in result.stderr


def test_no_duplicates_says_so(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "alone.csv"
    path.write_text("Id,First Name,Last Name\nA-1,Ann,Lee\nA-2,Bo,Kim\n", encoding="utf-8")
    result = runner.invoke(app, ["dedupe", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Duplicate pairs in alone.csv: none"


def test_two_outputs_on_stdout_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["dedupe", str(_export(tmp_path)), "--csv", "-", "--clusters", "-"])
    assert result.exit_code == 2
