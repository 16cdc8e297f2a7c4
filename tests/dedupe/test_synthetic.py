"""Synthetic data generators: reproducible, with known truth, and found by the detector."""

from __future__ import annotations

from typing import Any

import pytest

from leadqual.dedupe import DuplicateDetector, person_record_settings
from leadqual.dedupe.synthetic import synthetic_leads, synthetic_person_records, true_pairs
from leadqual.errors import ValidationFailed


def test_person_records_are_reproducible_and_carry_their_truth() -> None:
    a, ent_a = synthetic_person_records(300, seed=4)
    b, ent_b = synthetic_person_records(300, seed=4)
    assert a.equals(b) and (ent_a == ent_b).all()
    assert len(a) > 300 and a["rec_id"].is_unique
    assert set(ent_a) == set(range(300))
    truth = true_pairs(a["rec_id"], ent_a)
    assert len(truth) == sum(n * (n - 1) // 2 for n in a.groupby(ent_a).size())


def test_detector_finds_synthetic_duplicates_it_was_never_tuned_on() -> None:
    records, entity = synthetic_person_records(1500, seed=11)
    out = DuplicateDetector(person_record_settings()).find_frame(records, transitive=True)
    found = {frozenset(p) for p in zip(out.left_id, out.right_id, strict=True)}
    truth = true_pairs(records["rec_id"], entity)
    tp = len(found & truth)
    assert 2 * tp / (len(found) + len(truth)) > 0.98


def test_synthetic_leads_plant_the_seeds_four_kinds() -> None:
    frame, planted, look_alikes = synthetic_leads(4000, seed=3)
    assert len(frame) == 4000 and frame["id"].is_unique
    assert {k for k, _, _ in planted} == {
        "same_email",
        "same_phone",
        "similar_name_company",
        "similar_name_domain",
    }
    out = DuplicateDetector().find_frame(frame)
    found = {frozenset(p) for p in zip(out.left_id, out.right_id, strict=True)}
    truth = {frozenset(p[1:]) for p in planted}
    assert len(found & truth) / len(truth) > 0.99
    assert len(found - truth) <= len(truth) // 100
    assert not any(frozenset(p) in found for p in look_alikes)


def test_the_household_generator_is_harder_in_the_ways_it_says() -> None:
    """More duplicates per person, more blanks (placeholders among them), people sharing an
    address and surname, and larger surname blocks than the febrl profile."""
    import pandas as pd

    from leadqual.dedupe.pipeline import is_placeholder

    plain, _ = synthetic_person_records(2000, seed=6)
    house, ent_house = synthetic_person_records(2000, seed=6, profile="household")
    assert len(house) / 2000 > 1.4 * len(plain) / 2000  # duplicates per person
    assert pd.Series(ent_house).value_counts().max() > 6

    def blank_share(frame: pd.DataFrame) -> float:
        cells = frame.drop(columns="rec_id").to_numpy().ravel().tolist()
        return sum(is_placeholder(str(c)) for c in cells) / len(cells)

    assert blank_share(house) > 2 * blank_share(plain)
    assert any(c in {"n/a", "unknown", "0000000"} for c in house["soc_sec_id"].tolist())
    # Different people at one address with one surname: a household.
    firsts = house.groupby(ent_house).head(1)
    per_address = firsts.groupby(["address_1", "suburb", "surname"]).size()
    assert per_address.max() >= 3
    assert house["surname"].value_counts().iloc[0] > plain["surname"].value_counts().iloc[0]


def test_the_detector_holds_up_on_households() -> None:
    records, entity = synthetic_person_records(1000, seed=12, profile="household")
    out = DuplicateDetector(person_record_settings()).find_frame(records, transitive=True)
    found = {frozenset(p) for p in zip(out.left_id, out.right_id, strict=True)}
    truth = true_pairs(records["rec_id"], entity)
    tp = len(found & truth)
    assert 2 * tp / (len(found) + len(truth)) > 0.97


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7])
def test_tiny_lead_tables_have_the_rows_asked_for_and_their_truth(n: int) -> None:
    frame, planted, look_alikes = synthetic_leads(n, seed=n)
    assert len(frame) == n
    assert list(frame.columns) == list(synthetic_leads(40)[0].columns)
    ids = set(frame["id"])
    assert len(ids) == n
    for _, a, b in planted:
        assert {a, b} <= ids
    for a, b in look_alikes:
        assert {a, b} <= ids


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_leads": -1}, "n_leads"),
        ({"n_leads": 2.5}, "n_leads"),
        ({"n_leads": 10, "duplicate_share": 0.9}, "duplicate_share"),
        ({"n_leads": 10, "duplicate_share": float("nan")}, "duplicate_share"),
    ],
)
def test_impossible_lead_tables_are_refused_by_name(kwargs: dict[str, Any], field: str) -> None:
    n = kwargs.pop("n_leads")
    with pytest.raises(ValidationFailed) as err:
        synthetic_leads(n, **kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("n", [0, -5])
def test_person_records_need_a_person(n: int) -> None:
    with pytest.raises(ValidationFailed, match="n_entities"):
        synthetic_person_records(n)
