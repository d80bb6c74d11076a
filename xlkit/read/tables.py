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
from xlkit.core.display import sheet_text


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # string | Int64 | float64 | boolean
    label: str  # Chinese header
    meaning: str

    @property
    def money(self) -> bool:
        """An amount of money: its meaning gives the unit (万元)."""
        return "（万元" in self.meaning


def _cols(*rows: tuple[str, str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


_WHERE = (("source_file", "string", "文件", "报回工作簿的路径"),)
_KEYS = (("unit_code", "string", "单位编码", "预算单位编码（取自 _meta）"),
         ("project_code", "string", "项目编码", "项目编码（取自 _meta；部门整体支出表为空）"))

SCHEMA: dict[str, tuple[Column, ...]] = {
    "projects": _cols(
        ("year", "Int64", "年度", "评价年度"),
        ("template_id", "string", "表式", "表式 id，如 project-2020"),
        ("template_version", "Int64", "表式版本", "表式版本号"),
        *_KEYS,
        ("unit_name", "string", "单位名称", "下发时的单位名称"),
        ("department", "string", "主管部门", "下发时的主管部门"),
        ("project_name", "string", "项目名称", "下发时的项目名称"),
        ("budget_full_year", "float64", "全年预算数",
         "执行率的预算数：表式 funds.execution 所指行、列（通常为年度资金总额·全年预算数；"
         "没有执行率的表式取第一行的全年预算数）（万元）；各行各列见资金表"),
        ("executed", "float64", "全年执行数",
         "执行率的执行数：funds.execution 所指行、列（通常为年度资金总额·全年执行数）（万元）"),
        ("execution_rate", "float64", "执行率", "全年执行数 ÷ 全年预算数，重新计算"),
        ("execution_weight", "float64", "执行率分值", "执行率的分值"),
        ("execution_score", "float64", "执行得分", "重新计算的执行得分"),
        ("indicator_score", "float64", "指标得分", "重新计算的各指标得分之和"),
        ("scorecard_score", "float64", "评分表得分", "重新计算的评分表各项之和（common-2011）"),
        ("total_score", "float64", "总分", "重新计算的总分"),
        ("grade", "string", "等次", "重新计算的等次"),
        ("total_score_in_file", "float64", "表内总分", "工作簿中显示的总分"),
        ("grade_in_file", "string", "表内等次", "工作簿中显示的等次"),
        ("total_score_shown", "float64", "表内公式总分",
         "表内公式按所填单元格算出的总分（文本不算数字，即 Excel 重算后显示的）；"
         "只有出现 calc.as_shown 问题时才与总分（total_score）不同"),
        ("grade_shown", "string", "表内公式等次", "表内公式算出的等次"),
        ("filled_by", "string", "填报人", "填表人"),
        ("phone", "string", "联系电话", "联系电话"),
        ("filled_date", "string", "填报日期", "填报日期（能识别时为 ISO 格式）"),
        ("signed", "boolean", "已签名", "工作簿带有签名"),
        ("signature_ok", "boolean", "签名有效", "用本单位密钥核验签名通过；未签名或未提供密钥时为空"),
        ("issued_source", "string", "预填数据来源",
         "预填数据（预算、目标、分值）以何为准：签名（其 _meta，签名已核验）、"
         "未核验（其 _meta，未提供密钥）、不可信（提供了密钥而签名缺失或无效）；"
         "collect 中还有：下发清单（下发清单的摘要与其 _meta 一致）、"
         "预算清单（改为与预算清单和绩效目标比对）"),
        ("file_id", "string", "文件编号", "下发工作簿的编号（_meta 与下发清单中）"),
        ("issued_digest", "string", "预填摘要", "_meta 中预填数据的摘要，与下发清单中的比对"),
        ("errors", "Int64", "错误数", "错误的个数"),
        ("hints", "Int64", "提示数", "提示的个数"),
        *_WHERE,
        ("file_sha256", "string", "文件SHA256", "收到的文件的 SHA256"),
    ),
    "funds": _cols(
        *_KEYS,
        ("row", "string", "资金行代码",
         "资金表的行（表式 funds.rows 的 key）：total、fiscal、carryover……，表式有几行就有几行"),
        ("row_label", "string", "资金行", "行名称：年度资金总额、其中：当年财政拨款……"),
        ("column", "string", "资金列代码",
         "资金表的列（表式 funds.columns 的 key）：initial、full_year、executed……"),
        ("column_label", "string", "资金列", "列名称：年初预算数、全年预算数、全年执行数……"),
        ("amount", "float64", "金额", "该行该列的金额（万元）；每个单元格一行（长表）"),
        ("prefilled", "boolean", "预填", "该列从预算清单预填（表式中该列有 source）"),
        ("cell", "string", "位置", "金额所在的 工作表!单元格"),
        *_WHERE,
    ),
    "header": _cols(
        *_KEYS,
        ("key", "string", "字段代码", "表头字段（表式 header 的 key）：project_name、department……"),
        ("label", "string", "字段", "表中印出的字段名称：项目名称、主管部门……"),
        ("value", "string", "内容", "字段的内容（预填的或单位填写的原文；空为空白）"),
        ("prefilled", "boolean", "预填", "从预算清单预填（表式中该字段有 source）"),
        ("cell", "string", "位置", "内容所在的 工作表!单元格"),
        *_WHERE,
    ),
    "indicators": _cols(
        *_KEYS,
        ("row", "Int64", "序号", "指标在表中的行序号，从 0 起"),
        ("level1", "string", "一级指标", "产出指标 / 效益指标 / 满意度指标"),
        ("level2", "string", "二级指标", "数量指标、质量指标……"),
        ("name", "string", "三级指标", "指标名称"),
        ("direction", "string", "指标方向", "≥、≤、= 或 定性"),
        ("target_text", "string", "年度指标值", "所填的目标值原文"),
        ("target_value", "float64", "目标值", "目标值解析成的数"),
        ("target_unit", "string", "计量单位", "计量单位（取自该列或从文字中解析）"),
        ("actual_text", "string", "实际完成值", "所填的实际完成值原文"),
        ("actual_value", "float64", "实际值", "实际完成值解析成的数"),
        ("weight", "float64", "分值", "指标的分值"),
        ("tier", "string", "定性档次", "达成 / 部分达成 / 未达成（定性指标）"),
        ("score_entered", "float64", "表内得分", "工作簿中显示或单位填写的得分"),
        ("score_computed", "float64", "重算得分", "xlkit 重新计算的得分"),
        ("score_shown", "float64", "表内公式得分",
         "表内公式按所填单元格算出的得分"),
        ("deviation_reason", "string", "偏差原因", "偏差原因分析及改进措施"),
        ("progress", "string", "完成进度", "完成进度（common-2011）"),
        ("prefilled", "boolean", "预填", "该行来自批复的绩效目标（预填）"),
        ("cell", "string", "位置", "实际完成值所在的 工作表!单元格"),
        *_WHERE,
    ),
    "scores": _cols(
        *_KEYS,
        ("group", "string", "一级指标",
         "投入 / 过程 / 产出 / 效果（common-2011）；预算编制、A筹资及资金运行……（评分表）"),
        ("level2", "string", "二级指标", "项目目标、资金落实、报送时效……"),
        ("name", "string", "三级指标", "评分项"),
        ("weight", "float64", "分值", "分值（加分项为加分上限）"),
        ("computed_item", "boolean", "公式计算", "得分由公式计算（比率 × 分值、按次扣分……），"
         "否则为评分人填写"),
        ("rule", "string", "计分方式", "计分规则的种类：自评打分、直接打分、按次扣分、区间、比率、"
         "一减比率、加分、比率 × 分值"),
        ("bonus", "boolean", "加分项", "加分项（不计入各级分值之和）"),
        ("count", "float64", "次数", "按次扣分 / 加分的次数（评分人填写）"),
        ("value", "float64", "数值", "区间规则比较的比率或数值（百分比按百分点）"),
        ("numerator", "float64", "分子", "比率规则的分子"),
        ("denominator", "float64", "分母", "比率规则的分母"),
        ("score_entered", "float64", "表内得分", "工作簿中的得分（填写的或公式显示的）"),
        ("score_computed", "float64", "重算得分", "xlkit 按识别后的填报内容重新计算的得分"),
        ("score_shown", "float64", "表内公式得分", "表内公式按所填单元格算出的得分"),
        ("explain", "string", "指标解释", "指标解释（评分表）"),
        ("office", "string", "责任科室", "责任科室（评分表）"),
        ("cell", "string", "位置", "得分所在的 工作表!单元格"),
        *_WHERE,
    ),
    "people": _cols(
        *_KEYS,
        ("row", "Int64", "序号", "评价人员表中的行序号，从 1 起（空行略过）"),
        ("name", "string", "姓名", "姓名"),
        ("title", "string", "职称/职务", "职称 / 职务"),
        ("office", "string", "科室", "科室"),
        ("phone", "string", "联系电话", "联系电话"),
        ("cell", "string", "位置", "该行第一个单元格的 工作表!单元格"),
        *_WHERE,
    ),
    "texts": _cols(
        *_KEYS,
        ("field", "string", "字段",
         "narr.<键>（项目概况、项目绩效情况、其他需说明的问题……）"
         "或 goals.expected / goals.actual（年度总体目标）"),
        ("label", "string", "栏目", "表中印出的栏目名称"),
        ("text", "string", "内容", "单位填写的文字原文（空栏目略过）"),
        ("cell", "string", "位置", "文字所在的 工作表!单元格"),
        *_WHERE,
    ),
    "survey": _cols(
        *_KEYS,
        ("question", "Int64", "题号", "满意度调查问卷的题号，从 1 起"),
        ("question_text", "string", "问题内容", "问题原文（表式中声明）"),
        ("option", "string", "选项内容", "选项，如 A.非常满意"),
        ("standard_score", "float64", "标准分值", "选该项的一份问卷得的分"),
        ("count", "float64", "问卷数", "单位填写的选该项的有效问卷份数"),
        ("points", "float64", "选项得分", "问卷数 × 标准分值，重新计算"),
        ("question_total", "float64", "本题得分", "本题各选项 问卷数 × 标准分值 之和，重新计算"),
        ("question_total_in_file", "float64", "表内本题得分", "工作簿中显示的本题得分"),
        ("survey_total", "float64", "问卷总分", "各题得分之和，重新计算"),
        ("survey_total_in_file", "float64", "表内问卷总分", "工作簿中显示的问卷总分"),
        ("survey_full", "float64", "问卷满分", "一份问卷的满分（各题最高标准分值之和）"),
        ("valid", "float64", "有效问卷份数", "单位填写的有效问卷份数"),
        ("survey_score", "float64", "问卷综合得分", "问卷总分 ÷ 有效问卷份数，重新计算"),
        ("survey_score_in_file", "float64", "表内问卷综合得分", "工作簿中显示的问卷综合得分"),
        ("cell", "string", "位置", "该选项问卷数所在的 工作表!单元格"),
        *_WHERE,
    ),
    "findings": _cols(
        ("severity", "string", "级别", "错误（必须修改）或 提示（值得一看）"),
        ("code", "string", "规则", "问题代码，见下方问题代码表"),
        ("message", "string", "说明", "问题说明"),
        ("file", "string", "文件", "输入文件"),
        ("sheet", "string", "工作表", "工作表名称"),
        ("cell", "string", "单元格", "单元格地址"),
        ("field", "string", "字段", "xlkit 字段名"),
        ("expected", "string", "应为", "应有的值"),
        ("actual", "string", "实际", "实际的值"),
    ),
    "files": _cols(
        ("path", "string", "文件", "输入文件的路径"),
        ("status", "string", "状态", "read 已读取 / rejected 无法读取 / skipped 已跳过（中文输出中为中文）"),
        ("reason", "string", "原因", "无法读取或跳过的原因"),
        ("code", "string", "规则", "原因的问题代码"),
        ("size", "Int64", "大小", "字节数"),
        ("sha256", "string", "SHA256", "文件的 SHA256"),
        ("modified", "string", "保存时间", "工作簿自身记录的最后保存时间"),
        ("superseded_by", "string", "被替代", "同一项目较新的、代替本文件计入的报回文件"),
        ("template_id", "string", "表式", "识别出的表式 id"),
        *_KEYS,
        ("errors", "Int64", "错误数", "错误的个数"),
        ("hints", "Int64", "提示数", "提示的个数"),
    ),
}

#: raw values shown in Chinese in the outputs people read
_VALUES_ZH: dict[tuple[str, str], dict[str, str]] = {
    ("files", "status"): {"read": "已读取", "rejected": "无法读取", "skipped": "已跳过",
                          "gone": "已移除"},
}

TABLE_LABELS = {"projects": "项目", "funds": "资金", "header": "表头", "indicators": "指标",
                "scores": "评分表", "people": "评价人员", "texts": "文字说明",
                "survey": "满意度问卷", "findings": "问题清单",
                "files": "文件"}


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
    header: pd.DataFrame = field(default_factory=lambda: frame("header", []))
    indicators: pd.DataFrame = field(default_factory=lambda: frame("indicators", []))
    scores: pd.DataFrame = field(default_factory=lambda: frame("scores", []))
    people: pd.DataFrame = field(default_factory=lambda: frame("people", []))
    texts: pd.DataFrame = field(default_factory=lambda: frame("texts", []))
    survey: pd.DataFrame = field(default_factory=lambda: frame("survey", []))
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

    def for_people(self, name: str, chinese: bool = True, csv: bool = False) -> pd.DataFrame:
        """Table ``name`` as written for a spreadsheet: every text kept text
        (:func:`~xlkit.core.display.sheet_text`: a non-UTF-8 file name shown with ``\\xff``,
        in CSV ``'`` before = + - @ tab CR); ``chinese``: Chinese headers, 是 / 否 for
        booleans and the files' statuses in Chinese (已读取 / 无法读取 / 已跳过)."""
        df = getattr(self, name)
        cols = {}
        for c in SCHEMA[name]:
            s = df[c.name]
            if c.dtype == "boolean" and chinese:
                s = pd.Series([None if v is None else ("是" if v else "否") for v in plain(s)],
                              dtype="string", index=df.index)
            elif c.dtype == "string":
                values = plain(s)
                if chinese and (name, c.name) in _VALUES_ZH:
                    words = _VALUES_ZH[(name, c.name)]
                    values = [words.get(v, v) if v is not None else None for v in values]
                s = pd.Series([None if v is None else sheet_text(v, csv) for v in values],
                              dtype="string", index=df.index)
            cols[c.label if chinese else c.name] = s
        return pd.DataFrame(cols, index=df.index)

    def to_excel(self, path: str | Path, chinese: bool = True) -> None:
        """One sheet per table; Chinese headers, sheet names and values (是 / 否, statuses)
        by default; text stays text (string cells, never formulas or links)."""
        path = Path(path)

        def write(tmp: Path) -> None:
            opts = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}
            with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs={"options": opts}) as w:
                for name, _df in self.items():
                    out = self.for_people(name, chinese)
                    sheet = TABLE_LABELS[name] if chinese else name
                    out.to_excel(w, sheet_name=sheet, index=False)
                    ws = w.sheets[sheet]
                    ws.freeze_panes(1, 0)
                    ws.autofilter(0, 0, max(len(out), 1), max(len(out.columns) - 1, 0))
                    ws.set_column(0, len(out.columns) - 1, 14)

        write_atomic_via(path, write)

    def to_csv(self, folder: str | Path, chinese: bool = True) -> None:
        """One UTF-8 (with BOM, so Excel opens it right) CSV per table, named by the
        table's English name; Chinese headers and values by default (``chinese=False``:
        the schema's names and raw values, for scripts). A text starting with = + - @, a
        tab or a CR gets an apostrophe before it, so a spreadsheet keeps it text."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, _df in self.items():
            buf = io.StringIO()
            self.for_people(name, chinese, csv=True).to_csv(buf, index=False)
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
    lines = ["各表的列：列名（英文，给脚本用）、类型（string 文本 / Int64 整数 / float64 数值 / "
             "boolean 是否）、中文列名（xlsx 与 CSV 输出的表头）、含义", ""]
    for name, cols in SCHEMA.items():
        lines.append(f"{name} ({TABLE_LABELS[name]})")
        for c in cols:
            lines.append(f"  {c.name:<22} {c.dtype:<8} {c.label:<10} {c.meaning}")
        lines.append("")
    return "\n".join(lines)
