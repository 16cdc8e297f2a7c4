"""Typed errors raised by leadqual.

Every error derives from :class:`LeadqualError`; most also derive from the builtin a caller would
expect (``ValueError``, ``KeyError``, ``TimeoutError``), so ``except ValueError`` keeps working.

```text
LeadqualError
 ├─ ConfigurationError(LeadqualError, ValueError)       a developer's mistake; says how to fix it; .line
 │   └─ ForeignDatabaseError(ConfigurationError)        .path, .tables: a database leadqual does not own
 ├─ ValidationFailed(LeadqualError, ValueError)         bad input to a public model; .field, .errors, .line
 │   ├─ EmailInputError(ValidationFailed, TypeError)    an address that is not a string
 │   └─ RowConversionError(ValidationFailed)            .table, .row_id, .column: a row not readable
 ├─ RecordNotFound(LeadqualError, KeyError)             .kind, .record_id
 ├─ InsufficientTrainingData(LeadqualError, ValueError) .qualified, .disqualified, .needed
 ├─ NotFittedError(LeadqualError, ValueError, AttributeError)
 ├─ ModelFileError(LeadqualError, ValueError)           a saved model cannot be read
 │   ├─ ModelIntegrityError(ModelFileError)             signature mismatch: changed or another key
 │   └─ IncompatibleModelError(ModelFileError)          written by an incompatible version
 ├─ NotScorable(LeadqualError, ValueError)              .lead_id, .reason
 ├─ PluginError(LeadqualError)                          .entry_point
 ├─ ConsentRequired(LeadqualError, PermissionError)     .purpose
 ├─ UnsafeUrlError(LeadqualError, ValueError)           .url, .reason
 ├─ MergeError(LeadqualError, ValueError)
 ├─ DraftBlocked(LeadqualError, PermissionError)        .reason (e.g. a suppressed address)
 ├─ NothingToDraft(LeadqualError, ValueError)           the action needs no email
 ├─ AccessDenied(LeadqualError, PermissionError)        .seller_id, .lead_id
 ├─ AgentPaused(LeadqualError)                          .reason: consent revoked, configuration...
 ├─ CrmWriteError(LeadqualError)                        .done (what was written before it failed)
 ├─ StoreError(LeadqualError)                           an insight store cannot be used
 │   ├─ StoreConflict(StoreError)                       a version already stored
 │   ├─ StoreCorrupt(StoreError)                        the file is not a readable store
 │   └─ StoreSchemaError(StoreError)                    .found, .supported: written by a newer leadqual
 └─ ProviderError(LeadqualError)                        .provider
     ├─ ProviderTimeout(ProviderError, TimeoutError)
     ├─ RateLimited(ProviderError)                      .retry_after
     └─ FetchError(ProviderError)
         ├─ HttpStatusError(FetchError)                 .status_code
         ├─ ResponseTooLarge(FetchError)
         ├─ UnexpectedContentType(FetchError)           .content_type
         └─ MalformedResponse(FetchError)
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AccessDenied",
    "AgentPaused",
    "ConfigurationError",
    "ConsentRequired",
    "CrmWriteError",
    "DraftBlocked",
    "EmailInputError",
    "FetchError",
    "ForeignDatabaseError",
    "HttpStatusError",
    "IncompatibleModelError",
    "InsufficientTrainingData",
    "LeadqualError",
    "MalformedResponse",
    "MergeError",
    "ModelFileError",
    "ModelIntegrityError",
    "NothingToDraft",
    "NotFittedError",
    "NotScorable",
    "PluginError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimited",
    "RecordNotFound",
    "RowConversionError",
    "ResponseTooLarge",
    "StoreConflict",
    "StoreCorrupt",
    "StoreError",
    "StoreSchemaError",
    "UnexpectedContentType",
    "UnsafeUrlError",
    "ValidationFailed",
]


class LeadqualError(Exception):
    """Root of every error leadqual raises on purpose."""


class ConfigurationError(LeadqualError, ValueError):
    """A configuration value is missing or inconsistent; the message says how to fix it.

    Attributes:
        line: the line of the configuration file the problem is on, when it comes from one.
    """

    def __init__(self, message: str = "", *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class ForeignDatabaseError(ConfigurationError):
    """A database holds tables leadqual does not own, so a source that keeps its own records there
    refuses it rather than adding its tables beside the user's.

    Attributes:
        path: the database's path or URL.
        tables: the tables found that are not leadqual's.
    """

    def __init__(self, message: str, *, path: str, tables: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.tables = tuple(tables)


class ValidationFailed(LeadqualError, ValueError):
    """Input to a public model failed validation.

    Attributes:
        field: dotted path of the first offending field (``"lead.email"``), or ``None``.
        errors: the full list of problems, each a mapping with ``loc``, ``msg`` and ``type``
            (and ``line`` when the input was read from a file).
        line: the line of the file the first offending field is on, when the input was read
            from one (:meth:`leadqual.config.AgentConfig.from_yaml`), else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.errors = list(errors)
        self.line = line


