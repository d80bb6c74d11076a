"""One year's round as the office sees it at the end: what came back, what is wrong, who is
missing. Produced by the reconciler, consumed by the report and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlkit.findings import ERROR, HINT
from xlkit.read.tables import Tables

#: 问题清单: one row per finding, reader's and reconciler's alike (column → Chinese header).
ISSUE_COLUMNS: dict[str, str] = {
    "severity": "级别", "rule": "规则", "unit_code": "单位编码", "unit_name": "单位名称",
    "project_code": "项目编码", "project_name": "项目名称", "field": "字段", "expected": "应为",
    "actual": "实际", "diff": "差额", "file": "文件", "where": "位置", "message": "说明",
}
#: 未报送: projects of the list with no return.
MISSING_COLUMNS: dict[str, str] = {
    "unit_code": "单位编码", "unit_name": "单位名称", "project_code": "项目编码",
    "project_name": "项目名称", "contact": "联系人", "phone": "联系电话",
}


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS})


@dataclass
class RoundResult:
    """``issues`` holds ISSUE_COLUMNS (diff is a float or None); ``missing`` MISSING_COLUMNS."""

    expected: int  # 应报: projects (or units) in the list
    tables: Tables = field(default_factory=Tables)
    issues: pd.DataFrame = field(default_factory=empty_issues)
    missing: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(
        MISSING_COLUMNS)))
    year: int | None = None
    matches: pd.DataFrame = field(default_factory=pd.DataFrame)  # how each return was joined
    #: the folder the returns were collected from: the report shows paths relative to it
    #: (the tables keep them as read)
    inbox: str | None = None
    #: the titles of rules the findings catalogue does not declare (an office's own rules)
    titles: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        files = self.tables.files
        status = files["status"] if len(files) else pd.Series(dtype="object")
        sev = self.issues["severity"] if len(self.issues) else pd.Series(dtype="object")
        top = (self.issues.groupby(["rule", "severity"]).size().sort_values(ascending=False)
               .head(10)) if len(self.issues) else pd.Series(dtype="int64")
        read = int((status == "read").sum())
        rejected = int((status == "rejected").sum())
        skipped = int((status == "skipped").sum())
        return {
            "应报": int(self.expected),
            "已报": int(self.expected - len(self.missing)),
            "未报": int(len(self.missing)),
            "收到文件": read + rejected + skipped,
            "读取": read,
            "无法读取": rejected,
            "跳过": skipped,
            "错误": int((sev == ERROR).sum()),
            "提示": int((sev == HINT).sum()),
            "主要问题": [{"规则": r, "级别": s, "数量": int(n)} for (r, s), n in top.items()],
        }
