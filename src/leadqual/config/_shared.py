"""What every part of the configuration schema shares: reading a file, and the field-path type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field

from leadqual.errors import ConfigurationError

__all__ = ["MAX_DEPTH", "FieldPath", "load_mapping"]

FieldPath = Annotated[str, Field(pattern=r"^(lead|account|contact)\.[A-Za-z_][\w.]*$")]
"""A dotted path into the lead context: ``lead.industry``, ``account.address.country``,
``lead.custom_fields.segment``."""

MAX_DEPTH = 32
"""How deeply a configuration file may nest; the schema itself needs fewer than ten levels."""


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int | None) -> None:
        super().__init__(key)
        self.key = key
        self.line = line


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key repeated in one mapping (which it would otherwise
    resolve silently to the last value)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                fresh = key not in seen
            except TypeError:  # an unhashable key: the base class reports it with its line
                break
            if not fresh:
                raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _refuse_duplicate_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key, None)
        out[key] = value
    return out


def _json_duplicate_line(text: str, key: str) -> int | None:
    """The line where ``key`` repeats within one JSON object of ``text`` (already known to be
    valid JSON): a small scanner over strings and brackets, since :mod:`json` keeps no positions."""
    stack: list[set[str] | None] = []  # one key set per open object, None per open array
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            k = j + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if stack and stack[-1] is not None and k < n and text[k] == ":":
                name = json.loads(text[i : j + 1])
                if name in stack[-1] and name == key:
                    return text.count("\n", 0, i) + 1
                stack[-1].add(name)
            i = j + 1
            continue
        if ch == "{":
            stack.append(set())
        elif ch == "[":
            stack.append(None)
        elif ch in "}]" and stack:
            stack.pop()
        i += 1
    return None


def _depth_exceeds(data: Any, limit: int) -> bool:
    todo: list[tuple[Any, int]] = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            todo.extend((v, depth + 1) for v in items)
    return False


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or JSON file into a mapping, with a clear error.

    The file must be UTF-8 (a byte-order mark is allowed), name each key once per mapping (a
    repeated key is refused rather than silently replaced by its last value), and nest at most
    :data:`MAX_DEPTH` levels.

    Raises:
        ConfigurationError: the file cannot be read, has another suffix, is not UTF-8, does not
            parse, repeats a key, nests too deeply, holds a number too long to read, or does not
            hold a mapping at the top level.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ConfigurationError(f"{p}: use a .yaml, .yml or .json file")
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise ConfigurationError(f"cannot read configuration file {p}: {err}") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigurationError(
            f"{p} is not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line}): save it as "
            "UTF-8, e.g. with your editor's 'save with encoding' or `iconv -t UTF-8`"
        ) from None
    kind = "JSON" if suffix == ".json" else "YAML"
    try:
        if suffix == ".json":
            data = json.loads(text, object_pairs_hook=_refuse_duplicate_pairs)
        else:
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except _DuplicateKey as dup:
        at = dup.line if dup.line is not None else _json_duplicate_line(text, dup.key)
        where = f" (line {at})" if at is not None else ""
        raise ConfigurationError(
            f"{p}: key {dup.key!r} appears twice in one mapping{where}; keep one of them "
            "(a repeated key would silently replace the earlier value)"
        ) from None
    except RecursionError:
        raise ConfigurationError(
            f"{p} nests too deeply to read; a configuration needs at most {MAX_DEPTH} levels"
        ) from None
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise ConfigurationError(f"{p} is not valid {kind}: {err}") from err
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise ConfigurationError(f"{p} holds a value that cannot be read: {err}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{p} must hold a mapping at the top level")
    if _depth_exceeds(data, MAX_DEPTH):
        raise ConfigurationError(
            f"{p} nests more than {MAX_DEPTH} levels deep; a configuration needs fewer than ten"
        )
    return data