class RowConversionError(ValidationFailed):
    """A row of a user's table cannot be read as a record: a value of the wrong type, a code the
    mapping does not know, a required column that is empty.

    Attributes:
        table: the table the row is in.
        row_id: the row's id (its mapped id column), when it could be read.
        column: the column the first offending field is read from, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str,
        row_id: str | None = None,
        column: str | None = None,
        field: str | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message, field=field, errors=errors)
        self.table = table
        self.row_id = row_id
        self.column = column


class RecordNotFound(LeadqualError, KeyError):
    """A CRM record was looked up by id and does not exist."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"no {kind} with id {record_id!r}")
        self.kind = kind
        self.record_id = record_id

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0])


class InsufficientTrainingData(LeadqualError, ValueError):
    """Too few closed leads of one class to train a model; the message says how to widen the data."""

    def __init__(self, message: str, *, qualified: int, disqualified: int, needed: int) -> None:
        super().__init__(message)
        self.qualified = qualified
        self.disqualified = disqualified
        self.needed = needed


class NotFittedError(LeadqualError, ValueError, AttributeError):
    """A model was used before ``fit``."""


class NotScorable(LeadqualError, ValueError):
    """A lead cannot be scored (closed, too old, ...); ``reason`` is a stable machine code."""

    def __init__(self, message: str, *, lead_id: str | None, reason: str) -> None:
        super().__init__(message)
        self.lead_id = lead_id
        self.reason = reason


class PluginError(LeadqualError):
    """A plugin could not be loaded or does not satisfy its protocol."""

    def __init__(self, message: str, *, entry_point: str | None = None) -> None:
        super().__init__(message)
        self.entry_point = entry_point


class ConsentRequired(LeadqualError, PermissionError):
    """An action needs consent that was not given (for example web research)."""

    def __init__(self, message: str, *, purpose: str) -> None:
        super().__init__(message)
        self.purpose = purpose


class UnsafeUrlError(LeadqualError, ValueError):
    """A URL was refused: private, loopback, link-local or metadata address, or a bad scheme."""

    def __init__(self, message: str, *, url: str, reason: str) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason


class MergeError(LeadqualError, ValueError):
    """A merge or its undo cannot be carried out as asked."""


class ProviderError(LeadqualError):
    """An external provider (web source, DNS, LLM) failed."""

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        self.provider = provider


class ProviderTimeout(ProviderError, TimeoutError):
    """An external provider did not answer in time."""


class RateLimited(ProviderError):
    """An external provider asked us to slow down; ``retry_after`` is in seconds when known."""

    def __init__(self, message: str, *, provider: str, retry_after: float | None = None) -> None:
        super().__init__(message, provider=provider)
        self.retry_after = retry_after


class EmailInputError(ValidationFailed, TypeError):
    """The value given as an address is not a string (``None``, a number, bytes, ...)."""


class DraftBlocked(LeadqualError, PermissionError):
    """Drafting is refused for this recipient (suppression list); ``reason`` says why."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class NothingToDraft(LeadqualError, ValueError):
    """The action needs no email (wait, task, none) or the lead has no address."""


class FetchError(ProviderError):
    """A fetch failed for a reason other than a timeout, a rate limit or an unsafe URL."""


class HttpStatusError(FetchError):
    """The server answered with an error status; ``status_code`` says which."""

    def __init__(self, message: str, *, provider: str, status_code: int) -> None:
        super().__init__(message, provider=provider)
        self.status_code = status_code


class ResponseTooLarge(FetchError):
    """The body was larger than the size cap (declared or counted while streaming)."""


class UnexpectedContentType(FetchError):
    """The body's content type is not one the caller accepts."""

    def __init__(self, message: str, *, provider: str, content_type: str) -> None:
        super().__init__(message, provider=provider)
        self.content_type = content_type


class MalformedResponse(FetchError):
    """The answer could not be read as what the source promised: JSON that is not JSON, a body
    that does not decompress or uses an encoding that was not asked for, a redirect whose
    ``Location`` is not a URL."""


class ModelFileError(LeadqualError, ValueError):
    """A model file cannot be read: not a leadqual model file, or damaged."""


class ModelIntegrityError(ModelFileError):
    """A model file's signature does not match: it was changed, or signed with another key."""


class IncompatibleModelError(ModelFileError):
    """A model file was written by an incompatible version of leadqual or scikit-learn."""


class AccessDenied(LeadqualError, PermissionError):
    """A seller asked for something the agent's access rules do not let them see or do."""

    def __init__(self, message: str, *, seller_id: str, lead_id: str | None = None) -> None:
        super().__init__(message)
        self.seller_id = seller_id
        self.lead_id = lead_id


class AgentPaused(LeadqualError):
    """The agent does not work by itself now; ``reason`` says why and the message what to do."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class CrmWriteError(LeadqualError):
    """A CRM write failed part way; ``done`` lists what was written before it failed, so the
    caller can finish or undo it (nothing is rolled back behind their back)."""

    def __init__(self, message: str, *, done: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.done = tuple(done)


class StoreError(LeadqualError):
    """An insight store cannot be opened, read or written."""


class StoreConflict(StoreError):
    """An insight version is already stored: another process refreshed the lead meanwhile."""


class StoreCorrupt(StoreError):
    """The store's file or database is not a leadqual store, or is damaged."""


class StoreSchemaError(StoreError):
    """The store was written by a newer leadqual (``found`` > ``supported``); upgrade leadqual."""

    def __init__(self, message: str, *, found: int, supported: int) -> None:
        super().__init__(message)
        self.found = found
        self.supported = supported
