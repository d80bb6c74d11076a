"""Write the rest of the sample 2023 round: the issued workbooks, the units' returns, the 决算.

Run ``python samples/make_returns.py`` after ``make_samples.py``; it (re)creates, next to
this file:

* ``issued/`` – the 12 locked, signed workbooks and ``manifest.xlsx``, issued from
  ``预算清单.xlsx`` + ``绩效目标.xlsx`` with the sample key, password "2023" and a fixed time;
* ``returns/`` – the workbooks as the units sent them back, typed in with openpyxl through
  the forms' defined names (``xk_<field>``), carrying the seeds' real figures, wording and
  inconsistencies (README.md lists which return carries which); one clean return is then
  re-saved through LibreOffice, as Excel or Calc does on save;
* ``决算_项目支出.xlsx`` and ``决算_收入支出决算表.xlsx`` – final accounts in 元, shaped like
  the real exports (the latter with seed 000's figures for 寻甸县医疗保险中心).

Everything except the LibreOffice-saved return is byte-for-byte reproducible: document
times and zip entry times are fixed (make_samples.save_reproducibly).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from xlkit.build.distribute import MANIFEST, issue_all, plan
from xlkit.core.layout import defined_name
from xlkit.core.meta import load_key
from xlkit.core.scoring import indicator_score, tier_ok
from xlkit.core.spec import load_spec
from xlkit.inputs.budget_list import read_list, read_targets

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _module(name: str, path: Path) -> ModuleType:
    """Import a script that is not on sys.path (make_samples, tests/engine) as a module."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


from xlkit.samples import make_samples as ms  # noqa: E402

YEAR = 2023
SPEC_ID = "project-2020"
PASSWORD = "2023"
CREATED = dt.datetime(2024, 1, 5, 9, 0)
KEY_FILE = HERE / "示例密钥.txt"
ISSUED = HERE / "issued"
RETURNS = HERE / "returns"
FINAL_PROJECTS = HERE / "决算_项目支出.xlsx"
FINAL_ACCOUNTS = HERE / "决算_收入支出决算表.xlsx"
WAN = Decimal(10000)  # 元 per 万元
CENT = Decimal("0.01")


# --------------------------------------------------------------------------- issue


def issue() -> dict[str, Path]:
    """Issue every workbook of the sample list into ISSUED; project code → issued file."""
    spec = load_spec(SPEC_ID)
    listed = read_list(HERE / ms.BUDGET_FILE)
    targets, target_problems = read_targets(HERE / ms.TARGET_FILE)
    problems = listed.problems + target_problems
    if problems:
        raise SystemExit("sample inputs have problems:\n" + "\n".join(map(str, problems)))
    shutil.rmtree(ISSUED, ignore_errors=True)
    ISSUED.mkdir()
    issued = issue_all(spec, plan(spec, listed.rows, ISSUED), year=YEAR, out_dir=ISSUED,
                       targets=targets, key=load_key(KEY_FILE), password=PASSWORD,
                       created=CREATED)
    return {it.row["project_code"]: it.path for it in issued}


# --------------------------------------------------------------------------- returns data


@dataclass(frozen=True)
class Ind:
    """What a unit typed on one indicator row (found by its 三级指标 name)."""

    actual: Any
    tier: str | None = None  # 定性 rows: 达成 / 部分达成 / 未达成
    qscore: float | None = None  # 定性 rows: the score, inside the tier's band
    reason: str | None = None  # 偏差原因分析及改进措施


@dataclass(frozen=True)
class Return:
    project: str
    unit_dir: str  # returns/<单位编码>_<单位名称>
    note_zh: str  # what this return carries, for README.md and the printed summary
    funds: Mapping[str, Any]  # funds.<row>.<col> → value as typed
    expected: str  # 年度总体目标 · 预期目标
    achieved: str  # 年度总体目标 · 实际完成情况
    indicators: Mapping[str, Ind]
    signoff: tuple[str, str, Any]  # 填报人, 联系电话, 填报日期
    rename: str = ""  # suffix the unit added to the file name
    unprotect: bool = False  # the unit stripped sheet protection ...
    prefill_edits: Mapping[str, Any] = field(default_factory=dict)  # ... and edited these
    constant_scores: tuple[str, ...] = ()  # indicator names whose 得分 formula was overwritten


DACHUAN_PHONE = "0818-2386015"  # invented in make_samples (seed 003 names no contact)
DACHUAN_DATE = dt.date(2024, 5, 28)  # invented
SAT90 = Ind(90)  # 公众满意度 ≥90%: the seed reports "≥90%"; typed as the number

YIYANG, JINZHONG = "301001_益阳市医疗保障事务中心", "302001_晋中市医疗保障局"
DACHUAN, PANZHIHUA = "303001_达州市达川区医疗保险管理局", "304001_攀枝花市医疗保障事务中心"

