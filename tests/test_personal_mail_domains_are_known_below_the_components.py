"""Which mail domains serve personal mailboxes is shared knowledge in ``leadqual._domains``, a
bottom-layer module: research and the email validator both read it, and it imports neither."""

from __future__ import annotations

import subprocess
import sys

import pytest

from leadqual._domains import (
    is_disposable_domain,
    is_free_email_domain,
    is_free_provider_domain,
    privacy_relay,
)
from leadqual.email import EmailValidator


@pytest.mark.parametrize(
    ("domain", "personal"),
    [
        ("gmail.com", True),
        ("GMail.COM.", True),
        ("mailinator.com", True),  # disposable
        ("privaterelay.appleid.com", True),  # a relay
        ("x.sl.simplelogin.com", True),  # a relay's subdomain
        ("contoso.com", False),
        ("mail.contoso.com", False),
        ("", False),
        (None, False),
    ],
)
def test_personal_domains_are_free_disposable_or_relays(domain: str | None, personal: bool) -> None:
    assert is_free_email_domain(domain) is personal


def test_a_disposable_domain_is_not_counted_as_a_free_provider() -> None:
    assert is_disposable_domain("mailinator.com")
    assert not is_free_provider_domain("mailinator.com")
    assert is_free_provider_domain("gmail.com")
    assert privacy_relay("duck.com") == "DuckDuckGo Email Protection"
    assert privacy_relay("contoso.com") is None


def test_the_validator_and_the_shared_helper_agree_on_personal_domains() -> None:
    validator = EmailValidator(check_deliverability=False)
    for domain in ("gmail.com", "mailinator.com", "duck.com", "contoso.com", "gmx.de"):
        check = validator.validate(f"kim@{domain}")
        assert (check.email_type == "personal") is is_free_email_domain(domain), domain


def test_the_shared_domain_module_loads_no_component() -> None:
    code = (
        "import sys; from leadqual._domains import is_free_email_domain as f; f('gmail.com'); "
        "print(sorted(m for m in sys.modules if m.startswith('leadqual.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    for component in ("email", "research", "icp", "scoring", "dedupe", "drafting", "sources"):
        assert f"'leadqual.{component}" not in loaded, loaded
