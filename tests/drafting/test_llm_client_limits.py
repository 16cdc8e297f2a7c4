"""A hostile or broken LLM server: endless and trickling answers, compression bombs, deep JSON.

Every call ends, within ``total_timeout`` and ``max_bytes``, in one of leadqual's errors.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from leadqual.drafting import LlmMessage, LlmReplyClassifier, OpenAICompatibleClient
from leadqual.errors import (
    ConfigurationError,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
    ResponseTooLarge,
)

MESSAGES = [LlmMessage(role="user", content="hi")]
ANSWER = json.dumps({"choices": [{"message": {"content": "hello"}}]}).encode()


class Stream(httpx.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks:
            yield chunk


def client_serving(
    body: AsyncIterator[bytes], *, encoding: str | None = None, **options: float
) -> OpenAICompatibleClient:
    headers = {"Content-Type": "application/json"}
    if encoding:
        headers["Content-Encoding"] = encoding

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Stream(body), headers=headers)

    return OpenAICompatibleClient(
        "https://llm.example/v1",
        model="m",
        backoff=0.0,
        max_retries=0,
        transport=httpx.MockTransport(handler),
        **options,  # type: ignore[arg-type]
    )


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def test_a_server_that_streams_forever_is_cut_at_the_size_cap() -> None:
    pulled = 0

    async def forever() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"choices": [{"message": {"content": "'
        while True:
            pulled += 1
            yield b"a" * 65_536

    client = client_serving(forever(), max_bytes=1_000_000)
    with pytest.raises(ResponseTooLarge):
        asyncio.run(client.acomplete(MESSAGES))
    assert pulled <= 17


def test_a_server_that_trickles_forever_is_cut_at_the_total_deadline() -> None:
    async def trickle() -> AsyncIterator[bytes]:
        while True:  # each byte well inside the per-read timeout, the answer never complete
            await asyncio.sleep(0.01)
            yield b" "

    client = client_serving(trickle(), timeout=5.0, total_timeout=0.3)
    with pytest.raises(ProviderTimeout, match=r"0\.3 s"):
        asyncio.run(client.acomplete(MESSAGES))


def test_a_compressed_answer_is_read_and_a_bomb_is_refused() -> None:
    client = client_serving(once(gzip.compress(ANSWER)), encoding="gzip")
    assert asyncio.run(client.acomplete(MESSAGES)) == "hello"
    bomb = gzip.compress(gzip.compress(b" " * 30_000_000))
    client = client_serving(once(bomb), encoding="gzip, gzip", max_bytes=100_000)
    with pytest.raises(ResponseTooLarge):
        asyncio.run(client.acomplete(MESSAGES))


@pytest.mark.parametrize(
    ("body", "encoding", "error"),
    [
        (b"\x1f\x8b\x08\x00 broken", "gzip", MalformedResponse),
        (ANSWER, "br", MalformedResponse),
        (b"[" * 100_000 + b"]" * 100_000, None, ProviderError),
    ],
    ids=["invalid gzip", "unrequested brotli", "100k-deep JSON"],
)
def test_broken_answers_are_typed_errors(
    body: bytes, encoding: str | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        asyncio.run(client_serving(once(body), encoding=encoding).acomplete(MESSAGES))


def test_the_reply_classifier_falls_back_when_the_server_misbehaves() -> None:
    async def forever() -> AsyncIterator[bytes]:
        while True:
            yield b"a" * 65_536

    classifier = LlmReplyClassifier(client_serving(forever(), max_bytes=100_000))
    assert classifier.classify("Can we meet on Tuesday?").method == "rules"


@pytest.mark.parametrize("options", [{"total_timeout": 0}, {"max_bytes": 0}])
def test_limits_must_be_positive(options: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        OpenAICompatibleClient("https://llm.example/v1", model="m", **options)  # type: ignore[arg-type]
