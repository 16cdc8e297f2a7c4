"""Published models per line of business, and a safe file format for them.

Model files hold the fitted scorer in skops' format (https://skops.readthedocs.io): a zip of
JSON and numpy arrays that is rebuilt object by object, each object's type checked against a list
of types leadqual trusts (:data:`TRUSTED_TYPES`) *before* it is built. Unlike a pickle, such a
file cannot run code when it is loaded, even when the signing key has leaked.

Each file also carries a header (format version, leadqual, scikit-learn, skops, numpy and Python
versions, when it was written) and an HMAC-SHA256 over header and payload with a key only the
owner holds: the types check keeps code out, the signature keeps the model the one that was
saved (a changed coefficient would otherwise bias every score without a trace). Loading checks the
format, then the signature, then the versions, then the types, and only then builds the model.

Files of formats 1 and 2 were pickles. They are refused, never unpickled, with a message that says
how to retrain and save again.

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
import platform
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd
import sklearn
import skops
import skops.io as sio

from leadqual._compat import renamed_kwarg, warn_deprecated
from leadqual.errors import (
    ConfigurationError,
    IncompatibleModelError,
    ModelFileError,
    ModelIntegrityError,
    NotScorable,
)
from leadqual.models import Lead, LeadContext
from leadqual.scoring.features import LeadClassifier, LeadFeaturizer
from leadqual.scoring.grading import LeadScore
from leadqual.scoring.scorer import LeadScorer, ScoreOptions

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "IncompatibleModelError",
    "ModelFileError",
    "ModelIntegrityError",
    "ModelRegistry",
    "load_model",
    "read_header",
    "save_model",
]

FORMAT_VERSION = 3
"""Version of the model file layout. 3: the payload is skops' format. 1 and 2 were pickles, which
this version refuses to read (a pickle can run any code while it loads)."""
_PICKLE_FORMATS = (1, 2)
_MAGIC = b"LEADQUAL-MODEL\n"
_MIN_KEY = 16

TRUSTED_TYPES: tuple[str, ...] = (
    "datetime.datetime",
    "datetime.timedelta",
    "datetime.timezone",
    # scikit-learn's boosting with categorical columns validates its numeric ones through
    # partial(check_array, ...): both are checked by name, so no other function can hide there
    "functools.partial",
    "leadqual.scoring._fitting.TreeLayout",
    "leadqual.scoring._forest.CompiledForest",
    "leadqual.scoring.coldstart.ColdStartScorer",
    "leadqual.scoring.features.FeatureDecision",
    "leadqual.scoring.features.LeadFeaturizer",
    "leadqual.scoring.features._BooleanPlan",
    "leadqual.scoring.features._CategoricalPlan",
    "leadqual.scoring.features._DatetimePlan",
    "leadqual.scoring.features._NumericPlan",
    "leadqual.scoring.features._TextPlan",
    "leadqual.scoring.grading.GradeScheme",
    "leadqual.scoring.opportunity.OpportunityScorer",
    "leadqual.scoring.registry.ModelRegistry",
    "leadqual.scoring.scorer.LeadScorer",
    "leadqual.scoring.scorer._Guard",
    "leadqual.scoring.scorer._Model",
    "leadqual.scoring.staged.StageModel",
    "leadqual.scoring.staged.StagedOpportunityScorer",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
)
"""Types a model file may hold beyond those skops trusts by default (numpy arrays, scikit-learn
estimators, builtin containers): exactly the types leadqual's scorers, the registry and their
parts are made of (a test checks the list against fitted models of every kind). A scorer with a
bring-your-own ``estimator`` from another library needs that library's types passed as
``trusted=`` to :func:`save_model` and :func:`load_model`."""


def _versions() -> dict[str, str]:
    try:
        lq = version("leadqual")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        lq = "0+unknown"
    return {
        "leadqual": lq,
        "sklearn": sklearn.__version__,
        "skops": skops.__version__,
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


def _untrusted(payload: bytes, trusted: Iterable[str]) -> list[str]:
    """The types in a skops payload that neither skops nor leadqual (nor the caller) trusts."""
    allowed = {*TRUSTED_TYPES, *trusted}
    return sorted(t for t in sio.get_untrusted_types(data=payload) if t not in allowed)


def save_model(obj: Any, path: str | Path, /, *, key: bytes, trusted: Iterable[str] = ()) -> Path:
    """Write ``obj`` (a scorer or a registry) to ``path`` in skops' format, signed with ``key``.

    Args:
        obj: the fitted scorer (:class:`LeadScorer`, :class:`~leadqual.scoring.ColdStartScorer`,
            ...) or :class:`ModelRegistry` to save.
        path: where to write the file.
        key: the signing key (at least 16 bytes), kept outside the model directory.
        trusted: further types (``"module.Class"``) the file may hold, e.g. those of a
            bring-your-own estimator from another library; loading needs the same list.

    Raises:
        ModelFileError: ``obj`` holds a type that cannot be saved safely, or one that
            :func:`load_model` would refuse (so no file is written that cannot be read back).
    """
    _check_key(key)
    trusted = tuple(trusted)
    try:
        payload = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
    except (TypeError, sio.exceptions.UnsupportedTypeException) as err:
        raise ModelFileError(
            f"{type(obj).__name__} cannot be saved as a model file: {err}"
        ) from err
    refused = _untrusted(payload, trusted)
    if refused:
        raise ModelFileError(
            f"{type(obj).__name__} holds types leadqual does not trust: {', '.join(refused)}; "
            "if they are yours (e.g. a bring-your-own estimator), pass them as trusted= here "
            "and to load_model"
        )
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
    """The (unverified) header of a model file: versions and kind, without loading the model."""
    p = Path(path)
    header, _, _ = _split(_read(p), p)
    return dict(json.loads(header))


_MAX_HEADER = 4096
"""A header is a flat object of a few versions; anything longer is not one leadqual wrote."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:  # missing, a directory, no permission
        raise ModelFileError(
            f"cannot read model file {path}: {err.strerror or err}; pass the path of a file "
            "written by save_model or ModelRegistry.save"
        ) from err


