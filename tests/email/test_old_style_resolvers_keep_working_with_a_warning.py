"""A DNS resolver written before the protocol's methods were named ``aresolve_mx`` /
``aresolve_address`` keeps working for one release: the validator adapts it, with one
DeprecationWarning, raised at construction, that says what to rename."""

from __future__ import annotations

import warnings

import pytest

from leadqual.email import DnsAnswer, EmailValidator, MxRecord, Resolver
from leadqual.errors import ConfigurationError
from leadqual.testing.dns import StaticResolver


class OldStyle:
    """Written against the old protocol: ``resolve_mx`` / ``resolve_address``."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def resolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        self.asked.append(("mx", domain))
        if domain == "contoso.com":
            return DnsAnswer("answer", mx=(MxRecord(10, "mx1.contoso.com"),))
        if domain == "fabrikam.com":
            return DnsAnswer("no_answer")
        if domain == "gone.com":
            return DnsAnswer("nxdomain")
        return DnsAnswer("answer", mx=(MxRecord(10, f"mx.{domain}"),))  # gmail.com and the like

    async def resolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        self.asked.append(("address", domain))
        return DnsAnswer("answer", addresses=("192.0.2.10",))


class HalfRenamed:
    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        return DnsAnswer("nxdomain")

    async def resolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        return DnsAnswer("nxdomain")


class SyncOldStyle:
    def resolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        return DnsAnswer("nxdomain")

    def resolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        return DnsAnswer("nxdomain")


def _deprecations(seen: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in seen if issubclass(w.category, DeprecationWarning)]


def test_an_old_style_resolver_warns_once_at_construction_and_still_answers() -> None:
    old = OldStyle()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        validator = EmailValidator(resolver=old)  # type: ignore[arg-type]
    [warning] = _deprecations(seen)
    message = str(warning.message)
    assert "OldStyle" in message
    assert "rename `async def resolve_mx` to `async def aresolve_mx`" in message
    assert "`async def resolve_address` to `async def aresolve_address`" in message
    assert warning.filename == __file__  # the user's line, not the package's

    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        checks = validator.validate_many(["kim@contoso.com", "bo@fabrikam.com", "al@gone.com"])
    assert _deprecations(later) == []  # once, at construction: never per lookup
    assert [c.status for c in checks] == ["valid", "valid", "invalid"]
    assert ("mx", "contoso.com") in old.asked
    assert ("address", "fabrikam.com") in old.asked  # the implicit-MX fallback went through too
    assert isinstance(validator.resolver, Resolver)


def test_a_new_style_resolver_is_taken_as_it_is_without_a_warning() -> None:
    resolver = StaticResolver({"contoso.com": {"mx": ["mx1.contoso.com"]}})
    validator = EmailValidator(resolver=resolver)  # warnings are errors here
    assert validator.resolver is resolver


@pytest.mark.parametrize(
    ("resolver", "missing"),
    [
        (object(), "`aresolve_mx` and `aresolve_address`"),
        (SyncOldStyle(), "`aresolve_mx` and `aresolve_address`"),
        (HalfRenamed(), "`aresolve_address`"),
    ],
)
def test_an_object_that_is_no_resolver_is_refused_naming_the_missing_method(
    resolver: object, missing: str
) -> None:
    with pytest.raises(ConfigurationError, match="async def aresolve_mx") as info:
        EmailValidator(resolver=resolver)  # type: ignore[arg-type]
    assert str(info.value).endswith(f"lacks {missing}")
