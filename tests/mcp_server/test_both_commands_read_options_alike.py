"""``leadqual mcp`` and ``python -m leadqual.mcp`` accept and refuse the same options the same way:
the same ``--source-option`` texts (with the same keyword arguments for the source), the same
``--now`` texts (read as the same instant), the same combinations and the same ports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from hypothesis import assume, given
from hypothesis import strategies as st
from typer.testing import CliRunner

import leadqual.mcp.command as command
import leadqual.mcp.server as server
from leadqual.cli import app
from leadqual.cli.inputs import parse_now
from leadqual.errors import ValidationFailed
from leadqual.plugins import plugin_options

BASE = ["--seller", "S-01", "--no-train", "--no-activate"]
CONFIGURED = [*BASE, "--source", "sqlite", "--config", "agent.yaml"]


def _options(*texts: str) -> list[str]:
    return [arg for text in texts for arg in ("--source-option", text)]


CASES: list[tuple[list[str], dict[str, Any] | None]] = [
    (CONFIGURED + _options("path=crm.db"), {"source_options": {"path": "crm.db"}}),
    (
        CONFIGURED + _options("dsn=postgresql://u:p@h/db?x=1&y=2"),
        {"source_options": {"dsn": "postgresql://u:p@h/db?x=1&y=2"}},
    ),
    (CONFIGURED + _options("path="), {"source_options": {"path": ""}}),
    (CONFIGURED + _options("  path =a b "), {"source_options": {"path": "a b "}}),
    (CONFIGURED + _options("päth=x"), {"source_options": {"päth": "x"}}),
    (
        CONFIGURED + _options("path=a", "timeout=3"),
        {"source_options": {"path": "a", "timeout": "3"}},
    ),
    (CONFIGURED + _options(""), None),
    (CONFIGURED + _options("="), None),
    (CONFIGURED + _options("=crm.db"), None),
    (CONFIGURED + _options("path"), None),
    (CONFIGURED + _options("not-a-name=1"), None),
    (CONFIGURED + _options("1path=x"), None),
    (CONFIGURED + _options("a.b=1"), None),
    (CONFIGURED + _options("path=a", "path=b"), None),
    (CONFIGURED + _options("path=a", " path=a"), None),
    ([*BASE, *_options("path=crm.db")], None),  # the sample takes no options
    ([*BASE, "--now", " 2026-01-01 "], {"now": datetime(2026, 1, 1, tzinfo=UTC)}),
    ([*BASE, "--now", "2026-01-01T05:00+05:00"], {"now": datetime(2026, 1, 1, tzinfo=UTC)}),
    ([*BASE, "--now", ""], None),
    ([*BASE, "--now", "yesterday"], None),
    ([*BASE, "--now", "0001-01-01T00:00+05:00"], None),
    ([*BASE, "--port", "0"], None),
    ([*BASE, "--port", "65536"], None),
    ([*BASE, "--tokens", "tokens.txt"], None),
    (["--no-train"], None),
    (BASE, {"source_options": {}, "now": None}),
]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Each command's call to build the agent, kwargs recorded; nothing is built or served."""
    calls: list[dict[str, Any]] = []

    def build_agent(**kwargs: Any) -> tuple[object, datetime | None]:
        calls.append(kwargs)
        return object(), kwargs.get("now")

    monkeypatch.setattr(command, "build_agent", build_agent)
    monkeypatch.setattr(command, "serve", lambda *a, **k: None)
    monkeypatch.setattr(server, "serve", lambda *a, **k: None)
    return calls


@pytest.mark.parametrize(("argv", "expected"), CASES)
def test_both_commands_accept_and_refuse_alike(
    built: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: dict[str, Any] | None,
) -> None:
    module_code = command.main(argv)
    module_err = capsys.readouterr().err
    cli = CliRunner().invoke(app, ["mcp", *argv])
    if expected is None:
        assert (module_code, cli.exit_code) == (2, 2), (module_err, cli.output)
        assert built == []
        return
    assert (module_code, cli.exit_code) == (0, 0), (module_err, cli.output)
    assert len(built) == 2
    module_kwargs, cli_kwargs = built
    for name, value in expected.items():
        assert module_kwargs[name] == value == cli_kwargs[name]
    assert module_kwargs["source_options"] == cli_kwargs["source_options"]
    assert module_kwargs["now"] == cli_kwargs["now"]


def test_both_say_the_same_thing_about_a_key_given_twice(
    built: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = CONFIGURED + _options("path=a", "path=b")
    assert command.main(argv) == 2
    assert "the option 'path' is given twice" in capsys.readouterr().err
    assert "the option 'path' is given twice" in CliRunner().invoke(app, ["mcp", *argv]).stderr


KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


@given(st.dictionaries(KEYS, st.text(max_size=20), max_size=5))
def test_any_named_options_read_back_as_given(options: dict[str, str]) -> None:
    assert plugin_options([f"{key}={value}" for key, value in options.items()]) == options


@given(st.text(max_size=20), st.text(max_size=20))
def test_a_key_that_is_not_a_name_is_refused(key: str, value: str) -> None:
    assume("=" not in key)  # the first '=' ends the key
    text = f"{key}={value}"
    if key.strip().isidentifier():
        assert plugin_options([text]) == {key.strip(): value}
    else:
        with pytest.raises(ValidationFailed, match="expected KEY=VALUE") as err:
            plugin_options([text])
        assert err.value.field == "--source-option"


def test_a_time_outside_the_calendar_once_in_utc_is_a_usage_error_in_every_command() -> None:
    with pytest.raises(typer.BadParameter, match="outside the years 1 to 9999"):
        parse_now("0001-01-01T00:00+05:00")
