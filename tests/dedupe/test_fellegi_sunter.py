"""The Fellegi-Sunter model: EM without labels, counting from labels, and FEBRL records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadqual.dedupe import (
    Comparison,
    DuplicateDetector,
    FellegiSunter,
    person_record_settings,
)
from leadqual.errors import (
    ConfigurationError,
    InsufficientTrainingData,
    NotFittedError,
    ValidationFailed,
)

ROOT = Path(__file__).resolve().parents[2]
SLICE = ROOT / "tests" / "fixtures" / "dedupe" / "febrl3_slice.csv"
COMPS = [Comparison(name=f"f{i}", fields=(f"f{i}",), method="exact", levels=()) for i in range(4)]


def simulate(n_match: int, n_non: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose fields agree with m=0.9 among matches and u=0.1 among non-matches."""
    m = rng.random((n_match, 4)) < 0.9
    u = rng.random((n_non, 4)) < 0.1
    sims = np.vstack([m, u]).astype(float)
    sims[rng.random(sims.shape) < 0.05] = np.nan  # some values missing
    return sims, np.r_[np.ones(n_match, bool), np.zeros(n_non, bool)]


def test_em_recovers_the_agreement_probabilities_without_labels() -> None:
    rng = np.random.default_rng(1)
    sims, truth = simulate(2000, 8000, rng)
    model = FellegiSunter(COMPS).fit(sims)
    for w in model.weights():
        # Levels: [missing, disagree, exact]
        assert w.m[2] == pytest.approx(0.9, abs=0.05)
        assert w.u[2] == pytest.approx(0.1, abs=0.05)
    assert model.lambda_ == pytest.approx(0.2, abs=0.03)
    predicted = model.predict_proba(sims) >= 0.5
    assert (predicted == truth).mean() > 0.95


def test_labelled_pairs_give_the_counted_probabilities() -> None:
    rng = np.random.default_rng(2)
    sims, truth = simulate(500, 500, rng)
    model = FellegiSunter(COMPS).fit_labelled(sims, truth)
    assert model.m_ is not None and model.m_[0][2] == pytest.approx(0.9, abs=0.05)
    weights = model.contributions(np.array([[1.0, 0.0, np.nan, 1.0]]))[0]
    assert weights[0] > 0 > weights[1]
    assert weights[2] == 0.0  # missing adds no evidence


def test_model_refuses_to_predict_before_fit() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        FellegiSunter(COMPS).predict_proba(np.zeros((1, 4)))


def test_labels_of_one_class_only_are_refused() -> None:
    with pytest.raises(InsufficientTrainingData, match="0 non-matches"):
        FellegiSunter(COMPS).fit_labelled(np.ones((3, 4)), [True, True, True])


def read_slice() -> pd.DataFrame:
    return pd.read_csv(SLICE, dtype=str, keep_default_na=False)


def true_pairs(frame: pd.DataFrame) -> set[frozenset[str]]:
    entity = frame["rec_id"].str.extract(r"rec-(\d+)-")[0]
    groups = frame.groupby(entity)["rec_id"].apply(list)
    return {frozenset((a, b)) for ids in groups for i, a in enumerate(ids) for b in ids[i + 1 :]}


def f1(found: set[frozenset[str]], truth: set[frozenset[str]]) -> float:
    tp = len(found & truth)
    return 2 * tp / (len(found) + len(truth))


def test_unsupervised_model_deduplicates_febrl_records_with_opaque_ids() -> None:
    frame = read_slice()
    opaque = frame.drop(columns="rec_id")
    opaque.insert(0, "rec_id", [f"r{i}" for i in range(len(frame))])
    found = DuplicateDetector(person_record_settings()).find_frame(opaque, transitive=True)
    back = dict(zip(opaque["rec_id"], frame["rec_id"], strict=True))
    pairs = {
        frozenset((back[a], back[b])) for a, b in zip(found.left_id, found.right_id, strict=True)
    }
    assert f1(pairs, true_pairs(frame)) > 0.98
    assert (found.loc[found["rule"] == "model", "probability"] >= 0.5).all()


def test_explanations_name_the_weightiest_fields() -> None:
    frame = read_slice().head(200)
    report = DuplicateDetector(person_record_settings()).find(frame)
    assert report.pairs
    pair = report.pairs[0]
    assert pair.rule == "model" and pair.probability is not None and pair.probability >= 0.5
    assert "match probability" in pair.explanation and "bits" in pair.explanation
    assert {e.comparison for e in pair.evidence} >= {"name", "date_of_birth", "soc_sec_id"}


def test_labelled_fit_is_used_instead_of_em() -> None:
    frame = read_slice().head(300)
    truth = true_pairs(frame)
    pairs = sorted(tuple(sorted(p)) for p in truth)[:40]
    ids = frame["rec_id"].tolist()
    non = [
        (ids[i], ids[i + 1])
        for i in range(0, 80, 2)
        if frozenset((ids[i], ids[i + 1])) not in truth
    ]
    labelled = pd.DataFrame(
        [(a, b, True) for a, b in pairs] + [(a, b, False) for a, b in non],
        columns=["left_id", "right_id", "is_match"],
    )
    det = DuplicateDetector(person_record_settings()).fit(frame, labelled_pairs=labelled)
    assert det.model is not None and det.model.lambda_ == pytest.approx(len(pairs) / len(labelled))
    out = det.find_frame(frame)
    found = {frozenset(p) for p in zip(out.left_id, out.right_id, strict=True)}
    assert f1(found, truth) > 0.95


