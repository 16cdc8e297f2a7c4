"""One SuppressionList for drafting and research: the object a drafting user builds stops web
research, the one a research user builds (hashed) stops drafting, and the old import paths and
the old in-place ``add`` keep working for one release with a warning."""

from __future__ import annotations

import json
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


# -- entries survive every operation --------------------------------------------------------------

COMPANIES = st.one_of(
    st.sampled_from(
        ["AG & Co. KG", "Smith & Co.", "The Acme Holdings GmbH & Co. KG", "Société Générale S.A."]
    ),
    st.lists(
        st.sampled_from(["Acme", "The", "&", "Co.", "KG", "GmbH", "Inc", "and", "Ltd", "S.A."]),
        min_size=1,
        max_size=6,
    ).map(" ".join),
    st.text(min_size=1, max_size=20),
).filter(lambda name: SuppressionList(companies={name}).companies != frozenset())


def test_a_company_stays_suppressed_when_an_address_is_added() -> None:
    listed = SuppressionList(companies={"AG & Co. KG"})
    assert listed.extended(addresses=["a@b.example"]).reason_for_company("AG & Co. KG")
    assert listed.with_address("a@b.example").reason_for_company("AG & Co. KG")


def every_copy(suppression: SuppressionList) -> list[SuppressionList]:
    """The list after each operation that makes a new list from it, and after an in-place add."""
    added = suppression.model_copy()
    with pytest.warns(DeprecationWarning, match="extended"):
        added.add("someone@else.example")
    salt = {"salt": suppression.salt} if suppression.salt else {}
    return [
        suppression.extended(addresses=["a@b.example"]),
        suppression.extended(domains=["b.example"]),
        suppression.extended(companies=["Fabrikam"]),
        suppression.with_address("c@d.example"),
        suppression.extended().extended(addresses=["e@f.example"]).extended(),
        added,
        SuppressionList.model_validate({**suppression.model_dump(), **salt}),
        SuppressionList.model_validate({**json.loads(suppression.model_dump_json()), **salt}),
    ]


@given(name=COMPANIES, salt=st.sampled_from([None, "s3cret"]))
def test_a_suppressed_company_stays_suppressed_through_every_operation_and_a_json_round_trip(
    name: str, salt: str | None
) -> None:
    suppression = SuppressionList(companies={name}, salt=salt)
    assert suppression.reason_for_company(name)
    for copy in every_copy(suppression):
        assert copy.reason_for_company(name), copy
        assert suppression.companies <= copy.companies
        assert suppression.hashes <= copy.hashes


@given(names=st.lists(COMPANIES, min_size=1, max_size=4))
def test_a_round_trip_keeps_every_entry(names: list[str]) -> None:
    suppression = SuppressionList(
        companies=set(names), addresses={"Ann@Bücher.example"}, domains={"Contoso.COM."}
    )
    restored = SuppressionList.model_validate_json(suppression.model_dump_json())
    assert restored == suppression
    assert SuppressionList.model_validate(restored.model_dump()) == suppression


def test_extended_reads_generators_once() -> None:
    grown = SuppressionList().extended(
        addresses=(a for a in ["a@b.example"]), companies=(c for c in ["Acme Ltd"])
    )
    assert grown.reason_for("a@b.example") and grown.reason_for_company("ACME")


# -- internationalised domains --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "asked"),
    [
        ("bücher.example", "ann@xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "ann@bücher.example"),
        ("XN--BCHER-KVA.example.", "ann@sub.BÜCHER.example"),
        ("münchen.de", "bob@mail.xn--mnchen-3ya.de"),
    ],
)
@pytest.mark.parametrize("salt", [None, "s3cret"])
def test_a_listed_domain_matches_an_address_in_either_idna_form(
    listed: str, asked: str, salt: str | None
) -> None:
    assert SuppressionList(domains={listed}, salt=salt).reason_for(asked)


@pytest.mark.parametrize("salt", [None, "s3cret"])
def test_a_listed_address_matches_in_either_idna_form(salt: str | None) -> None:
    suppression = SuppressionList(addresses={"Ann@Bücher.example"}, salt=salt)
    assert suppression.reason_for("ann@xn--bcher-kva.example") == (
        "the address is on the suppression list (opted out)"
    )
    assert suppression.reason_for("ann@BÜCHER.example")
    assert suppression.reason_for("bob@xn--bcher-kva.example") is None
    # an accent is not dropped: bücher.example is another domain than bucher.example
    other = SuppressionList(domains={"bucher.example"}, salt=salt)
    assert other.reason_for("ann@bücher.example") is None
