"""Published models per line of business, and a safe file format for them.

Model files are pickles, so loading one from an untrusted place could run code. leadqual therefore
signs every file: a header (format version, leadqual, scikit-learn, numpy and Python versions, when
it was written) and an HMAC-SHA256 over header and payload with a key only the owner holds. Loading
checks the signature *before* unpickling anything, then the versions, and refuses with a clear
error on a mismatch.

Example:
    >>> import pandas as pd
    >>> from leadqual.scoring import LeadScorer
    >>> X = pd.DataFrame({"source": ["web", "ad"] * 30})
    >>> registry = ModelRegistry()
    >>> registry.publish(LeadScorer().fit(X, [1, 0] * 30), line_of_business="Enterprise")
    >>> registry.select("enterprise").model_kind_
    'linear'
    >>> registry.lines_of_business
    ('Enterprise',)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
import platform
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from leadqual.errors import (
    ConfigurationError,
    IncompatibleModelError,
    ModelFileError,
    ModelIntegrityError,
    NotScorable,
)
from leadqual.models import Lead, LeadContext
from leadqual.scoring.grading import LeadScore
from leadqual.scoring.scorer import LeadScorer

__all__ = [
    "FORMAT_VERSION",
    "IncompatibleModelError",
    "ModelFileError",
    "ModelIntegrityError",
    "ModelRegistry",
    "load_model",
    "read_header",
    "save_model",
]

FORMAT_VERSION = 2
"""Version of the model file layout. 2: scorers carry the extrapolation guard and per-row ages, so
a format-1 scorer would load but fail when it scores; it is refused with a clear error instead."""
_MAGIC = b"LEADQUAL-MODEL\n"
_MIN_KEY = 16


def _versions() -> dict[str, str]:
    try:
        from importlib.metadata import version

        lq = version("leadqual")
    except Exception:  # pragma: no cover - running from a source tree without metadata
        lq = "0+unknown"
    return {
        "leadqual": lq,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) < _MIN_KEY:
        raise ConfigurationError(
            f"the signing key must be at least {_MIN_KEY} bytes (e.g. secrets.token_bytes(32)), "
            "kept outside the model directory"
        )


def _sign(key: bytes, header: bytes, payload: bytes) -> str:
    return hmac.new(key, header + b"\n" + payload, hashlib.sha256).hexdigest()


def save_model(obj: Any, path: str | Path, /, *, key: bytes) -> Path:
    """Write ``obj`` (a scorer or a registry) to ``path``, signed with ``key``."""
    _check_key(key)
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    meta = {
        "format": FORMAT_VERSION,
        "kind": type(obj).__name__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **_versions(),
    }
    header = json.dumps(meta, sort_keys=True).encode("utf-8")
    mac = _sign(key, header, payload)
    p = Path(path)
    p.write_bytes(_MAGIC + header + b"\n" + mac.encode("ascii") + b"\n" + payload)
    return p


def read_header(path: str | Path, /) -> dict[str, Any]:
    """The (unverified) header of a model file: versions and kind, without unpickling."""
    header, _, _ = _split(Path(path).read_bytes(), Path(path))
    return dict(json.loads(header))


def _split(blob: bytes, path: Path) -> tuple[bytes, bytes, bytes]:
    if not blob.startswith(_MAGIC):
        raise ModelFileError(f"{path} is not a leadqual model file")
    rest = blob[len(_MAGIC) :]
    try:
        header, mac, payload = rest.split(b"\n", 2)
        json.loads(header)
    except ValueError as err:
        raise ModelFileError(f"{path} is damaged: {err}") from err
    return header, mac, payload


def load_model(path: str | Path, /, *, key: bytes) -> Any:
    """Read a file written by :func:`save_model`, verifying its signature before unpickling.

    Raises:
        ModelIntegrityError: the signature does not match (changed file or another key).
        IncompatibleModelError: another file format, another scikit-learn minor version, or a
            model whose classes this leadqual no longer has.
        ModelFileError: not a leadqual model file.
    """
    _check_key(key)
    p = Path(path)
    header, mac, payload = _split(p.read_bytes(), p)
    if not hmac.compare_digest(mac.decode("ascii", "replace"), _sign(key, header, payload)):
        raise ModelIntegrityError(
            f"{p}: signature mismatch: the file was changed or signed with another key; "
            "it was not unpickled"
        )
    meta = json.loads(header)
    if meta.get("format") != FORMAT_VERSION:
        raise IncompatibleModelError(
            f"{p} uses model file format {meta.get('format')}; this leadqual reads format "
            f"{FORMAT_VERSION}: retrain the model with this version"
        )
    saved, here = str(meta.get("sklearn", "?")), sklearn.__version__
    if _minor(saved) != _minor(here):
        raise IncompatibleModelError(
            f"{p} was saved with scikit-learn {saved} and this is {here}: retrain the model, or "
            f"install scikit-learn=={_minor(saved)}.* to use it"
        )
    try:
        return pickle.loads(payload)
    except (AttributeError, ImportError, pickle.UnpicklingError, TypeError) as err:
        # signed by the owner, so not tampered with: written by a leadqual whose classes differ
        raise IncompatibleModelError(
            f"{p} was written by leadqual {meta.get('leadqual', '?')} and cannot be read by this "
            f"version ({_versions()['leadqual']}): {err}; retrain the model with this version"
        ) from err


def _key(line_of_business: str | None) -> str | None:
    return None if line_of_business is None else line_of_business.strip().casefold()


class ModelRegistry:
    """Published scorers keyed by line of business, with a default for leads of any other line.

    ``selector`` maps a lead to its line of business (default: ``lead.line_of_business``).
    A registry is a plain object the caller owns (no global state); save it with :meth:`save`.

    Example:
        >>> registry = ModelRegistry()
        >>> "Enterprise" in registry
        False
    """

    def __init__(self, *, selector: Callable[[Lead], str | None] | None = None) -> None:
        self.selector = selector
        self._models: dict[str | None, tuple[str | None, LeadScorer, datetime]] = {}

    def publish(
        self,
        scorer: LeadScorer,
        /,
        *,
        line_of_business: str | None = None,
        published_at: datetime | None = None,
    ) -> None:
        """Publish a fitted scorer for ``line_of_business`` (``None``: the default model)."""
        scorer._ensure_fitted()
        self._models[_key(line_of_business)] = (
            line_of_business,
            scorer,
            published_at or datetime.now(UTC),
        )

    def unpublish(self, line_of_business: str | None, /) -> None:
        """Withdraw the model of ``line_of_business``."""
        if self._models.pop(_key(line_of_business), None) is None:
            raise KeyError(f"no model published for {line_of_business!r}")

    def __contains__(self, line_of_business: object) -> bool:
        return isinstance(line_of_business, str | None) and _key(line_of_business) in self._models

    def __len__(self) -> int:
        return len(self._models)

    def __iter__(self) -> Iterator[str | None]:
        return iter(name for name, _, _ in self._models.values())

    @property
    def lines_of_business(self) -> tuple[str, ...]:
        """Lines of business with their own model (the default model is not listed)."""
        return tuple(sorted(name for name, _, _ in self._models.values() if name is not None))

    def select(self, subject: Lead | str | None, /) -> LeadScorer:
        """The scorer for a lead or a line of business, falling back to the default model.

        Raises:
            NotScorable: ``reason="no_model"`` when neither exists.
        """
        if isinstance(subject, Lead):
            lob = self.selector(subject) if self.selector else subject.line_of_business
            lead_id: str | None = subject.id
        else:
            lob, lead_id = subject, None
        found = self._models.get(_key(lob)) or self._models.get(None)
        if found is None:
            raise NotScorable(
                f"no scoring model is published for line of business {lob!r} and there is no "
                "default model",
                lead_id=lead_id,
                reason="no_model",
            )
        return found[1]

    def score(
        self,
        lead: Lead,
        /,
        *,
        as_of: datetime,
        context: LeadContext | None = None,
        previous_score: int | None = None,
        **options: Any,
    ) -> LeadScore:
        """Score ``lead`` with the model of its line of business (see :meth:`LeadScorer.score_lead`)."""
        scorer = self.select(lead)
        result = scorer.score_lead(
            lead, as_of=as_of, context=context, previous_score=previous_score, **options
        )
        lob = self.selector(lead) if self.selector else lead.line_of_business
        which = lob if _key(lob) in self._models else "default"
        return result.replace(model=f"{result.model} ({which})")

    def save(self, path: str | Path, /, *, key: bytes) -> Path:
        """Write the whole registry to one signed file (see :func:`save_model`)."""
        if self.selector is not None:
            raise ConfigurationError(
                "a registry with a custom selector cannot be saved; set the selector after load"
            )
        return save_model(self, path, key=key)

    @classmethod
    def load(cls, path: str | Path, /, *, key: bytes) -> ModelRegistry:
        """Read a registry written by :meth:`save`, verifying its signature first."""
        obj = load_model(path, key=key)
        if not isinstance(obj, cls):
            raise ModelFileError(f"{path} holds a {type(obj).__name__}, not a ModelRegistry")
        return obj
