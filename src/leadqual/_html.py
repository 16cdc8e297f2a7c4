"""Compact HTML for results shown in notebooks (``_repr_html_``): titled blocks and tables.

Every value is escaped here, and only here: lead names, company names, CRM notes and scraped web
text are hostile (``<script>``, ``"><img onerror=...>``). Callers pass plain values; what this
module builds is :class:`Html`, which is the only text taken as markup. No JavaScript, no styles
beyond the notebook's own.

Examples:
    >>> block("Lead <b>", kv([("company", '"><img src=x onerror=alert(1)>')]))
    '<div><strong>Lead &lt;b&gt;</strong><table><tr><th>company</th><td>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td></tr></table></div>'
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["Html", "block", "details", "esc", "grid", "kv", "paragraph"]

MISSING = "—"
"""Shown for a value that is ``None``."""


class Html(str):
    """Markup built by this module: safe to put in a page as it is."""

    __slots__ = ()


def esc(value: object, /) -> Html:
    """``value`` as escaped text (``None`` as a dash); markup built here is kept as it is."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html(MISSING)
    return Html(html.escape(str(value), quote=True))


def _join(parts: Iterable[object]) -> Html:
    return Html("".join(esc(p) for p in parts))


def block(title: object, /, *parts: object) -> Html:
    """A titled block holding ``parts`` (markup from this module, or text to escape)."""
    return Html(f"<div><strong>{esc(title)}</strong>{_join(parts)}</div>")


def paragraph(text: object, /) -> Html:
    """One paragraph of text."""
    return Html(f"<p>{esc(text)}</p>")


def kv(rows: Iterable[tuple[object, object]], /) -> Html:
    """A two-column table: a label and its value per row."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return Html(f"<table>{body}</table>")


def grid(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    /,
    *,
    total: int | None = None,
    limit: int = 20,
) -> Html:
    """A table with a header row; past ``limit`` rows a last line says how many are not shown
    (``total``: how many rows there are, when ``rows`` is a prefix of them)."""
    shown: list[str] = []
    count = 0
    for row in rows:
        count += 1
        if count <= limit:
            shown.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    count = count if total is None else max(total, count)
    if count > limit:
        shown.append(
            f'<tr><td colspan="{len(header)}">… {count - limit:,} more not shown</td></tr>'
        )
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"
    return Html(f"<table>{head}{''.join(shown)}</table>")


def details(summary: object, /, *parts: object) -> Html:
    """A section folded away until clicked (HTML's own ``<details>``: no script)."""
    return Html(f"<details><summary>{esc(summary)}</summary>{_join(parts)}</details>")
