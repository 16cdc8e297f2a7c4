"""Model files that are not what they claim: each a ModelFileError, never an OSError, a
TypeError from the signature check or a RecursionError from the header."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual.errors import ConfigurationError, ModelFileError
from leadqual.scoring import LeadScorer, ModelRegistry, load_model, save_model
from leadqual.scoring.registry import read_header

KEY = b"k" * 32
MAGIC = b"LEADQUAL-MODEL\n"
HEADER = b'{"format": 3, "sklearn": "1.0"}'


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (MAGIC + HEADER + b"\n" + "é".encode() * 32 + b"\nPK", "signature is not hexadecimal"),
        (MAGIC + b"[" * 100_000 + b"]" * 100_000 + b"\n" + b"0" * 64 + b"\n", "header"),
        (MAGIC + b"[" * 900 + b"]" * 900 + b"\n" + b"0" * 64 + b"\n", "header"),
        (MAGIC + b'{"format": ' + b"9" * 5000 + b"}\n" + b"0" * 64 + b"\n", "header"),
        (MAGIC + HEADER, "ends inside its header"),
        (MAGIC + b"\xff\xfe\n" + b"0" * 64 + b"\n", "header does not parse"),
    ],
    ids=["non-ascii-signature", "deep", "nested", "huge-number", "truncated", "not-utf8"],
)
def test_a_damaged_model_file_is_a_model_file_error(
    tmp_path: Path, body: bytes, match: str
) -> None:
    path = tmp_path / "m.skops"
    path.write_bytes(body)
    for load in (lambda: load_model(path, key=KEY), lambda: ModelRegistry.load(path, key=KEY)):
        with pytest.raises(ModelFileError, match=match):
            load()


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_a_path_that_is_not_a_file_is_a_model_file_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "m.skops"
    if kind == "directory":
        path.mkdir()
    with pytest.raises(ModelFileError, match="cannot read model file"):
        load_model(path, key=KEY)
    with pytest.raises(ModelFileError, match="cannot read model file"):
        read_header(path)


# -- files that carry a valid signature ---------------------------------------------------------
# The signature stops anyone without the key. These are files signed with it all the same: one
# written by a buggy or foreign tool, or by someone who holds a leaked key (the format promises
# that even then no code runs). Each must end in a ModelFileError, never in an AttributeError
# from skops' schema walk or a numpy error on the first lead scored.


def _fitted() -> LeadScorer:
    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {"source": rng.choice(["web", "ad", "event"], 80), "employees": rng.integers(1, 900, 80)}
    )
    y = ((X["source"] == "event").to_numpy() ^ (rng.random(80) < 0.2)).astype(int)
    return LeadScorer(model="linear").fit(X, y)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, dict[str, bytes]]:
    """The header, the payload and the payload's members of a real model file."""
    path = save_model(_fitted(), tmp_path_factory.mktemp("model") / "m.skops", key=KEY)
    header, _, payload = path.read_bytes()[len(MAGIC) :].split(b"\n", 2)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return header, payload, members


def _signed(header: bytes, payload: bytes) -> bytes:
    mac = hmac.new(KEY, header + b"\n" + payload, hashlib.sha256).hexdigest().encode()
    return MAGIC + header + b"\n" + mac + b"\n" + payload


def _zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _edit_schema(members: dict[str, bytes], edit: Any) -> bytes:
    schema = json.loads(members["schema.json"])
    edit(schema)
    return _zipped({**members, "schema.json": json.dumps(schema).encode()})


def _node(schema: dict[str, Any], *keys: str) -> dict[str, Any]:
    """An attribute's node: an object's attributes are a dict node inside its content."""
    node = schema
    for key in keys:
        node = node["content"]["content"][key]
    return node


SCHEMA_EDITS = {
    # a node's content swapped for a number or a list: skops' audit calls .get on it
    "content-a-number": lambda s: s.update(content=7),
    "content-a-list": lambda s: _node(s, "featurizer_").update(content=[1]),
    # a node's type or module name that is not a string
    "class-not-text": lambda s: _node(s, "featurizer_").update(__class__={"x": 1}),
    "module-not-text": lambda s: _node(s, "model_").update(__module__=[1]),
    # a list node whose items are a number
    "items-a-number": lambda s: _node(s, "featurizer_", "plans_").update(content=5),
    # the fitted model's content emptied: every part missing
    "parts-removed": lambda s: _node(s, "model_").update(content={}),
}


