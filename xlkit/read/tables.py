"""The reader's tables: the schema declared once, DataFrames built from it, written out.

``SCHEMA`` is the documentation (``xlkit schema`` prints it), the dtype contract and the
Chinese headers of ``Tables.to_excel`` at the same time.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlkit.core.atomic import write_atomic_via


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # string | Int64 | float64 | boolean
    label: str  # Chinese header
    meaning: str

    @property
    def money(self) -> bool:
        """An amount of money: its meaning gives the unit (万元)."""
        return "(万元" in self.meaning


def _cols(*rows: tuple[str, str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


_WHERE = (("source_file", "string", "文件", "the returned workbook's path"),)
_KEYS = (("unit_code", "string", "单位编码", "budget unit code (from _meta)"),
         ("project_code", "string", "项目编码", "project code (from _meta; empty for dept)"))

SCHEMA: dict[str, tuple[Column, ...]] = {
    "projects": _cols(
        ("year", "Int64", "年度", "evaluation year"),
        ("template_id", "string", "表式", "form spec id, e.g. project-2020"),
        ("template_version", "Int64", "表式版本", "form spec version"),
        *_KEYS,
        ("unit_name", "string", "单位名称", "unit name as issued"),
        ("department", "string", "主管部门", "supervising department as issued"),
        ("project_name", "string", "项目名称", "project name as issued"),
        ("budget_initial", "float64", "年初预算数", "年初预算数 of 年度资金总额 (万元)"),
        ("budget_full_year", "float64", "全年预算数", "全年预算数 of 年度资金总额 (万元)"),
        ("arrived", "float64", "预算下达资金",
         "funds actually made available (万元, common-2011)"),
        ("executed", "float64", "全年执行数", "全年执行数 / 实际支出 (万元)"),
        ("execution_rate", "float64", "执行率", "executed / budget_full_year, recomputed"),
        ("execution_weight", "float64", "执行率分值", "points of the execution rate"),
        ("execution_score", "float64", "执行得分", "recomputed execution score"),
        ("indicator_score", "float64", "指标得分", "recomputed sum of indicator scores"),
        ("scorecard_score", "float64", "评分表得分", "recomputed sum of 评分表 items (common-2011)"),
        ("total_score", "float64", "总分", "recomputed 总分"),
        ("grade", "string", "等次", "recomputed 等次"),
        ("total_score_in_file", "float64", "表内总分", "总分 as the workbook showed it"),
        ("grade_in_file", "string", "表内等次", "等次 as the workbook showed it"),
        ("total_score_shown", "float64", "表内公式总分",
         "总分 as the sheet's own formulas give it on the cells as filled (text is not a "
         "number; what Excel shows after recalculating); differs from total_score only with "
         "a calc.as_shown finding"),
        ("grade_shown", "string", "表内公式等次", "等次 as the sheet's own formulas give it"),
        ("filled_by", "string", "填报人", "who filled the form"),
        ("phone", "string", "联系电话", "contact phone"),
        ("filled_date", "string", "填报日期", "date filled (ISO when recognisable)"),
        ("signed", "boolean", "已签名", "the workbook carries a signature"),
        ("signature_ok", "boolean", "签名有效", "signature verified with the office key; "
                                              "empty when unsigned or no key"),
        ("issued_source", "string", "预填数据来源",
         "where the issued values (budget, targets, weights) count from: 签名 (its _meta, "
         "signature verified), 未核验 (its _meta, no key given), 不可信 (a key was given and "
         "the signature is missing or invalid); collect: 下发清单 (the manifest's digest "
         "matches its _meta), 预算清单 (compared with the list and targets instead)"),
        ("file_id", "string", "文件编号", "the issued workbook's id (_meta and manifest)"),
        ("issued_digest", "string", "预填摘要", "digest of the issued values in its _meta, "
                                            "compared with the manifest's"),
        ("errors", "Int64", "错误数", "number of 错误 findings"),
        ("hints", "Int64", "提示数", "number of 提示 findings"),
        *_WHERE,
        ("file_sha256", "string", "文件SHA256", "sha256 of the file as received"),
    ),
    "funds": _cols(
        *_KEYS,
        ("source", "string", "资金来源代码", "total / fiscal / carryover / other ..."),
        ("source_label", "string", "资金来源", "年度资金总额, 其中：当年财政拨款 ..."),
        ("initial", "float64", "年初预算数", "年初预算数 (万元)"),
        ("full_year", "float64", "全年预算数", "全年预算数 / 预算资金 (万元)"),
        ("arrived", "float64", "预算下达资金", "预算下达资金 (万元, common-2011)"),
        ("executed", "float64", "全年执行数", "全年执行数 / 实际支出资金 (万元)"),
        *_WHERE,
    ),
    "indicators": _cols(
        *_KEYS,
        ("row", "Int64", "序号", "indicator row number within the form, from 0"),
        ("level1", "string", "一级指标", "产出指标 / 效益指标 / 满意度指标"),
        ("level2", "string", "二级指标", "数量指标, 质量指标 ..."),
        ("name", "string", "三级指标", "indicator name"),
        ("direction", "string", "指标方向", "≥ ≤ = or 定性"),
        ("target_text", "string", "年度指标值", "target as typed"),
        ("target_value", "float64", "目标值", "target parsed to a number"),
        ("target_unit", "string", "计量单位", "unit (column or parsed from the text)"),
        ("actual_text", "string", "实际完成值", "actual as typed"),
        ("actual_value", "float64", "实际值", "actual parsed to a number"),
        ("weight", "float64", "分值", "points of the indicator"),
        ("tier", "string", "定性档次", "达成 / 部分达成 / 未达成 (定性)"),
        ("score_entered", "float64", "表内得分", "score as the workbook showed or the unit entered"),
        ("score_computed", "float64", "重算得分", "score recomputed by xlkit"),
        ("score_shown", "float64", "表内公式得分",
         "score as the sheet's own formulas give it on the cells as filled"),
        ("deviation_reason", "string", "偏差原因", "偏差原因分析及改进措施"),
        ("progress", "string", "完成进度", "完成进度 (common-2011)"),
        ("prefilled", "boolean", "预填", "the row came from the approved targets"),
        ("cell", "string", "位置", "sheet!cell of the 实际完成值"),
        *_WHERE,
    ),
    "scores": _cols(
        *_KEYS,
        ("group", "string", "一级指标", "投入 / 过程 / 产出 / 效果 (common-2011)"),
        ("level2", "string", "二级指标", "项目目标, 资金落实 ..."),
        ("name", "string", "三级指标", "评分项"),
        ("weight", "float64", "分值", "points"),
        ("computed_item", "boolean", "公式计算", "rate × weight item (资金到位率, 预算执行率)"),
        ("score_entered", "float64", "表内得分", "score as in the workbook"),
        ("score_computed", "float64", "重算得分", "score recomputed by xlkit"),
        ("cell", "string", "位置", "sheet!cell of the score"),
        *_WHERE,
    ),
    "people": _cols(
        *_KEYS,
        ("row", "Int64", "序号", "row of the 评价人员 table, from 1 (rows left empty are skipped)"),
        ("name", "string", "姓名", "姓名"),
        ("title", "string", "职称/职务", "职称 / 职务"),
        ("office", "string", "科室", "科室"),
        ("phone", "string", "联系电话", "联系电话"),
        ("cell", "string", "位置", "sheet!cell of the row's first cell"),
        *_WHERE,
    ),
    "texts": _cols(
        *_KEYS,
        ("field", "string", "字段", "narr.<key> (项目概况, 项目绩效情况, 其他需说明的问题 ...) or "
                                    "goals.expected / goals.actual (年度总体目标)"),
        ("label", "string", "栏目", "the section as the form prints it"),
        ("text", "string", "内容", "the text as the unit wrote it (empty sections are skipped)"),
        ("cell", "string", "位置", "sheet!cell of the text"),
        *_WHERE,
    ),
    "findings": _cols(
        ("severity", "string", "级别", "错误 (must fix) or 提示 (look at it)"),
        ("code", "string", "规则", "finding code, see the list of codes"),
        ("message", "string", "说明", "what is wrong, in Chinese"),
        ("file", "string", "文件", "input file"),
        ("sheet", "string", "工作表", "sheet name"),
        ("cell", "string", "单元格", "cell address"),
        ("field", "string", "字段", "xlkit field name"),
        ("expected", "string", "应为", "expected value"),
        ("actual", "string", "实际", "value found"),
    ),
    "files": _cols(
        ("path", "string", "文件", "input path"),
        ("status", "string", "状态", "read / rejected / skipped"),
        ("reason", "string", "原因", "why rejected or skipped"),
        ("code", "string", "规则", "finding code of the reason"),
        ("size", "Int64", "大小", "bytes"),
        ("sha256", "string", "SHA256", "sha256 of the file"),
        ("modified", "string", "保存时间", "when the workbook says it was last saved"),
        ("superseded_by", "string", "被替代", "a newer return of the same project that is used "
                                              "instead of this one"),
        ("template_id", "string", "表式", "form spec id when recognised"),
        *_KEYS,
        ("errors", "Int64", "错误数", "number of 错误 findings"),
        ("hints", "Int64", "提示数", "number of 提示 findings"),
    ),
}

TABLE_LABELS = {"projects": "项目", "funds": "资金", "indicators": "指标", "scores": "评分表",
                "people": "评价人员", "texts": "文字说明", "findings": "问题清单", "files": "文件"}


def frame(table: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame of ``table`` with exactly the declared columns and dtypes."""
    rows = rows if isinstance(rows, list) else list(rows)
    cols = SCHEMA[table]
    values = _columns(rows, [c.name for c in cols])
    return pd.DataFrame({c.name: _column(c.dtype, v) for c, v in zip(cols, values, strict=True)})


