"""`xlkit build` through its public interface: the CLI, on the bundled samples and bad lists."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import KEY, SAMPLES
from workbooks import cell

from xlkit.cli import main
from xlkit.core.meta import META_SHEET, parse_rows, verify

LIST = SAMPLES / "预算清单.xlsx"
TARGETS = SAMPLES / "绩效目标.xlsx"


def run(*args: str, env=None):
    return CliRunner().invoke(main, list(args), env=env or {"XLKIT_KEY": ""})


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "office.key"
    path.write_bytes(KEY)
    return path


def _manifest(out):
    ws = openpyxl.load_workbook(out / "manifest.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_build_the_sample_list_with_targets(tmp_path, key_file):
    out = tmp_path / "out"
    r = run("build", "--list", str(LIST), "--targets", str(TARGETS), "--year", "2023",
            "--out", str(out), "--key-file", str(key_file), "--password", "pw2023")
    assert r.exit_code == 0, r.output
    assert f"已生成 12 个工作簿：{out}" in r.output
    rows = _manifest(out)
    assert len(rows) == 12
    first = next(x for x in rows if x["项目编码"] == "P2023-301001-01")
    path = out / first["文件"]
    assert path.parent.name == "301001_益阳市医疗保障事务中心"
    assert first["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (first["已签名"], first["保护密码"]) == ("是", "pw2023")
    wb = openpyxl.load_workbook(path)
    assert cell(wb, "funds.total.full_year").value == 1500
    assert cell(wb, "funds.carryover.full_year").value == 780
    assert cell(wb, "ind.0.name").value  # approved targets pre-filled ...
    assert cell(wb, "ind.0.name").protection.locked  # ... and locked
    meta = parse_rows({k: v for k, v in wb[META_SHEET].iter_rows(values_only=True)})
    assert meta.payload["year"] == 2023 and verify(meta.payload, meta.signature, KEY)


def test_without_key_warns_and_generates_passwords(tmp_path):
    out = tmp_path / "out"
    r = run("build", "--list", str(LIST), "--year", "2023", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "未提供签名密钥" in r.output
    rows = _manifest(out)
    assert all(x["已签名"] == "否" and len(x["保护密码"]) >= 12 for x in rows)
    assert len({x["保护密码"] for x in rows}) == len(rows)


def test_existing_output_is_never_overwritten_silently(tmp_path):
    """A re-run over a finished build keeps every workbook (it resumes: nothing left to
    build, tests/test_build_resume.py); only --force builds them again."""
    out = tmp_path / "out"
    assert run("build", "--list", str(LIST), "--year", "2023", "--out", str(out)).exit_code == 0
    before = (out / "manifest.xlsx").read_bytes()
    r = run("build", "--list", str(LIST), "--year", "2023", "--out", str(out))
    assert r.exit_code == 0 and "全部 12 个工作簿已生成且与清单一致，无需重新生成" in r.output
    assert (out / "manifest.xlsx").read_bytes() == before
    assert run("build", "--list", str(LIST), "--year", "2023", "--out", str(out),
               "--force").exit_code == 0


def _write_list(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数", "全年预算数"])
    for row in rows:
        ws.append(row)
    wb.save(path)


def test_bad_rows_are_reported_by_row_and_column_and_the_rest_is_built(tmp_path):
    lst = tmp_path / "清单.xlsx"
    _write_list(lst, [
        ["101", "甲单位", "某局", "P1", "项目一", 100, 100],
        ["101", "甲单位", "某局", "P1", "项目一重复", 100, 100],
        ["102", "乙单位", "某局", "P2", "项目二", 100, "一百"],
        ["102", "乙单位", "某局", "P3", "项目三", 100, -5],
        ["103", "丙单位", "某局", "P4", "项目四", 50, None],
        ["104", "丁/单位:*?", "某局", "P5", "项目<五>", 10, 10],
    ])
    out = tmp_path / "out"
    r = run("build", "--list", str(lst), "--year", "2023", "--out", str(out))
    assert r.exit_code == 1, r.output
    assert "第 3 行" in r.output and "与第 2 行重复" in r.output
    assert "第 4 行「全年预算数」" in r.output and "'一百'" in r.output
    assert "第 5 行「全年预算数」" in r.output and "负数" in r.output
    assert "第 6 行" in r.output and "全年预算数" in r.output
    assert "有 4 行未生成" in r.output
    rows = _manifest(out)
    assert [x["项目编码"] for x in rows] == ["P1", "P5"]
    assert (out / rows[1]["文件"]).exists()  # unsafe characters made safe for Windows
    assert all(c not in rows[1]["文件"] for c in ':*?<>')


def test_nothing_readable_exits_2(tmp_path):
    bad = tmp_path / "清单.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a workbook")
    r = run("build", "--list", str(bad), "--year", "2023", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "无法打开" in r.output and "Traceback" not in r.output
    r = run("build", "--list", str(tmp_path / "none.xlsx"), "--year", "2023", "--out", "o")
    assert r.exit_code == 2 and "找不到文件" in r.output
    empty = tmp_path / "空.xlsx"
    _write_list(empty, [["101", "甲单位", "某局", "P1", "项目一", 100, "x"]])
    r = run("build", "--list", str(empty), "--year", "2023", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "没有可用的行" in r.output


def test_money_in_yuan_is_converted(tmp_path):
    lst = tmp_path / "清单.xlsx"
    _write_list(lst, [["101", "甲单位", "某局", "P1", "项目一", 15000000, 15000000]])
    out = tmp_path / "out"
    r = run("build", "--list", str(lst), "--year", "2023", "--out", str(out), "--money-unit", "元")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out / _manifest(out)[0]["文件"])
    assert cell(wb, "funds.total.full_year").value == 1500


def test_blank_form_and_dept_and_common_specs(tmp_path):
    for spec in ("project-2020", "dept-2020", "common-2011"):
        path = tmp_path / f"{spec}.xlsx"
        r = run("build", "--spec", spec, "--blank", "-o", str(path), "--password", "x")
        assert r.exit_code == 0, r.output
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["自评表", "填报说明", "_meta"]
    r = run("build", "--blank", "-o", str(tmp_path / "project-2020.xlsx"))
    assert r.exit_code == 2 and "已存在" in r.output


def test_dept_form_is_one_per_unit(tmp_path):
    out = tmp_path / "out"
    r = run("build", "--spec", "dept-2020", "--list", str(LIST), "--year", "2023", "--out",
            str(out))
    # the sample list has one row per project: each unit's projects are summed into its
    # 项目支出, no row is a duplicate (tests/test_dept.py checks the sums)
    assert r.exit_code == 0 and "重复" not in r.output and "按项目清单汇总" in r.output
    assert len(_manifest(out)) == 4


def test_missing_arguments_and_bad_key_file_are_clear(tmp_path):
    r = run("build", "--list", str(LIST))
    assert r.exit_code == 2 and "--year" in r.output and "--out" in r.output
    short = tmp_path / "k"
    short.write_text("abc")
    r = run("build", "--blank", "-o", str(tmp_path / "b.xlsx"), "--key-file", str(short))
    assert r.exit_code == 2 and "太短" in r.output
