"""The bundled sample round (samples/, made from the seeds) reads as the seeds teach."""

from __future__ import annotations

from conftest import SAMPLES

from xlkit import read_many

KEY = (SAMPLES / "示例密钥.txt").read_bytes().strip()


def _findings_by_project(tables):
    f = tables.findings.merge(tables.files[["path", "project_code"]], left_on="file",
                              right_on="path", how="left")
    return {code: set(g["code"]) for code, g in f[f["severity"] == "错误"].groupby(
        "project_code")}, f


def test_sample_returns_carry_the_seeds_inconsistencies():
    tables = read_many([SAMPLES / "returns"], key=KEY, year=2023)
    assert (tables.files["status"] == "read").all()
    assert len(tables.projects) == 11  # 12 issued, 达川 政策宣传 not returned
    errors, all_findings = _findings_by_project(tables)
    # seed 001: 400 + 780 ≠ 1500, and full marks typed over the score of a 26.70% actual
    assert errors["P2023-301001-01"] == {"check.fund_parts", "calc.formula_overwritten"}
    over = all_findings[all_findings["code"] == "calc.formula_overwritten"].iloc[0]
    assert (over["expected"], over["actual"]) == ("2.67", "10")
    # seed 002: a percentage typed as "905"
    hint = all_findings[all_findings["code"] == "value.implausible"].iloc[0]
    assert "'905'" in hint["message"] and hint["cell"]
    # protection removed and the issued budget edited (20 → 25)
    # ... which the sheet computes with: its 执行率, 执行得分 and 总分 are not xlkit's
    assert errors["P2023-303001-02"] == {"meta.issued_changed", "calc.as_shown"}
    # clean returns, including the one re-saved by LibreOffice (its _meta now plain hidden)
    for code in ("P2023-303001-01", "P2023-304001-01", "P2023-302001-03"):
        assert code not in errors, code
    p = tables.projects.set_index("project_code")
    assert p.loc["P2023-303001-01", "total_score_in_file"] == p.loc["P2023-303001-01",
                                                                    "total_score"]
    # values typed as text from WPS / paste are parsed, not rejected, and reported: the
    # sheet counts none of them
    assert p.loc["P2023-302001-01", "executed"] == 12579.31
    assert errors["P2023-302001-01"] == {"value.text_number", "calc.as_shown"}
    assert (p.loc["P2023-302001-01", "total_score"], p.loc["P2023-302001-01", "grade"]) == (
        99.47, "优")
    assert (p.loc["P2023-302001-01", "total_score_shown"],
            p.loc["P2023-302001-01", "grade_shown"]) == (75, "中")
    assert p["signature_ok"].all()