def test_benchmark_cli_writes_left_right_pairs(tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "dedupe_febrl.py"),
            "--input",
            str(SLICE),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "records" in result.stdout and "total" in result.stdout
    pairs = pd.read_csv(out, dtype=str)
    assert list(pairs.columns) == ["left_id", "right_id"]
    found = {frozenset(p) for p in zip(pairs.left_id, pairs.right_id, strict=True)}
    assert f1(found, true_pairs(read_slice())) > 0.98


@pytest.mark.parametrize("rows", [0, 1, 2])
def test_tiny_inputs_give_no_pairs_rather_than_an_error(rows: int, tmp_path: Path) -> None:
    frame = read_slice().head(rows)
    assert len(DuplicateDetector(person_record_settings()).find_frame(frame)) == 0
    path = tmp_path / "tiny.csv"
    frame.to_csv(path, index=False)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "dedupe_febrl.py"),
            "--input",
            str(path),
            "--output",
            str(tmp_path / "out.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.csv").read_text().strip() == "left_id,right_id"


@pytest.mark.parametrize("prior", [0.0, 1.0, 1.5, -0.1, float("nan")])
def test_a_prior_outside_zero_and_one_is_refused(prior: float) -> None:
    with pytest.raises(ConfigurationError, match="prior"):
        FellegiSunter(COMPS).fit(np.ones((5, 4)), prior=prior)


@pytest.mark.parametrize("shape", [(5, 3), (5, 5), (5,)])
def test_similarities_with_the_wrong_number_of_comparisons_are_refused(
    shape: tuple[int, ...],
) -> None:
    with pytest.raises(ConfigurationError, match="4 comparisons"):
        FellegiSunter(COMPS).fit(np.ones(shape))
    fitted = FellegiSunter(COMPS).fit_labelled(np.eye(2, 4), [True, False])
    with pytest.raises(ConfigurationError, match="4 comparisons"):
        fitted.predict_proba(np.ones(shape))


@pytest.mark.parametrize(
    ("labels", "matches"),
    [(["yes", "no"], 1), (["True", "False"], 1), ([1, 0], 1), (["1", "0"], 1)],
)
def test_labels_written_as_text_or_numbers_are_read(labels: list[object], matches: int) -> None:
    model = FellegiSunter(COMPS).fit_labelled(np.eye(2, 4), labels)
    assert model.lambda_ == pytest.approx(matches / 2)


@pytest.mark.parametrize("labels", [[1, float("nan")], [0, 2], ["yes", "maybe"], [None, True]])
def test_unreadable_labels_are_refused_not_counted_as_matches(labels: list[object]) -> None:
    with pytest.raises(ValidationFailed, match="is_match"):
        FellegiSunter(COMPS).fit_labelled(np.eye(2, 4), labels)


def test_detector_reads_labels_written_as_text() -> None:
    frame = read_slice().head(300)
    truth = true_pairs(frame)
    a, b = sorted(tuple(sorted(p)) for p in truth)[0]
    ids = frame["rec_id"].tolist()
    labelled = pd.DataFrame(
        [(a, b, "yes"), (ids[0], ids[-1], "no"), (ids[1], ids[-2], "no")],
        columns=["left_id", "right_id", "is_match"],
    )
    det = DuplicateDetector(person_record_settings()).fit(frame, labelled_pairs=labelled)
    assert det.model is not None and det.model.lambda_ == pytest.approx(1 / 3)


def test_em_says_whether_it_converged() -> None:
    sims, _ = simulate(200, 800, np.random.default_rng(3))
    assert FellegiSunter(COMPS).fit(sims).converged_
    assert not FellegiSunter(COMPS, max_iterations=1).fit(sims).converged_


@pytest.mark.parametrize(("iterations", "tolerance"), [(0, 1e-6), (10, 0.0), (10, -1.0)])
def test_em_settings_that_cannot_run_are_refused(iterations: int, tolerance: float) -> None:
    with pytest.raises(ConfigurationError):
        FellegiSunter(COMPS, max_iterations=iterations, tolerance=tolerance)


def test_em_never_calls_disagreement_a_match_when_most_candidates_are_matches() -> None:
    # Tight blocking: 300 candidate pairs agree on everything, 10 on nothing.
    sims = np.vstack([np.ones((300, 4)), np.zeros((10, 4))])
    model = FellegiSunter(COMPS).fit(sims)
    agree, disagree = model.predict_proba(np.array([[1.0] * 4, [0.0] * 4]))
    assert agree > 0.5 > disagree
    assert model.lambda_ is not None and model.lambda_ > 0.5
