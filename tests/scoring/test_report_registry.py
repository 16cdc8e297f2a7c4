"""Model report rendering, grade schemes, and the signed model registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.errors import ConfigurationError, NotScorable, ValidationFailed
from leadqual.models import Lead
from leadqual.scoring import (
    GradeScheme,
    IncompatibleModelError,
    LeadScorer,
    ModelFileError,
    ModelIntegrityError,
    ModelRegistry,
    evaluate,
    load_model,
    save_model,
)
from leadqual.scoring.registry import _MAGIC, _sign

KEY = b"k" * 32


def _data(n: int = 160) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    source = rng.choice(["web", "event", "cold"], n)
    y = (rng.random(n) < np.where(source == "event", 0.75, 0.3)).astype(int)
    created = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 300, n), "D")
    return pd.DataFrame({"source": source, "size": rng.normal(size=n), "created": created}), y


@pytest.fixture(scope="module")
def scorer() -> LeadScorer:
    X, y = _data()
    return LeadScorer().fit(X, y)


def test_report_measures_held_out_and_time_ordered_performance() -> None:
    X, y = _data()
    report = evaluate(LeadScorer(), X, y, times=X["created"], line_of_business="SMB")
    assert report.cv.folds == 5 and report.cv.roc_auc_std is not None
    assert report.time_ordered is not None and report.time_ordered.rows == 32
    assert 0 <= report.cv.brier <= 1
    assert [g.grade for g in report.grades] == ["A", "B", "C", "D"]
    assert report.importances[0].column == "source"
    assert report.roc_points[0] == (0.0, 0.0) and report.roc_points[-1] == (1.0, 1.0)
    assert "CV ROC-AUC" in report.headline


def test_report_renders_markdown_and_self_contained_html() -> None:
    X, y = _data()
    report = evaluate(LeadScorer(), X, y, times=X["created"])
    md = report.to_markdown()
    assert "| grade | from score | leads | share | qualified |" in md
    assert "## What drives scores" in md
    page = report.to_html()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 4
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org", "")


def test_grade_scheme_validates_its_cutoffs() -> None:
    with pytest.raises(ValidationFailed, match="strictly decreasing"):
        GradeScheme(cutoffs=(50, 75, 25))
    with pytest.raises(ValidationFailed, match="need 3 cutoffs"):
        GradeScheme(cutoffs=(50, 25))


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=2, max_size=50))
def test_grades_never_improve_as_the_score_falls(scores: list[float]) -> None:
    scheme = GradeScheme()
    ordered = sorted(scores, reverse=True)
    ranks = [scheme.labels.index(scheme.grade(s)) for s in ordered]
    assert ranks == sorted(ranks)
    assert scheme.grade_many(ordered) == [scheme.grade(s) for s in ordered]


def test_grade_scheme_from_quantiles_splits_evenly() -> None:
    scores = np.arange(100)
    scheme = GradeScheme.from_quantiles(scores)
    counts = pd.Series(scheme.grade_many(scores)).value_counts()
    assert counts.min() >= 20


def test_registry_selects_by_line_of_business_with_a_default(scorer: LeadScorer) -> None:
    other = LeadScorer(model="linear", min_frequency=1).fit(*_data(120))
    registry = ModelRegistry()
    registry.publish(scorer, line_of_business="Enterprise")
    with pytest.raises(NotScorable) as info:
        registry.select("Commercial")
    assert info.value.reason == "no_model"
    registry.publish(other)
    assert registry.select("ENTERPRISE") is scorer
    assert registry.select("Commercial") is other
    lead = Lead(
        id="L-1", line_of_business="Enterprise", created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert registry.select(lead) is scorer
    assert registry.lines_of_business == ("Enterprise",) and len(registry) == 2
    registry.unpublish("enterprise")
    assert registry.select(lead) is other


def test_registry_scores_a_lead_with_the_model_of_its_line(scorer: LeadScorer) -> None:
    registry = ModelRegistry()
    registry.publish(scorer, line_of_business="Enterprise")
    lead = Lead(
        id="L-9",
        line_of_business="Enterprise",
        lead_source="web",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    result = registry.score(lead, as_of=datetime(2026, 3, 1, tzinfo=UTC))
    assert result.model.endswith("(Enterprise)")


def test_saved_registry_loads_back_and_scores_the_same(scorer: LeadScorer, tmp_path: Path) -> None:
    registry = ModelRegistry()
    registry.publish(scorer, line_of_business="Enterprise")
    path = registry.save(tmp_path / "models.lqm", key=KEY)
    loaded = ModelRegistry.load(path, key=KEY)
    X, _ = _data(20)
    assert np.allclose(loaded.select("Enterprise").predict_proba(X), scorer.predict_proba(X))


def test_a_tampered_model_file_is_refused_before_unpickling(
    scorer: LeadScorer, tmp_path: Path
) -> None:
    path = save_model(scorer, tmp_path / "m.lqm", key=KEY)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelIntegrityError, match="not unpickled"):
        load_model(path, key=KEY)


def test_a_model_file_signed_with_another_key_is_refused(
    scorer: LeadScorer, tmp_path: Path
) -> None:
    path = save_model(scorer, tmp_path / "m.lqm", key=KEY)
    with pytest.raises(ModelIntegrityError):
        load_model(path, key=b"x" * 32)


def _resign(path: Path, payload: bytes | None = None, **header: object) -> None:
    """Rewrite a model file's header fields (and payload), signed with the owner's key."""
    old_header, _mac, old_payload = path.read_bytes()[len(_MAGIC) :].split(b"\n", 2)
    meta = {**json.loads(old_header), **header}
    body = old_payload if payload is None else payload
    new_header = json.dumps(meta, sort_keys=True).encode()
    mac = _sign(KEY, new_header, body).encode()
    path.write_bytes(_MAGIC + new_header + b"\n" + mac + b"\n" + body)


def test_a_model_from_another_sklearn_version_gives_a_clear_error(
    scorer: LeadScorer, tmp_path: Path
) -> None:
    path = save_model(scorer, tmp_path / "m.lqm", key=KEY)
    _resign(path, sklearn="0.24.2")
    with pytest.raises(IncompatibleModelError, match=r"scikit-learn 0\.24\.2.*retrain"):
        load_model(path, key=KEY)


def test_a_model_file_of_an_older_format_is_refused_before_unpickling(
    scorer: LeadScorer, tmp_path: Path
) -> None:
    path = save_model(scorer, tmp_path / "m.lqm", key=KEY)
    # scorers before the extrapolation guard and per-row ages; never unpickled
    _resign(path, payload=b"not a pickle", format=1)
    with pytest.raises(IncompatibleModelError, match=r"format 1.*retrain"):
        load_model(path, key=KEY)


def test_model_files_need_a_real_key_and_a_real_file(scorer: LeadScorer, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 16 bytes"):
        save_model(scorer, tmp_path / "m.lqm", key=b"short")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a leadqual model file"):
        load_model(junk, key=KEY)
