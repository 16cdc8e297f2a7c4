"""Token providers: the client-credentials grant against a local token endpoint, and the
static token."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from leadqual.errors import (
    ConfigurationError,
    HttpStatusError,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
)
from leadqual.sources.dataverse import (
    AccessToken,
    ClientCredentials,
    DataverseSource,
    StaticToken,
    TokenProvider,
)

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _credentials(handler: object, **options: object) -> ClientCredentials:
    return ClientCredentials(
        TENANT,
        client_id="00000000-0000-0000-0000-0000000000aa",
        client_secret=SecretStr("s3cr3t-value"),
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        clock=lambda: 1_700_000_000.0,
        **options,  # type: ignore[arg-type]
    )


def test_the_client_credentials_grant_posts_the_form_entra_id_documents() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3599,
                                         "ext_expires_in": 3599, "access_token": "eyJ0eXAi.x.y"})  # fmt: skip

    token = _credentials(handler).get_token("https://contoso.crm.dynamics.com/.default")
    assert token == AccessToken("eyJ0eXAi.x.y", 1_700_000_000 + 3599)
    (request,) = seen
    assert str(request.url) == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["00000000-0000-0000-0000-0000000000aa"],
        "client_secret": ["s3cr3t-value"],
        "scope": ["https://contoso.crm.dynamics.com/.default"],
    }


def test_a_refused_secret_names_the_error_code_and_never_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client "
            "secret provided. Ensure the secret being sent is the client secret value"}  # fmt: skip
    creds = _credentials(lambda r: httpx.Response(401, json=body))
    with caplog.at_level(logging.DEBUG), pytest.raises(HttpStatusError) as info:
        creds.get_token("https://contoso.crm.dynamics.com/.default")
    assert info.value.status_code == 401 and "invalid_client" in str(info.value)
    assert "s3cr3t" not in str(info.value) and "s3cr3t" not in caplog.text
    assert "s3cr3t" not in repr(creds)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"access_token": "x"}', b'{"access_token": "", "expires_in": 10}',
     b'{"access_token": "x", "expires_in": "soon"}', b'{"access_token": 5, "expires_in": 10}',
     b'{"access_token": "x", "expires_in": NaN}'],
)  # fmt: skip
def test_an_answer_without_a_usable_token_is_malformed(body: bytes) -> None:
    creds = _credentials(lambda r: httpx.Response(200, content=body))
    with pytest.raises(MalformedResponse):
        creds.get_token("https://contoso.crm.dynamics.com/.default")


def test_an_unreachable_or_slow_token_endpoint_is_a_typed_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ProviderTimeout):
        _credentials(slow).get_token("s")
    with pytest.raises(ProviderError):
        _credentials(down).get_token("s")


@pytest.mark.parametrize(
    ("tenant", "options"),
    [("", {}), ("contoso/../evil", {}), ("a b", {}), ("x\n", {}), ("..", {}),
     (TENANT, {"authority": "http://login.microsoftonline.com"}),
     (TENANT, {"authority": "https://login.example/path"}),
     (TENANT, {"client_secret": ""}), (TENANT, {"client_id": " "}),
     (TENANT, {"timeout": 0})],
)  # fmt: skip
def test_wrong_credentials_settings_are_configuration_errors(
    tenant: str, options: dict[str, object]
) -> None:
    settings: dict[str, object] = {"client_id": "app", "client_secret": "s", **options}
    with pytest.raises(ConfigurationError):
        ClientCredentials(tenant, **settings)  # type: ignore[arg-type]


def test_the_source_asks_for_the_organisation_scope_and_caches_the_token() -> None:
    token_requests: list[str] = []

    def login(request: httpx.Request) -> httpx.Response:
        token_requests.append(parse_qs(request.content.decode())["scope"][0])
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})

    creds = _credentials(login)
    assert isinstance(creds, TokenProvider)
    api = httpx.MockTransport(lambda r: httpx.Response(200, json={"value": []}))
    crm = DataverseSource("https://contoso.crm.dynamics.com", token_provider=creds, transport=api,
                          clock=lambda: 1_700_000_000.0)  # fmt: skip
    for _ in range(3):
        crm.leads()
    assert token_requests == ["https://contoso.crm.dynamics.com/.default"]


def test_a_static_token_is_handed_out_and_hidden_from_its_repr() -> None:
    token = StaticToken("abc.def", expires_on=123)
    assert token.get_token("any") == AccessToken("abc.def", 123)
    assert "abc" not in repr(token)
    with pytest.raises(ConfigurationError):
        StaticToken("  ")
