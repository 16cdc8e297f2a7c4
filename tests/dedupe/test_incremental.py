"""The incremental index agrees with batch mode and checks one record at a time."""

from __future__ import annotations

import pandas as pd
import pytest

from leadqual.dedupe import DuplicateDetector, find_duplicates, person_record_settings
from leadqual.dedupe.settings import FEBRL_COLUMNS
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.sources import SampleData, load_sample_data


def test_index_check_finds_what_batch_mode_finds_for_every_lead(sample_data: SampleData) -> None:
    leads = list(sample_data.crm.leads)
    batch = find_duplicates(leads)
    expected: dict[str, set[str]] = {}
    for p in batch.pairs:
        expected.setdefault(p.left_id, set()).add(p.right_id)
        expected.setdefault(p.right_id, set()).add(p.left_id)
    det = DuplicateDetector()
    for lead in leads:
        if lead.id not in expected:
            continue
        index = det.index([x for x in leads if x.id != lead.id])
        found = {p.left_id for p in index.find(lead)}
        assert found == expected[lead.id], lead.id
        assert all(p.right_id == lead.id for p in index.find(lead))


def test_added_records_are_found_by_later_checks(sample_data: SampleData) -> None:
    leads = {x.id: x for x in sample_data.crm.leads}
    index = DuplicateDetector().index([])
    assert len(index) == 0
    index.add(leads["L-0218"])
    assert "L-0218" in index
    pairs = index.find(leads["L-0248"])
    assert [(p.left_id, p.rule) for p in pairs] == [("L-0218", "similar_name_company")]


def test_a_record_never_duplicates_itself(sample_data: SampleData) -> None:
    leads = list(sample_data.crm.leads)
    index = DuplicateDetector().index(leads)
    assert all(p.left_id != leads[0].id for p in index.find(leads[0]))


def test_indexing_an_id_twice_is_refused(sample_data: SampleData) -> None:
    lead = sample_data.crm.leads[0]
    index = DuplicateDetector().index([lead])
    with pytest.raises(ValidationFailed, match="already indexed"):
        index.add(lead)


def test_model_settings_need_a_fit_before_single_checks() -> None:
    frame = pd.DataFrame({c: ["x", "y"] for c in ("rec_id", *FEBRL_COLUMNS)})
    det = DuplicateDetector(person_record_settings())
    index = det.index(frame)
    with pytest.raises(ConfigurationError, match="fit"):
        index.find({**frame.iloc[0].to_dict(), "rec_id": "new"})


def test_single_record_normalisation_matches_batch_normalisation(sample_data: SampleData) -> None:
    from leadqual.dedupe.detector import _lead_row, leads_frame

    det = DuplicateDetector()
    leads = list(sample_data.crm.leads)
    batch = det.prepare(leads_frame(leads))
    for i, lead in enumerate(leads):
        one = det._preparer.prepare_record(_lead_row(lead))
        for name, column in batch.columns.items():
            assert one.columns[name][0] == column[i], (lead.id, name)


def test_mapping_records_are_checked_and_missing_columns_named(sample_data: SampleData) -> None:
    from leadqual.dedupe.detector import _lead_row

    leads = {x.id: x for x in sample_data.crm.leads}
    index = DuplicateDetector().index([x for x in leads.values() if x.id != "L-0250"])
    row = _lead_row(leads["L-0250"])
    assert [p.left_id for p in index.find(row)] == ["L-0223"]
    del row["phones"]
    with pytest.raises(ValidationFailed, match="phones") as err:
        index.find(row)
    assert err.value.field == "phones"


def test_index_drops_a_crowded_key_exactly_where_batch_mode_does() -> None:
    from leadqual.dedupe import BlockingKey, Comparison, Condition, DedupeSettings, FieldSpec, Rule

    settings = DedupeSettings(
        fields=(FieldSpec(name="company", kind="company"),),
        blocking=(BlockingKey(name="company", fields=("company",)),),
        comparisons=(Comparison(name="company", fields=("company",), method="company"),),
        rules=(Rule(name="same_company", all_of=(Condition(comparison="company"),)),),
        max_block_size=3,
    )
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "company": ["Acme Inc."] * 4})
    det = DuplicateDetector(settings)
    # Four records share the key, over the limit of three: batch mode pairs each with the
    # first record sharing an exact key (here the whole record), and so does the index.
    batch = det.find_frame(frame)
    assert sorted(zip(batch["left_id"], batch["right_id"], strict=True)) == [
        ("a", "b"),
        ("a", "c"),
        ("a", "d"),
    ]
    index = det.index(frame.head(3))
    assert [p.left_id for p in index.find({"id": "d", "company": "Acme"})] == ["a"]
    # Within the limit both modes pair them.
    assert len(det.find_frame(frame.head(3))) == 3
    found = det.index(frame.head(2)).find({"id": "c", "company": "Acme"})
    assert sorted(p.left_id for p in found) == ["a", "b"]


@pytest.mark.parametrize("record", ["L-0001", 42, None])
def test_checking_something_that_is_not_a_record_is_a_clear_error(
    sample_data: SampleData, record: object
) -> None:
    index = DuplicateDetector().index(list(sample_data.crm.leads)[:20])
    with pytest.raises(ValidationFailed, match="record"):
        index.find(record)  # type: ignore[arg-type]


def test_phone_numbers_read_by_pandas_as_floats_still_match() -> None:
    frame = pd.DataFrame(
        {
            "id": ["1", "2"],
            "first_name": ["Ana", "Ana"],
            "last_name": ["Lima", "Lima"],
            "company_name": [None, None],
            "emails": [(), ()],
            "phones": [5125550148.0, "512-555-0148"],
            "country": ["US", "US"],
        }
    )
    out = DuplicateDetector().find_frame(frame)
    assert out["sim_phone"].tolist() == [1.0]


def test_index_mixing_single_and_multi_valued_cells_compares_whole_values() -> None:
    from leadqual.dedupe import BlockingKey, Comparison, Condition, DedupeSettings, FieldSpec, Rule

    settings = DedupeSettings(
        fields=(FieldSpec(name="city", kind="text"),),
        blocking=(BlockingKey(name="city", fields=("city",), prefix=2),),
        comparisons=(Comparison(name="city", fields=("city",)),),
        rules=(Rule(name="same_city", all_of=(Condition(comparison="city", at_least=0.9),)),),
    )
    det = DuplicateDetector(settings)
    index = det.index(pd.DataFrame({"id": ["1"], "city": ["Berlin"]}))
    index.add(pd.DataFrame({"id": ["2"], "city": [("Berlin",)]}))
    found = index.find({"id": "3", "city": "Berlin"})
    assert sorted(p.left_id for p in found) == ["1", "2"]


def test_index_check_is_a_deprecated_alias_of_find() -> None:
    leads = load_sample_data().crm.leads
    index = DuplicateDetector().index([lead for lead in leads if lead.id != "L-0252"])
    new = next(lead for lead in leads if lead.id == "L-0252")
    with pytest.warns(DeprecationWarning, match=r"DuplicateIndex\.find"):
        old = index.check(new)
    assert old == index.find(new) != []