def _split(blob: bytes, path: Path) -> tuple[bytes, bytes, bytes]:
    if not blob.startswith(_MAGIC):
        raise ModelFileError(f"{path} is not a leadqual model file")
    rest = blob[len(_MAGIC) :]
    parts = rest.split(b"\n", 2)
    if len(parts) != 3:
        raise ModelFileError(f"{path} is damaged: it ends inside its header")
    header, mac, payload = parts
    if len(header) > _MAX_HEADER:
        raise ModelFileError(f"{path} is damaged: its header is {len(header)} bytes long")
    try:
        meta = json.loads(header)
    except (ValueError, RecursionError) as err:  # bad JSON or UTF-8, or nesting too deep
        raise ModelFileError(f"{path} is damaged: its header does not parse ({err})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path} is damaged: its header is not an object")
    if not mac.isascii():
        raise ModelFileError(f"{path} is damaged: its signature is not hexadecimal")
    return header, mac, payload


def load_model(
    path: str | Path,
    /,
    *,
    key: bytes,
    trusted: Iterable[str] = (),
    expect: type | tuple[type, ...] | None = None,
) -> Any:
    """Read a file written by :func:`save_model`: signature and types checked before anything
    is built, and no code in the file is ever run.

    A loaded scorer (or each scorer a registry holds) must score a typical lead, so a damaged
    model fails here rather than on the first lead scored.

    Args:
        path: the model file.
        key: the key it was signed with.
        trusted: further types the file may hold (as given to :func:`save_model`).
        expect: the class (or classes) the file must hold, e.g. ``LeadScorer``: another object
            signed with the same key (a registry, a plain scikit-learn model) is refused rather
            than returned to code that would call scorer methods on it.

    Raises:
        IncompatibleModelError: a pickle-based file from leadqual before skops (formats 1 and 2;
            refused unread: retrain and save again), another file format, another scikit-learn
            minor version, or types of a leadqual that had other classes.
        ModelIntegrityError: the signature does not match (changed file or another key).
        ModelFileError: not a leadqual model file, damaged, holding a type nobody trusts, not
            the class ``expect`` names, or holding a scorer that cannot score a lead.

    Example:
        >>> import pandas as pd, tempfile, pathlib
        >>> X = pd.DataFrame({"source": ["web", "ad"] * 30})
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.skops"
        >>> _ = save_model(LeadScorer().fit(X, [1, 0] * 30), path, key=b"k" * 32)
        >>> type(load_model(path, key=b"k" * 32, expect=LeadScorer)).__name__
        'LeadScorer'
        >>> load_model(path, key=b"k" * 32, expect=ModelRegistry)
        Traceback (most recent call last):
        ...
        leadqual.errors.ModelFileError: ... holds a LeadScorer, not a ModelRegistry
    """
    _check_key(key)
    if expect is not None and not (
        isinstance(expect, type)
        or (isinstance(expect, tuple) and expect and all(isinstance(t, type) for t in expect))
    ):
        raise ConfigurationError(f"expect must be a class or a tuple of classes, not {expect!r}")
    p = Path(path)
    header, mac, payload = _split(_read(p), p)
    meta = json.loads(header)
    fmt = meta.get("format")
    if fmt in _PICKLE_FORMATS:
        raise IncompatibleModelError(
            f"{p} is a format-{fmt} model file, a pickle written by leadqual "
            f"{meta.get('leadqual', '?')}; this version reads only format {FORMAT_VERSION} (skops) "
            "and never unpickles a file, because a pickle can run any code while it loads. "
            "Retrain the model with this version (train_from_crm, or LeadScorer().fit) and save "
            "it again with save_model or ModelRegistry.save"
        )
    if fmt != FORMAT_VERSION:
        raise IncompatibleModelError(
            f"{p} uses model file format {fmt}; this leadqual reads format {FORMAT_VERSION}: "
            "retrain the model with this version and save it again"
        )
    if not hmac.compare_digest(mac, _sign(key, header, payload).encode("ascii")):
        raise ModelIntegrityError(
            f"{p}: signature mismatch: the file was changed or signed with another key; "
            "nothing in it was loaded"
        )
    saved, here = str(meta.get("sklearn", "?")), sklearn.__version__
    if _minor(saved) != _minor(here):
        raise IncompatibleModelError(
            f"{p} was saved with scikit-learn {saved} and this is {here}: retrain the model, or "
            f"install scikit-learn=={_minor(saved)}.* to use it"
        )
    try:
        refused = _untrusted(payload, trusted)
    except Exception as err:
        # skops walks a schema that only the signature vouches for: a damaged or hand-made one
        # fails in many ways (a bad zip, a missing key, a node of the wrong shape...), and each
        # means the same to the caller
        raise ModelFileError(f"{p} is damaged: {type(err).__name__}: {err}") from err
    if refused:
        own = [t for t in refused if t.startswith("leadqual.")]
        if own:
            # signed by the owner, so written by a leadqual whose classes differ from ours
            raise IncompatibleModelError(
                f"{p} was written by leadqual {meta.get('leadqual', '?')} and holds types this "
                f"version ({_versions()['leadqual']}) does not have: {', '.join(own)}; retrain "
                "the model with this version and save it again"
            )
        raise ModelFileError(
            f"{p} holds types leadqual does not trust: {', '.join(refused)}; nothing was loaded. "
            "If you saved them yourself (e.g. a bring-your-own estimator), pass them as trusted="
        )
    try:
        obj = sio.loads(payload, trusted=[*TRUSTED_TYPES, *trusted])
    except (AttributeError, ImportError) as err:  # a class or attribute this version lacks
        raise IncompatibleModelError(
            f"{p} was written by leadqual {meta.get('leadqual', '?')} and cannot be read by this "
            f"version ({_versions()['leadqual']}): {err}; retrain the model with this version"
        ) from err
    except Exception as err:  # the arrays or the schema do not read back (see above)
        raise ModelFileError(
            f"{p} is damaged: {type(err).__name__}: {err}; save the model again"
        ) from err
    if expect is not None and not isinstance(obj, expect):
        wanted = " or ".join(
            t.__name__ for t in (expect if isinstance(expect, tuple) else (expect,))
        )
        raise ModelFileError(f"{p} holds a {type(obj).__name__}, not a {wanted}")
    _check_loaded(obj, meta, p)
    return obj


