"""README's "How an office writes its own variant, step by step", run as written: a county
copies the province example into its own folder, adds a fund row, checks it, builds a blank
form and issues from the sample list, collects, and writes next year's change as version 2."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import xlkit.templates
from click.testing import CliRunner

from xlkit.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _county(folder: Path) -> Path:
    """Steps 1 and 2: the province example copied under its own id, a 专项债券资金 row added."""
    text = (Path(xlkit.templates.__file__).parent / "project-2020-province.yaml").read_text(
        encoding="utf-8")
    text = re.sub(r"^id: .*$", "id: county-2024", text, flags=re.M)
    text = re.sub(r"^title: .*$", "title: 县级项目支出绩效自评表", text, flags=re.M)
    text = text.replace("parts: [fiscal, carryover, other]}", "parts: [fiscal, carryover, other, bond]}")
    text = text.replace("    - {key: other, label: 其他资金}",
                        "    - {key: other, label: 其他资金}\n    - {key: bond, label: 专项债券资金}")
    folder.mkdir()
    path = folder / "county-2024.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_readme_steps_work_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XLKIT_TEMPLATES", raising=False)
    spec = _county(tmp_path / "表式")
    # 4. check it: listed, and a weight mistake refused with its key path
    r = run("templates", "--templates", "表式")
    assert r.exit_code == 0 and re.search(r"county-2024 +v1 +最新 +县级项目支出绩效自评表", r.output)
    good = spec.read_text(encoding="utf-8")
    spec.write_text(good.replace("weight: 30", "weight: 25", 1), encoding="utf-8")
    r = run("templates", "--templates", "表式")
    assert r.exit_code == 2
    assert "indicators.groups[2].weight：各组分值合计 95（执行率 10 + 产出指标 50 + 效益指标 25 + " \
        "满意度指标 10），应为 100" in r.output, r.output
    spec.write_text(good, encoding="utf-8")
    # 5. a blank form: the new row is there, an input
    r = run("build", "--templates", "表式", "--spec", "county-2024", "--blank", "-o", "空表.xlsx")
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook("空表.xlsx")["自评表"]
    (row,) = [c.row for col in ws.iter_cols(max_col=3) for c in col if c.value == "专项债券资金"]
    assert not ws.cell(row, 4).protection.locked
    # 6. issue from the sample list; 7. collect the issued forms as if returned
    r = run("build", "--templates", "表式", "--spec", "county-2024", "--list",
            str(SAMPLES / "预算清单.xlsx"), "--targets", str(SAMPLES / "绩效目标.xlsx"),
            "--year", "2024", "--out", "下发")
    assert r.exit_code == 0 and "county-2024 第 1 版" in r.output, r.output
    r = run("collect", "下发", "--templates", "表式", "--spec", "county-2024", "--list",
            str(SAMPLES / "预算清单.xlsx"), "-o", "报告.xlsx")
    assert r.exit_code in (0, 1) and Path("报告.xlsx").exists(), r.output
    funds = openpyxl.load_workbook("报告.xlsx", read_only=True)["资金"]
    assert any("专项债券资金" in (v or "") for row in funds.iter_rows(values_only=True)
               for v in row if isinstance(v, str))
    # 8. next year: version 1 kept as county-2024@1.yaml, the change written as version 2
    (spec.parent / "county-2024@1.yaml").write_text(good, encoding="utf-8")
    spec.write_text(good.replace("version: 1", "version: 2", 1), encoding="utf-8")
    r = run("templates", "--templates", "表式")
    assert re.search(r"county-2024 +v1 ", r.output) and re.search(r"county-2024 +v2 +最新", r.output)
