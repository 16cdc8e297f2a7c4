"""Configuration files as a careless or hostile hand writes them: each refused with a
ConfigurationError that says what is wrong and where, never a parser's own exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError

VALID = {"company": {"name": "Tailwind"}, "products": [{"name": "Cloud", "description": "CRM"}]}


def _write(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


@pytest.mark.parametrize(
    ("name", "body", "line"),
    [
        ("c.yaml", b"company:\n  name: A\n  name: B\nproducts: []\n", 3),
        ("c.json", b'{"company": {"name": "A"},\n "products": [],\n "company": {"name": "B"}}', 3),
        ("c.json", b'{"products": [{"name": "x",\n "description": "y",\n "name": "z"}]}', 3),
    ],
)
def test_a_repeated_key_is_refused_with_its_name_and_line(
    tmp_path: Path, name: str, body: bytes, line: int
) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"key '(company|name)' appears twice.*line {line}"
    ):
        AgentConfig.from_file(_write(tmp_path, name, body))


def test_the_same_key_in_two_mappings_is_not_a_repeat(tmp_path: Path) -> None:
    body = json.dumps(
        {"company": {"name": "A"}, "products": [{"name": "x", "description": "y"}]}
    ).encode()
    assert AgentConfig.from_file(_write(tmp_path, "c.json", body)).company.name == "A"


def test_a_latin1_file_is_refused_as_not_utf8_with_its_line(tmp_path: Path) -> None:
    body = "company:\n  name: Caf\xe9\n".encode("latin-1")
    with pytest.raises(ConfigurationError, match=r"not UTF-8.*0xe9 on line 2.*save it as UTF-8"):
        AgentConfig.from_file(_write(tmp_path, "c.yaml", body))


def test_a_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(VALID).encode()
    assert AgentConfig.from_file(_write(tmp_path, "c.json", body)).company.name == "Tailwind"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("c.json", b"[" * 100_000 + b"]" * 100_000),
        ("c.yaml", b"[" * 100_000 + b"]" * 100_000),
        ("c.json", ('{"company": ' + "[" * 40 + "]" * 40 + "}").encode()),
    ],
)
def test_deep_nesting_is_refused_not_a_recursion_error(
    tmp_path: Path, name: str, body: bytes
) -> None:
    with pytest.raises(ConfigurationError, match="nests"):
        AgentConfig.from_file(_write(tmp_path, name, body))


@pytest.mark.parametrize("name", ["c.json", "c.yaml"])
def test_an_integer_too_long_to_convert_is_refused(tmp_path: Path, name: str) -> None:
    digits = "9" * 5000
    body = (json.dumps(VALID)[:-1] + f', "refresh": {{"activation_batch": {digits}}}}}').encode()
    with pytest.raises(ConfigurationError, match="cannot be read"):
        AgentConfig.from_file(_write(tmp_path, name, body))


def test_a_directory_is_refused_as_unreadable(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").mkdir()
    with pytest.raises(ConfigurationError, match="cannot read"):
        AgentConfig.from_file(tmp_path / "c.yaml")
