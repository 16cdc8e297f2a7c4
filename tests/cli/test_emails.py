"""``leadqual emails``: the addresses of an export checked offline (or with DNS on request)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from leadqual.cli import app
from leadqual.cli.commands.emails import COLUMNS


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_addresses_get_status_type_and_suggestions(runner: CliRunner, tmp_path: Path) -> None:
    export = _write(
        tmp_path,
        "Contact,Mail,Status\n"
        "Kim Akers,kim@contoso.com,weird status\n"
        "Sam Lee,sam@gmial.com,\n"
        "Info Desk,info@contoso.com,\n"
        "No Address,,\n"
        "Bad One,not-an-address,\n",
    )
    result = runner.invoke(app, ["emails", str(export), "--column", "Mail", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    by_address = {row["email"]: row for row in out["emails"]}
    # a status column the command does not need cannot make a row fail
    assert out["problems"] == []
    assert len(out["emails"]) == 5
    assert list(out["emails"][0]) == list(COLUMNS)
    assert by_address["kim@contoso.com"]["is_valid"] is True
    assert by_address["kim@contoso.com"]["type"] == "work"
    assert by_address["sam@gmial.com"]["suggestion"] == "sam@gmail.com"
    assert by_address["sam@gmial.com"]["type"] == "personal"
    assert by_address["info@contoso.com"]["is_role_account"] is True
    assert by_address["not-an-address"]["status"] == "invalid"
    assert by_address[None]["reasons"] == ["empty"]
    assert out["summary"]["deliverability_checked"] is False
    assert out["summary"]["status"]["invalid"] == 2


def test_the_address_column_is_guessed_and_the_id_kept(
    runner: CliRunner, leads_csv: Path, tmp_path: Path
) -> None:
    target = tmp_path / "checked.csv"
    result = runner.invoke(app, ["emails", str(leads_csv), "--csv", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    # every row loads: the bad date is in a column this command does not read; L-7 repeats
    # L-1's address, which is checked once
    assert [r["lead_id"] for r in rows] == [f"L-{k}" for k in range(1, 8)]
    assert rows[0]["email"] == "ada.lovelace@contoso.com"
    assert rows[2]["type"] == "personal"
    assert "Email addresses in leads.csv" in result.stdout
    assert "7 addresses:" in result.stderr
    assert "deliverability not checked" in result.stderr


def test_a_file_with_no_address_column_says_to_name_one(runner: CliRunner, tmp_path: Path) -> None:
    export = _write(tmp_path, "Name,Company\nKim,Contoso\n")
    result = runner.invoke(app, ["emails", str(export)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "leadqual: ConfigurationError: contacts.csv has no column the command recognises as "
        "email addresses; name it with --column"
    )


def test_a_column_that_is_not_there_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    export = _write(tmp_path, "Name,Email\nKim,kim@contoso.com\n")
    result = runner.invoke(app, ["emails", str(export), "--column", "E-mail"])
    assert result.exit_code == 1
    assert result.stderr.startswith("leadqual: ConfigurationError: the mapping reads email from")
    assert len(result.stderr.strip().splitlines()) == 1


def test_deliverability_asks_dns_only_when_asked(
    runner: CliRunner, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from leadqual.email import EmailValidator
    from leadqual.testing.dns import StaticResolver

    made: list[bool] = []
    original = EmailValidator.__init__

    def offline(self, **kwargs):  # type: ignore[no-untyped-def]
        made.append(kwargs.get("check_deliverability", True))
        kwargs["resolver"] = StaticResolver({"contoso.com": {"mx": ["mx1.contoso.com"]}})
        original(self, **kwargs)

    monkeypatch.setattr(EmailValidator, "__init__", offline)
    export = _write(tmp_path, "Email\nkim@contoso.com\nbo@nowhere-at-all.com\n")
    result = runner.invoke(app, ["emails", str(export), "--deliverability", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["email"]: r for r in json.loads(result.stdout)["emails"]}
    assert made == [True]
    assert rows["kim@contoso.com"]["status"] == "valid"
    assert rows["bo@nowhere-at-all.com"]["status"] == "invalid"
    runner.invoke(app, ["emails", str(export), "--json"])
    assert made == [True, False]
