"""The admin settings form: an :class:`~leadqual.config.AgentConfig` as form fields, and a
submitted form back to a validated configuration, or to each problem next to its input.

What the form does not show (team access, research providers, summary fields, score cut-offs)
is kept from the configuration in use: nothing posted can change it, whatever names a request
carries. A form either validates whole or changes nothing.

Examples:
    >>> from leadqual.sources import load_sample_config
    >>> config = load_sample_config()
    >>> values = initial_values(config)
    >>> values["icp.characteristics.0.weight"] = "500"
    >>> result = read_form(values, config)
    >>> result.config is None, result.errors["icp.characteristics.0.weight"]
    (True, ['Input should be less than or equal to 100'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import yaml

from leadqual.config import (
    DEFAULT_PRIORITY_ORDER,
    AgentConfig,
    CharacteristicKind,
    IcpCharacteristic,
)
from leadqual.errors import LeadqualError, ValidationFailed

__all__ = [
    "MAX_CHARACTERISTICS",
    "MAX_TEXT",
    "FormField",
    "FormGroup",
    "SettingsForm",
    "form_groups",
    "initial_values",
    "read_form",
]

Kind = Literal["text", "textarea", "lines", "number", "checkbox", "select", "yaml"]

MAX_TEXT = 20_000
"""The most characters one field takes (a longer one is an error next to it)."""
MAX_CHARACTERISTICS = 40
"""The most ICP characteristics the form takes."""
_CREATE = ("account", "contact", "opportunity")


@dataclass(frozen=True)
class FormField:
    """One input of the settings form."""

    name: str
    """The input's name: the dotted path of the configuration field it sets."""
    label: str
    kind: Kind
    help: str = ""
    options: tuple[str, ...] = ()
    """The choices of a ``select``."""
    optional: bool = False
    """A blank ``number`` means "none" (else a blank number is an error)."""

    @property
    def html_id(self) -> str:
        """The input's element id."""
        return "f-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class FormGroup:
    """A fieldset of the form: a section, or one ICP characteristic."""

    name: str
    """The configuration path the group stands for (problems of the whole group show here)."""
    title: str
    fields: tuple[FormField, ...]
    help: str = ""

    @property
    def html_id(self) -> str:
        """The fieldset's element id."""
        return "g-" + self.name.replace(".", "-")