RETURNS_DATA: tuple[Return, ...] = (
    # a. seed 001 as the unit filled it: 400 + 780 typed as 年初预算数 of a 1500 total, and
    # full marks kept for the 26.70 % indicator by overwriting its formula (protection off).
    Return(
        "P2023-301001-01", YIYANG,
        "种子001原样：年初预算数填 当年财政拨款400 + 上年结转780（合计1180≠1500）；撤销工作表保护，"
        "把实际完成值26.70（目标100）指标的得分公式改成常数10（满分）",
        {"funds.fiscal.initial": 400, "funds.carryover.initial": 780,
         "funds.total.executed": 828, "funds.fiscal.executed": 400,
         "funds.carryover.executed": 428},
        "年初门诊、住院补助预算1500万元，其中：离休人员补助1200万元，厅级人员补助300万元。"
        "实际到账400万元，上年结余780万元。",
        "2023年离休人员支出650万元，厅级干部支出178万元。",
        {
            "财政实际补助执行比率%": Ind(26.7, reason="年初预算宽松，上年预算拨款有结余。"),
            "医疗补助发放及时性": Ind("及时拨付", "达成", 30),
            "离休人员、厅级干部补助执行比率%": Ind(55.2, reason="年初预算宽松，离休人员减少等原因"),
            "医保政策知晓比率%": Ind(100),
            "社会稳定性": Ind("好", "达成", 10),
            "参保对象满意度%": Ind(100),
        },
        ("刘纪", "6501871", "2024.5.20"),
        unprotect=True,
        constant_scores=("财政实际补助执行比率%",),
    ),
    # d. seed 002 form 1, values as they arrive from WPS or a paste: text with separators,
    # "95%", "2455592人".
    Return(
        "P2023-302001-01", JINZHONG,
        "数值以文本形式到达（WPS/粘贴）：全年执行数“12,579.31”（含千分位）、政策知晓度“95%”、"
        "参保人数“2455592人”",
        {"funds.fiscal.initial": 12920.21, "funds.total.executed": "12,579.31",
         "funds.fiscal.executed": "12,579.31"},
        "为建立统一的城乡居民基本医疗保险，进一步健全全民医保体系，实现我市城乡居民公平享有"
        "基本医疗保险权益。",
        "城乡居民医保市级财政补助资金使用率达到100%。严格按照《晋中市城乡居民基本医疗保险实施"
        "办法》（市政办发【2017】80号）中的补偿比例对参保患者进行补偿。",
        {
            "城乡居民参保人数": Ind(
                "2455592人",
                reason="部分居民外出务工在务工地参保，参保人数较目标少45686人；"
                       "下一步加大参保宣传和征缴力度。"),
            "门诊大额疾病医疗待遇": Ind(65),
            "6月底结算到位": Ind("6月底", "达成", 10),
            "市级财政补助资金（由550元/人提高到580元/人）": Ind(12579.3097),
            "政策范围内住院费用报销比例": Ind(55),
            "减轻人员就医负担": Ind("住院比例55%-85%", "达成", 15),
            "政策知晓度": Ind("95%"),
        },
        ("武静", "3075523", dt.date(2024, 6, 27)),
    ),
    # seed 002 form 2: consistent; the unit renamed the file.
    Return(
        "P2023-302001-02", JINZHONG,
        "一致（执行14.50/18）；单位把文件改名为“…（已填）.xlsx”",
        {"funds.fiscal.initial": 18, "funds.total.executed": 14.5,
         "funds.fiscal.executed": 14.5},
        "1、全国医保基金监管方式创新试点 2、打击欺诈骗保专项行动 3、落实欺诈骗取医保基金行为"
        "举报奖励",
        "1、医保基金监管方式创新试点完成年度工作任务 2、持续开展了打击欺诈骗保专项治理行动，"
        "保持高压态势 3、有效提升了综合监管、宣传引导、人才队伍建设等医疗保障服务能力。"
        "本年度共支付14.5万元。",
        {
            "组织开展医保基金监管工作专项治理行动": Ind(3),
            "医保基金监管重大安全事件响应时间": Ind(60),
            "医保基金监管方式创新试点": Ind("完成试点任务", "达成", 10),
            "会议费": Ind(5),
            "参保群众政策知晓率": Ind("普遍知晓", "达成", 30),
            "参保人员对医保服务的满意度": Ind(90),
        },
        ("闫丽", "0354-3075658", dt.date(2024, 6, 23)),
        rename="（已填）",
    ),
    # seed 002 form 3: consistent.
    Return(
        "P2023-302001-03", JINZHONG,
        "一致（全额执行1488.78）",
        {"funds.fiscal.initial": 1488.78, "funds.total.executed": 1488.78,
         "funds.fiscal.executed": 1488.78},
        "鉴于政策性原因造成支付大额补充医疗保险支出，在不增加参保企业缴费负担的前提下，由市级"
        "财政全额负担补齐缺口，全部用于职工大额补充医疗保险特殊药品赔付。",
        "审计清算资金，经社保专户拨付，2023年底已全部完成该项目。",
        {
            "补齐大额补充保险累计缺口": Ind(1488.78),
            "清算资金拨付时限": Ind("12月底前完成", "达成", 15),
            "补齐大额医疗保险3年累计缺口资金": Ind(1488.78),
            "减轻参保人员医疗负担（特殊药品报销比例）": Ind(100),
            "参保职工满意度": Ind(95),
        },
        ("张慧琴", "3075655", dt.date(2024, 6, 27)),
    ),
    # c. seed 002 form 4: 实际支出资金 1000 while its own narrative says 754 was paid.
    Return(
        "P2023-302001-04", JINZHONG,
        "全年执行数填1000，而本表“实际完成情况”写“报销支付754万元”，总费用指标实际完成值754",
        {"funds.fiscal.initial": 1000, "funds.total.executed": 1000,
         "funds.fiscal.executed": 1000},
        "确保市直离休干部医疗费用的足额报销，参照职工医保目录，可报部分全额报销。",
        "截止到2023年12月底离休干部共产生医疗费用784万元，报销支付754万元，费用明细情况如下："
        "（1）住院费合计支付367万元，其中：行政单位159万元，事业单位122万元，企业86万元。"
        "（2）门诊费合计支付387万元，其中：行政单位137万元，事业单位107万元，企业143万元。",
        {
            "离休干部人数": Ind(343),
            "医疗待遇": Ind(100),
            "报销时间": Ind("已完成", "达成", 10),
            "总费用": Ind(754),
            "保障离休老干部医疗待遇按时足额报销": Ind("已完成", "达成", 30),
            "政策知晓率": Ind(95),
            "工作满意度": Ind(95),
        },
        ("范晓荣", "3075525", dt.date(2024, 7, 5)),
    ),
    # b. seed 002 form 5: 人民群众满意度 typed as the text "905" against 90 %.
    Return(
        "P2023-302001-05", JINZHONG,
        "人民群众满意度（目标90%）实际完成值填成文本“905”",
        {"funds.fiscal.initial": 325, "funds.total.executed": 325,
         "funds.fiscal.executed": 325},
        "城乡低保对象、特困供养人员和在乡不享受公费医疗救助的重点优抚对象，建档立卡贫困人口，"
        "低收入救助对象，因病导致家庭生活困难的重病患者等可以享受医疗救助，医疗救助制度与相关"
        "社会救助、医疗保障政策相配套，保障城乡居民基本医疗权益。",
        "今年我局按时向财政局提出资金分配意见，并提交市财政部门审核，已下拨至县财政，325万全部"
        "分配完毕。医疗救助体系基本建成。有效的维护了城乡困难群众基本医疗权益，推进了医疗救助"
        "“一站式”即时结算服务，实现住院费用由患者在医疗机构当场结算的快捷方式，群众满意度达到了"
        "95%以上。",
        {
            "全市城乡医疗救助受益人群数": Ind(98676),
            "建立完善的医疗救助体系": Ind("救助效果明显，能够为困难群众提供及时救助", "达成", 15),
            "医疗救助金发放时间": Ind("在医疗机构当场结算的快捷方式", "达成", 10),
            "市级医疗救助配套资金": Ind(325),
            "是否维护城乡困难群众基本医疗权益": Ind("有效维护", "达成", 30),
            "人民群众满意度": Ind("905"),
        },
        ("邢映梓", "3075659", dt.date(2024, 6, 23)),
    ),
    # g. seed 003: clean and complete (also agrees with the 决算: 3.00 spent).
    Return(
        "P2023-303001-01", DACHUAN,
        "干净、一致、完整（正例）；并经 LibreOffice 重新保存（_meta 变为普通隐藏）",
        {"funds.fiscal.initial": 3, "funds.total.executed": 3, "funds.fiscal.executed": 3},
        "抓好党建和党风廉政建设，树立风清气正医保人形象；确保党组织活动有序开展，积极开展"
        "“三会一课”等活动。",
        "项目全年预算数3万元，执行数为3万元，完成预算的100%。通过项目实施，保障了我局党建工作的"
        "正常开展，圆满完成党风廉政建设工作。",
        {
            "“三会一课”等党组织活动开展次数": Ind(12),
            "健全党组织工作机制": Ind("定期召开党员大会、支部委员会、党小组会等", "达成", 20),
            "党建工作经费": Ind(3),
            "完成党风廉政建设工作": Ind("定期召开党员大会、支部委员会、党小组会等", "达成", 30),
            "公众满意度": SAT90,
        },
        ("杨晓琳", DACHUAN_PHONE, DACHUAN_DATE),
    ),
    # e. protection removed and the pre-filled 全年预算数 raised 20 → 25 (signed value).
    Return(
        "P2023-303001-02", DACHUAN,
        "撤销工作表保护，把预填的全年预算数（及当年财政拨款）20改为25；签名校验应发现",
        {"funds.fiscal.initial": 20, "funds.total.executed": 20, "funds.fiscal.executed": 20},
        "保障医疗保险网络高效运行，定期对“金保工程”进行软硬件建设、维护和管理。",
        "项目全年预算数20万元，执行数为20万元，完成预算的100%。通过项目实施，保障了医疗保险网络"
        "高效运行。",
        {
            "保障医疗保险网络高效运行": Ind(
                "网络运行基本满足需求", "部分达成", 15,
                "医疗保险网络运行还不能完全满足职工需求；下一步进一步加大对人员的网络操作培训，"
                "积极与软件研发公司沟通交流。"),
            "网络故障响应时间": Ind(2),
            "医疗保险网络维护费": Ind(20),
            "定期对“金保工程”进行软硬件建设、维护和管理": Ind("“金保工程”运行通畅。", "达成", 30),
            "公众满意度": SAT90,
        },
        ("杨晓琳", DACHUAN_PHONE, DACHUAN_DATE),
        unprotect=True,
        prefill_edits={"funds.total.full_year": 25, "funds.fiscal.full_year": 25},
    ),
    Return(
        "P2023-303001-03", DACHUAN,
        "表内一致（执行数=预算数45，如种子所称；决算只支出40.70，见决算文件）",
        {"funds.fiscal.initial": 45, "funds.total.executed": 45, "funds.fiscal.executed": 45},
        "强化监督稽核，确保医保基金运行安全；保障医保基金安全运行，减少不合理支出。",
        "项目全年预算数45万元，执行数为45万元，完成预算的100%。通过项目实施，保障了医疗保险基金"
        "安全运行，减少了不合理医疗费用支出。",
        {
            "定点医疗机构住院核查覆盖率": Ind(100),
            "保障医保基金安全运行，减少不合理支出": Ind(
                "医疗机构医保违规行为不断减少", "部分达成", 15,
                "定点医疗机构不合理治疗现象仍然存在；下一步加强对各定点医疗机构的日常监管，"
                "创新监督手段，加大对违规现象惩处力度。"),
            "住院核查及监督费": Ind(45),
            "保障医保基金安全运行": Ind("总的来看，医保基金运行平稳", "达成", 30),
            "公众满意度": SAT90,
        },
        ("杨晓琳", DACHUAN_PHONE, DACHUAN_DATE),
    ),
    Return(
        "P2023-303001-04", DACHUAN,
        "表内一致（执行数=预算数10，如种子所称；决算只支出5.20，见决算文件）",
        {"funds.fiscal.initial": 10, "funds.total.executed": 10, "funds.fiscal.executed": 10},
        "完成参保群众报账资料的完整归档，确保参保群众报账资料完整保存。",
        "项目全年预算数10万元，执行数为10万元，完成预算的100%。通过项目实施，保障了城乡居民报账"
        "资料的归档存储。",
        {
            "档案整理覆盖率": Ind(100),
            "年度目标任务完成": Ind(
                "2023年参保群众报账资料已有序归档", "达成", 17,
                "由于城乡居民参保群众上百万，需要归档的报账资料过多，档案整理流程还不够完善，"
                "存储空间不够；下一步制定明确的档案整理制度，加大管理力度，提升工作效率。"),
            "档案资料整理经费": Ind(10),
            "完成参保群众报账资料的完整归档": Ind("档案整理覆盖率达100%", "达成", 30),
            "公众满意度": SAT90,
        },
        ("杨晓琳", DACHUAN_PHONE, DACHUAN_DATE),
    ),
    # f. P2023-303001-05 (城乡居民医疗保险政策宣传) is not returned.
    # g. seed 004: clean, consistent and complete.
    Return(
        "P2023-304001-01", PANZHIHUA,
        "干净、一致、完整（正例）：全额执行215.11；一个定性指标14/15分并写明原因",
        {"funds.fiscal.initial": 215.11, "funds.total.executed": 215.11,
         "funds.fiscal.executed": 215.11},
        "（1）不断提升市医保经办机构医保基金监管水平，坚决维护医保基金安全可持续发展。"
        "（2）加大参保宣传力度，提升参保率，实现全民参保。（3）按一定比例抽查全市所有定点医疗"
        "机构上一年度住院病例的完整病案纸质资料和费用明细。",
        "2023年资金215.11万元已全额到位，资金到位率100%。截止2023年12月31日已支付使用资金"
        "215.11万元，预算项目经费和市级预算追加项目资金全部使用完毕，达到年初预算绩效目标。",
        {
            "印制医保宣传折页": Ind(10),
            "费用审核按时完成率": Ind(100),
            "资金到位率": Ind(100),
            "项目资金支出": Ind(215.11),
            "医保公共服务水平": Ind(
                "医保公共服务水平稳步提高", "达成", 14,
                "部分审批环节耗时较长；下一步加强项目建设各个审批环节沟通，提前统筹安排，减少"
                "审批时间，提高项目建设效率。"),
            "医保基金运行": Ind("医保基金运行平稳有序，规范医疗机构服务行为，减少违规行为的发生",
                              "达成", 15),
            "参保人员满意度": Ind(95),
        },
        ("何佳", "0812-3337021", dt.date(2024, 5, 24)),
    ),
)
NOT_RETURNED = ("P2023-303001-05",)
LIBREOFFICE_SAVED = "P2023-303001-01"


