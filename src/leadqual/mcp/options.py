"""The options ``leadqual mcp`` and ``python -m leadqual.mcp`` both check before serving, so the
two refuse the same combinations. Importing it loads no MCP SDK.

Both read ``--source-option`` with :func:`leadqual.plugins.plugin_options` and ``--now`` as
ISO 8601 in UTC, so they accept and refuse the same texts too.

Examples:
    >>> check_served(transport="stdio", seller="S-01", source="sqlite", source_options=["path"])
    >>> check_served(transport="stdio", seller=None)
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationFailed: --seller is required with stdio: the seller every call acts for
"""

from __future__ import annotations

from collections.abc import Collection

from leadqual.errors import ValidationFailed

__all__ = ["check_served"]


def check_served(
    *,
    transport: str,
    seller: str | None,
    tokens: object | None = None,
    source: str | None = None,
    source_options: Collection[object] = (),
    port: int = 8000,
) -> None:
    """Check that the options go together.

    Args:
        transport: ``stdio`` or ``http``.
        seller: ``--seller``.
        tokens: ``--tokens`` (only whether it is given counts).
        source: ``--source``.
        source_options: ``--source-option`` (only whether any is given counts).
        port: ``--port``.

    Raises:
        ValidationFailed: stdio without ``--seller``, ``--tokens`` with stdio, or
            ``--source-option`` without ``--source``, or a port outside 1 to 65535; ``field`` names the option to change.
    """
    if transport == "stdio" and not seller:
        raise ValidationFailed(
            "--seller is required with stdio: the seller every call acts for", field="--seller"
        )
    if transport == "stdio" and tokens is not None:
        raise ValidationFailed("--tokens is for --transport http", field="--tokens")
    if source_options and source is None:
        raise ValidationFailed(
            "--source-option needs --source (the sample CRM takes no options)",
            field="--source-option",
        )
    if not 1 <= port <= 65535:
        raise ValidationFailed(f"--port {port} is not in the range 1 to 65535", field="--port")