@dataclass
class SettingsForm:
    """A submitted form: the values as typed, the problems per input, and the configuration
    (``None`` unless every value validated)."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    config: AgentConfig | None = None
    rows: int = 0
    """How many ICP characteristic rows the form has."""


def _row_fields(i: int) -> tuple[FormField, ...]:
    p = f"icp.characteristics.{i}"
    return (
        FormField(f"{p}.name", "Name", "text", "unique in the profile; blank removes the row"),
        FormField(f"{p}.kind", "Kind", "select", options=get_args(CharacteristicKind)),
        FormField(f"{p}.targets", "Targets", "lines", "one a line: industries, bands such as 500+"),
        FormField(f"{p}.exclude", "Exclusions", "lines", "one a line"),
        FormField(
            f"{p}.fields",
            "Mapped fields",
            "lines",
            "where the value is read, in order, one a line (account.industry)",
        ),
        FormField(f"{p}.field_mode", "Field mode", "select", options=("first", "any")),
        FormField(f"{p}.weight", "Weight", "number", "above 0, at most 100"),
        FormField(f"{p}.required", "Required", "checkbox"),
    )


def form_groups(rows: int) -> list[FormGroup]:
    """The form's fieldsets, with ``rows`` ICP characteristic rows."""
    groups = [
        FormGroup(
            "company",
            "Company knowledge",
            (
                FormField("company.name", "Company name", "text"),
                FormField("company.website", "Website", "text", "a draft may link to it"),
                FormField("company.description", "What the company does", "textarea"),
                FormField("company.offers", "Offers a draft may state", "lines", "one a line"),
                FormField("company.links", "Links a draft may use", "lines", "one a line"),
                FormField("company.references", "Customers to name", "lines", "one a line"),
            ),
        ),
        FormGroup(
            "products",
            "Product knowledge",
            (FormField("products", "Products (YAML list)", "yaml"),),
            "each with name, description, value_propositions, pain_points, proof_points",
        ),
        FormGroup(
            "icp",
            "Ideal customer profile",
            (
                FormField("icp.enabled", "Match leads against an ICP", "checkbox"),
                FormField("icp.name", "Profile name", "text"),
                FormField("icp.tiers.high", "High above", "number", "0-100"),
                FormField("icp.tiers.moderate", "Moderate from", "number", "0-100"),
                FormField("icp.tiers.min_known_weight", "Least known weight", "number", "0-1"),
            ),
            "the characteristics follow; fill the last, empty one to add another",
        ),
    ]
    groups += [
        FormGroup(f"icp.characteristics.{i}", f"Characteristic {i + 1}", _row_fields(i))
        for i in range(rows)
    ]
    groups += [
        FormGroup(
            "handraisers",
            "Hand-raisers",
            (FormField("handraisers", "Segments (YAML list)", "yaml"),),
            "each with name, match (all or any) and conditions",
        ),
        FormGroup(
            "prioritization",
            "Prioritisation",
            (
                FormField(
                    "prioritization.order",
                    "Order of factors",
                    "lines",
                    "one a line, first decides first: " + ", ".join(DEFAULT_PRIORITY_ORDER),
                ),
                FormField("prioritization.rating.hot_at", "Hot at points", "number", "1-8"),
                FormField("prioritization.rating.warm_at", "Warm at points", "number", "0-8"),
                FormField("prioritization.rating.recent_days", "Recent within days", "number"),
                FormField("prioritization.rating.warm_days", "Warm within days", "number"),
                FormField("prioritization.rating.window_days", "Engagement window", "number"),
            ),
        ),
        FormGroup(
            "selection",
            "Selection criteria",
            (FormField("selection", "Conditions (YAML list)", "yaml"),),
            "every condition must hold for the agent to work on a lead",
        ),
        FormGroup(
            "refresh",
            "Refresh and activation",
            (
                FormField("refresh.research_every_days", "Research every (days)", "number"),
                FormField("refresh.score_every_hours", "Score every (hours)", "number"),
                FormField(
                    "refresh.insight_every_days",
                    "Refresh insights every (days)",
                    "number",
                    "blank: the first insight only",
                    optional=True,
                ),
                FormField("refresh.activation_batch", "Leads processed on activation", "number"),
                FormField(
                    "capacity.leads_per_day",
                    "Leads a day",
                    "number",
                    "blank: no limit",
                    optional=True,
                ),
                FormField(
                    "capacity.provider_calls_per_day",
                    "Research calls a day",
                    "number",
                    "blank: no limit",
                    optional=True,
                ),
            ),
        ),
        FormGroup(
            "consent",
            "Consent",
            (
                FormField("consent.web_research", "Research leads on the web", "checkbox"),
                FormField("consent.read_emails", "Read sellers' mail with leads", "checkbox"),
                FormField("consent.llm_drafting", "Send lead context to the LLM", "checkbox"),
            ),
            "what the organisation allows; a seller's own consent can only narrow it",
        ),
        FormGroup(
            "qualification",
            "Qualifying creates",
            tuple(
                FormField(f"qualification.create.{kind}", kind.capitalize(), "checkbox")
                for kind in _CREATE
            ),
        ),
    ]
    return groups


def _lines(values: Sequence[object]) -> str:
    return "\n".join(str(v) for v in values)


def _number(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _yaml(value: object) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)


def _check(flag: bool) -> str:
    return "on" if flag else ""