def _columns(rows: list[Mapping[str, Any]], names: list[str]) -> list[list[Any]]:
    """Each name's values over ``rows``, None where a row lacks it. The names the first row
    has are fetched together and transposed (a few times faster than a ``get`` per cell at
    100k rows); a name it lacks, or any row lacking one it has, goes one value at a time."""
    if not rows:
        return [[] for _ in names]
    together = [n for n in names if n in rows[0]]
    got: dict[str, tuple[Any, ...]] = {}
    if len(together) > 1:  # a single name's itemgetter gives no tuple
        try:
            got = dict(zip(together, zip(*map(itemgetter(*together), rows), strict=True),
                           strict=True))
        except KeyError:
            got = {}
    return [list(got[n]) if n in got else [r.get(n) for r in rows] for n in names]


#: Extension dtypes made directly (per column, so pandas' options still apply): a name
#: makes pandas try every registered dtype on every column.
_DTYPES: dict[str, Callable[[], Any]] = {"string": pd.StringDtype, "Int64": pd.Int64Dtype,
                                         "boolean": pd.BooleanDtype}
_PLAIN_NUMBERS = frozenset({float, int, type(None)})


def _column(dtype: str, values: list[Any]) -> Any:
    """One column built in one go (by far the cheapest way at 100k rows)."""
    if dtype == "string":  # None and NaN become NA, anything else its str()
        return pd.array(values, dtype=_DTYPES[dtype]() if dtype in _DTYPES else dtype)
    if dtype == "float64":
        if set(map(type, values)) <= _PLAIN_NUMBERS:  # the usual case; None becomes NaN
            return np.array(values, dtype="float64")
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("float64")
    return pd.array(values, dtype=_DTYPES[dtype]() if dtype in _DTYPES else dtype)


