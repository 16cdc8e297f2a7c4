"""OpenAICompatibleClient retries: bounded attempts, exponential back-off with jitter, only after a
timeout, HTTP 429 or a 5xx answer, honouring a bounded ``Retry-After``. No test sleeps: the client
is given a sleep that records the waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from leadqual.drafting import LlmMessage, OpenAICompatibleClient
from leadqual.errors import ProviderError, ProviderTimeout, RateLimited

MESSAGES = [LlmMessage(role="user", content="hi")]
Handler = Callable[[httpx.Request], httpx.Response]


def ok(content: str = "done") -> httpx.Response:
    return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})


def scripted(*answers: httpx.Response | type[httpx.TransportError]) -> tuple[Handler, list[int]]:
    """A handler giving ``answers`` in turn (an exception class is raised), the last one forever."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers[min(len(calls), len(answers) - 1)]
        calls.append(1)
        if isinstance(answer, type):
            raise answer("scripted", request=request)
        return answer

    return handler, calls


def client(handler: Handler, waits: list[float], **options: float) -> OpenAICompatibleClient:
    async def record(seconds: float) -> None:
        waits.append(seconds)

    return OpenAICompatibleClient(
        "https://llm.example/v1",
        model="m",
        transport=httpx.MockTransport(handler),
        sleep=record,
        **options,  # type: ignore[arg-type]
    )


def run(c: OpenAICompatibleClient) -> str:
    return asyncio.run(c.acomplete(MESSAGES))


def test_a_server_error_is_retried_until_an_answer_comes() -> None:
    handler, calls = scripted(httpx.Response(503), httpx.Response(502), ok("third"))
    waits: list[float] = []
    assert run(client(handler, waits, max_retries=2)) == "third"
    assert len(calls) == 3 and len(waits) == 2


def test_attempts_are_bounded_and_the_last_error_is_typed() -> None:
    handler, calls = scripted(httpx.Response(500))
    waits: list[float] = []
    with pytest.raises(ProviderError, match="HTTP 500"):
        run(client(handler, waits, max_retries=3))
    assert len(calls) == 4 and len(waits) == 3


def test_back_off_grows_exponentially_with_bounded_jitter() -> None:
    handler, _ = scripted(httpx.Response(503))
    waits: list[float] = []
    with pytest.raises(ProviderError):
        run(client(handler, waits, max_retries=5, backoff=1.0, max_wait=10.0))
    # wait n is 1 * 2**n plus up to 1 s of jitter, never above max_wait
    for n, wait in enumerate(waits):
        assert min(2.0**n, 10.0) <= wait <= min(2.0**n + 1.0, 10.0)
    assert waits[-1] == 10.0


def test_jitter_spreads_the_waits_of_clients_that_failed_together() -> None:
    waits: list[float] = []
    for _ in range(20):
        handler, _ = scripted(httpx.Response(503), ok())
        run(client(handler, waits, max_retries=1, backoff=1.0))
    assert len(set(waits)) > 1


def test_retry_after_is_honoured_and_bounded_by_max_wait() -> None:
    handler, _ = scripted(
        httpx.Response(429, headers={"retry-after": "7"}),
        httpx.Response(429, headers={"retry-after": "86400"}),
        ok(),
    )
    waits: list[float] = []
    assert run(client(handler, waits, max_retries=2, backoff=0.1, max_wait=30.0)) == "done"
    assert waits == [7.0, 30.0]


def test_a_rate_limit_on_every_attempt_raises_rate_limited_with_the_servers_wait() -> None:
    handler, calls = scripted(httpx.Response(429, headers={"retry-after": "2"}))
    waits: list[float] = []
    with pytest.raises(RateLimited) as info:
        run(client(handler, waits, max_retries=1))
    assert info.value.retry_after == 2.0 and len(calls) == 2


def test_a_timeout_is_retried_then_raised_as_provider_timeout() -> None:
    handler, calls = scripted(httpx.ReadTimeout)
    waits: list[float] = []
    with pytest.raises(ProviderTimeout, match="2 attempts"):
        run(client(handler, waits, max_retries=1))
    assert len(calls) == 2
    handler, calls = scripted(httpx.ConnectTimeout, ok("after a timeout"))
    assert run(client(handler, [], max_retries=1)) == "after a timeout"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_client_error_is_not_retried(status: int) -> None:
    handler, calls = scripted(httpx.Response(status, text="bad request"))
    waits: list[float] = []
    with pytest.raises(ProviderError, match=f"HTTP {status}"):
        run(client(handler, waits, max_retries=3))
    assert len(calls) == 1 and waits == []


def test_a_refused_connection_is_not_retried() -> None:
    handler, calls = scripted(httpx.ConnectError)
    waits: list[float] = []
    with pytest.raises(ProviderError, match="could not be reached") as info:
        run(client(handler, waits, max_retries=3))
    assert len(calls) == 1 and waits == []
    assert info.value.provider == "openai-compatible:llm.example"


def test_no_retries_means_one_attempt() -> None:
    handler, calls = scripted(httpx.Response(503), ok())
    with pytest.raises(ProviderError):
        run(client(handler, [], max_retries=0))
    assert len(calls) == 1


def test_the_sync_twin_answers_inside_a_running_event_loop() -> None:
    handler, _ = scripted(ok("sync"))
    c = client(handler, [])

    async def inside() -> str:
        return c.complete(MESSAGES)

    assert asyncio.run(inside()) == "sync"
    assert c.complete(MESSAGES) == "sync"