def _check_loaded(obj: Any, meta: dict[str, Any], path: Path) -> None:
    """Refuse a loaded object that is not what its header says, or a scorer in it that cannot
    score a lead, so that a damaged model fails here rather than in the middle of scoring."""
    kind = meta.get("kind")
    if kind is not None and kind != type(obj).__name__:
        raise ModelFileError(
            f"{path} is damaged: its header says it holds a {kind}, but it holds a "
            f"{type(obj).__name__}"
        )
    for scorer in _scorers(obj):
        if not hasattr(scorer, scorer._fitted_attribute):
            continue  # saved before fit: nothing to score with yet
        try:
            scorer.predict_proba(_probe_row(scorer))
        except Exception as err:  # arrays or parts of mismatched shapes, a part missing...
            raise ModelFileError(
                f"{path} is damaged: its {type(scorer).__name__} cannot score a lead "
                f"({type(err).__name__}: {err}); save the model again"
            ) from err


def _scorers(obj: Any, depth: int = 0) -> Iterator[LeadClassifier]:
    """The lead classifiers in ``obj``: itself, or those a registry or a staged scorer holds."""
    if isinstance(obj, LeadClassifier):
        yield obj
    if depth >= 3:
        return
    if isinstance(obj, dict):
        children: Iterable[Any] = obj.values()
    elif isinstance(obj, list | tuple):
        children = obj
    elif isinstance(obj, LeadClassifier) or not hasattr(obj, "__dict__"):
        return
    else:
        children = vars(obj).values()
    for child in children:
        yield from _scorers(child, depth + 1)