def initial_values(config: AgentConfig) -> dict[str, str]:
    """The form's values for a configuration (one empty ICP row more, to add one)."""
    data = config.model_dump(mode="json")
    company = data["company"]
    prio = data["prioritization"]
    values: dict[str, str] = {
        "company.name": company["name"],
        "company.website": company.get("website") or "",
        "company.description": company.get("description") or "",
        "company.offers": _lines(company["offers"]),
        "company.links": _lines(company["links"]),
        "company.references": _lines(company["references"]),
        "products": _yaml(data["products"]),
        "handraisers": _yaml(data["handraisers"]),
        "selection": _yaml(data["selection"]),
        "prioritization.order": _lines(prio["order"]),
    }
    for key in ("hot_at", "warm_at", "recent_days", "warm_days", "window_days"):
        values[f"prioritization.rating.{key}"] = _number(prio["rating"][key])
    for key in ("research_every_days", "score_every_hours", "insight_every_days"):
        values[f"refresh.{key}"] = _number(data["refresh"][key])
    values["refresh.activation_batch"] = _number(data["refresh"]["activation_batch"])
    for key in ("leads_per_day", "provider_calls_per_day"):
        values[f"capacity.{key}"] = _number(data["capacity"][key])
    for key in ("web_research", "read_emails", "llm_drafting"):
        values[f"consent.{key}"] = _check(data["consent"][key])
    for kind in _CREATE:
        values[f"qualification.create.{kind}"] = _check(kind in data["qualification"]["create"])
    icp = data["icp"]
    values["icp.enabled"] = _check(icp is not None)
    chars: list[dict[str, Any]] = icp["characteristics"] if icp else []
    tiers = icp["tiers"] if icp else {"high": 70, "moderate": 50, "min_known_weight": 0.5}
    values["icp.name"] = icp["name"] if icp else "Ideal customer profile"
    for key in ("high", "moderate", "min_known_weight"):
        values[f"icp.tiers.{key}"] = _number(tiers[key])
    for i, c in enumerate([*chars, None]):
        p = f"icp.characteristics.{i}"
        values[f"{p}.name"] = c["name"] if c else ""
        values[f"{p}.kind"] = c["kind"] if c else "categorical"
        values[f"{p}.targets"] = _lines(c["targets"]) if c else ""
        values[f"{p}.exclude"] = _lines(c["exclude"]) if c else ""
        values[f"{p}.fields"] = _lines(c["fields"]) if c else ""
        values[f"{p}.field_mode"] = c["field_mode"] if c else "first"
        values[f"{p}.weight"] = _number(c["weight"]) if c else "1"
        values[f"{p}.required"] = _check(bool(c and c["required"]))
    values["icp.rows"] = str(len(chars) + 1)
    return values


