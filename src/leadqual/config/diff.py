"""What changed between two configurations, field by field.

Named lists (products, hand-raiser segments, ICP characteristics, providers) are compared by
name, so a segment moved up the list is reported as a reorder, not as every segment changed.
A list of plain values (the prioritisation order, targets) is compared whole.

Examples:
    >>> old = AgentConfig.model_validate({
    ...     "company": {"name": "Tailwind"},
    ...     "products": [{"name": "Cloud", "description": "CRM analytics"}],
    ... })
    >>> new = old.replace(refresh={"research_every_days": 3})
    >>> [(c.path, c.old, c.new) for c in config_changes(old, new)]
    [('refresh.research_every_days', 7, 3)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import JsonValue

from leadqual._base import FrozenModel
from leadqual.config.agent import AgentConfig, require_config

__all__ = ["FieldChange", "config_changes"]

ChangeKind = Literal["added", "removed", "changed", "reordered"]
"""How a field changed: a value or named item only in the new configuration, only in the old,
a different value, or the same named items in another order."""


class FieldChange(FrozenModel):
    """One difference between two configurations.

    Examples:
        >>> FieldChange(path="prioritization.order", kind="changed",
        ...             old=["handraiser", "icp_fit"], new=["icp_fit", "handraiser"]).line()
        "prioritization.order: ['handraiser', 'icp_fit'] -> ['icp_fit', 'handraiser']"
    """

    path: str
    """Where: dotted keys, list positions as numbers, named items in brackets
    (``handraisers[Direct inquiries].match``, ``selection.0.value``)."""
    kind: ChangeKind
    old: JsonValue = None
    """The old value (``None`` when added; the old order of names when reordered)."""
    new: JsonValue = None
    """The new value (``None`` when removed; the new order of names when reordered)."""

    def line(self) -> str:
        """The change in one line."""
        if self.kind == "added":
            return f"{self.path}: added {self.new!r}"
        if self.kind == "removed":
            return f"{self.path}: removed (was {self.old!r})"
        if self.kind == "reordered":
            return f"{self.path}: reordered {self.old!r} -> {self.new!r}"
        return f"{self.path}: {self.old!r} -> {self.new!r}"


def _named(items: Sequence[Any]) -> list[str] | None:
    """The items' names when every item is a mapping with a distinct string ``name``."""
    names = [i.get("name") if isinstance(i, Mapping) else None for i in items]
    if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return [str(n) for n in names]
    return None


def _same(a: Any, b: Any) -> bool:
    # 1 and 1.0 and True are equal in Python, but a configuration that turns one into another
    # has changed
    return type(a) is type(b) and a == b


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _walk(path: str, old: Any, new: Any, out: list[FieldChange]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            here = _join(path, key)
            if key not in new:
                out.append(FieldChange(path=here, kind="removed", old=old[key]))
            elif key not in old:
                out.append(FieldChange(path=here, kind="added", new=new[key]))
            else:
                _walk(here, old[key], new[key], out)
        return
    if isinstance(old, list) and isinstance(new, list):
        old_names, new_names = _named(old), _named(new)
        if old_names is not None and new_names is not None and (old or new):
            by_old = dict(zip(old_names, old, strict=True))
            by_new = dict(zip(new_names, new, strict=True))
            for name in old_names:
                here = f"{path}[{name}]"
                if name not in by_new:
                    out.append(FieldChange(path=here, kind="removed", old=by_old[name]))
                else:
                    _walk(here, by_old[name], by_new[name], out)
            for name in new_names:
                if name not in by_old:
                    out.append(FieldChange(path=f"{path}[{name}]", kind="added", new=by_new[name]))
            kept_old = [n for n in old_names if n in by_new]
            kept_new = [n for n in new_names if n in by_old]
            if kept_old != kept_new:
                out.append(FieldChange(path=path, kind="reordered", old=kept_old, new=kept_new))
            return
        nested = any(isinstance(v, Mapping | list) for v in (*old, *new))
        if nested:
            for i in range(max(len(old), len(new))):
                here = _join(path, i)
                if i >= len(new):
                    out.append(FieldChange(path=here, kind="removed", old=old[i]))
                elif i >= len(old):
                    out.append(FieldChange(path=here, kind="added", new=new[i]))
                else:
                    _walk(here, old[i], new[i], out)
            return
    if not _same(old, new):
        out.append(FieldChange(path=path, kind="changed", old=old, new=new))


def config_changes(old: AgentConfig, new: AgentConfig, /) -> tuple[FieldChange, ...]:
    """Every difference between ``old`` and ``new``, in the order the fields are written.

    Raises:
        ConfigurationError: ``old`` or ``new`` is not an :class:`AgentConfig`.
    """
    before = require_config(old, "config_changes").model_dump(mode="json")
    after = require_config(new, "config_changes").model_dump(mode="json")
    out: list[FieldChange] = []
    _walk("", before, after, out)
    return tuple(out)
