"""The benchmark contract ``dedupe_febrl.py --input CSV --output PAIRS_CSV`` on awkward files."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLICE = ROOT / "tests" / "fixtures" / "dedupe" / "febrl3_slice.csv"


@pytest.fixture(scope="module")
def cli() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dedupe_febrl_cli", ROOT / "benchmarks" / "dedupe_febrl.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(cli: ModuleType, path: Path, tmp_path: Path) -> list[list[str]]:
    out = tmp_path / "pairs.csv"
    cli.main(["--input", str(path), "--output", str(out), "--workers", "1"])
    with out.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def slice_rows() -> list[list[str]]:
    with SLICE.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_an_empty_file_gives_a_header_only_pairs_file(cli: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert run(cli, path, tmp_path) == [["left_id", "right_id"]]


def test_a_file_not_in_utf8_is_still_read(cli: ModuleType, tmp_path: Path) -> None:
    rows = slice_rows()
    header, body = rows[0], rows[1:41]
    # Latin-1 accents in every name: the duplicates must still be found.
    path = tmp_path / "latin1.csv"
    with path.open("w", encoding="latin-1", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([[r[0], *(c.replace("e", "\xe9") for c in r[1:])] for r in body])
    utf8 = tmp_path / "utf8.csv"
    with utf8.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    assert run(cli, path, tmp_path)[1:] == run(cli, utf8, tmp_path)[1:]


def test_ids_with_commas_and_quotes_come_back_unchanged(cli: ModuleType, tmp_path: Path) -> None:
    rows = slice_rows()
    header, body = rows[0], rows[1:]
    renamed = {r[0]: f'id, "{i}"' for i, r in enumerate(body)}
    path = tmp_path / "odd_ids.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*header, "extra_column"])
        writer.writerows([[renamed[r[0]], *r[1:], "x"] for r in body])
    plain = run(cli, SLICE, tmp_path)[1:]
    odd = run(cli, path, tmp_path)[1:]
    assert plain and odd == [[renamed[a], renamed[b]] for a, b in plain]


def test_repeated_rec_ids_give_no_self_pairs_and_no_pair_twice(
    cli: ModuleType, tmp_path: Path
) -> None:
    rows = slice_rows()
    header, body = rows[0], rows[1:]
    # Every record twice under the same id (a file concatenated with itself).
    path = tmp_path / "twice.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body, *body])
    pairs = run(cli, path, tmp_path)[1:]
    assert pairs and all(a != b for a, b in pairs)
    assert len({frozenset(p) for p in pairs}) == len(pairs)


def test_a_missing_input_file_is_a_clear_error(cli: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"no-such\.csv"):
        run(cli, tmp_path / "no-such.csv", tmp_path)
