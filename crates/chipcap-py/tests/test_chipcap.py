"""The Python bindings: the same answers as the CLI (run with pytest after `maturin develop`)."""

import pathlib

import pytest

import chipcap

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE = (ROOT / "examples" / "scenarios" / "my-th-assurances.toml").read_text()


def test_determine_takes_a_dict_and_returns_the_determination():
    d = chipcap.determine(
        {
            "date": "2026-02-10",
            "rule_set": "ai-diffusion-2025",
            "destination": "MY",
            "items": [{"chip": "nvidia-h100-sxm", "quantity": 2000}],
        }
    )
    assert d["rule_set"] == "ai-diffusion-2025"
    assert d["tier"] == 2
    assert d["tpp"] == 31664000
    assert d["reasons"]


def test_determine_names_the_field_at_fault():
    with pytest.raises(ValueError, match="quantity"):
        chipcap.determine({"date": "2026-02-10", "destination": "MY", "items": [{"chip": "nvidia-h100-sxm", "quantity": 2.5}]})


def test_classify_chips_and_rules():
    assert chipcap.classify("nvidia-h100-sxm")["eccn"] == "3A090.a"
    assert chipcap.classify(tpp=4992, die_area_mm2=826, datacenter=True)["paragraph"] == "a.1"
    ids = [c["id"] if "id" in c else c["chip"] for c in chipcap.chips()]
    assert "nvidia-h100-sxm" in ids
    r = chipcap.rules("2026-03-01")
    assert r["parameters"]["country_allocation_tpp"] == 790000000
    assert r["parameters"]["lpp_limit_tpp"] == 26900000


def test_simulate_returns_records_for_a_dataframe():
    records = chipcap.simulate(EXAMPLE)
    assert len(records) == 2 * 12
    my = [r for r in records if r["country"] == "MY"]
    assert {r["exhausted"] for r in my} == {"2026Q1"}
    q1 = next(r for r in my if r["quarter"] == "2026Q1")
    assert q1["granted_tpp"] == 156705136
    assert q1["refused_for_allocation_tpp"] == 1614864
    th = [r for r in records if r["country"] == "TH"]
    assert {r["exhausted"] for r in th} == {"2027Q2"}


def test_simulate_document_and_schema_errors():
    doc = chipcap.simulate_document(EXAMPLE)
    assert [(c["country"], c["exhausted"]) for c in doc["countries"]] == [("MY", "2026Q1"), ("TH", "2027Q2")]
    with pytest.raises(ValueError, match=r"line 1: field `colour`"):
        chipcap.simulate("colour = 1\n" + EXAMPLE)
