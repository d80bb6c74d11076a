"""Findings are data: every field survives the trip to a table row and back."""

from dataclasses import fields

from xlkit.findings import CODES, Finding, finding


def test_as_dict_has_every_field_and_round_trips() -> None:
    f = finding("calc.formula_overwritten", "公式被改为常数", file="a.xlsx", sheet="自评表",
                cell="K12", field="ind.0.score", expected=5.0, actual="5")
    d = f.as_dict()
    assert list(d) == [x.name for x in fields(Finding)]
    assert Finding(**d) == f
    assert d["severity"] == CODES["calc.formula_overwritten"][0]