# --------------------------------------------------------------------------- filling


def _names(wb) -> dict[str, tuple[str, str]]:
    """Defined name → (sheet, A1 address without $)."""
    out = {}
    for name, dn in wb.defined_names.items():
        sheet, addr = dn.attr_text.split("!")
        out[name] = (sheet.strip("'"), addr.replace("$", ""))
    return out


def _number(value: Any) -> float | None:
    """A typed value as the number a reader would take from it ("12,579.31", "95%", "905")."""
    if isinstance(value, (int, float)):
        return float(value)
    m = re.fullmatch(r"([\d,]+(?:\.\d+)?)\s*(?:%|人|万元)?", str(value).strip())
    return float(m.group(1).replace(",", "")) if m else None


def typed(c, value: Any) -> None:
    """``value`` typed into cell ``c`` in Excel or WPS: "95%" is stored as 0.95 with a percent
    format, and a number typed into a %-formatted cell (计量单位 % rows) is divided by 100
    (Excel's automatic percent entry); anything else is stored as typed."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*%\s*", value):
        if not str(c.number_format).endswith("%"):
            c.number_format = "0%"
        value = float(value.strip().rstrip("%").strip()) / 100
    elif isinstance(value, (int, float)) and str(c.number_format).endswith("%"):
        value = value / 100
    c.value = value


def fill(src: Path, dst: Path, ret: Return) -> None:
    """Type ``ret`` into the issued workbook ``src`` as the unit would, and save as ``dst``."""
    wb = openpyxl.load_workbook(src)
    names = _names(wb)

    def cell(name: str):
        sheet, addr = names[defined_name(name)]
        return wb[sheet][addr]

    if ret.unprotect:
        cell("total").parent.protection.sheet = False
    for name, value in ret.prefill_edits.items():
        cell(name).value = value
    for name, value in ret.funds.items():
        cell(name).value = value
    cell("goals.expected").value = ret.expected
    cell("goals.actual").value = ret.achieved

    rows = sorted({int(n.split("_")[2]) for n in names if n.startswith("xk_ind_")})
    form = cell("total").parent
    hidden = {r for r, d in form.row_dimensions.items() if d.hidden}
    seen = set()
    for i in rows:
        p = f"ind.{i}."
        title = cell(p + "name").value
        if title is None and cell(p + "name").row in hidden:
            continue  # a spare row, left hidden and empty as issued
        if title not in ret.indicators:
            raise KeyError(f"{ret.project}: no value for indicator {title!r}")
        seen.add(title)
        ind = ret.indicators[title]
        direction, target, weight = (cell(p + k).value for k in ("direction", "target", "weight"))
        if (direction == "定性") != (ind.tier is not None and ind.qscore is not None):
            raise ValueError(f"{ret.project} {title}: 定性 rows take a tier and a score")
        if ind.tier and not tier_ok(ind.tier, ind.qscore, weight):
            raise ValueError(f"{ret.project} {title}: {ind.qscore} outside {ind.tier}")
        score = indicator_score(direction, target, _number(ind.actual), weight, ind.qscore)
        if score is not None and score < weight and not ind.reason:
            raise ValueError(f"{ret.project} {title}: score {score} < {weight} needs a reason")
        typed(cell(p + "actual"), ind.actual)
        if ind.tier:
            cell(p + "tier").value = ind.tier
            cell(p + "qscore").value = ind.qscore
        if ind.reason:
            cell(p + "reason").value = ind.reason
        if title in ret.constant_scores:
            cell(p + "score").value = weight  # the formula is gone; full marks stay
    if seen != set(ret.indicators):
        raise KeyError(f"{ret.project}: not on the form: {set(ret.indicators) - seen}")
    for k, value in enumerate(ret.signoff):
        cell(f"signoff.{k}").value = value

    wb.properties.lastModifiedBy = ret.signoff[0]
    dst.parent.mkdir(parents=True, exist_ok=True)
    ms.save_reproducibly(wb, dst)


def make_returns(issued: Mapping[str, Path], returns: Path = RETURNS) -> dict[str, Path]:
    """Fill the issued workbooks as the seed units did, into ``returns`` (made anew)."""
    shutil.rmtree(returns, ignore_errors=True)
    returns.mkdir(parents=True)
    codes = {r.project for r in RETURNS_DATA}
    if codes & set(NOT_RETURNED) or codes | set(NOT_RETURNED) != set(issued):
        raise ValueError("every issued project must be returned or listed as not returned")
    out = {}
    for ret in RETURNS_DATA:
        src = issued[ret.project]
        if src.parent.name != ret.unit_dir:
            raise ValueError(f"{ret.project}: issued under {src.parent.name}, not {ret.unit_dir}")
        dst = returns / ret.unit_dir / f"{src.stem}{ret.rename}{src.suffix}"
        fill(src, dst, ret)
        out[ret.project] = dst
    return out


def resave_with_libreoffice(path: Path) -> None:
    """Open, recalculate and save ``path`` in LibreOffice (tests/engine.py), in place."""
    engine = _module("xlkit_test_engine", ROOT / "tests" / "engine.py")
    with tempfile.TemporaryDirectory(prefix="xlkit-returns-") as tmp:
        (saved,) = engine.recalculate([path], Path(tmp))
        shutil.copyfile(saved, path)


# --------------------------------------------------------------------------- 决算 (元)

# 本年支出 in 万元 where the 决算 disagrees with the unit's 全年执行数.
FINAL_SPENDING: dict[str, Decimal] = {
    # seed 002 form 4: its narrative says 报销支付754万元 (the form claims 1000).
    "P2023-302001-04": Decimal("754"),
    # seed 003: 项目支出69.85万元 in the 决算 while the 绩效 table claims 88 executed.
    # 40.70 is the seed's 一般行政管理事务 line (医保监督检查等专项业务工作经费).
    "P2023-303001-01": Decimal("3.00"),
    "P2023-303001-02": Decimal("16.30"),
    "P2023-303001-03": Decimal("40.70"),
    "P2023-303001-04": Decimal("5.20"),
    "P2023-303001-05": Decimal("4.65"),
}
FINAL_HEADERS = ["单位编码", "单位名称", "项目编码", "项目名称", "全年预算数", "本年支出",
                 "年末结转和结余"]
MONEY = ms.MONEY_FORMAT


def _print_wide(ws) -> None:
    """A4 landscape, one page wide, as the real exports print."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _yuan(wan: Decimal) -> float:
    return float((wan * WAN).quantize(CENT))


