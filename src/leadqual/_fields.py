"""Reading dotted field paths (``account.address.country``, ``lead.custom_fields.segment``) from a
lead context, with the paths checked once when a profile or segment is compiled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from leadqual._text import is_placeholder
from leadqual.errors import ConfigurationError
from leadqual.models import Account, Address, Contact, Lead, LeadContext

__all__ = ["check_path", "get_path", "is_empty"]

_ROOTS: Mapping[str, type[BaseModel]] = {"lead": Lead, "account": Account, "contact": Contact}


def _attribute_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    names.update(n for n in dir(model) if isinstance(getattr(model, n, None), property))
    return names


def check_path(path: str, /, *, where: str) -> None:
    """Raise :class:`~leadqual.errors.ConfigurationError` naming ``where`` if ``path`` cannot exist."""
    root, _, rest = path.partition(".")
    model = _ROOTS.get(root)
    if model is None or not rest:
        raise ConfigurationError(
            f"{where}: field {path!r} must start with lead., account. or contact."
        )
    first, _, tail = rest.partition(".")
    if first not in _attribute_names(model):
        raise ConfigurationError(
            f"{where}: {model.__name__} has no field {first!r} (in {path!r}); use "
            f"{root}.custom_fields.<name> for a custom CRM field"
        )
    if first == "custom_fields":
        if not tail or "." in tail:
            raise ConfigurationError(
                f"{where}: write a custom field as {root}.custom_fields.<name>"
            )
        return
    if first == "address":
        if tail and tail not in Address.model_fields:
            raise ConfigurationError(f"{where}: an address has no field {tail!r} (in {path!r})")
        return
    if tail:
        raise ConfigurationError(f"{where}: {root}.{first} has no sub-fields (in {path!r})")


def get_path(context: LeadContext, path: str, /) -> Any:
    """The value at ``path`` in ``context``; ``None`` when a record on the way is missing."""
    obj: Any = context
    for part in path.split("."):
        if obj is None:
            return None
        obj = obj.get(part) if isinstance(obj, Mapping) else getattr(obj, part, None)
    return obj


def is_empty(value: object) -> bool:
    """Whether a CRM value counts as missing: ``None``, blank text, NaN, or a placeholder such as
    ``"N/A"``, ``"Unknown"``, ``"-"`` or ``"TBD"`` (missing data is never a mismatch)."""
    if value is None:
        return True
    if isinstance(value, str):
        return is_placeholder(value)
    return isinstance(value, float) and value != value
