"""Model files that are not what they claim: each a ModelFileError, never an OSError, a
TypeError from the signature check or a RecursionError from the header."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadqual.errors import ModelFileError
from leadqual.scoring import ModelRegistry, load_model
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
