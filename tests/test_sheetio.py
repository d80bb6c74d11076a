"""Office inputs are loaded through calamine; openpyxl is the reference it must equal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from xlkit.findings import InputError
from xlkit.inputs import sheet as sheetio

SAMPLES = Path(__file__).parent.parent / "samples"


def both(path: Path) -> tuple[list[sheetio.Sheet], list[sheetio.Sheet]]:
    fast = sheetio.load_book(path)
    thorough = sheetio._load_xlsx_openpyxl(str(path), "input.sheet", None, False)
    return fast, thorough


def comparable(sheets: list[sheetio.Sheet]) -> list[tuple]:
    def row(values: list) -> list:
        values = [None if v == "" else v for v in values]
        while values and values[-1] is None:
            values.pop()
        return values

    return [(s.sheet, {n: row(v) for n, v in s.rows.items()}, sorted(s.merges)) for s in sheets]


@pytest.mark.parametrize("name", ["预算清单.xlsx", "绩效目标.xlsx", "决算_项目支出.xlsx",
                                  "决算_收入支出决算表.xlsx"])
def test_samples_load_as_openpyxl_reads_them(name: str) -> None:
    fast, thorough = both(SAMPLES / name)
    assert comparable(fast) == comparable(thorough)


def awkward(path: Path, *, error_cell: bool = False) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("清单")
    hidden = wb.add_worksheet("隐藏")
    hidden.hide()
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row("C3", ["单位编码", "金额", "日期", "是否", "文本数字"])
    ws.write_row("C4", [400001, 12.5, None, True, "001"])
    ws.write_datetime("E4", dt.datetime(2023, 12, 31), date)
    ws.write_row("C6", [-3, 1e-7, 123456789012, False, " 带空格 "])
    ws.merge_range("C8:E9", "合并单元格")
    if error_cell:
        ws.write_formula("D10", "=1/0", None, "#DIV/0!")
    hidden.write("A1", "隐藏表也读")
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=清单!$D$4:$D$6"})
    wb.add_chartsheet("图").set_chart(chart)
    wb.close()
    return path


def test_awkward_values_load_as_openpyxl_reads_them(tmp_path: Path) -> None:
    fast, thorough = both(awkward(tmp_path / "a.xlsx"))
    assert [s.sheet for s in fast] == ["清单", "隐藏"]
    assert comparable(fast) == comparable(thorough)
    rows = fast[0].rows
    assert rows[4][2:7] == [400001, 12.5, dt.datetime(2023, 12, 31), True, "001"]
    assert 5 not in rows and rows[6][2] == -3
    assert (3, 8, 5, 9) in fast[0].merges


def test_error_cell_keeps_its_raw_value(tmp_path: Path) -> None:
    """calamine would read #DIV/0! as blank; such a workbook is read the thorough way."""
    [sheet, _] = sheetio.load_book(awkward(tmp_path / "e.xlsx", error_cell=True))
    assert sheet.value(10, 3) == "#DIV/0!"


def test_one_sheet_by_name_and_missing_name(tmp_path: Path) -> None:
    path = awkward(tmp_path / "a.xlsx")
    assert [s.sheet for s in sheetio.load_book(path, sheet="隐藏")] == ["隐藏"]
    with pytest.raises(InputError, match="找不到工作表「无此表」"):
        sheetio.load_book(path, sheet="无此表")


_EDGE = ("", " ", "'", "' ", " '\u3000", "\u200b", "a\u200b", "\ufeffa", "\x85a", "a\x1c", "\u3000合计",
         "''", "'\u200b", "1,5", "１５００", "x", "  x  ")


@pytest.mark.parametrize("value", [*_EDGE, None, 0, -0.0, 1.5, float("nan"), float("inf"), True,
                                   False, dt.datetime(2020, 1, 2)])
def test_cell_fast_paths_give_what_the_plain_rules_say(value: object) -> None:
    """strip / blank / number take shortcuts for the usual cells; the answers are the rules'."""
    import re

    if isinstance(value, str):
        assert sheetio.strip(value) == re.sub(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$", "", value)
    assert sheetio.blank(value) == (value is None or sheetio.text(value) == "")
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        assert sheetio.number(value) == value + 0.0
