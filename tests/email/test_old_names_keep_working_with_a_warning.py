"""Names and methods that moved keep working for one release, each with a DeprecationWarning that
says what to write instead; the validator's own surface is its one verb in four shapes."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from datetime import UTC, datetime

import pandas as pd
import pytest

import leadqual
import leadqual.email
from leadqual.email import (
    EmailOverrides,
    EmailValidator,
    cache_info,
    validate_context,
    validate_frame,
    validate_record,
    validate_records,
)
from leadqual.errors import ConfigurationError, EmailInputError
from leadqual.models import Account, Lead, LeadContext
from leadqual.testing.dns import StaticResolver

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
LEAD = Lead(
    id="L-1",
    email="kim@contoso.com",
    other_emails=("kim@gmial.com",),
    website="contoso.com",
    created_at=datetime(2020, 1, 1, tzinfo=UTC),
)


def _validator() -> EmailValidator:
    return EmailValidator(resolver=StaticResolver({"contoso.com": {"mx": ["mx"]}}), now=T0)


def test_the_validator_has_one_verb_in_four_shapes() -> None:
    current = {
        name
        for name, member in inspect.getmembers(EmailValidator, callable)
        if not name.startswith("_") and not (member.__doc__ or "").startswith("Deprecated")
    }
    assert current == {"validate", "avalidate", "validate_many", "avalidate_many"}


@pytest.mark.parametrize(
    "name",
    sorted(
        {
            "DnsAnswer",
            "DnsPythonResolver",
            "EmailCacheInfo",
            "EmailCheck",
            "EmailOverride",
            "EmailOverrides",
            "EmailReason",
            "EmailStatus",
            "EmailType",
            "EmailValidator",
            "FieldEmailCheck",
            "MxRecord",
            "REASON_CODES",
            "RecordEmailReport",
            "Resolver",
        }
    ),
)
@pytest.mark.parametrize("old_module", ["leadqual.research.email", "leadqual.research"])
def test_old_import_paths_warn_and_give_the_same_object(old_module: str, name: str) -> None:
    module = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"{name} has moved: import it from leadqual.email"):
        value = getattr(module, name)
    assert value is getattr(leadqual.email, name)


def test_the_input_error_points_to_leadqual_errors() -> None:
    import leadqual.research.email as old

    with pytest.warns(DeprecationWarning, match="import it from leadqual.errors"):
        assert old.EmailInputError is EmailInputError


def test_from_import_of_an_old_name_warns() -> None:
    with pytest.warns(DeprecationWarning, match="leadqual.email"):
        from leadqual.research.email import EmailValidator as Old
    assert Old is EmailValidator


def test_research_no_longer_lists_the_email_names() -> None:
    import leadqual.research

    assert not {"EmailValidator", "EmailCheck", "Resolver"} & set(leadqual.research.__all__)
    with pytest.raises(AttributeError):
        _ = leadqual.research.NoSuchName  # type: ignore[attr-defined]


def test_the_top_level_names_come_from_leadqual_email() -> None:
    assert leadqual.EmailValidator is EmailValidator
    assert leadqual.EmailCheck is leadqual.email.EmailCheck


def test_every_public_email_name_is_exported_and_sorted() -> None:
    assert leadqual.email.__all__ == sorted(leadqual.email.__all__)
    assert all(hasattr(leadqual.email, name) for name in leadqual.email.__all__)


def test_deprecated_record_methods_warn_and_give_what_the_functions_give() -> None:
    account = Account(id="A-1", name="Contoso", created_at=datetime(2020, 1, 1, tzinfo=UTC))
    context = LeadContext(lead=LEAD, account=account)
    validator = _validator()
    with pytest.warns(DeprecationWarning, match=r"leadqual\.email\.validate_record\(validator"):
        old_one = validator.validate_record(LEAD)
    with pytest.warns(DeprecationWarning, match=r"validate_records\(validator"):
        old_many = validator.validate_records([LEAD])
    with pytest.warns(DeprecationWarning, match=r"validate_context\(validator"):
        old_context = validator.validate_context(context)
    assert old_one == validate_record(validator, LEAD)
    assert old_many == validate_records(validator, [LEAD])
    assert old_context == validate_context(validator, context)
    assert old_one.checks[0].check.status == "valid"
    assert old_one.checks[1].check.has("possible_typo")


def test_deprecated_async_methods_warn_and_delegate() -> None:
    validator = _validator()
    context = LeadContext(lead=LEAD)

    async def main() -> None:
        with pytest.warns(DeprecationWarning, match="avalidate_record"):
            one = await validator.avalidate_record(LEAD)
        with pytest.warns(DeprecationWarning, match="avalidate_records"):
            [many] = await validator.avalidate_records([LEAD])
        with pytest.warns(DeprecationWarning, match="avalidate_context"):
            from_context = await validator.avalidate_context(context)
        assert one == many == from_context

    asyncio.run(main())


def test_deprecated_frame_and_cache_methods_warn_and_delegate() -> None:
    validator = _validator()
    frame = pd.DataFrame({"email": ["kim@contoso.com", None]})
    with pytest.warns(DeprecationWarning, match="validate_frame"):
        old = validator.validate_frame(frame)
    pd.testing.assert_frame_equal(old, validate_frame(validator, frame))
    with pytest.warns(DeprecationWarning, match=r"cache_info\(validator\)"):
        assert validator.cache_info() == cache_info(validator)
    with pytest.warns(DeprecationWarning, match=r"clear_cache\(validator\)"):
        validator.clear_cache()
    assert cache_info(validator).size == 0


def test_a_clock_callable_for_now_still_works_with_a_warning() -> None:
    ticks = iter([T0, datetime(2026, 11, 2, tzinfo=UTC)])
    with pytest.warns(DeprecationWarning, match="pass the datetime itself"):
        validator = EmailValidator(check_deliverability=False, now=lambda: next(ticks))  # type: ignore[arg-type]
    assert validator.validate("kim@contoso.com").checked_at == T0
    assert validator.validate("kim@contoso.com").checked_at == datetime(2026, 11, 2, tzinfo=UTC)


def test_now_is_the_time_every_check_is_stamped_with() -> None:
    naive = datetime(2026, 11, 1, 12)
    validator = EmailValidator(check_deliverability=False, now=naive)
    assert validator.validate("kim@contoso.com").checked_at == T0
    assert EmailValidator(check_deliverability=False).validate("a@b.com").checked_at.tzinfo
    with pytest.raises(ConfigurationError, match="now must be a datetime"):
        EmailValidator(now="2026-11-01")  # type: ignore[arg-type]


def test_an_override_set_at_a_time_is_now_set_with_now() -> None:
    overrides = EmailOverrides()
    with pytest.warns(DeprecationWarning, match="'at' is deprecated; use 'now'"):
        old = overrides.set("kim@contoso.com", is_valid=False, by="S-1", at=T0)  # type: ignore[call-arg]
    assert old.at == T0
    assert overrides.set("bo@contoso.com", is_valid=False, by="S-1", now=T0).at == T0
