"""The streamable HTTP app on a loopback port: each caller's bearer token names their seller, a
call without a valid token is refused, and an unsafe set-up does not start."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from leadqual.agent import QualificationAgent
from leadqual.errors import ConfigurationError
from leadqual.mcp import create_http_app, seller_tokens
from leadqual.sources import SAMPLE_AS_OF

from .conftest import data_of, text_of

TOKENS = {"s01-" + "a" * 28: "S-01", "s04-" + "b" * 28: "S-04", "s99-" + "c" * 28: "S-99"}
S01, S04, S99 = list(TOKENS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Running:
    def __init__(self, app: Starlette, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}/mcp"

    def __enter__(self) -> _Running:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def served(agent: QualificationAgent) -> Iterator[_Running]:
    port = _free_port()
    app = create_http_app(agent, token_verifier=seller_tokens(TOKENS), port=port, now=SAMPLE_AS_OF)
    with _Running(app, port) as running:
        yield running


def _as(url: str, token: str, scenario: Any) -> Any:
    async def main() -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            return await scenario(client)

    return anyio.run(main)


def test_each_token_acts_for_its_own_seller(served: _Running) -> None:
    async def scenario(client: Client) -> Any:
        listed = data_of(await client.call_tool("prioritized_leads", {"limit": 3}))
        foreign = await client.call_tool("get_lead_summary", {"lead_id": "L-0202"})
        return listed, foreign

    listed, foreign = _as(served.url, S01, scenario)
    assert listed["seller_id"] == "S-01"
    assert foreign.is_error and "no lead 'L-0202'" in text_of(foreign)

    async def other(client: Client) -> Any:
        return data_of(await client.call_tool("get_lead_summary", {"lead_id": "L-0202"}))

    assert _as(served.url, S04, other)["name"] == "Sofia O'Brien"


def test_a_token_naming_no_seller_of_the_crm_gets_a_tool_error(served: _Running) -> None:
    async def scenario(client: Client) -> Any:
        return await client.call_tool("prioritized_leads", {})

    result = _as(served.url, S99, scenario)
    assert result.is_error and text_of(result) == "'S-99' is not a seller in the CRM"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer " + "d" * 32},
        {"Authorization": "Bearer " + S01[:-1]},
        {"Authorization": "Basic " + S01},
        {"Authorization": "Bearer"},
    ],
)
def test_a_call_without_a_valid_token_is_refused_before_any_tool_runs(
    served: _Running, headers: dict[str, str]
) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "prioritized_leads", "arguments": {}},
    }
    response = httpx2.post(
        served.url,
        json=body,
        headers={**headers, "Accept": "application/json, text/event-stream"},
        timeout=30,
    )
    assert response.status_code == 401
    assert "S-01" not in response.text and "entries" not in response.text


def test_a_fixed_seller_is_refused_on_an_address_other_machines_reach(
    agent: QualificationAgent,
) -> None:
    with pytest.raises(ConfigurationError, match="would let anyone who reaches it act as them"):
        create_http_app(agent, seller="S-01", host="0.0.0.0")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_a_fixed_seller_is_served_on_a_loopback_address(
    agent: QualificationAgent, host: str
) -> None:
    assert isinstance(create_http_app(agent, seller="S-01", host=host), Starlette)


def test_neither_or_both_identities_is_a_configuration_error(agent: QualificationAgent) -> None:
    with pytest.raises(ConfigurationError, match="exactly one of seller="):
        create_http_app(agent)
    with pytest.raises(ConfigurationError, match="exactly one of seller="):
        create_http_app(agent, seller="S-01", token_verifier=seller_tokens(TOKENS))


@pytest.mark.parametrize(
    "tokens", [{"short": "S-01"}, {"x" * 30: ""}, {"x" * 30: "  "}, {b"x" * 30: "S-01"}]
)
def test_weak_or_empty_tokens_are_refused(tokens: dict[Any, str]) -> None:
    with pytest.raises(ConfigurationError):
        seller_tokens(tokens)
