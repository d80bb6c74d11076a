"""Findings: validation is data. Every problem is a row with its place (file, sheet, cell).

The codes are declared once here, with their severity and Chinese title, so a report can
group by rule and an office can read what each means (`xlkit schema` prints them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR = "错误"  # 强制性: must be fixed
HINT = "提示"  # 提示性: look at it

#: code → (severity, title)
CODES: dict[str, tuple[str, str]] = {
    # files that cannot be read (the file is listed as rejected)
    "file.missing": (ERROR, "文件不存在"),
    "file.not_spreadsheet": (ERROR, "不是 Excel 工作簿"),
    "file.encrypted": (ERROR, "文件已加密（设置了打开密码）"),
    "file.corrupt": (ERROR, "文件损坏，无法打开"),
    "file.too_large": (ERROR, "文件过大"),
    "file.zip_bomb": (ERROR, "压缩内容异常（疑似压缩炸弹）"),
    "file.xml_unsafe": (ERROR, "含有不安全的 XML（实体声明 / 外部引用）"),
    "file.strict_ooxml": (ERROR, "严格 OOXML 格式，无法读取"),
    "file.too_complex": (ERROR, "表格规模异常（行列或合并单元格过多）"),
    "file.timeout": (ERROR, "读取超时"),
    "file.out_of_memory": (ERROR, "读取时内存超限"),
    "file.macro": (HINT, "含宏的工作簿（宏不会运行）"),
    "file.xls": (HINT, "已另存为 .xls，公式无法核对"),
    "file.lock_file": (HINT, "Office 临时锁定文件，已跳过"),
    "file.changed": (HINT, "文件在读取过程中被改动"),
    # recognising the form
    "meta.missing": (ERROR, "不是 xlkit 下发的绩效自评表（缺少 _meta）"),
    "meta.damaged": (ERROR, "_meta 记录损坏"),
    "meta.unknown_template": (ERROR, "未知的表式"),
    "meta.other_version": (HINT, "表式版本与当前不同"),
    "meta.incompatible": (ERROR, "表格格式与当前表式版本不兼容"),
    "meta.wrong_year": (ERROR, "年度不符"),
    "meta.unsigned": (HINT, "工作簿未签名"),
    "meta.no_key": (HINT, "未提供密钥，签名未核验"),
    "meta.bad_signature": (ERROR, "签名无效（_meta 被改动或非本单位签发）"),
    "meta.issued_changed": (ERROR, "预填内容被改动"),
    "meta.copied": (ERROR, "_meta 与表内单位 / 项目不一致（疑似复制自其他工作簿）"),
    "meta.layout_changed": (ERROR, "表格结构被改动"),
    # values as typed
    "value.required": (ERROR, "必填项为空"),
    "value.not_number": (ERROR, "应为数字"),
    "value.ambiguous": (ERROR, "数值有歧义，无法识别"),
    "value.error": (ERROR, "单元格为错误值"),
    "value.implausible": (HINT, "数值不合常理，请核对"),
    "value.choice": (ERROR, "不是可选的值"),
    "value.recommended": (HINT, "建议填写的项为空"),
    # recomputation
    "calc.formula_overwritten": (ERROR, "公式被改成了常量"),
    "calc.formula_changed": (HINT, "公式被改动"),
    "calc.stale": (ERROR, "表内数字与重新计算结果不一致"),
    "target.changed": (HINT, "下发的绩效目标与现行绩效目标不一致"),
    # in-form checks
    "check.score_over_weight": (ERROR, "得分超过分值"),
    "check.tier_band": (ERROR, "定性得分不在所选档次区间内"),
    "check.reason_missing": (ERROR, "得分低于分值但未填写偏差原因"),
    "check.over_execution": (ERROR, "全年执行数大于全年预算数"),
    "check.fund_parts": (ERROR, "资金来源合计与年度资金总额不一致"),
    "check.weights_total": (ERROR, "分值合计不为 100"),
    "check.group_weights": (ERROR, "三级指标分值之和与一级指标分值不一致"),
}


@dataclass
class Finding:
    severity: str
    code: str
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    expected: Any = None
    actual: Any = None

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "file": self.file, "sheet": self.sheet, "cell": self.cell, "field": self.field,
                "expected": self.expected, "actual": self.actual}


def finding(code: str, message: str, **where: Any) -> Finding:
    """A finding of a declared code; its severity comes from the declaration."""
    severity, _ = CODES[code]
    return Finding(severity, code, message, **where)


def title(code: str) -> str:
    return CODES[code][1]
