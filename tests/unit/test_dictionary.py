"""The machine-readable dictionary in schemas/ holds together, and its page is up to date."""

from healthlake import dictionary
from healthlake.schemas import data_elements, database_source, source_format, value_domains
from healthlake.settings import REPO_ROOT
from healthlake.standards import icd10

FEEDS = sorted(p.stem for p in (REPO_ROOT / "schemas" / "sources").glob("*.yaml"))


def test_the_data_dictionary_page_is_generated_from_schemas():
    assert dictionary.DICTIONARY_PAGE.read_text(encoding="utf-8") == dictionary.render(), (
        "docs/data_dictionary.md is out of date: run `healthlake docs`"
    )


def test_every_reference_resolves():
    elements, domains = data_elements(), value_domains()
    assert all(e.domain in domains or e.domain == "ICD-10" for e in elements.values() if e.domain)
    columns = [c for feed in FEEDS for c in source_format(feed).columns]
    columns += [c for t in database_source("his").tables.values() for c in t.columns]
    assert {c.de for c in columns if c.de} <= set(elements)
    for feed in FEEDS:
        assert set(source_format(feed).item_codes.values()) <= set(elements)
    # local codes map into their domain (local_map raises otherwise)
    domains["GB/T 2261.1"].local_map(database_source("his").tables["patients"].local_codes["sex"])
    domains["CV02.01.101"].local_map(database_source("his").tables["patients"].local_codes["id_type"])


def test_the_icd10_tree_and_curated_names():
    tree = icd10.code_tree().set_index("icd10_code")
    assert tree.loc["E11.9", "icd10_block"] == "E10-E14" and tree.loc["E11.9", "icd10_chapter"] == "IV"
    assert tree.loc["I10", "category_name_zh"] and tree.loc["U07.1", "icd10_chapter"] == "XXII"
    names = icd10.diagnosis_names()
    assert names["高血压病"] == "I10" and names["II型糖尿病"] == "E11.9"
    assert set(names.values()) <= set(tree.index)
