"""What every part of the configuration schema shares: reading a file, and the field-path type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field

from leadqual.errors import ConfigurationError

__all__ = ["FieldPath", "load_mapping"]

FieldPath = Annotated[str, Field(pattern=r"^(lead|account|contact)\.[A-Za-z_][\w.]*$")]
"""A dotted path into the lead context: ``lead.industry``, ``account.address.country``,
``lead.custom_fields.segment``."""


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or JSON file into a mapping, with a clear error.

    Raises:
        ConfigurationError: the file cannot be read, has another suffix, does not parse, or does
            not hold a mapping at the top level.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigurationError(f"cannot read configuration file {p}: {err}") from err
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise ConfigurationError(f"{p}: use a .yaml, .yml or .json file")
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise ConfigurationError(f"{p} is not valid {p.suffix[1:].upper()}: {err}") from err
    if not isinstance(data, dict):
        raise ConfigurationError(f"{p} must hold a mapping at the top level")
    return data