@pytest.mark.parametrize("edit", SCHEMA_EDITS.values(), ids=SCHEMA_EDITS.keys())
def test_a_signed_file_with_a_broken_schema_is_a_model_file_error(
    tmp_path: Path, saved: tuple[bytes, bytes, dict[str, bytes]], edit: Any
) -> None:
    header, _, members = saved
    path = tmp_path / "m.skops"
    path.write_bytes(_signed(header, _edit_schema(members, edit)))
    with pytest.raises(ModelFileError, match="damaged"):
        load_model(path, key=KEY)


def test_a_signed_file_with_a_cut_array_is_a_model_file_error(
    tmp_path: Path, saved: tuple[bytes, bytes, dict[str, bytes]]
) -> None:
    header, _, members = saved
    path = tmp_path / "m.skops"
    for name in (n for n in members if n.endswith(".npy")):
        cut = {**members, name: members[name][: len(members[name]) // 2]}
        path.write_bytes(_signed(header, _zipped(cut)))
        with pytest.raises(ModelFileError):
            load_model(path, key=KEY)


def test_a_signed_file_with_a_truncated_payload_is_a_model_file_error(
    tmp_path: Path, saved: tuple[bytes, bytes, dict[str, bytes]]
) -> None:
    header, payload, _ = saved
    path = tmp_path / "m.skops"
    for end in (0, 10, len(payload) // 3, len(payload) - 1):
        path.write_bytes(_signed(header, payload[:end]))
        with pytest.raises(ModelFileError, match="damaged"):
            load_model(path, key=KEY)


def test_a_scorer_whose_coefficients_lost_a_column_is_refused_at_load_not_at_scoring(
    tmp_path: Path,
) -> None:
    scorer = _fitted()
    # one coefficient fewer than the featurizer makes: scoring fails with a numpy error
    scorer.model_.compiled = [(fast[0][:-1], fast[1]) for fast in scorer.model_.compiled]
    path = save_model(scorer, tmp_path / "m.skops", key=KEY)
    with pytest.raises(ModelFileError, match="cannot score a lead"):
        load_model(path, key=KEY)


def test_a_payload_that_is_not_what_the_header_says_is_refused(
    tmp_path: Path, saved: tuple[bytes, bytes, dict[str, bytes]]
) -> None:
    header, _, _ = saved
    registry = ModelRegistry()
    registry.publish(_fitted())
    other = save_model(registry, tmp_path / "r.skops", key=KEY).read_bytes()
    _, _, registry_payload = other[len(MAGIC) :].split(b"\n", 2)
    path = tmp_path / "m.skops"
    path.write_bytes(_signed(header, registry_payload))  # header: LeadScorer
    with pytest.raises(ModelFileError, match="says it holds a LeadScorer, but it holds a Mod"):
        load_model(path, key=KEY)


def test_a_sound_signed_file_still_loads_and_scores(
    tmp_path: Path, saved: tuple[bytes, bytes, dict[str, bytes]]
) -> None:
    header, _, members = saved
    path = tmp_path / "m.skops"
    path.write_bytes(_signed(header, _zipped(members)))  # re-packed, same content
    scorer = load_model(path, key=KEY)
    X = pd.DataFrame({"source": ["event", "web"], "employees": [10, 10]})
    assert scorer.predict_proba(X)[:, 1].tolist() == _fitted().predict_proba(X)[:, 1].tolist()


def test_a_foreign_object_signed_with_the_key_is_refused_when_a_scorer_is_expected(
    tmp_path: Path,
) -> None:
    from sklearn.linear_model import LogisticRegression

    plain = LogisticRegression().fit(np.arange(20.0).reshape(10, 2), [0, 1] * 5)
    path = save_model(plain, tmp_path / "m.skops", key=KEY)
    assert isinstance(load_model(path, key=KEY), LogisticRegression)  # nothing expected: as is
    with pytest.raises(ModelFileError, match="holds a LogisticRegression, not a LeadScorer"):
        load_model(path, key=KEY, expect=LeadScorer)
    with pytest.raises(ModelFileError, match="not a ModelRegistry"):
        ModelRegistry.load(path, key=KEY)


@pytest.mark.parametrize("expect", ["LeadScorer", (), (LeadScorer, "x"), LeadScorer()])
def test_expect_must_name_classes(tmp_path: Path, expect: Any) -> None:
    path = save_model(_fitted(), tmp_path / "m.skops", key=KEY)
    with pytest.raises(ConfigurationError, match="expect must be a class"):
        load_model(path, key=KEY, expect=expect)
