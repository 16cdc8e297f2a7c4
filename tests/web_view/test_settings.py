"""The admin settings page: a bad value shows its field and message next to its input and
nothing is saved; a good one is saved only after its backtest was shown; the file on disk and
the agent in use change together or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadqual.config import AgentConfig
from leadqual.sources import SampleData
from leadqual.web.settings import initial_values, read_form

from .conftest import Markup, Site, assert_inert, build_site, csrf_of, sign_in


@pytest.fixture
def admin_site(
    sample_data: SampleData, sample_config: AgentConfig, tmp_path: Path
) -> tuple[Site, Path]:
    path = tmp_path / "agent.yaml"
    path.write_text(sample_config.to_yaml(), encoding="utf-8")
    built = build_site(sample_data, sample_config, process=("L-0172",), config_path=path)
    return built, path


def _form(site: Site, token: str, **changes: str) -> dict[str, str]:
    values = initial_values(site.current.config)
    values.update(changes)
    return {**{k: v for k, v in values.items() if v != ""}, "csrf": token}


def _post(site: Site, form: dict[str, Any], action: str) -> Any:
    return site.client.post("/admin/settings", data={**form, "action": action})


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"icp.characteristics.0.weight": "500"},
            "icp.characteristics.0.weight",
            "less than or equal to 100",
        ),
        ({"icp.characteristics.1.weight": "heavy"}, "icp.characteristics.1.weight", "valid number"),
        ({"icp.characteristics.0.targets": ""}, "icp.characteristics.0.targets", "at least 1 item"),
        (
            {"icp.characteristics.2.kind": "<script>"},
            "icp.characteristics.2.kind",
            "Input should be",
        ),
        ({"icp.tiers.moderate": "90"}, "icp.tiers", "moderate cut-off is above the high"),
        ({"icp.characteristics.1.name": "industry"}, "icp", "must be unique"),
        (
            {"refresh.research_every_days": "0"},
            "refresh.research_every_days",
            "greater than or equal to 1",
        ),
        ({"prioritization.order": "handraiser\nluck"}, "prioritization.order", "line 2"),
        ({"company.name": ""}, "company.name", "at least 1 character"),
        ({"handraisers": "- name: x\n  conditions: []"}, "handraisers", "item 1.conditions"),
        ({"selection": "{not: a list}"}, "selection", "a YAML list is expected"),
        ({"selection": "- &a {type: field}\n- *a"}, "selection", "aliases"),
        ({"products": "- name: [unclosed"}, "products", "not YAML"),
    ],
)
def test_a_bad_value_shows_next_to_its_input_and_nothing_is_saved(
    admin_site: tuple[Site, Path], changes: dict[str, str], field: str, message: str
) -> None:
    site, path = admin_site
    token = sign_in(site.client, "S-ADMIN")
    before_file = path.read_bytes()
    before = site.current
    for action in ("preview", "save"):
        response = _post(site, _form(site, token, **changes), action)
        assert response.status_code == 422, response.text[:2000]
        markup = assert_inert(response.text)
        html_id = ("f-" if field in initial_values(before.config) else "g-") + field.replace(
            ".", "-"
        )
        if html_id.startswith("f-"):
            error = markup.by_id(f"{html_id}-err")
            assert error is not None, (
                field,
                [a.get("id") for _, a in markup.tags if "err" in (a.get("id") or "")],
            )
            control = markup.by_id(html_id)
            assert control is not None and control.get("aria-invalid") == "true"
            assert f"{html_id}-err" in (control.get("aria-describedby") or "")
        assert message in markup.visible_text
        assert "nothing was saved" in markup.visible_text
        assert "Save these settings" not in markup.visible_text
    assert path.read_bytes() == before_file
    assert site.current is before


def test_the_typed_values_come_back_after_an_error(admin_site: tuple[Site, Path]) -> None:
    site, _ = admin_site
    token = sign_in(site.client, "S-ADMIN")
    hostile = "</textarea><script>alert(1)</script> & co"
    form = _form(
        site,
        token,
        **{"company.description": hostile, "icp.characteristics.0.weight": "500"},
    )
    response = _post(site, form, "preview")
    markup = assert_inert(response.text)
    assert hostile in markup.visible_text
    weight = markup.by_id("f-icp-characteristics-0-weight")
    assert weight is not None and weight["value"] == "500"


def test_saving_needs_the_backtest_of_those_values_first(admin_site: tuple[Site, Path]) -> None:
    site, path = admin_site
    token = sign_in(site.client, "S-ADMIN")
    before_file = path.read_bytes()
    before = site.current
    form = _form(site, token, **{"icp.characteristics.0.weight": "1"})

    unreviewed = _post(site, form, "save")
    assert unreviewed.status_code == 200
    assert "values changed since the backtest" in unreviewed.text
    assert "Backtest on the CRM" in unreviewed.text
    assert path.read_bytes() == before_file and site.current is before

    previewed = _post(site, form, "preview")
    markup = Markup(previewed.text)
    assert "icp.characteristics[Industry].weight: 3.0 -> 1.0" in markup.visible_text
    assert "leads (" in markup.visible_text and "moved up" in markup.visible_text
    token_field = next(a for t, a in markup.tags if a.get("name") == "previewed")
    assert path.read_bytes() == before_file and site.current is before

    # The backtest was of weight 1; saving weight 2 with that backtest's token is refused.
    tampered = {**form, "icp.characteristics.0.weight": "2", "previewed": token_field["value"]}
    again = _post(site, tampered, "save")
    assert "values changed since the backtest" in again.text
    assert path.read_bytes() == before_file and site.current is before

    saved = _post(site, {**form, "previewed": token_field["value"]}, "save")
    assert saved.status_code == 200 and "The settings are saved and in use." in saved.text
    on_disk = AgentConfig.from_file(path)
    assert on_disk.icp is not None and on_disk.icp.characteristics[0].weight == 1.0
    assert site.current is not before and site.current.config == on_disk
    # Everything the form does not show is kept.
    assert on_disk.team_access == before.config.team_access
    assert on_disk.providers == before.config.providers
    assert on_disk.model_dump(exclude={"icp"}) == before.config.model_dump(exclude={"icp"})
    # The rebuilt agent keeps the store: the lead's insight is still there.
    assert site.current.store is before.store
    assert site.client.get("/leads/L-0172").status_code == 200


def test_fields_the_form_does_not_show_cannot_be_posted(admin_site: tuple[Site, Path]) -> None:
    site, path = admin_site
    token = sign_in(site.client, "S-ADMIN")
    before = site.current.config
    form = _form(site, token, **{"company.name": "Tailspin Two"})
    form |= {
        "team_access.admin_roles": "Salesperson",
        "team_access.roles": "Anyone",
        "providers.builtin.website.robots_token": "evil",
        "version": "99",
        "lead_summary_fields": "lead.email",
    }
    preview = _post(site, form, "preview")
    previewed = Markup(preview.text)
    digest = next(a["value"] for t, a in previewed.tags if a.get("name") == "previewed")
    _post(site, {**form, "previewed": digest}, "save")
    after = AgentConfig.from_file(path)
    assert after.company.name == "Tailspin Two"
    assert after.model_dump(exclude={"company"}) == before.model_dump(exclude={"company"})


def test_the_same_configuration_has_nothing_to_save(admin_site: tuple[Site, Path]) -> None:
    site, _ = admin_site
    token = sign_in(site.client, "S-ADMIN")
    response = _post(site, _form(site, token), "preview")
    assert "the same as the one in use" in response.text
    assert "Save these settings" not in response.text


def test_removing_a_characteristic_and_adding_one_maps_errors_to_the_right_row(
    admin_site: tuple[Site, Path],
) -> None:
    site, _ = admin_site
    token = sign_in(site.client, "S-ADMIN")
    rows = len(site.current.config.icp.characteristics)  # type: ignore[union-attr]
    blank = {f"icp.characteristics.0.{k}": "" for k in ("name", "targets", "exclude", "fields")}
    new_row = {
        f"icp.characteristics.{rows}.name": "Budget",
        f"icp.characteristics.{rows}.kind": "categorical",
        f"icp.characteristics.{rows}.targets": "Approved",
        f"icp.characteristics.{rows}.fields": "lead.custom.budget",
        f"icp.characteristics.{rows}.weight": "-1",
    }
    response = _post(site, _form(site, token, **blank, **new_row), "preview")
    assert response.status_code == 422
    markup = Markup(response.text)
    error = markup.by_id(f"f-icp-characteristics-{rows}-weight-err")
    assert error is not None  # the form's own row, though row 0 was dropped before validating


def test_turning_the_icp_off_is_a_valid_change(admin_site: tuple[Site, Path]) -> None:
    site, _ = admin_site
    config = site.current.config
    values = initial_values(config)
    values["icp.enabled"] = ""
    result = read_form(values, config)
    assert result.errors == {} and result.config is not None and result.config.icp is None


def test_the_settings_form_reads_back_the_configuration_it_shows(
    sample_config: AgentConfig,
) -> None:
    result = read_form(initial_values(sample_config), sample_config)
    assert result.errors == {} and result.config == sample_config


def test_a_field_longer_than_the_limit_is_an_error_not_a_crash(sample_config: AgentConfig) -> None:
    values = initial_values(sample_config)
    values["company.description"] = "x" * 20_001
    result = read_form(values, sample_config)
    assert result.config is None and "company.description" in result.errors


def test_a_visitor_who_is_not_admin_never_sees_the_form(admin_site: tuple[Site, Path]) -> None:
    site, _ = admin_site
    for seller in ("S-01", "S-05"):
        sign_in(site.client, seller)
        response = site.client.get("/admin/settings")
        assert response.status_code == 403
        assert "company.name" not in response.text


def test_activation_from_the_settings_page(admin_site: tuple[Site, Path]) -> None:
    site, _ = admin_site
    token = sign_in(site.client, "S-ADMIN")
    assert len(site.agent.store.insights()) == 1
    response = site.client.post("/admin/activate", data={"csrf": token})
    assert response.status_code == 200 and "processed the newest leads" in response.text
    assert len(site.agent.store.insights()) > 1
    assert csrf_of(response) == token