def _reported_executed(ret: Return) -> Decimal:
    value = _number(ret.funds["funds.total.executed"])
    assert value is not None
    return Decimal(str(value))


def build_final_projects() -> openpyxl.Workbook:
    dachuan = [v for k, v in FINAL_SPENDING.items() if k.startswith("P2023-303001-")]
    if sum(dachuan) != Decimal("69.85"):
        raise ValueError(f"达川 project spending {sum(dachuan)} != 69.85 (seed 003)")
    reported = {r.project: _reported_executed(r) for r in RETURNS_DATA}
    wb, ws = ms._new_workbook("项目支出决算表")
    ncol = len(FINAL_HEADERS)
    ws.cell(row=1, column=1, value=f"{YEAR}年度项目支出决算表")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.cell(row=2, column=1, value="单位：元").alignment = Alignment(horizontal="right")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    ms._header(ws, 3, FINAL_HEADERS)
    totals = [Decimal(0)] * 3
    row = 3
    for unit in ms.UNITS:
        for p in unit.projects:
            row += 1
            spent = FINAL_SPENDING.get(p.code, reported.get(p.code))
            if spent is None:
                raise ValueError(f"{p.code}: no 本年支出")
            money = [p.full_year, spent, p.full_year - spent]
            totals = [t + m for t, m in zip(totals, money, strict=True)]
            values = [unit.code, unit.name, p.code, p.name, *map(_yuan, money)]
            for col, value in enumerate(values, start=1):
                c = ws.cell(row=row, column=col, value=value)
                c.border = ms.BORDER
                c.number_format = MONEY if col > 4 else "@"
    row += 1
    ws.cell(row=row, column=1, value="合计")
    for col in range(1, ncol + 1):
        c = ws.cell(row=row, column=col)
        c.font, c.fill, c.border = ms.BOLD, ms.TOTAL_FILL, ms.BORDER
    for col, total in enumerate(totals, start=5):
        ws.cell(row=row, column=col, value=_yuan(total)).number_format = MONEY
    ws.freeze_panes = "A4"
    ms._widths(ws, dict(zip(FINAL_HEADERS, (10, 28, 18, 46, 16, 16, 16), strict=True)))
    _print_wide(ws)
    return wb


