"""The email validator over a DataFrame column, for notebooks and batch jobs.

Examples:
    >>> import pandas as pd
    >>> from leadqual.email import EmailValidator, validate_frame
    >>> frame = pd.DataFrame({"email": ["kim@contoso.com", "sam@gmial.com", None]})
    >>> out = validate_frame(EmailValidator(check_deliverability=False), frame)
    >>> out["email_status"].tolist(), out["email_reasons"].tolist()[2]
    (['valid', 'risky', 'invalid'], 'empty')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadqual.email.checks import EmailCheck
from leadqual.errors import ConfigurationError

if TYPE_CHECKING:
    import pandas as pd

    from leadqual.email.validator import EmailValidator

__all__ = ["validate_frame"]


def validate_frame(
    validator: EmailValidator,
    frame: pd.DataFrame,
    /,
    *,
    column: str = "email",
    prefix: str | None = None,
) -> pd.DataFrame:
    """Add verdict columns for the addresses in ``frame[column]``.

    Missing values (``None``, ``NaN``, empty) get an invalid verdict with reason ``empty``; other
    non-string values get ``not_text``. Each distinct address is checked once, each domain looked
    up once.

    Args:
        validator: the validator to check with.
        frame: any DataFrame.
        column: the column holding addresses.
        prefix: prefix of the new columns; ``"<column>_"`` by default.

    Returns:
        A copy of ``frame`` with columns ``<prefix>normalized``, ``is_valid``, ``status``,
        ``type``, ``reasons`` (codes joined with ``;``), ``suggestion``, ``is_disposable``,
        ``is_role_account``, ``is_free_provider`` and ``is_privacy_relay``. Running it again
        replaces these columns.

    Raises:
        ConfigurationError: ``column`` is not in ``frame``.
    """
    # imported here so that validating addresses never imports pandas; callers already have it
    import pandas as pd

    if column not in frame.columns:
        raise ConfigurationError(
            f"column {column!r} is not in the frame; columns are {list(frame.columns)!r}"
        )
    pre = f"{column}_" if prefix is None else prefix
    values = frame[column].tolist()
    texts = sorted({v for v in values if isinstance(v, str) and v})
    verdicts = dict(zip(texts, validator.validate_many(texts), strict=True))
    rows: list[dict[str, object]] = []
    for v in values:
        check = verdicts.get(v) if isinstance(v, str) else None
        if check is not None:
            rows.append(_row(check))
            continue
        # pd.isna covers None, NaN, NaT and pd.NA (nullable string columns); it is asked only of
        # scalars, so a list in a cell is "not_text", not an array of answers
        missing = v == "" if isinstance(v, str) else bool(pd.api.types.is_scalar(v) and pd.isna(v))
        rows.append({**_NO_ADDRESS, "reasons": "empty" if missing else "not_text"})
    verdict_frame = pd.DataFrame(rows, index=frame.index)
    verdict_frame.columns = [f"{pre}{c}" for c in verdict_frame.columns]
    # a second run (after fixing some addresses) replaces its columns instead of adding
    # duplicates with the same names
    kept = frame.drop(columns=[c for c in verdict_frame.columns if c in frame.columns])
    return pd.concat([kept, verdict_frame], axis=1)


_NO_ADDRESS: dict[str, object] = {
    "normalized": None,
    "is_valid": False,
    "status": "invalid",
    "type": "unknown",
    "reasons": "",
    "suggestion": None,
    "is_disposable": False,
    "is_role_account": False,
    "is_free_provider": False,
    "is_privacy_relay": False,
}


def _row(check: EmailCheck) -> dict[str, object]:
    return {
        "normalized": check.normalized,
        "is_valid": check.is_valid,
        "status": check.status,
        "type": check.email_type,
        "reasons": ";".join(check.reason_codes),
        "suggestion": check.suggestion,
        "is_disposable": check.is_disposable,
        "is_role_account": check.is_role_account,
        "is_free_provider": check.is_free_provider,
        "is_privacy_relay": check.is_privacy_relay,
    }
