"""Model files: skops' format, loaded only with trusted types, signed, and never unpickled."""

from __future__ import annotations

import importlib
import io
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from leadqual.errors import (
    ConfigurationError,
    IncompatibleModelError,
    ModelFileError,
    ModelIntegrityError,
)
from leadqual.scoring import (
    ColdStartScorer,
    GradeScheme,
    LeadFeaturizer,
    LeadScorer,
    ModelRegistry,
    OpportunityScorer,
    StagedOpportunityScorer,
    load_model,
    save_model,
)
from leadqual.scoring.registry import _MAGIC, TRUSTED_TYPES, _sign, read_header

KEY = b"k" * 32


def _data(n: int = 600, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    source = rng.choice(["web", "event", "cold"], n)
    size = rng.normal(size=n)
    y = (rng.random(n) < np.where(source == "event", 0.7, 0.3) + 0.1 * (size > 0)).astype(int)
    created = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 300, n), "D")
    return (
        pd.DataFrame(
            {
                "source": source,
                "size": size,
                "created": created,
                "is_partner": rng.random(n) < 0.3,
                # free text: long, many words, nearly every row its own
                "notes": [
                    " ".join(rng.choice(["asked", "pricing", "demo", "wants", "reply", "soon"], 8))
                    for _ in range(n)
                ],
                "line_of_business": rng.choice(["north", "south"], n),
            }
        ),
        y,
    )


def _fitted() -> dict[str, Any]:
    """One fitted object of every kind a model file holds."""
    X, y = _data()
    staged = StagedOpportunityScorer(["qualify", "close"], min_per_class=20).fit(
        X, y, reached=["qualify" if v == 0 else "close" for v in y]
    )
    registry = ModelRegistry()
    registry.publish(LeadScorer(model="linear").fit(X, y))
    registry.publish(LeadScorer(model="linear").fit(X, y), line_of_business="North")
    return {
        "linear": LeadScorer(model="linear").fit(X, y),
        "blend": LeadScorer(model="blend", cv=3).fit(X, y),
        "featurizer": LeadFeaturizer(text="hash").fit(X),
        "cold": ColdStartScorer(group="line_of_business").fit(X, y),
        "opportunity": OpportunityScorer(
            model="boosting", cv=3, grades=GradeScheme(labels=("Hot", "Cold"), cutoffs=(60,))
        ).fit(X, y),
        "staged": staged,
        "registry": registry,
    }


@pytest.fixture(scope="module")
def fitted() -> dict[str, Any]:
    return _fitted()


def _predict(obj: Any, X: pd.DataFrame) -> np.ndarray:
    if isinstance(obj, ModelRegistry):
        return np.column_stack([obj.select(x).predict_proba(X)[:, 1] for x in ("north", None)])
    if isinstance(obj, LeadFeaturizer):
        return np.asarray(obj.transform(X))
    if isinstance(obj, StagedOpportunityScorer):
        return np.column_stack(
            [obj.model_for(s).predict_proba(X)[:, 1] for s in ("qualify", "close", None)]
        )
    return np.asarray(obj.predict_proba(X))


@pytest.mark.parametrize(
    "kind", ["linear", "blend", "featurizer", "cold", "opportunity", "staged", "registry"]
)
def test_a_saved_model_loads_back_with_identical_predictions(
    fitted: dict[str, Any], kind: str, tmp_path: Path
) -> None:
    obj = fitted[kind]
    path = save_model(obj, tmp_path / f"{kind}.lqm", key=KEY)
    loaded = load_model(path, key=KEY)
    assert type(loaded) is type(obj)
    X, _ = _data(80, seed=11)
    assert np.array_equal(_predict(loaded, X), _predict(obj, X))
    if isinstance(obj, LeadScorer):
        record = X.iloc[0].to_dict()
        assert loaded.score_record(record, band=True) == obj.score_record(record, band=True)


def test_the_trusted_types_are_exactly_what_fitted_models_hold(fitted: dict[str, Any]) -> None:
    found = set()
    for obj in fitted.values():
        found |= set(sio.get_untrusted_types(data=sio.dumps(obj)))
    # nothing a model needs is missing, and nothing is trusted that no model holds
    assert found == set(TRUSTED_TYPES)
    for name in TRUSTED_TYPES:
        module, _, attr = name.rpartition(".")
        target = getattr(importlib.import_module(module), attr)
        # one function only: the input check boosting with categorical columns holds (as
        # partial(check_array, ...)), which validates an array and runs nothing else
        assert isinstance(target, type) or name == "sklearn.utils.validation.check_array"


def _write(path: Path, payload: bytes, **header: Any) -> None:
    """A model file with ``payload`` and header fields, signed with the owner's key."""
    meta = {"format": 3, "kind": "LeadScorer", "sklearn": __import__("sklearn").__version__}
    raw = json.dumps({**meta, **header}, sort_keys=True).encode()
    path.write_bytes(_MAGIC + raw + b"\n" + _sign(KEY, raw, payload).encode() + b"\n" + payload)


def _with_schema(payload: bytes, edit: Any) -> bytes:
    """``payload`` (a skops zip) with its schema rewritten by ``edit``."""
    src = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, edit(data.decode()).encode() if name == "schema.json" else data)
    return out.getvalue()