# seed 000, lines 241-260: 寻甸县医疗保险中心 2023年收入支出决算表 (元).
XUNDIAN = "寻甸回族彝族自治县医疗保险中心"
ACCOUNT_GROUPS = (  # (title, sub-columns); a title without sub-columns spans two header rows
    ("年初结转和结余", ("合计", "基本支出结转", "项目支出结转和结余", "经营结余")),
    ("本年收入", ()),
    ("本年支出", ()),
    ("收支结余", ("合计", "基本支出结转", "项目支出结转和结余", "经营结余")),
    ("使用非财政拨款结余", ()),
    ("结余分配", ("合计", "缴纳企业所得税", "提取专用结余", "事业单位转入事业基金", "其他")),
    ("年末结转和结余", ("合计", "基本支出结转", "项目支出结转和结余", "经营结余")),
)
N_AMOUNTS = 20  # 栏次 1..20
OPENING, INCOME, SPENDING, BALANCE, CLOSING = (1, 2, 3, 4), 5, 6, (7, 8, 9, 10), (17, 18, 19, 20)
# (功能科目, 科目名称, {栏次: amount}); a missing 栏次 is a blank cell, as in the seed.
_D = Decimal
ACCOUNT_ROWS: tuple[tuple[str, str, dict[int, Decimal]], ...] = (
    ("2101501", "行政运行", {1: _D("5553.13"), 2: _D("5553.13"), 3: _D(0), 4: _D(0),
                            5: _D("5359717.88"), 6: _D("5358809.10"),
                            7: _D("6461.91"), 8: _D("6461.91"),
                            17: _D("6461.91"), 18: _D("6461.91"), 19: _D(0), 20: _D(0)}),
    ("2139999", "其他农林水支出", {1: _D(0), 2: _D(0), 3: _D(0), 4: _D(0)}),
    ("2210201", "住房公积金", {5: _D("469505.00"), 6: _D("469505.00")}),
    ("2101599", "其他医疗保障管理事务支出", {5: _D("540000.00"), 6: _D("540000.00")}),
    ("2101199", "其他行政事业单位医疗支出", {5: _D("952561.13"), 6: _D("952561.13")}),
    ("2080801", "死亡抚恤", {5: _D("201337.20"), 6: _D("201337.20")}),
    ("2080506", "机关事业单位职业年金缴费支出", {5: _D("71402.10"), 6: _D("71402.10")}),
    ("2080505", "机关事业单位基本养老保险缴费支出", {5: _D("569695.36"), 6: _D("569695.36")}),
    ("2080501", "行政单位离退休", {1: _D("48738.69"), 2: _D(0), 3: _D("48738.69"), 4: _D(0),
                              6: _D("48738.69"), 17: _D(0), 18: _D(0), 19: _D(0), 20: _D(0)}),
    ("2080599", "其他行政事业单位养老支出", {5: _D("2000.00"), 6: _D("2000.00")}),
    ("2101505", "医疗保障政策管理", {5: _D("585000.00"), 6: _D("585000.00")}),
    ("2101102", "事业单位医疗", {5: _D("39605.15"), 6: _D("39605.15")}),
    ("2101101", "行政单位医疗", {5: _D("327618.70"), 6: _D("327618.70")}),
    ("2101103", "公务员医疗补助", {5: _D("85276.00"), 6: _D("85276.00")}),
    ("2101301", "城乡医疗救助", {5: _D("584064.74"), 6: _D("584064.74")}),
)
# The seed's 合计 row, checked against the detail rows below.
ACCOUNT_TOTAL = {1: _D("54291.82"), 2: _D("5553.13"), 3: _D("48738.69"), 4: _D(0),
                 5: _D("9787783.26"), 6: _D("9835613.17"), 7: _D("6461.91"), 8: _D("6461.91"),
                 17: _D("6461.91"), 18: _D("6461.91"), 19: _D(0), 20: _D(0)}


