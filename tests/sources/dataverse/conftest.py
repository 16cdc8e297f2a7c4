"""The replay server of the Dataverse tests: recorded responses from tests/fixtures/dataverse,
with the documentation's ``[Organization URI]`` placeholder replaced by the test organisation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

ORG = "https://contoso.crm.dynamics.com"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dataverse"

Recorded = Callable[..., httpx.Response]


def _substitute(text: str, org: str) -> str:
    return text.replace("[Organization URI]", org).replace("[Organization Uri]", org)


def load(name: str, *, org: str = ORG) -> httpx.Response:
    """The response stored as ``name`` (``recorded/x`` or ``constructed/x``): its body file
    (``.json``, ``.multipart.txt``, ``.template.txt``), its ``.headers.txt`` when there is one
    (else 200 with no headers), or a whole ``.http`` message."""
    base = FIXTURES / name
    whole = base.with_name(base.name + ".http")
    if whole.exists():
        head, _, body = _substitute(whole.read_text(encoding="utf-8"), org).partition("\n\n")
        lines = head.splitlines()
        status = int(lines[0].split()[1])
        headers = [tuple(p.strip() for p in line.split(":", 1)) for line in lines[1:]]
        return httpx.Response(status, headers=headers, content=body.encode())
    status, headers = 200, []
    head_file = base.with_name(base.name + ".headers.txt")
    if head_file.exists():
        lines = _substitute(head_file.read_text(encoding="utf-8"), org).splitlines()
        status = int(lines[0].split()[1])
        headers = [tuple(p.strip() for p in line.split(":", 1)) for line in lines[1:] if line]
    body = b""
    for suffix in (".json", ".multipart.txt", ".template.txt"):
        candidate = base.with_name(base.name + suffix)
        if candidate.exists():
            body = _substitute(candidate.read_text(encoding="utf-8"), org).encode()
            break
    # Content-Length of a recorded header set describes the recorded body, not this one.
    headers = [h for h in headers if h[0].lower() != "content-length"]
    return httpx.Response(status, headers=headers, content=body)


@pytest.fixture
def recorded() -> Recorded:
    """Load a recorded (or constructed) response by name."""
    return load