class _NoAliases(yaml.SafeLoader):
    """Plain YAML: no aliases (a few lines of them expand to millions of nodes)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted here")
        return super().compose_node(parent, index)


def _first(form: Mapping[str, Any], name: str) -> str:
    raw = form.get(name, "")
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else ""
    return raw if isinstance(raw, str) else ""


def read_form(form: Mapping[str, Any], current: AgentConfig) -> SettingsForm:
    """A submitted form as a validated configuration, or its problems by input name.

    Only the form's own inputs are read (any other name is ignored); what the form does not
    show is kept from ``current``. A problem an input cannot hold is filed under its group's
    name (``icp.characteristics.2``, ``icp``), or under ``""`` for the whole form.
    """
    try:
        rows = int(_first(form, "icp.rows") or 0)
    except ValueError:
        rows = 0
    rows = max(0, min(rows, MAX_CHARACTERISTICS + 1))
    groups = form_groups(rows)
    fields = [f for g in groups for f in g.fields]
    values = {f.name: _first(form, f.name) for f in fields}
    values["icp.rows"] = str(rows)
    result = SettingsForm(values=values, rows=rows)

    def fail(name: str, message: str) -> None:
        result.errors.setdefault(name, []).append(message)

    parsed: dict[str, Any] = {}
    for f in fields:
        raw = values[f.name]
        if len(raw) > MAX_TEXT:
            fail(f.name, f"at most {MAX_TEXT:,} characters")
            continue
        if f.kind == "checkbox":
            parsed[f.name] = bool(raw)
        elif f.kind == "lines":
            parsed[f.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif f.kind == "number":
            text = raw.strip()
            parsed[f.name] = None if (not text and f.optional) else text
        elif f.kind == "yaml":
            try:
                loaded = yaml.load(raw, Loader=_NoAliases)
            except yaml.YAMLError as err:
                mark = getattr(err, "problem_mark", None)
                where = f" (line {mark.line + 1})" if mark is not None else ""
                problem = getattr(err, "problem", None) or "it does not parse"
                fail(f.name, f"not YAML{where}: {problem}")
                continue
            if loaded is None:
                loaded = []
            if not isinstance(loaded, list):
                fail(f.name, "a YAML list is expected (each item on a line starting with -)")
                continue
            parsed[f.name] = loaded
        else:
            parsed[f.name] = raw.strip()
    if result.errors:
        return result

    data = current.model_dump(mode="json")
    company = data["company"]
    company["name"] = parsed["company.name"]
    company["website"] = parsed["company.website"] or None
    company["description"] = parsed["company.description"] or None
    for key in ("offers", "links", "references"):
        company[key] = parsed[f"company.{key}"]
    data["products"] = parsed["products"]
    data["handraisers"] = parsed["handraisers"]
    data["selection"] = parsed["selection"]
    data["prioritization"]["order"] = parsed["prioritization.order"]
    for key in ("hot_at", "warm_at", "recent_days", "warm_days", "window_days"):
        data["prioritization"]["rating"][key] = parsed[f"prioritization.rating.{key}"]
    for key in (
        "research_every_days",
        "score_every_hours",
        "insight_every_days",
        "activation_batch",
    ):
        data["refresh"][key] = parsed[f"refresh.{key}"]
    for key in ("leads_per_day", "provider_calls_per_day"):
        data["capacity"][key] = parsed[f"capacity.{key}"]
    for key in ("web_research", "read_emails", "llm_drafting"):
        data["consent"][key] = parsed[f"consent.{key}"]
    data["qualification"]["create"] = [k for k in _CREATE if parsed[f"qualification.create.{k}"]]

    # Form row -> index in the validated list (blank rows are dropped).
    row_of: list[int] = []
    if parsed["icp.enabled"]:
        kept = {c.name.casefold(): c for c in (current.icp.characteristics if current.icp else ())}
        chars = []
        for i in range(rows):
            p = f"icp.characteristics.{i}"
            if not (parsed[f"{p}.name"] or parsed[f"{p}.targets"] or parsed[f"{p}.fields"]):
                continue
            before: IcpCharacteristic | None = kept.get(parsed[f"{p}.name"].casefold())
            chars.append(
                {
                    "name": parsed[f"{p}.name"],
                    "kind": parsed[f"{p}.kind"],
                    "targets": parsed[f"{p}.targets"],
                    "exclude": parsed[f"{p}.exclude"],
                    "fields": parsed[f"{p}.fields"],
                    "field_mode": parsed[f"{p}.field_mode"],
                    "weight": parsed[f"{p}.weight"],
                    "required": parsed[f"{p}.required"],
                    # Kept from the characteristic of that name: the form does not show them.
                    "description": before.description if before else None,
                    "aliases": {k: list(v) for k, v in before.aliases.items()} if before else {},
                }
            )
            row_of.append(i)
        if len(chars) > MAX_CHARACTERISTICS:
            fail("icp", f"at most {MAX_CHARACTERISTICS} characteristics")
            return result
        data["icp"] = {
            "name": parsed["icp.name"],
            "characteristics": chars,
            "tiers": {
                k: parsed[f"icp.tiers.{k}"] for k in ("high", "moderate", "min_known_weight")
            },
        }
    else:
        data["icp"] = None

    try:
        result.config = AgentConfig.model_validate(data)
    except ValidationFailed as err:
        names = [f.name for f in fields] + [g.name for g in groups]
        kinds = {f.name: f.kind for f in fields}
        for problem in err.errors or [{"loc": (), "msg": str(err)}]:
            loc = list(problem.get("loc", ()))
            if (
                loc[:2] == ["icp", "characteristics"]
                and len(loc) > 2
                and isinstance(loc[2], int)
                and loc[2] < len(row_of)
            ):
                loc[2] = row_of[loc[2]]
            path = ".".join(str(part) for part in loc)
            name = _owner(path, names)
            message = str(problem.get("msg", "invalid"))
            rest = path[len(name) :].lstrip(".") if name else path
            head, _, tail = rest.partition(".")
            if head.isdigit() and kinds.get(name) == "lines":
                rest = f"line {int(head) + 1}" + (f".{tail}" if tail else "")
            elif head.isdigit() and kinds.get(name) == "yaml":
                rest = f"item {int(head) + 1}" + (f".{tail}" if tail else "")
            if rest:
                message = f"{rest}: {message}"
            fail(name, message)
    except LeadqualError as err:
        fail("", str(err))
    return result


def _owner(path: str, names: Sequence[str]) -> str:
    """The longest input or group name the error path falls under (``""``: none)."""
    best = ""
    for name in names:
        if (path == name or path.startswith(name + ".")) and len(name) > len(best):
            best = name
    return best
