"""Sellers' decisions about addresses, which win over later automatic checks.

Examples:
    >>> from leadqual.email import EmailOverrides, EmailValidator
    >>> overrides = EmailOverrides()
    >>> _ = overrides.set("founder@gmail.com", email_type="work", by="S-03", note="sole trader")
    >>> EmailValidator(check_deliverability=False, overrides=overrides).validate(
    ...     "founder@gmail.com").email_type
    'work'
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel, UtcDatetime
from leadqual._compat import renamed_kwarg
from leadqual.email._syntax import check_syntax

__all__ = ["EmailOverride", "EmailOverrides"]


class EmailOverride(LeadqualModel):
    """A seller's decision about an address, which wins over later automatic checks.

    It is keyed by the address itself: when the record's address changes, the override no longer
    applies.

    Examples:
        >>> from datetime import datetime, UTC
        >>> EmailOverride(address="ceo@startup.io", is_valid=True, by="S-01",
        ...               at=datetime(2026, 10, 1, tzinfo=UTC)).is_valid
        True
    """

    model_config = ConfigDict(frozen=True)

    address: Annotated[str, Field(min_length=1)]
    """The address the decision is about (matched case-insensitively after normalisation)."""
    is_valid: bool | None = None
    """Marked valid (``True``) or invalid (``False``); ``None`` leaves the automatic verdict."""
    email_type: Literal["work", "personal"] | None = None
    """Marked a work or a personal address; ``None`` leaves the automatic type."""
    by: Annotated[str, Field(min_length=1)]
    """Who decided (a seller id)."""
    at: UtcDatetime
    """When they decided."""
    note: str | None = None

    @model_validator(mode="after")
    def _decides_something(self) -> Self:
        if self.is_valid is None and self.email_type is None:
            raise ValueError("an override sets is_valid, email_type or both")
        return self


def _override_key(address: str) -> str:
    outcome = check_syntax(address)
    return (outcome.normalized or address.strip()).casefold()


class EmailOverrides:
    """Sellers' overrides, keyed by address. Keep one per organisation and pass it to
    :class:`EmailValidator`; persist it with :meth:`to_list` and :meth:`from_list`.

    Examples:
        >>> overrides = EmailOverrides()
        >>> _ = overrides.set("Founder@Startup.io", is_valid=True, by="S-01")
        >>> overrides.get("founder@startup.io").by
        'S-01'
    """

    def __init__(self, overrides: Iterable[EmailOverride] = ()) -> None:
        self._items: dict[str, EmailOverride] = {}
        self._lock = threading.Lock()
        for item in overrides:
            self.add(item)

    def add(self, override: EmailOverride, /) -> None:
        """Store ``override``, replacing an earlier one for the same address."""
        with self._lock:
            self._items[_override_key(override.address)] = override

    @renamed_kwarg("at", "now")
    def set(
        self,
        address: str,
        /,
        *,
        by: str,
        is_valid: bool | None = None,
        email_type: Literal["work", "personal"] | None = None,
        now: datetime | None = None,
        note: str | None = None,
    ) -> EmailOverride:
        """Record a seller's decision about ``address``, taken at ``now`` (the current time by
        default), and return it. The decision's time is kept as :attr:`EmailOverride.at`."""
        override = EmailOverride(
            address=address,
            is_valid=is_valid,
            email_type=email_type,
            by=by,
            at=now or datetime.now(UTC),
            note=note,
        )
        self.add(override)
        return override

    def get(self, address: str, /) -> EmailOverride | None:
        """The override for ``address``, if any."""
        with self._lock:
            return self._items.get(_override_key(address))

    def _get_key(self, key: str) -> EmailOverride | None:
        # the validator already holds the normalised address: no second syntax check
        with self._lock:
            return self._items.get(key)

    def remove(self, address: str, /) -> bool:
        """Drop the override for ``address``; whether there was one."""
        with self._lock:
            return self._items.pop(_override_key(address), None) is not None

    def to_list(self) -> list[dict[str, Any]]:
        """The overrides as JSON-ready mappings."""
        with self._lock:
            return [o.model_dump(mode="json") for o in self._items.values()]

    @classmethod
    def from_list(cls, items: Iterable[Mapping[str, Any]]) -> EmailOverrides:
        """Overrides from :meth:`to_list` output."""
        return cls(EmailOverride.model_validate(dict(i)) for i in items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[EmailOverride]:
        with self._lock:
            return iter(list(self._items.values()))

    def __contains__(self, address: object) -> bool:
        return isinstance(address, str) and self.get(address) is not None
