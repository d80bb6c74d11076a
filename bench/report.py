"""Benchmark: write the office report for a synthetic round of N projects.

    python bench/report.py 10000 [--only fast|xlsxwriter] [--repeat 3]

Builds a RoundResult like a collect of N returns gives (~N/20 units, 3 fund rows and 7
indicators per project, every tenth project a common-2011 form with 12 评分表 items, a file
row per return plus some rejected and skipped files, ~0.3 issues per project, 5 % of the
list missing) and times ``write_report`` on it: the fast path (reader tables streamed as
sheet XML; best of --repeat writes) and the xlsxwriter-only path (one write), each in a
fresh process, with CPU time (both threads), peak RSS and the file's size.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from xlkit.read.tables import Tables, frame
from xlkit.report.workbook import write_report
from xlkit.round.result import ISSUE_COLUMNS, MISSING_COLUMNS, RoundResult

INDICATORS = [("产出指标", "数量指标", "≥", "%"), ("产出指标", "质量指标", "≥", "%"),
              ("产出指标", "时效指标", "定性", None), ("效益指标", "社会效益指标", "≥", "人"),
              ("效益指标", "可持续影响指标", "定性", None), ("满意度指标", "服务对象满意度指标", "≥", "%"),
              ("产出指标", "成本指标", "≤", "万元")]
SOURCES = [("total", "年度资金总额"), ("fiscal", "其中：当年财政拨款"), ("other", "其他资金")]
RULES = [("错误", "calc.stale", "表内数字与重新计算结果不一致"), ("错误", "check.fund_parts", "资金来源合计不一致"),
         ("提示", "value.implausible", "数值不合常理，请核对"), ("提示", "check.reason_missing", "请填写偏差原因")]


def synthetic(n: int, seed: int = 1) -> RoundResult:
    """A round of ``n`` listed projects, 95 % of them returned."""
    rng = random.Random(seed)
    projects, funds, indicators, scores, files, issues, missing = ([] for _ in range(7))
    for i in range(n):
        unit = f"{400000 + i // 20}"
        uname = f"测试单位{i // 20:04d}"
        code, name = f"P{i:07d}", f"测试项目{i:07d}（专项）"
        if rng.random() < 0.05:
            missing.append({"unit_code": unit, "unit_name": uname, "project_code": code,
                            "project_name": name, "contact": "张三", "phone": "0351-1234567"})
            continue
        path = f"inbox/{unit}_{uname}/{code}_{name}.xlsx"
        keys = {"unit_code": unit, "project_code": code, "source_file": path}
        common = i % 10 == 9
        full = round(rng.uniform(5, 5000), 2)
        executed = round(full * rng.uniform(0.3, 1.05), 2)
        score = round(rng.uniform(40, 100), 2)
        grade = "优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差"
        sha = f"{rng.getrandbits(256):064x}"
        projects.append({
            **keys, "year": 2023, "template_id": "common-2011" if common else "project-2020",
            "template_version": 1, "unit_name": uname, "department": f"主管部门{i // 200:03d}",
            "project_name": name, "budget_full_year": full,
            "executed": executed, "execution_rate": executed / full, "execution_weight": 10.0,
            "execution_score": round(10 * min(executed / full, 1), 2),
            "indicator_score": round(score - 10, 2), "total_score": score, "grade": grade,
            "total_score_in_file": score, "grade_in_file": grade, "filled_by": "李四",
            "phone": "13800000000", "filled_date": "2024-05-20", "signed": True,
            "signature_ok": rng.random() > 0.01, "errors": 0, "hints": 0, "file_sha256": sha})
        for src, label in SOURCES:
            share = {"total": 1.0, "fiscal": 0.8, "other": 0.2}[src]
            for col, col_label, amount in (("initial", "年初预算数", full), ("full_year",
                                           "全年预算数", full), ("executed", "全年执行数", executed)):
                funds.append({**keys, "row": src, "row_label": label, "column": col,
                              "column_label": col_label, "amount": round(amount * share, 2),
                              "prefilled": col != "executed"})
        for r, (l1, l2, direction, unit_of) in enumerate(INDICATORS):
            qual = direction == "定性"
            target = None if qual else float(rng.choice([90, 95, 100, 500, 1000]))
            actual = None if qual else round(target * rng.uniform(0.7, 1.1), 1)
            indicators.append({
                **keys, "row": r, "level1": l1, "level2": l2, "name": f"{l2[:2]}指标{r}",
                "direction": direction,
                "target_text": "达成" if qual else f"{direction}{target:g}{unit_of}",
                "target_value": target, "target_unit": unit_of,
                "actual_text": "达成" if qual else f"{actual:g}", "actual_value": actual,
                "weight": 10.0, "tier": "达成" if qual else None, "score_entered": 9.5,
                "score_computed": 9.5, "deviation_reason": "未完全达到目标" if r % 3 == 0 else None,
                "progress": None, "prefilled": r < 5, "cell": f"自评表!G{15 + r}"})
        if common:
            for r in range(12):
                scores.append({**keys, "group": ["投入", "过程", "产出", "效果"][r // 3],
                               "level2": f"二级{r}", "name": f"评分项{r}", "weight": 5.0,
                               "computed_item": r in (2, 5), "score_entered": 4.5,
                               "score_computed": 4.5, "cell": f"评分表!F{6 + r}"})
        files.append({"path": path, "status": "read", "size": 16000 + i % 997, "sha256": sha,
                      "modified": "2024-05-20T09:00:00", "template_id": "project-2020",
                      "unit_code": unit, "project_code": code, "errors": 0, "hints": 0})
        if rng.random() < 0.3:
            sev, rule, message = rng.choice(RULES)
            issues.append({"severity": sev, "rule": rule, "unit_code": unit, "unit_name": uname,
                           "project_code": code, "project_name": name, "field": "total",
                           "expected": "1500", "actual": 1180.0, "diff": -320.0,
                           "file": path, "where": "自评表!D8", "message": message})
    for j in range(n // 100):
        files.append({"path": f"inbox/坏文件{j}.xlsx", "status": "rejected",
                      "reason": "文件损坏，无法打开", "code": "file.corrupt", "size": 10})
        files.append({"path": f"inbox/~$临时{j}.xlsx", "status": "skipped",
                      "code": "file.lock_file"})
    tables = Tables(projects=frame("projects", projects), funds=frame("funds", funds),
                    indicators=frame("indicators", indicators), scores=frame("scores", scores),
                    files=frame("files", files))
    return RoundResult(expected=n, tables=tables, year=2023,
                       issues=pd.DataFrame(issues, columns=list(ISSUE_COLUMNS)),
                       missing=pd.DataFrame(missing, columns=list(MISSING_COLUMNS)))


def run_one(n: int, engine: str, repeat: int) -> None:
    """Time the write in this process (best of ``repeat``); print wall and CPU seconds, peak
    RSS and RSS before writing (MiB) and the file's size (MiB)."""
    result = synthetic(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = (math.inf, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "报告.xlsx"
        for _ in range(repeat):
            cpu, t0 = time.process_time(), time.perf_counter()
            write_report(path, result, fast=engine == "fast")
            best = min(best, (time.perf_counter() - t0, time.process_time() - cpu))
        size = path.stat().st_size / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{best[0]:.3f} {best[1]:.3f} {peak:.0f} {before:.0f} {size:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--only", choices=("fast", "xlsxwriter"))
    ap.add_argument("--repeat", type=int, default=3, help="best of this many writes")
    ap.add_argument("--run", choices=("fast", "xlsxwriter"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        run_one(args.n, args.run, args.repeat)
        return
    figures = {}
    for engine in [args.only] if args.only else ["fast", "xlsxwriter"]:
        repeat = args.repeat if engine == "fast" else 1
        out = subprocess.run([sys.executable, __file__, str(args.n), "--run", engine,
                              "--repeat", str(repeat)],
                             check=True, capture_output=True, text=True).stdout.split()
        seconds, cpu, peak, before, size = map(float, out)
        figures[engine] = seconds
        best = f"best of {repeat}" if repeat > 1 else "one run"
        print(f"{engine:>10}: write_report of {args.n} projects {seconds:.2f} s ({best}; "
              f"CPU {cpu:.2f} s), peak RSS {peak:.0f} MiB (data built: {before:.0f} MiB), "
              f"file {size:.1f} MiB")
    if len(figures) == 2:
        print(f"xlsxwriter / fast: {figures['xlsxwriter'] / figures['fast']:.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
