"""The ``leadqual`` command line: the Typer application and how it reports failures.

Every expected failure (see :mod:`leadqual.cli.errors`) prints one line on stderr and exits with
its code; with ``--json`` that line is a JSON object. An unexpected one is a bug: it prints one
line too, exits with 70, and ``leadqual --traceback ...`` shows where it happened.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from leadqual.cli.commands import config, dedupe, demo, emails, mcp, process, replay, score
from leadqual.cli.commands import serve as serve_command
from leadqual.cli.errors import ExitCode, describe
from leadqual.cli.output import json_errors, sanitize

__all__ = ["app"]

_TRACEBACK: ContextVar[bool] = ContextVar("leadqual_cli_traceback", default=False)


def _passes_through(err: BaseException) -> bool:
    """Typer's (and click's) own exceptions (usage errors, exits, aborts), and a pipe closed by
    the reader (``leadqual ... | head``): Typer handles those itself."""
    if isinstance(err, BrokenPipeError):
        return True
    module = type(err).__module__ or ""
    return module.split(".")[0] in ("typer", "click")


class _Group(TyperGroup):
    """The top-level group: turns the library's errors into one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        token = json_errors.set(False)
        try:
            return super().invoke(ctx)
        except Exception as err:
            if _passes_through(err):
                raise
            failure = describe(err)
            if failure is None:
                if _TRACEBACK.get():
                    raise
                typer.echo(
                    f"leadqual: internal error: {type(err).__name__}: "
                    f"{sanitize(err)} (a bug in leadqual: rerun with --traceback and report it)",
                    err=True,
                )
                raise typer.Exit(ExitCode.INTERNAL) from err
            if json_errors.get():
                import json

                typer.echo(json.dumps(failure.as_json(), ensure_ascii=True), err=True)
            else:
                typer.echo(f"leadqual: {failure.kind}: {sanitize(failure.message)}", err=True)
                for detail in failure.details:
                    typer.echo(f"  {sanitize(detail)}", err=True)
            raise typer.Exit(failure.code) from err
        finally:
            json_errors.reset(token)


app = typer.Typer(
    name="leadqual",
    cls=_Group,
    help="Qualify sales leads from a CRM export: rank them, check their emails, find "
    "duplicates, score them with a model trained on your history.",
    epilog="Exit codes: 0 done, 1 bad input or data, 2 usage, 70 internal error, 130 interrupted.",
    # Plain help: no markup is read in help text, and no colour codes reach a pipe.
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    # Tracebacks are shown only on request (--traceback), and never with local variables,
    # which would print leads' personal data.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    traceback: Annotated[
        bool,
        typer.Option(
            "--traceback", help="Show the Python traceback of an internal error.", hidden=False
        ),
    ] = False,
) -> None:
    """Qualify sales leads from a CRM export."""
    _TRACEBACK.set(traceback)


app.command("process")(process.process)
app.command("emails")(emails.emails)
app.command("dedupe")(dedupe.dedupe)
app.add_typer(score.app, name="score")
app.add_typer(config.app, name="config")
app.command("replay")(replay.replay)
app.command("mcp")(mcp.mcp)
app.command("demo")(demo.demo)
app.command("version")(demo.version)
app.command("serve")(serve_command.serve)
