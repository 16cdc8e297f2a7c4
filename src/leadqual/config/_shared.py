"""What every part of the configuration schema shares: reading a file, and the field-path type."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import ConfigDict, Field

from leadqual._base import FrozenModel
from leadqual.errors import ConfigurationError, ValidationFailed

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "ConfigPart",
    "FieldPath",
    "Loc",
    "decode_text",
    "dump_yaml",
    "load_mapping",
    "parse_yaml",
    "with_lines",
]


class ConfigPart(FrozenModel):
    """Base of the configuration's models: a frozen model whose attribute docstrings are its
    fields' descriptions, so the published JSON Schema explains every field."""

    model_config = ConfigDict(use_attribute_docstrings=True)


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


MAX_NODES = 100_000
"""How many values a configuration file may hold once YAML aliases are expanded; a real one holds
a few hundred. Aliases make a small file expand to a huge one (the "billion laughs"), which every
later pass over the data would walk in full."""

Loc = tuple[str | int, ...]
"""Where a value sits in a document: mapping keys and list indexes from the top."""


def _check_shape(data: Any, origin: str) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH` or expanding to more than
    :data:`MAX_NODES` values. The walk stops at the first excess, so shared (aliased) values
    cost at most the budget, not their expanded size."""
    todo: list[tuple[Any, int]] = [(data, 1)]
    seen = 0
    while todo:
        value, depth = todo.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ConfigurationError(
                f"{origin} holds more than {MAX_NODES:,} values once its aliases (*name) are "
                "expanded; a configuration holds a few hundred: write the values out or use "
                "fewer aliases"
            )
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ConfigurationError(
                    f"{origin} nests more than {MAX_DEPTH} levels deep; a configuration needs "
                    "fewer than ten"
                )
            items = value.values() if isinstance(value, dict) else value
            todo.extend((v, depth + 1) for v in items)


def _node_lines(root: yaml.Node | None) -> dict[Loc, tuple[int, str | None]]:
    """Line (1-based) and raw scalar text of every value of a composed YAML document, by its
    location. Keys of merged mappings (``<<: *base``) are not followed: their values have no
    line of their own. The caller has bounded the document's size (:func:`_check_shape`)."""
    out: dict[Loc, tuple[int, str | None]] = {}
    if root is None:
        return out
    todo: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while todo and len(out) <= MAX_NODES:
        node, loc = todo.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                here = (*loc, str(key_node.value))
                raw = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
                out[here] = (key_node.start_mark.line + 1, raw)
                todo.append((value_node, here))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                raw = item.value if isinstance(item, yaml.ScalarNode) else None
                out[(*loc, i)] = (item.start_mark.line + 1, raw)
                todo.append((item, (*loc, i)))
    return out


def _yaml_problem(err: yaml.YAMLError, origin: str) -> ConfigurationError:
    """A parser error as a :class:`ConfigurationError` with its line and what to do."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = str(getattr(err, "problem", None) or err)
    if "'\\t'" in problem:
        return ConfigurationError(
            f"{origin}: line {line} is indented with a tab; YAML allows only spaces for "
            "indentation: replace the tab with spaces",
            line=line,
        )
    if "constructor for the tag" in problem:
        return ConfigurationError(
            f"{origin}: line {line} uses a YAML tag (!!...) that plain configuration data does "
            "not allow; write the value without the tag",
            line=line,
        )
    where = f" (line {line})" if line is not None else ""
    return ConfigurationError(f"{origin} is not valid YAML{where}: {err}", line=line)


def parse_yaml(text: str, origin: str) -> tuple[dict[str, Any], dict[Loc, tuple[int, str | None]]]:
    """Parse configuration YAML into a mapping, with the line and raw text of every value.

    Args:
        text: the YAML document.
        origin: how messages name the document (a file's path, or "configuration text").

    Raises:
        ConfigurationError: the text does not parse (with the line, and what to do for a tab
            or a tag), repeats a key, nests too deeply, expands beyond :data:`MAX_NODES`
            values, holds a number too long to read, or is not a mapping at the top level.
    """
    loader = _UniqueKeyLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except _DuplicateKey as dup:
        where = f" (line {dup.line})" if dup.line is not None else ""
        raise ConfigurationError(
            f"{origin}: key {dup.key!r} appears twice in one mapping{where}; keep one of them "
            "(a repeated key would silently replace the earlier value)",
            line=dup.line,
        ) from None
    except RecursionError:
        raise ConfigurationError(
            f"{origin} nests too deeply to read; a configuration needs at most {MAX_DEPTH} levels"
        ) from None
    except yaml.YAMLError as err:
        raise _yaml_problem(err, origin) from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise ConfigurationError(f"{origin} holds a value that cannot be read: {err}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        found = "nothing" if data is None else f"a {type(data).__name__}"
        raise ConfigurationError(f"{origin} must hold a mapping at the top level, not {found}")
    _check_shape(data, origin)
    return data, _node_lines(root)


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
    text = decode_text(raw, str(p))
    if suffix != ".json":
        return parse_yaml(text, str(p))[0]
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicate_pairs)
    except _DuplicateKey as dup:
        at = _json_duplicate_line(text, dup.key)
        where = f" (line {at})" if at is not None else ""
        raise ConfigurationError(
            f"{p}: key {dup.key!r} appears twice in one mapping{where}; keep one of them "
            "(a repeated key would silently replace the earlier value)",
            line=at,
        ) from None
    except RecursionError:
        raise ConfigurationError(
            f"{p} nests too deeply to read; a configuration needs at most {MAX_DEPTH} levels"
        ) from None
    except json.JSONDecodeError as err:
        raise ConfigurationError(f"{p} is not valid JSON: {err}", line=err.lineno) from err
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise ConfigurationError(f"{p} holds a value that cannot be read: {err}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{p} must hold a mapping at the top level")
    _check_shape(data, str(p))
    return data


def decode_text(raw: bytes, origin: str) -> str:
    """``raw`` as UTF-8 text (a byte-order mark is dropped).

    Raises:
        ConfigurationError: the bytes are not UTF-8; the message names the byte and its line.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigurationError(
            f"{origin} is not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line}): save it "
            "as UTF-8, e.g. with your editor's 'save with encoding' or `iconv -t UTF-8`",
            line=line,
        ) from None


_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""})
"""Unquoted scalars YAML 1.1 reads as a boolean or as nothing (``NO`` for Norway is ``false``)."""


def _hint(error: Mapping[str, Any], raw: str | None) -> str:
    """What to do when YAML read an unquoted value as another type than the field wants."""
    if raw is None or error.get("type") != "string_type":
        return ""
    if raw.casefold() in _YAML_WORDS:
        return f" (YAML reads an unquoted {raw!r} as true, false or nothing: quote it)"
    return f" (YAML reads an unquoted {raw!r} as a number: quote it to keep it as text)"


def with_lines(
    err: ValidationFailed, lines: Mapping[Loc, tuple[int, str | None]], origin: str
) -> ValidationFailed:
    """``err`` with the line of each problem in ``origin`` (by its location; a location the
    document does not spell out, such as a missing key or a union's tag, takes the line of the
    nearest value it does), and a hint where YAML read an unquoted value as another type."""
    found: list[dict[str, Any]] = []
    shown: list[str] = []
    for e in err.errors:
        path: Loc = ()
        line: int | None = None
        for part in e["loc"]:
            if (*path, part) in lines:
                path = (*path, part)
                line = lines[path][0]
        exact = lines.get(tuple(e["loc"]))
        hint = _hint(e, exact[1] if exact is not None else None)
        found.append({**e, "line": line})
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        at = f" (line {line})" if line is not None else ""
        shown.append(f"  {where}{at}: {e['msg']}{hint}")
    more = f"\n  ... and {len(shown) - 10} more" if len(shown) > 10 else ""
    message = (
        f"{origin} is not a valid configuration: {len(found)} problem(s)\n"
        + "\n".join(shown[:10])
        + more
    )
    first = found[0]["line"] if found else None
    return ValidationFailed(message, field=err.field, errors=found, line=first)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing a string in double quotes (with escapes) when it holds a
    character a plain or single-quoted scalar would not keep: a line break YAML folds (NEL,
    U+2028/9), a control character, a byte-order mark."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    risky = any(
        (ord(c) < 0x20 and c != "\n")
        or 0x7F <= ord(c) <= 0x9F
        or c in "\u2028\u2029\ufeff"
        or 0xD800 <= ord(c) <= 0xDFFF
        for c in value
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if risky else None)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """``data`` (JSON-like) as block-style YAML that :func:`parse_yaml` reads back equal: keys in
    their order, text that YAML would read as another type quoted, Unicode kept readable."""
    return yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
