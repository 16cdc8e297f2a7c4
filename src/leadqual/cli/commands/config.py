"""``leadqual config validate FILE`` and ``leadqual config schema``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadqual.cli.errors import ExitCode, field_errors
from leadqual.cli.inputs import JsonFlag, load_config
from leadqual.cli.output import Screen
from leadqual.errors import ValidationFailed

__all__ = ["app", "schema", "validate"]

app = typer.Typer(
    help="Check an agent configuration, or print its JSON Schema.",
    rich_markup_mode=None,
    no_args_is_help=True,
)


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The agent configuration (YAML or JSON).")],
    json: JsonFlag = False,
) -> None:
    """Check an agent configuration: exit 0 when it is valid, else 1 with each bad field's path
    and what is wrong with it."""
    screen = Screen(json=json)
    try:
        config = load_config(file)
    except ValidationFailed as err:
        problems = field_errors(err.errors)
        if json:
            screen.print_json(
                {
                    "file": str(file),
                    "valid": False,
                    "errors": [{"path": path, "message": msg} for path, msg in problems],
                }
            )
        else:
            screen.problem(f"{file}: not a valid agent configuration ({len(problems)} to fix)")
            for path, msg in problems:
                screen.problem(f"  {path}: {msg}")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    summary = {
        "file": str(file),
        "valid": True,
        "company": config.company.name,
        "products": len(config.products),
        "icp_characteristics": len(config.icp.characteristics) if config.icp else 0,
        "handraiser_segments": len(config.handraisers),
    }
    if json:
        screen.print_json(summary)
    else:
        screen.line(
            f"{file}: valid ({config.company.name}; {summary['products']} products, "
            f"{summary['icp_characteristics']} ICP characteristics, "
            f"{summary['handraiser_segments']} hand-raiser segments)"
        )


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the agent configuration (for editors and CI checks)."""
    import json

    from leadqual.config import AgentConfig

    typer.echo(json.dumps(AgentConfig.model_json_schema(), indent=2, ensure_ascii=False))
