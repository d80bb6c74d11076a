"""Make a benchmark corpus: a budget list of N projects across ~N/20 units, the issued
workbooks, the units' returns filled with random but valid answers (some with mistakes),
and a matching 决算 sheet in 元.

    python bench/make_corpus.py 10000 /tmp/corpus

Writes DIR/预算清单.xlsx, DIR/绩效目标.xlsx, DIR/issued/..., DIR/inbox/... (the returns),
DIR/决算_项目支出.xlsx and DIR/key.txt. Returns are filled by editing the sheet XML of each
issued workbook (as fast as copying it), which is what Excel does to the same cells.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

from xlkit.build.distribute import issue_all, plan
from xlkit.core.layout import build_layout
from xlkit.core.spec import load_spec
from xlkit.inputs.budget_list import read_list, read_targets

SUBGROUPS = [("产出指标", "数量指标", 20), ("产出指标", "质量指标", 15), ("产出指标", "时效指标", 15),
             ("效益指标", "社会效益指标", 20), ("效益指标", "可持续影响指标", 10),
             ("满意度指标", "服务对象满意度指标", 10)]
KEY = "bench-office-key-0123456789"


def write_list(path: Path, n: int, rng: random.Random) -> list[dict]:
    rows = []
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("项目清单")
    head = ["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数", "全年预算数",
            "当年财政拨款", "上年结转资金", "其他资金", "联系人", "联系电话"]
    ws.write_row(0, 0, head)
    for i in range(n):
        unit = i // 20
        full = round(rng.uniform(5, 5000), 2)
        carry = round(full * rng.choice([0, 0, 0.1, 0.3]), 2)
        row = {"unit_code": f"{400000 + unit}", "unit_name": f"测试单位{unit:04d}",
               "department": f"测试主管部门{unit // 10:03d}", "project_code": f"P{i:07d}",
               "project_name": f"测试项目{i:07d}（专项）", "initial": full, "full_year": full,
               "fiscal": round(full - carry, 2), "carryover": carry, "other": 0,
               "contact": f"联系人{unit}", "phone": f"0{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}"}
        rows.append(row)
        ws.write_row(i + 1, 0, [row[k] for k in ("unit_code", "unit_name", "department",
                                                 "project_code", "project_name")])
        ws.write_row(i + 1, 5, [row[k] for k in ("initial", "full_year", "fiscal", "carryover",
                                                 "other")])
        ws.write_row(i + 1, 10, [row["contact"], row["phone"]])
    wb.close()
    return rows


def write_targets(path: Path, codes: list[str], rng: random.Random) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("绩效目标")
    ws.write_row(0, 0, ["项目编码", "一级指标", "二级指标", "三级指标", "指标方向", "年度指标值",
                        "计量单位", "分值"])
    r = 1
    for code in codes:
        for k, (l1, l2, w) in enumerate(SUBGROUPS):
            if k == 4:
                row = [code, l1, l2, f"{l2}{k}", "定性", "有效保障", "", w]
            elif k == 2:
                row = [code, l1, l2, f"{l2}{k}", "≤", rng.choice([30, 60, 90]), "天", w]
            else:
                row = [code, l1, l2, f"{l2}{k}", "≥", rng.choice([80, 90, 95, 100]), "%", w]
            ws.write_row(r, 0, row)
            r += 1
    wb.close()


_CELL = re.compile(rb'<c r="([A-Z]+\d+)"( s="\d+")?(?: t="\w+")?\s*/>')


def fill(src: Path, dst: Path, values: dict[str, object], overwrite: dict[str, float]) -> None:
    """Type ``values`` (A1 → value) into the empty input cells of the form sheet, and put
    constants over formula cells in ``overwrite``, by editing the sheet XML."""
    with zipfile.ZipFile(src) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]

    def typed(m: re.Match) -> bytes:
        addr, style = m.group(1).decode(), (m.group(2) or b"").decode()
        if addr not in values:
            return m.group(0)
        v = values[addr]
        if isinstance(v, (int, float)):
            return f'<c r="{addr}"{style}><v>{v!r}</v></c>'.encode()
        return f'<c r="{addr}"{style} t="inlineStr"><is><t>{escape(str(v))}</t></is></c>'.encode()

    sheet = _CELL.sub(typed, sheet)
    for addr, v in overwrite.items():  # the unit removes protection and types over a formula
        sheet = re.sub(rf'<c r="{addr}"( s="\d+")?( t="\w+")?><f>[^<]*</f>(<v>[^<]*</v>)?</c>'
                       .encode(), rf'<c r="{addr}"\1><v>{v}</v></c>'.encode(), sheet, count=1)
        sheet = re.sub(rb"<sheetProtection [^>]*/>", b"", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def answers(layout, row: dict, targets: list[dict], rng: random.Random
            ) -> tuple[dict, dict, float]:
    """Random but valid answers; a few carry the usual mistakes. ``layout`` is the shared
    shape of every form; ``targets`` this project's approved rows, in layout order."""
    a = {f: c.address.replace("$", "") for f, c in layout.fields.items()}
    full = row["full_year"]
    executed = round(full * rng.choice([1, 1, 1, 0.98, 0.9, 0.75, rng.uniform(0.3, 1)]), 2)
    if rng.random() < 0.03:
        executed = round(full * 1.1, 2)  # over-execution
    values: dict[str, object] = {a["funds.total.executed"]: executed,
                                 a["funds.fiscal.executed"]: round(executed - row["carryover"], 2)
                                 if executed > row["carryover"] else executed,
                                 a["funds.carryover.executed"]: min(row["carryover"], executed)}
    for r in layout.indicator_rows:
        if r.spare:  # hidden spare rows stay empty: the unit adds no indicator
            continue
        p = f"ind.{r.index}."
        t = targets[r.index]
        direction, target, weight = t["direction"], t["target"], t["weight"]
        if direction == "定性":
            values[a[p + "tier"]] = "达成"
            values[a[p + "qscore"]] = round(weight * rng.uniform(0.8, 1), 1)
            values[a[p + "actual"]] = "已完成"
            values[a[p + "reason"]] = "略有不足"
            continue
        if direction == "≥":
            actual = round(target * rng.choice([1, 1, 1.02, 0.97, rng.uniform(0.5, 1)]), 2)
        else:
            actual = round(target * rng.choice([1, 0.8, 1.1]), 0)
        if rng.random() < 0.02:
            actual = f"{actual:,}"  # typed as text
        values[a[p + "actual"]] = actual
        if rng.random() > 0.05:  # 5% forget the reason
            values[a[p + "reason"]] = "见说明"
    values[a["signoff.0"]] = "填报人"
    values[a["signoff.1"]] = row["phone"]
    values[a["signoff.2"]] = "2024-05-20"
    values[a["goals.actual"]] = "完成年度目标"
    overwrite = {}
    if rng.random() < 0.01:
        overwrite[a["ind.0.score"]] = targets[0]["weight"]
    return values, overwrite, executed


