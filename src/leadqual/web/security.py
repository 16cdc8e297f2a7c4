"""The web view's session cookie and its protection against cross-site request forgery.

A session is a signed cookie holding the signed-in seller (or none yet) and a random CSRF token.
Every form carries the token in a hidden field; a write whose field does not equal the
session's token is refused, and so is one whose ``Origin`` names another site. The cookie is
signed with HMAC-SHA256 under the app's secret, so a visitor cannot write themselves a seller;
it is ``HttpOnly`` and ``SameSite=Lax``.

Examples:
    >>> keys = SessionKeys(b"k" * 32)
    >>> session = Session.new()
    >>> keys.load(keys.dump(session.signed_in("S-01"))).seller_id
    'S-01'
    >>> keys.load("forged.value") is None
    True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace

__all__ = ["COOKIE", "Session", "SessionKeys", "same_origin", "tokens_match"]

COOKIE = "leadqual_session"
"""The session cookie's name."""

_MAX_COOKIE = 1024


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """One visitor's session: who signed in (``None``: nobody yet) and the CSRF token."""

    csrf: str
    seller_id: str | None = None

    @classmethod
    def new(cls) -> Session:
        """A fresh anonymous session with a new random token."""
        return cls(csrf=secrets.token_urlsafe(32))

    def signed_in(self, seller_id: str) -> Session:
        """The session after signing in: the seller, and a new token (an old one, possibly seen
        by someone else before sign-in, is worth nothing after)."""
        return replace(self, seller_id=seller_id, csrf=secrets.token_urlsafe(32))


class SessionKeys:
    """Signs and verifies session cookies with one secret.

    Args:
        secret: at least 32 bytes; one random secret per process unless the deployment shares
            one between processes (then sessions survive a restart).
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the session secret must be at least 32 bytes")
        self._secret = secret

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return _b64(digest)

    def dump(self, session: Session) -> str:
        """The cookie value of a session."""
        body = json.dumps({"s": session.seller_id, "c": session.csrf}, separators=(",", ":"))
        payload = _b64(body.encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def load(self, value: str | None) -> Session | None:
        """The session a cookie value holds, or ``None`` when it is missing, malformed, or not
        signed with this secret."""
        if not value or len(value) > _MAX_COOKIE or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        try:
            expected = self._sign(payload)
        except UnicodeEncodeError:
            return None
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
            return None
        try:
            data = json.loads(_unb64(payload))
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        seller, csrf = data.get("s"), data.get("c")
        if not isinstance(csrf, str) or not csrf or not (seller is None or isinstance(seller, str)):
            return None
        return Session(csrf=csrf, seller_id=seller)


def tokens_match(expected: str, given: object) -> bool:
    """Whether a form's CSRF token equals the session's (in constant time)."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def same_origin(origin: str | None, scheme: str, host: str | None) -> bool:
    """Whether a request's ``Origin`` header (when it has one) names the site itself."""
    if origin is None:
        return True
    if not host:
        return False
    return origin.lower() in (f"{scheme}://{host}".lower(),)
