"""Blank and placeholder values are missing (neither agree nor disagree), and agreement on
low-entropy fields never outweighs the identifying ones (name, date of birth, national id)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.dedupe import (
    Comparison,
    DedupeSettings,
    DuplicateDetector,
    FellegiSunter,
    Normalizer,
    person_record_settings,
)
from leadqual.dedupe.fellegi_sunter import levels_of
from leadqual.dedupe.pipeline import Comparer, Preparer, is_placeholder
from leadqual.dedupe.settings import FEBRL_COLUMNS
from leadqual.dedupe.synthetic import synthetic_person_records
from leadqual.errors import ConfigurationError, ValidationFailed

PLACEHOLDERS = ["", "   ", "n/a", "N/A", " Unknown ", "-", "--", "?", "none", "NULL", "0", "000"]
PLACEHOLDER_IDS = ["0000000", "1111111", "9999-9999", "00000000", "555 555 555"]


@pytest.mark.parametrize("value", PLACEHOLDERS + PLACEHOLDER_IDS)
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value", ["Na", "Nan", "Nil", "x", "2222", "10", "1111", "19990909", "4134107", "0800", "nash"]
)
def test_real_values_that_look_odd_are_not_placeholders(value: str) -> None:
    # Surnames Na/Nan/Nil, a real postcode of one repeated digit (four digits), a street number.
    assert not is_placeholder(value)


def _prepared(rows: list[dict[str, str]]) -> tuple[Preparer, Comparer, object]:
    s = person_record_settings()
    frame = pd.DataFrame(rows)
    preparer = Preparer(s, Normalizer())
    comparer = Comparer(s.comparisons, Normalizer())
    return preparer, comparer, preparer.prepare(frame)


def _record(rid: str, **values: str) -> dict[str, str]:
    base = {
        "rec_id": rid,
        "given_name": "suki",
        "surname": "yynbocknam",
        "street_number": "283",
        "address_1": "juszouckteall drive",
        "address_2": "",
        "suburb": "facknartraick",
        "postcode": "1522",
        "state": "vic",
        "date_of_birth": "19600528",
        "soc_sec_id": "4134107",
    }
    base.update(values)
    return base


FIELD_TO_COMPARISON = {
    "street_number": "street_number",
    "address_1": "address_1",
    "suburb": "suburb",
    "postcode": "postcode",
    "state": "state",
    "date_of_birth": "date_of_birth",
    "soc_sec_id": "soc_sec_id",
    "given_name": "name",
    "surname": "name",
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(sorted(FIELD_TO_COMPARISON)),
    placeholder=st.sampled_from(PLACEHOLDERS + PLACEHOLDER_IDS),
    other=st.sampled_from(["same", "different"]),
)
def test_a_placeholder_neither_agrees_nor_disagrees(
    field: str, placeholder: str, other: str
) -> None:
    """Whatever the other side holds, a placeholder gives a missing similarity (NaN), never
    an agreement (two "n/a" are not the same value) nor a disagreement."""
    right_value = placeholder if other == "same" else _record("x")[field]
    rows = [_record("a", **{field: placeholder}), _record("b", **{field: right_value})]
    _, comparer, prepared = _prepared(rows)
    sims = comparer.compare(prepared, np.array([0]), np.array([1]))  # type: ignore[arg-type]
    names = [c.name for c in person_record_settings().comparisons]
    assert np.isnan(sims[0, names.index(FIELD_TO_COMPARISON[field])])


def test_a_missing_given_name_makes_the_name_missing_for_person_records_only() -> None:
    """For person records a shared family name with a blank given name (a household) is no
    agreement on the person; lead rules keep the capped family-name evidence."""
    rows = [_record("a", given_name=""), _record("b")]
    _, comparer, prepared = _prepared(rows)
    sims = comparer.compare(prepared, np.array([0]), np.array([1]))  # type: ignore[arg-type]
    assert np.isnan(sims[0, 0])
    capped = Comparison(name="name", fields=("given_name", "surname"), method="person_name")
    assert capped.family_only == 0.8
    sim = Comparer([capped], Normalizer()).similarity(
        capped,
        prepared,  # type: ignore[arg-type]
        prepared,  # type: ignore[arg-type]
        np.array([0]),
        np.array([1]),
    )
    assert sim[0] == pytest.approx(0.8)


# -- the veto --------------------------------------------------------------------------------------

COMPS = [
    Comparison(name="name", fields=("name",), levels=(0.92, 0.8)),
    Comparison(name="dob", fields=("dob",), method="exact", levels=()),
    Comparison(name="ssn", fields=("ssn",), levels=(0.85,)),
    Comparison(name="street", fields=("street",), levels=(0.9,)),
    Comparison(name="suburb", fields=("suburb",), method="exact", levels=()),
    Comparison(name="postcode", fields=("postcode",), levels=(0.7,)),
    Comparison(name="state", fields=("state",), method="exact", levels=()),
]
IDENTIFYING = ("name", "dob", "ssn")


def _fitted_model() -> FellegiSunter:
    """A model fitted on pairs where addresses agree among matches almost always (so they
    carry real weight), identifying fields too."""
    rng = np.random.default_rng(3)
    matches = (rng.random((400, len(COMPS))) < 0.95).astype(float)
    others = (rng.random((4000, len(COMPS))) < 0.05).astype(float)
    # low-entropy fields agree often among non-matches too (many people per state)
    others[:, 6] = (rng.random(4000) < 0.3).astype(float)
    sims = np.vstack([matches, others])
    labels = np.r_[np.ones(400, bool), np.zeros(4000, bool)]
    return FellegiSunter(COMPS, identifying=IDENTIFYING).fit_labelled(sims, labels)


MODEL = _fitted_model()
NO_AGREEMENT = st.sampled_from([np.nan, 0.0, 0.3, 0.5, 0.79])


@settings(max_examples=300, deadline=None)
@given(
    ident=st.tuples(NO_AGREEMENT, NO_AGREEMENT, NO_AGREEMENT),
    rest=st.tuples(*[st.sampled_from([np.nan, 0.0, 0.8, 0.95, 1.0]) for _ in range(4)]),
)
def test_low_entropy_agreement_never_outweighs_the_identifying_fields(
    ident: tuple[float, float, float], rest: tuple[float, ...]
) -> None:
    """Invariant: with no identifying comparison agreeing, no agreement elsewhere (however
    complete) makes a match, and the probability is exactly 0."""
    sims = np.array([[*ident, *rest]], dtype=float)
    assert MODEL.predict_proba(sims)[0] == 0.0
    assert MODEL.vetoed(levels_of(COMPS, sims))[0]


@settings(max_examples=200, deadline=None)
@given(
    agreeing=st.sampled_from(IDENTIFYING),
    exact=st.booleans(),
    rest=st.tuples(*[st.sampled_from([np.nan, 0.0, 0.8, 0.95, 1.0]) for _ in range(4)]),
)
def test_one_identifying_agreement_lifts_the_veto(
    agreeing: str, exact: bool, rest: tuple[float, ...]
) -> None:
    """The veto is exactly "no identifying agreement": one identifying comparison at its
    lowest agreeing level or above, and the model's evidence decides again (the same as a
    model without the veto)."""
    lowest = {"name": 0.8, "dob": 1.0, "ssn": 0.85}
    ident = [np.nan, np.nan, np.nan]
    ident[IDENTIFYING.index(agreeing)] = 1.0 if exact else lowest[agreeing]
    sims = np.array([[*ident, *rest]], dtype=float)
    plain = FellegiSunter(COMPS)
    plain.m_, plain.u_, plain.lambda_ = MODEL.m_, MODEL.u_, MODEL.lambda_
    assert MODEL.predict_proba(sims)[0] == pytest.approx(plain.predict_proba(sims)[0])


def test_without_identifying_comparisons_nothing_is_vetoed() -> None:
    plain = FellegiSunter(COMPS)
    plain.m_, plain.u_, plain.lambda_ = MODEL.m_, MODEL.u_, MODEL.lambda_
    sims = np.array([[0.0, 0.0, np.nan, 1.0, 1.0, 1.0, 1.0]])
    assert not plain.vetoed(np.ones((1, len(COMPS)), dtype=np.int8)).any()
    assert plain.predict_proba(sims)[0] > 0.0


def test_identifying_must_name_known_comparisons() -> None:
    with pytest.raises(ConfigurationError, match="national_id"):
        FellegiSunter(COMPS, identifying=("name", "national_id"))
    data = person_record_settings().model_dump()
    data["identifying"] = ["name", "passport"]
    with pytest.raises(ValidationFailed, match="passport"):
        DedupeSettings.model_validate(data)


# -- end to end: the pattern of the outside check ------------------------------------------------


@pytest.fixture(scope="module")
def people() -> tuple[pd.DataFrame, np.ndarray]:
    return synthetic_person_records(1500, seed=11)


def test_a_neighbour_with_a_blank_id_is_not_linked_to_a_family_by_its_address(
    people: tuple[pd.DataFrame, np.ndarray],
) -> None:
    """A record with a blank national id at the same street, suburb and state as a person
    (postcode one digit off) but another name and date of birth is not that person, and
    clustering does not merge it into that person's group."""
    records, entity = people
    counts = pd.Series(entity).value_counts()
    targets = counts[counts >= 3].index[:20]
    intruders = []
    for k, e in enumerate(targets):
        row = records[entity == e].iloc[0]
        postcode = str(row["postcode"])
        intruders.append(
            {
                **{c: row[c] for c in FEBRL_COLUMNS},
                "rec_id": f"intruder{k}",
                "given_name": "zebedee",
                "surname": "quarrington",
                "postcode": postcode[:-1] + str((int(postcode[-1]) + 1) % 10),
                "date_of_birth": "17760704",
                "soc_sec_id": ["", "n/a", "0000000", "unknown"][k % 4],
            }
        )
    frame = pd.concat([records, pd.DataFrame(intruders)], ignore_index=True)
    report = DuplicateDetector(person_record_settings()).find(frame)
    # The intruders all share one (invented) name: they may be found as each other's
    # duplicates, but never as anyone else's.
    for p in report.pairs:
        if p.left_id.startswith("intruder") != p.right_id.startswith("intruder"):
            pytest.fail(f"{p.left_id} ~ {p.right_id}: {p.explanation}")
    for cluster in report.clusters:
        kinds = {c.startswith("intruder") for c in cluster}
        assert len(kinds) == 1, cluster


def test_duplicates_with_placeholders_are_still_found(
    people: tuple[pd.DataFrame, np.ndarray],
) -> None:
    """Missing is not disagreement: copies of records whose date of birth, national id and
    street number are placeholders are still found by name and address."""
    records, _ = people
    complete = records[
        (records["given_name"] != "")
        & (records["surname"] != "")
        & (records["address_1"] != "")
        & (records["suburb"] != "")
    ].head(30)
    copies = complete.assign(
        rec_id=[f"copy{i}" for i in range(len(complete))],
        date_of_birth="00000000",
        soc_sec_id="1111111",
        street_number="0",
    )
    frame = pd.concat([records, copies], ignore_index=True)
    found = DuplicateDetector(person_record_settings()).find_frame(frame)
    pairs = {frozenset(p) for p in zip(found.left_id, found.right_id, strict=True)}
    missed = [
        (a, b)
        for a, b in zip(complete["rec_id"], copies["rec_id"], strict=True)
        if frozenset((a, b)) not in pairs
    ]
    assert not missed
