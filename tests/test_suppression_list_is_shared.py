"""One SuppressionList for drafting and research: the object a drafting user builds stops web
research, the one a research user builds (hashed) stops drafting, and the old import paths and
the old in-place ``add`` keep working for one release with a warning."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadqual
from leadqual.config import AgentConfig, Consent
from leadqual.drafting import ActionAdvisor, NextAction, TemplateDrafter
from leadqual.errors import DraftBlocked
from leadqual.models import Lead, LeadContext, Seller
from leadqual.research import Researcher
from leadqual.sources import load_sample_config
from leadqual.suppression import SuppressionList
from leadqual.testing.research import FakeResearchProvider

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
OUTREACH = NextAction(kind="initial_outreach", reasons=("every condition holds",))


def lead(**changes: object) -> LeadContext:
    data: dict[str, object] = {
        "id": "L-1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company_name": "Analytical Engines Ltd",
        "email": "ada@analytical.example",
        "created_at": datetime(2026, 10, 1, tzinfo=UTC),
    }
    data.update(changes)
    owner = Seller(id="S-9", name="Sam Seller", email="sam@vendor.example")
    return LeadContext(lead=Lead(**data), owner=owner)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def config() -> AgentConfig:
    return load_sample_config().replace(consent=Consent(web_research=True, granted_by="admin"))


def web_status(config: AgentConfig, suppression: SuppressionList, context: LeadContext) -> str:
    web = FakeResearchProvider("web")
    res = Researcher(config=config, providers=[web], suppression=suppression).research(
        context, now=NOW
    )
    status = res.status("web")
    assert status is not None
    if status.state == "skipped":
        assert web.calls == []
    return status.state


LISTS = {
    "address": SuppressionList(addresses={"ADA@analytical.example"}),
    "domain": SuppressionList(domains={"analytical.example"}),
    "company": SuppressionList(companies={"analytical engines"}),
    "hashed address": SuppressionList(salt="s3cret", addresses={"ada@analytical.example"}),
    "hashed company": SuppressionList(salt="s3cret", companies={"Analytical Engines"}),
}


@pytest.mark.parametrize("kind", list(LISTS))
def test_the_same_list_stops_web_research_drafting_and_outreach(
    config: AgentConfig, kind: str
) -> None:
    suppression = LISTS[kind]
    context = lead()
    assert web_status(config, suppression, context) == "skipped"
    with pytest.raises(DraftBlocked, match="suppression list"):
        TemplateDrafter(config, suppression=suppression).draft(context, OUTREACH)
    action = ActionAdvisor(suppression=suppression).advise(context, now=NOW)
    assert action.kind == "none" and "suppression list" in action.reasons[0]


def test_a_lead_not_on_the_list_is_researched_and_drafted(config: AgentConfig) -> None:
    suppression = SuppressionList(domains={"fabrikam.example"}, companies={"Fabrikam"})
    context = lead()
    assert web_status(config, suppression, context) == "ok"
    draft = TemplateDrafter(config, suppression=suppression).draft(context, OUTREACH)
    assert draft.to == ("ada@analytical.example",)


def test_the_top_level_drafting_and_research_names_are_one_class() -> None:
    import leadqual.drafting
    import leadqual.research

    assert leadqual.SuppressionList is SuppressionList
    assert leadqual.drafting.SuppressionList is SuppressionList
    assert leadqual.research.SuppressionList is SuppressionList


def test_the_old_module_paths_still_give_the_one_class() -> None:
    import leadqual.drafting.inputs
    import leadqual.research.researcher

    with pytest.warns(DeprecationWarning, match="import it from leadqual.suppression"):
        assert leadqual.drafting.inputs.SuppressionList is SuppressionList
    assert leadqual.research.researcher.SuppressionList is SuppressionList


def test_a_hashed_list_keeps_no_address_and_needs_its_salt() -> None:
    hashed = SuppressionList(salt="s3cret", addresses={"Jane.Roe@Contoso.com"}, domains={"x.io"})
    assert hashed.addresses == frozenset() and hashed.domains == frozenset()
    assert "jane.roe" not in hashed.model_dump_json() and "s3cret" not in hashed.model_dump_json()
    assert "s3cret" not in repr(hashed)
    restored = SuppressionList(salt="s3cret", hashes=hashed.hashes)
    assert restored.matches_address("jane.roe@contoso.com")
    assert restored.matches_address("bob@eu.x.io")
    assert not SuppressionList(salt="other", hashes=hashed.hashes).matches_address(
        "jane.roe@contoso.com"
    )
    with pytest.raises(ValueError, match="salt"):
        SuppressionList(hashes=hashed.hashes)


def test_add_is_deprecated_but_still_adds() -> None:
    suppression = SuppressionList(salt="s3cret")
    with pytest.warns(DeprecationWarning, match="extended"):
        suppression.add("Ann@Contoso.com")
    with pytest.warns(DeprecationWarning, match="extended"):
        suppression.add("fabrikam.example")
    assert suppression.matches_address("ann@contoso.com")
    assert suppression.matches_address("bob@fabrikam.example")
    assert not suppression.matches_address("bob@contoso.com")


def test_extended_returns_a_copy_and_refuses_empty_values() -> None:
    base = SuppressionList()
    grown = base.extended(addresses=["a@b.example"])
    assert base.reason_for("a@b.example") is None and grown.reason_for("a@b.example")
    with pytest.raises(leadqual.ConfigurationError):
        base.extended(domains=[" "])


@given(
    local=st.from_regex(r"[a-z][a-z0-9.]{0,10}", fullmatch=True),
    labels=st.lists(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True), min_size=1, max_size=3),
)
def test_a_listed_domain_covers_every_subdomain_and_no_sibling(
    local: str, labels: list[str]
) -> None:
    suppression = SuppressionList(domains={"contoso.com"})
    sub = ".".join(labels)
    assert suppression.reason_for(f"{local}@{sub}.contoso.com")
    assert suppression.reason_for(f"{local}@{sub}-contoso.com") is None
    assert suppression.reason_for(f"{local}@contoso.com.{sub}") is None