def check_accounts() -> None:
    """年初 + 本年收入 − 本年支出 = 年末 on every row and the 合计; the 合计 is the rows' sum."""
    for code, _, v in (*ACCOUNT_ROWS, ("合计", "", ACCOUNT_TOTAL)):
        def g(col: int, v=v) -> Decimal:
            return v.get(col, Decimal(0))

        if g(OPENING[0]) + g(INCOME) - g(SPENDING) != g(CLOSING[0]):
            raise ValueError(f"{code}: 年初结转和结余 + 本年收入 − 本年支出 ≠ 年末结转和结余")
        for cols in (OPENING, CLOSING):
            if g(cols[0]) != sum(g(c) for c in cols[1:]):
                raise ValueError(f"{code}: 合计 ≠ its parts (栏次 {cols})")
        if BALANCE[0] in v and g(BALANCE[0]) != g(CLOSING[0]):
            raise ValueError(f"{code}: 收支结余 ≠ 年末结转和结余 although nothing was distributed")
    for col, total in ACCOUNT_TOTAL.items():
        if sum(r[2].get(col, Decimal(0)) for r in ACCOUNT_ROWS) != total:
            raise ValueError(f"合计 栏次 {col} ≠ the sum of the rows")


def build_final_accounts() -> openpyxl.Workbook:
    check_accounts()
    wb, ws = ms._new_workbook("收入支出决算表")
    wb.properties.creator = wb.properties.lastModifiedBy = XUNDIAN
    first = 5  # column E holds 栏次 1; A:C 类/款/项 (the code, merged), D 科目名称
    last = first + N_AMOUNTS - 1
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def put(row: int, col: int, value: Any, end_row: int | None = None,
            end_col: int | None = None, head: bool = False):
        c = ws.cell(row=row, column=col, value=value)
        if (end_row or row, end_col or col) != (row, col):
            ws.merge_cells(start_row=row, start_column=col, end_row=end_row or row,
                           end_column=end_col or col)
        for r in range(row, (end_row or row) + 1):
            for k in range(col, (end_col or col) + 1):
                ws.cell(row=r, column=k).border = ms.BORDER
        if head:
            c.font, c.alignment, c.fill = ms.BOLD, center, ms.HEADER_FILL
        return c

    title = ws.cell(row=1, column=1, value=f"{YEAR}年收入支出决算表")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    title.font, title.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    ws.cell(row=2, column=1, value=f"编制单位：{XUNDIAN}")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=12)
    ws.cell(row=2, column=13, value="单位：元").alignment = Alignment(horizontal="right")
    ws.merge_cells(start_row=2, start_column=13, end_row=2, end_column=last)

    put(3, 1, "项目", end_col=4, head=True)
    put(4, 1, "支出功能分类科目编码", end_col=3, head=True)
    put(4, 4, "科目名称", head=True)
    col = first
    for group, subs in ACCOUNT_GROUPS:
        if subs:
            put(3, col, group, end_col=col + len(subs) - 1, head=True)
            for k, sub in enumerate(subs):
                put(4, col + k, sub, head=True)
            col += len(subs)
        else:
            put(3, col, group, end_row=4, head=True)
            col += 1
    assert col == last + 1
    for k, text in enumerate(("类", "款", "项", "栏次")):
        put(5, 1 + k, text, head=True)
    for n in range(1, N_AMOUNTS + 1):
        put(5, first + n - 1, n, head=True)

    def amounts(row: int, values: Mapping[int, Decimal]) -> None:
        for n in range(1, N_AMOUNTS + 1):
            c = ws.cell(row=row, column=first + n - 1)
            c.border = ms.BORDER
            c.number_format = MONEY
            if n in values:
                c.value = float(values[n].quantize(CENT))

    put(6, 1, "合计", end_col=4).font = ms.BOLD
    amounts(6, ACCOUNT_TOTAL)
    for row, (code, name, values) in enumerate(ACCOUNT_ROWS, start=7):
        put(row, 1, code, end_col=3).number_format = "@"
        put(row, 4, name)
        amounts(row, values)

    ws.freeze_panes = ws.cell(row=7, column=first)
    for k in range(1, last + 1):
        letter = get_column_letter(k)
        ws.column_dimensions[letter].width = {1: 4, 2: 4, 3: 4, 4: 26}.get(k, 14)
    ws.row_dimensions[4].height = 42
    _print_wide(ws)
    return wb


# --------------------------------------------------------------------------- main


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    issued = issue()
    returned = make_returns(issued)
    resave_with_libreoffice(returned[LIBREOFFICE_SAVED])
    ms.save_reproducibly(build_final_projects(), FINAL_PROJECTS)
    ms.save_reproducibly(build_final_accounts(), FINAL_ACCOUNTS)

    print(f"issued {len(issued)} workbooks + {MANIFEST} into {ISSUED}")
    for ret in RETURNS_DATA:
        path = returned[ret.project]
        lo = "  [LibreOffice-saved]" if ret.project == LIBREOFFICE_SAVED else ""
        print(f"  {_sha(path)[:12]}  {path.relative_to(HERE)}{lo}")
    for code in NOT_RETURNED:
        print(f"  (not returned)  {issued[code].relative_to(ISSUED)}")
    print(f"wrote {FINAL_PROJECTS.name} and {FINAL_ACCOUNTS.name}")
    # the rubric forms' round (seed 003's 得分表, seed 000's 附件3): samples/make_rubric.py
    rubric = _module("make_rubric", HERE / "make_rubric.py")
    for spec_id, path in rubric.main().items():
        print(f"  {spec_id}: {path.relative_to(HERE)}")


if __name__ == "__main__":
    main()
