"""Access tokens for the Dataverse Web API: the token provider protocol and two providers.

:class:`TokenProvider` has the shape of ``azure.core.credentials.TokenCredential``
(``get_token(*scopes) -> AccessToken``), so any ``azure-identity`` credential
(``ClientSecretCredential``, ``ManagedIdentityCredential``, ``DefaultAzureCredential``...) can be
passed as it is. :class:`ClientCredentials` is the OAuth 2.0 client-credentials grant against
Microsoft Entra ID over httpx, for deployments without ``azure-identity``; :class:`StaticToken`
holds a token obtained elsewhere.

The source caches the token it is given and asks for a new one shortly before it expires, and
once more when the service answers 401 (see :class:`~leadqual.sources.dataverse.DataverseSource`).

Examples:
    >>> StaticToken("eyJ0eXAi...", expires_on=1_900_000_000).get_token("https://x/.default")
    AccessToken(token='eyJ0eXAi...', expires_on=1900000000)
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

import httpx
from pydantic import SecretStr

from leadqual.errors import (
    ConfigurationError,
    HttpStatusError,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
)

__all__ = ["AccessToken", "ClientCredentials", "StaticToken", "TokenProvider"]

logger = logging.getLogger(__name__)

_PROVIDER = "entra-id"
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")
"""A tenant id (GUID) or a verified domain (``contoso.onmicrosoft.com``): it becomes a segment of
the token URL's path, so nothing else is accepted."""


class AccessToken(NamedTuple):
    """A bearer token and when it expires (Unix seconds), as ``azure.core`` spells it."""

    token: str
    expires_on: int


@runtime_checkable
class TokenProvider(Protocol):
    """Gives bearer tokens for the Dataverse Web API.

    One method, the signature of ``azure.core.credentials.TokenCredential.get_token``: the
    source calls ``get_token("https://<org>.crm.dynamics.com/.default")`` and reads ``.token``
    and ``.expires_on`` (Unix seconds) from the answer. Raise a
    :class:`~leadqual.errors.LeadqualError` (or let the vendor's error through) when no token can
    be had; the source wraps anything else in a :class:`~leadqual.errors.ProviderError`.
    """

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """A token valid for ``scopes``, with ``token`` and ``expires_on`` attributes."""
        ...


class StaticToken:
    """A token obtained elsewhere (a script, a test), handed out until it expires.

    Args:
        token: the bearer token.
        expires_on: when it expires, in Unix seconds (default: far in the future).
    """

    def __init__(self, token: str | SecretStr, /, *, expires_on: int = 4_102_444_800) -> None:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        if not secret.get_secret_value().strip():
            raise ConfigurationError("StaticToken needs a non-empty token")
        self._token = secret
        self.expires_on = int(expires_on)

    def __repr__(self) -> str:
        return f"StaticToken('**********', expires_on={self.expires_on})"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """The token, whatever the scopes."""
        return AccessToken(self._token.get_secret_value(), self.expires_on)


class ClientCredentials:
    """The OAuth 2.0 client-credentials grant against Microsoft Entra ID, over httpx.

    Register an application in Entra ID, give it a client secret, and add it to the Dataverse
    environment as an application user with a security role that reads (and, for qualification,
    writes) leads, contacts, accounts, opportunities, activities and notes.

    Args:
        tenant_id: the directory (tenant) id, or a verified domain of it.
        client_id: the application (client) id.
        client_secret: the application's secret. Pass it from a secrets store or a
            ``pydantic-settings`` object: it is kept as a :class:`~pydantic.SecretStr` and never
            logged or shown.
        authority: the Entra ID host (sovereign clouds have their own).
        timeout: seconds the token request may take.
        transport: an httpx transport (tests pass ``httpx.MockTransport``).
        clock: the time now, in Unix seconds (tests pass a fixed clock).

    Examples:
        >>> creds = ClientCredentials("contoso.onmicrosoft.com", client_id="00000000-0000-0000-"
        ...                           "0000-000000000001", client_secret="s3cret")
        >>> creds
        ClientCredentials('contoso.onmicrosoft.com', client_id='00000000-0000-0000-0000-000000000001')
    """

    def __init__(
        self,
        tenant_id: str,
        /,
        *,
        client_id: str,
        client_secret: str | SecretStr,
        authority: str = "https://login.microsoftonline.com",
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _TENANT.fullmatch(tenant_id or "") or ".." in tenant_id:
            raise ConfigurationError(
                f"tenant_id must be a tenant id (a GUID) or a domain, got {tenant_id!r}"
            )
        if not client_id or not client_id.strip():
            raise ConfigurationError("client_id must be the application (client) id")
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        if not secret.get_secret_value():
            raise ConfigurationError("client_secret is empty")
        url = httpx.URL(authority)
        if url.scheme != "https" or not url.host or url.path not in ("", "/") or url.query:
            raise ConfigurationError(
                f"authority must be an https origin such as https://login.microsoftonline.com, "
                f"got {authority!r}"
            )
        if not (math.isfinite(timeout) and timeout > 0):
            raise ConfigurationError(f"timeout must be a positive number of seconds, got {timeout}")
        self.tenant_id = tenant_id
        self.client_id = client_id.strip()
        self._secret = secret
        self.token_url = f"https://{url.netloc.decode()}/{tenant_id}/oauth2/v2.0/token"
        self.timeout = timeout
        self._transport = transport
        self._clock = clock

    def __repr__(self) -> str:
        return f"ClientCredentials({self.tenant_id!r}, client_id={self.client_id!r})"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A new token for ``scopes`` (the caller caches it).

        Raises:
            HttpStatusError: Entra ID refused the request (``invalid_client``: a wrong secret or
                client id; ``invalid_scope``: a wrong organisation URL); the message carries its
                error code, never the secret.
            ProviderTimeout: no answer within ``timeout``.
            MalformedResponse: an answer without ``access_token`` and ``expires_in``.
            ProviderError: Entra ID could not be reached.
        """
        if not scopes:
            raise ConfigurationError(
                "get_token needs a scope, e.g. 'https://org.crm.dynamics.com/.default'"
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.get_secret_value(),
            "scope": " ".join(scopes),
        }
        started = self._clock()
        try:
            with httpx.Client(
                timeout=self.timeout, transport=self._transport, follow_redirects=False
            ) as client:
                response = client.post(self.token_url, data=form)
        except httpx.TimeoutException as err:
            raise ProviderTimeout(
                f"{_PROVIDER}: no token within {self.timeout:g} s", provider=_PROVIDER
            ) from err
        except httpx.HTTPError as err:
            raise ProviderError(
                f"{_PROVIDER}: the token endpoint could not be reached ({type(err).__name__})",
                provider=_PROVIDER,
            ) from err
        logger.info("token request status=%d", response.status_code)
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            body = None
        if response.status_code != 200:
            code = body.get("error") if isinstance(body, dict) else None
            raise HttpStatusError(
                f"{_PROVIDER}: the token request was refused (HTTP {response.status_code}"
                + (f", {str(code)[:80]}" if code else "")
                + "): check the tenant, the client id and secret, and the organisation URL",
                provider=_PROVIDER,
                status_code=response.status_code,
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        try:
            seconds = float(expires_in) if expires_in is not None else math.nan
        except (TypeError, ValueError):
            seconds = math.nan
        if not isinstance(token, str) or not token or not math.isfinite(seconds):
            raise MalformedResponse(
                f"{_PROVIDER}: the token answer has no access_token and expires_in",
                provider=_PROVIDER,
            )
        return AccessToken(token, int(started + max(seconds, 0.0)))