def test_a_signed_file_that_calls_a_dangerous_function_is_refused(tmp_path: Path) -> None:
    # the key has leaked: the attacker signs a file whose schema names os.system
    benign = sio.dumps({"hook": np.sum, "arg": "touch pwned"})
    evil = _with_schema(
        benign,
        lambda s: s.replace('"__class__": "sum"', '"__class__": "system"').replace(
            '"__module__": "numpy"', '"__module__": "os"'
        ),
    )
    assert "os.system" in sio.get_untrusted_types(data=evil)
    path = tmp_path / "evil.lqm"
    _write(path, evil)
    with pytest.raises(ModelFileError, match=r"does not trust: os\.system.*nothing was loaded"):
        load_model(path, key=KEY)


class _Planted:
    """A type no model holds: building it would run its ``__setstate__``."""

    built = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        type(self).built = True


def test_a_signed_file_holding_an_unknown_type_is_refused_before_building_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "planted.lqm"
    _write(path, sio.dumps({"x": _Planted()}))
    with pytest.raises(ModelFileError, match="does not trust") as info:
        load_model(path, key=KEY)
    assert not isinstance(info.value, IncompatibleModelError)
    assert _Planted.built is False


class _Gadget:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


@pytest.mark.parametrize("fmt", [1, 2])
def test_an_old_pickle_model_file_is_refused_unread_with_how_to_retrain(
    tmp_path: Path, fmt: int
) -> None:
    # what leadqual wrote before skops: a signed pickle, here one that runs code when unpickled
    marker = tmp_path / "ran"
    path = tmp_path / "old.lqm"
    _write(path, pickle.dumps(_Gadget(marker)), format=fmt, leadqual="0.4.0")
    with pytest.raises(IncompatibleModelError) as info:
        load_model(path, key=KEY)
    message = str(info.value)
    assert f"format-{fmt}" in message and "pickle" in message and "never unpickles" in message
    assert "Retrain" in message and "save it again" in message
    assert not marker.exists()
    # refused the same way whatever the key, so the advice is not hidden behind a key error
    with pytest.raises(IncompatibleModelError, match="Retrain"):
        load_model(path, key=b"x" * 32)


def test_a_tampered_model_file_is_refused_before_loading(
    fitted: dict[str, Any], tmp_path: Path
) -> None:
    path = save_model(fitted["linear"], tmp_path / "m.lqm", key=KEY)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelIntegrityError, match="nothing in it was loaded"):
        load_model(path, key=KEY)


def test_a_model_file_signed_with_another_key_is_refused(
    fitted: dict[str, Any], tmp_path: Path
) -> None:
    path = save_model(fitted["linear"], tmp_path / "m.lqm", key=KEY)
    with pytest.raises(ModelIntegrityError):
        load_model(path, key=b"x" * 32)


def test_a_model_from_another_sklearn_version_gives_a_clear_error(
    fitted: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "m.lqm"
    _write(path, sio.dumps(fitted["linear"]), sklearn="0.24.2")
    with pytest.raises(IncompatibleModelError, match=r"scikit-learn 0\.24\.2.*retrain"):
        load_model(path, key=KEY)


def test_a_model_of_a_leadqual_with_other_classes_says_to_retrain(tmp_path: Path) -> None:
    payload = _with_schema(
        sio.dumps({"m": _Planted()}),
        lambda s: s.replace(f'"{__name__}"', '"leadqual.scoring.scorer"').replace(
            '"_Planted"', '"_GoneSinceThen"'
        ),
    )
    path = tmp_path / "m.lqm"
    _write(path, payload, leadqual="0.1.0")
    with pytest.raises(IncompatibleModelError, match=r"_GoneSinceThen.*retrain"):
        load_model(path, key=KEY)


def test_saving_refuses_what_loading_would_refuse_unless_trusted(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"does not trust: .*_Planted.*trusted="):
        save_model({"x": _Planted()}, tmp_path / "m.lqm", key=KEY)
    assert not (tmp_path / "m.lqm").exists()
    name = f"{__name__}._Planted"
    path = save_model({"x": _Planted()}, tmp_path / "m.lqm", key=KEY, trusted=[name])
    assert read_header(path)["format"] == 3 and read_header(path)["kind"] == "dict"


def test_model_files_need_a_real_key_and_a_real_file(
    fitted: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="at least 16 bytes"):
        save_model(fitted["linear"], tmp_path / "m.lqm", key=b"short")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a leadqual model file"):
        load_model(junk, key=KEY)
    damaged = tmp_path / "damaged.lqm"
    _write(damaged, b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelFileError, match="damaged"):
        load_model(damaged, key=KEY)


def test_a_registry_file_holds_its_default_model_and_its_lines(
    fitted: dict[str, Any], tmp_path: Path
) -> None:
    registry = fitted["registry"]
    loaded = ModelRegistry.load(registry.save(tmp_path / "r.lqm", key=KEY), key=KEY)
    assert loaded.lines_of_business == ("North",) and None in loaded and len(loaded) == 2
    with pytest.raises(ModelFileError, match="not a ModelRegistry"):
        ModelRegistry.load(save_model(fitted["linear"], tmp_path / "s.lqm", key=KEY), key=KEY)