def records(df: pd.DataFrame, factory: Callable[[Any], dict] = dict) -> list[dict[str, Any]]:
    """The rows as plain dicts (or ``factory``'s dict subclass) with every missing value
    (NaN, NA) as None; many times faster than ``to_dict("records")`` on large tables."""
    names = list(df.columns)
    columns = [plain(df[c]) for c in names]
    return [factory(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def plain(s: pd.Series) -> list[Any]:
    """A column's values as Python objects, missing values as None."""
    values = s.to_numpy(dtype=object, na_value=None) if s.hasnans or s.dtype == object \
        else s.to_numpy(dtype=object)
    return values.tolist()


@dataclass
class Tables:
    projects: pd.DataFrame = field(default_factory=lambda: frame("projects", []))
    funds: pd.DataFrame = field(default_factory=lambda: frame("funds", []))
    indicators: pd.DataFrame = field(default_factory=lambda: frame("indicators", []))
    scores: pd.DataFrame = field(default_factory=lambda: frame("scores", []))
    people: pd.DataFrame = field(default_factory=lambda: frame("people", []))
    texts: pd.DataFrame = field(default_factory=lambda: frame("texts", []))
    findings: pd.DataFrame = field(default_factory=lambda: frame("findings", []))
    files: pd.DataFrame = field(default_factory=lambda: frame("files", []))

    @classmethod
    def concat(cls, parts: list[Tables]) -> Tables:
        """One set of tables from chunks (read in batches), rows ordered by file."""
        out = {}
        for name in SCHEMA:
            frames = [getattr(t, name) for t in parts if len(getattr(t, name))]
            df = pd.concat(frames, ignore_index=True) if frames else frame(name, [])
            col = {"findings": "file", "files": "path"}.get(name, "source_file")
            out[name] = df.sort_values(col, kind="stable", ignore_index=True)
        return cls(**out)

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [(name, getattr(self, name)) for name in SCHEMA]

    def to_excel(self, path: str | Path, chinese: bool = True) -> None:
        """One sheet per table; Chinese headers and sheet names by default; text stays text."""
        path = Path(path)

        def write(tmp: Path) -> None:
            opts = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}
            with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs={"options": opts}) as w:
                for name, df in self.items():
                    out = df.rename(columns={c.name: c.label for c in SCHEMA[name]}) \
                        if chinese else df
                    sheet = TABLE_LABELS[name] if chinese else name
                    out.to_excel(w, sheet_name=sheet, index=False)
                    ws = w.sheets[sheet]
                    ws.freeze_panes(1, 0)
                    ws.autofilter(0, 0, max(len(out), 1), max(len(out.columns) - 1, 0))
                    ws.set_column(0, len(out.columns) - 1, 14)

        write_atomic_via(path, write)

    def to_csv(self, folder: str | Path) -> None:
        """One UTF-8 (with BOM, so Excel opens it right) CSV per table."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, df in self.items():
            buf = io.StringIO()
            df.to_csv(buf, index=False)
            data = buf.getvalue().encode("utf-8-sig")
            write_atomic_via(folder / f"{name}.csv", lambda p, d=data: p.write_bytes(d))

    def to_parquet(self, folder: str | Path) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise RuntimeError("写 parquet 需要 pyarrow：pip install 'xlkit[parquet]'") from None
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, df in self.items():
            write_atomic_via(folder / f"{name}.parquet",
                             lambda p, d=df: d.to_parquet(p, index=False))


def schema_text() -> str:
    lines = []
    for name, cols in SCHEMA.items():
        lines.append(f"{name} ({TABLE_LABELS[name]})")
        for c in cols:
            lines.append(f"  {c.name:<22} {c.dtype:<8} {c.label:<10} {c.meaning}")
        lines.append("")
    return "\n".join(lines)