def write_final(path: Path, rows: list[dict], executed: dict[str, float],
                rng: random.Random) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("项目支出决算")
    ws.write(0, 0, "项目支出决算表")
    ws.write(1, 0, "单位：元")
    ws.write_row(2, 0, ["单位编码", "单位名称", "项目编码", "项目名称", "全年预算数", "本年支出",
                        "年末结转和结余"])
    total = [0.0, 0.0, 0.0]
    for i, row in enumerate(rows):
        spent = executed.get(row["project_code"], row["full_year"] * 0.9)
        if rng.random() < 0.03:
            spent = round(spent * 0.9, 2)  # the 决算 disagrees
        vals = [round(row["full_year"] * 10000, 2), round(spent * 10000, 2),
                round((row["full_year"] - spent) * 10000, 2)]
        total = [t + v for t, v in zip(total, vals, strict=True)]
        ws.write_row(3 + i, 0, [row["unit_code"], row["unit_name"], row["project_code"],
                                row["project_name"]])
        ws.write_row(3 + i, 4, vals)
    ws.write(3 + len(rows), 0, "合计")
    ws.write_row(3 + len(rows), 4, [round(t, 2) for t in total])
    wb.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--missing", type=float, default=0.02, help="share not returned")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out: Path = args.dir
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = write_list(out / "预算清单.xlsx", args.n, rng)
    write_targets(out / "绩效目标.xlsx", [r["project_code"] for r in rows], rng)
    (out / "key.txt").write_text(KEY)
    spec = load_spec("project-2020")
    listed = read_list(out / "预算清单.xlsx")
    targets, _ = read_targets(out / "绩效目标.xlsx")
    t1 = time.perf_counter()
    issued = issue_all(spec, plan(spec, listed.rows, out / "issued"), year=2023,
                       out_dir=out / "issued", targets=targets, key=KEY.encode(), password="pw")
    t2 = time.perf_counter()
    executed: dict[str, float] = {}
    by_code = {r["project_code"]: r for r in rows}
    layout = build_layout(spec, dict(issued[0].row, year=2023),
                          targets[issued[0].row["project_code"]])  # every form has this shape
    for it in issued:
        code = it.row["project_code"]
        if rng.random() < args.missing:
            continue
        values, overwrite, spent = answers(layout, by_code[code], targets[code], rng)
        executed[code] = spent
        dst = out / "inbox" / it.path.parent.name / it.path.name
        fill(it.path, dst, values, overwrite)
    t3 = time.perf_counter()
    write_final(out / "决算_项目支出.xlsx", rows, executed, rng)
    print(f"corpus of {args.n} projects in {out}: list+targets {t1 - t0:.1f} s, issued "
          f"{len(issued)} in {t2 - t1:.1f} s, {len(executed)} returns filled in {t3 - t2:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
