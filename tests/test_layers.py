"""The package's layering holds: no private module is used outside its package, and no import
inside a function dodges a cycle (the layers themselves are checked by import-linter)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "leadqual"
FILES = sorted(PACKAGE.rglob("*.py"))


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> list[tuple[ast.stmt, str]]:
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node, alias.name) for alias in node.names)
    return found


def _owner(module: str) -> str | None:
    """The package a private module belongs to (``leadqual.icp._text`` -> ``leadqual.icp``), or
    ``None`` for a public module."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


@pytest.mark.parametrize("path", FILES, ids=[_module(p) for p in FILES])
def test_private_modules_are_used_only_inside_their_package(path: Path) -> None:
    importer = _module(path)
    wrong = []
    for node, target in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if not target.startswith("leadqual."):
            continue
        owner = _owner(target)
        # the package root's private helpers (leadqual._text, ...) are the shared bottom layer
        if (
            owner is not None
            and owner != "leadqual"
            and not (importer + ".").startswith(owner + ".")
        ):
            wrong.append(f"line {node.lineno}: {target}")
    assert wrong == []


# Imports deferred for start-up cost, not to dodge a cycle: (importer, imported package) -> why.
DEFERRED = {
    # The command line: building it (and `leadqual version`) loads none of pandas, scikit-learn
    # or SQLAlchemy; each command imports the parts of the library it uses when it runs.
    ("leadqual.cli.commands.demo", "leadqual.cli.walkthrough"): "the demo loads scikit-learn; "
    "`leadqual version` must not",
    ("leadqual.cli.commands.demo", "leadqual.sources.sample"): "the sample CRM is read only "
    "when the demo runs",
    ("leadqual.cli.commands.config", "leadqual.config"): "pydantic and PyYAML load only when a "
    "configuration is checked",
    ("leadqual.cli.commands.dedupe", "leadqual.dedupe"): "pandas and rapidfuzz load only when "
    "duplicates are searched",
    ("leadqual.cli.commands.emails", "leadqual.email"): "the validator (and dnspython) loads "
    "only when addresses are checked",
    ("leadqual.cli.commands.emails", "leadqual.sources.tabular"): "pandas loads only when a "
    "file is read",
    ("leadqual.cli.commands.emails", "leadqual.sources.lead_table"): "pandas loads only when a "
    "file is read",
    ("leadqual.cli.commands.process", "leadqual.agent"): "the agent loads every component, "
    "scikit-learn included; only `leadqual process` needs it",
    ("leadqual.cli.commands.process", "leadqual.email"): "the validator loads only when the "
    "agent runs",
    ("leadqual.cli.commands.process", "leadqual.models"): "the domain models load only when a "
    "command reads records",
    ("leadqual.cli.commands.process", "leadqual.sources"): "the sources load only when a file "
    "is read",
    ("leadqual.cli.commands.config", "leadqual.agent"): "the agent's components load only "
    "when two configurations are compared",
    ("leadqual.cli.commands.mcp", "leadqual.mcp"): "the MCP SDK loads only when the server "
    "starts (and its absence is reported then); `leadqual version` loads no library module",
    ("leadqual.sources.named", "leadqual.sources.tabular"): "pandas loads only when the "
    "tabular source is built",
    ("leadqual.sources.named", "leadqual.sources.sql_mapping"): "the SQL mapping loads only "
    "when the sql source is built",
    ("leadqual.sources.named", "leadqual.sources.sql_source"): "SQLAlchemy loads only when "
    "the sql source is built",
    ("leadqual.cli.commands.serve", "leadqual.web"): "Starlette, Jinja2 and the agent load only "
    "when the web view is served (the [web] extra may not be installed)",
    ("leadqual.cli.commands.replay", "leadqual.agent"): "the agent loads every component; only "
    "`leadqual replay` needs it here",
    ("leadqual.cli.commands.replay", "leadqual.email"): "the validator loads only when the agent "
    "is built",
    ("leadqual.cli.commands.replay", "leadqual.sources"): "the sources load only when the agent "
    "is built",
    ("leadqual.cli.commands.score", "leadqual.scoring"): "scikit-learn loads only when a model "
    "is trained, evaluated or applied",
    ("leadqual.cli.commands.score", "leadqual.models"): "the domain models load only when a "
    "command reads records",
    ("leadqual.cli.commands.score", "leadqual.sources"): "the sources load only when a file is "
    "read",
    ("leadqual.cli.inputs", "leadqual.config"): "pydantic and PyYAML load only when a "
    "configuration or mapping file is read",
    ("leadqual.cli.inputs", "leadqual._base"): "pydantic loads only when --now is read",
    ("leadqual.cli.inputs", "leadqual.plugins"): "`leadqual version` loads no library module; "
    "the option reader loads when --source-option is read",
    ("leadqual.cli.inputs", "leadqual.scoring"): "scikit-learn loads only when a model file is "
    "read",
    ("leadqual.cli.inputs", "leadqual.sources.tabular"): "pandas loads only when a file is read",
    ("leadqual.cli.inputs", "leadqual.store"): "the insight stores (SQLAlchemy) load only when a "
    "command keeps or reads insights",
    ("leadqual.prioritize.ranking", "leadqual.prioritize._frame"): "numpy and pandas load only "
    "when a table is ranked",
    ("leadqual", "leadqual._compat"): "`import leadqual` loads nothing but the package; the "
    "deprecation helper (and inspect) load only when a moved name is read",
    ("leadqual.sources", "leadqual.sources.sql_source"): "SQLAlchemy loads only when a source "
    "over SQL tables is asked for, not with MemorySource",
    ("leadqual.sources", "leadqual.sources.tabular"): "pandas loads only when a tabular name "
    "(TabularSource, LeadMapping, ...) is read",
    ("leadqual.sources", "leadqual.sources.lead_table"): "pandas loads only when a lead table "
    "name (read_lead_table's LEAD_TABLE_COLUMNS, leads_from_table, ...) is read",
    ("leadqual.sources", "leadqual.sources.dataverse"): "httpx and tenacity load only when "
    "the Dataverse source is asked for",
}


@pytest.mark.parametrize("path", FILES, ids=[_module(p) for p in FILES])
def test_no_function_imports_the_package_to_dodge_a_cycle(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node, target in _imports(func):
            deferred = any(
                importer == _module(path) and (target + ".").startswith(package + ".")
                for importer, package in DEFERRED
            )
            if (target == "leadqual" or target.startswith("leadqual.")) and not deferred:
                wrong.append(f"line {node.lineno} in {func.name}(): {target}")
    assert wrong == []


def test_the_checks_see_a_private_import_from_another_package() -> None:
    assert _owner("leadqual.icp._text") == "leadqual.icp"
    assert _owner("leadqual._text") == "leadqual"
    assert _owner("leadqual.research.email") is None
