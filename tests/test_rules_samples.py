"""The province example's sample return (samples/make_province.py): read with the figures the
province's rules give by hand (执行率 75 % caps 总分 90.5 at 89; 偏离 takes 2 of 培训人次's 10),
and collected against its list like any other return."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from xlkit.core.meta import load_key
from xlkit.read import read_workbook
from xlkit.round.collect import collect

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _maker():
    spec = importlib.util.spec_from_file_location("make_province", SAMPLES / "make_province.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def sample():
    mod = _maker()
    (path,) = sorted((SAMPLES / "province" / "returns").glob("*.xlsx"))
    return mod, path


def test_the_sample_return_scores_as_the_province_rules_say(sample):
    mod, path = sample
    r = read_workbook(path, key=load_key(SAMPLES / "示例密钥.txt"))
    assert r.status == "read", r.findings
    # the two adjustments are said, with the cell and figures, and nothing else is found
    said = {f.code: f for f in r.findings}
    assert sorted(said) == ["score.capped", "score.deviation"], r.findings
    dev = said["score.deviation"]
    assert dev.message == "「培训人次」实际完成值 130 高于年度指标值 100 的 30% 及以上，按偏离扣 2 分"
    assert dev.cell and dev.field.endswith(".score") and (dev.expected, dev.actual) == ("100", "130")
    cap = said["score.capped"]
    assert cap.message.startswith("各项得分之和 90.5，预算执行率 75.00%，总分按执行率封顶为 89（")
    assert cap.field == "total" and (cap.expected, cap.actual) == ("90.5", "89")
    p = r.project
    assert (p["execution_rate"], p["execution_score"]) == (0.75, 7.5)
    assert p["indicator_score"] == 83  # 8 + 10 + 5 + 10 + 10 + 30 + 10
    assert p["total_score"] == p["total_score_shown"] == 89  # 90.5 capped (执行率 70–80 %)
    assert p["grade"] == "良"
    scores = {i["name"]: i["score_computed"] for i in r.indicators if i.get("name")}
    assert scores == {"培训人次": 8, "覆盖乡镇数": 10, "单位成本": 5, "安全责任事故": 10,
                      "资料归档": 10, "受益人数": 30, "服务对象满意度": 10}


def test_the_sample_is_what_the_maker_makes(sample, tmp_path, monkeypatch):
    mod, path = sample
    monkeypatch.setattr(mod, "OUT", tmp_path / "province")
    monkeypatch.setattr(mod, "LIST_FILE", tmp_path / "list.xlsx")
    fresh = mod.main()
    a = read_workbook(fresh, key=load_key(SAMPLES / "示例密钥.txt"))
    b = read_workbook(path, key=load_key(SAMPLES / "示例密钥.txt"))
    assert a.project["total_score"] == b.project["total_score"] == 89
    assert [i["score_computed"] for i in a.indicators] == [i["score_computed"]
                                                           for i in b.indicators]


def test_the_sample_collects(sample, tmp_path):
    _, path = sample
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(path, inbox / path.name)
    out = collect(inbox, SAMPLES / "省级示例清单.xlsx", tmp_path / "report.xlsx",
                  spec_ref="project-2020-province", key=load_key(SAMPLES / "示例密钥.txt"),
                  year=2023)
    assert out.report.exists()
    res = out.result
    assert res is not None and res.expected == 1 and len(res.missing) == 0
    projects = res.tables.projects
    assert list(projects["total_score"]) == [89]
    errors = res.issues[res.issues["severity"] == "错误"] if len(res.issues) else res.issues
    assert len(errors) == 0, errors.to_dict("records")