def _probe_row(scorer: LeadClassifier) -> pd.DataFrame:
    """One lead to score: each attribute the training set's typical value, or missing."""
    featurizer = getattr(scorer, "featurizer_", None)
    typical = featurizer.typical_values() if isinstance(featurizer, LeadFeaturizer) else {}
    names = getattr(scorer, "feature_names_in_", None)
    if names is None:  # fitted on an array: its columns read as x0, x1, ...
        names = [f"x{i}" for i in range(int(getattr(scorer, "n_features_in_", 0)))]
    return pd.DataFrame({str(name): [typical.get(str(name))] for name in names})


def _key(line_of_business: str) -> str:
    return line_of_business.strip().casefold()


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
        # the default model apart: a model file's maps are keyed by strings only
        self._models: dict[str, tuple[str, LeadScorer, datetime]] = {}
        self._default: tuple[LeadScorer, datetime] | None = None

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
        when = published_at or datetime.now(UTC)
        if line_of_business is None:
            self._default = (scorer, when)
        else:
            self._models[_key(line_of_business)] = (line_of_business, scorer, when)

    def unpublish(self, line_of_business: str | None, /) -> None:
        """Withdraw the model of ``line_of_business`` (``None``: the default model)."""
        if line_of_business is None:
            found = self._default is not None
            self._default = None
        else:
            found = self._models.pop(_key(line_of_business), None) is not None
        if not found:
            raise KeyError(f"no model published for {line_of_business!r}")

    def __contains__(self, line_of_business: object) -> bool:
        if line_of_business is None:
            return self._default is not None
        return isinstance(line_of_business, str) and _key(line_of_business) in self._models

    def __len__(self) -> int:
        return len(self._models) + (self._default is not None)

    def __iter__(self) -> Iterator[str | None]:
        names: list[str | None] = [name for name, _, _ in self._models.values()]
        if self._default is not None:
            names.append(None)
        return iter(names)

    @property
    def lines_of_business(self) -> tuple[str, ...]:
        """Lines of business with their own model (the default model is not listed)."""
        return tuple(sorted(name for name, _, _ in self._models.values()))

    def _line(self, lead: Lead) -> str | None:
        return self.selector(lead) if self.selector else lead.line_of_business

    def _own(self, line_of_business: str | None) -> LeadScorer | None:
        if line_of_business is None:
            return None
        found = self._models.get(_key(line_of_business))
        return None if found is None else found[1]

    def select(self, subject: Lead | str | None, /) -> LeadScorer:
        """The scorer for a lead or a line of business, falling back to the default model.

        Raises:
            NotScorable: ``reason="no_model"`` when neither exists.
        """
        if isinstance(subject, Lead):
            lob, lead_id = self._line(subject), subject.id
        else:
            lob, lead_id = subject, None
        found = self._own(lob) or (self._default[0] if self._default else None)
        if found is None:
            raise NotScorable(
                f"no scoring model is published for line of business {lob!r} and there is no "
                "default model",
                lead_id=lead_id,
                reason="no_model",
            )
        return found

    @renamed_kwarg("as_of", "now")
    def score_lead(
        self,
        lead: Lead,
        /,
        *,
        now: datetime | None = None,
        context: LeadContext | None = None,
        **options: Unpack[ScoreOptions],
    ) -> LeadScore:
        """Score ``lead`` (0-100, grade and factors) with the model of its line of business.

        Options as :meth:`LeadScorer.score_lead`; the result's ``model`` names the line whose
        model scored it, or ``default``.
        """
        scorer = self.select(lead)
        result = scorer.score_lead(lead, now=now, context=context, **options)
        lob = self._line(lead)
        which = lob if self._own(lob) is not None else "default"
        return result.replace(model=f"{result.model} ({which})")

    @renamed_kwarg("as_of", "now")
    def score(self, lead: Lead, /, **options: Any) -> LeadScore:
        """Deprecated: use :meth:`score_lead`, the name every lead-level scoring method has.

        ``score`` is kept apart for scikit-learn's meaning (accuracy of an estimator on ``X, y``).
        """
        warn_deprecated("ModelRegistry.score() is deprecated; use ModelRegistry.score_lead()")
        return self.score_lead(lead, **options)

    def save(self, path: str | Path, /, *, key: bytes, trusted: Iterable[str] = ()) -> Path:
        """Write the whole registry to one signed file (see :func:`save_model`)."""
        if self.selector is not None:
            raise ConfigurationError(
                "a registry with a custom selector cannot be saved; set the selector after load"
            )
        return save_model(self, path, key=key, trusted=trusted)

    @classmethod
    def load(cls, path: str | Path, /, *, key: bytes, trusted: Iterable[str] = ()) -> ModelRegistry:
        """Read a registry written by :meth:`save`, signature and types checked first."""
        obj: ModelRegistry = load_model(path, key=key, trusted=trusted, expect=cls)
        return obj
