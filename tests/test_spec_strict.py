"""Strict specs (issue 13: "Silent misreads" — nested typos change the scoring; "English a
clerk sees" — spec errors): every unknown key at any depth is refused with its key path and
the closest known key, every message is Chinese, and `xlkit build --spec bad.yaml` prints
them and exits 2."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from xlkit.cli import main
from xlkit.core.spec import load_spec, parse_spec
from xlkit.findings import InputError

CJK = re.compile(r"[\u4e00-\u9fff]")


def _data(spec_id: str) -> dict:
    return yaml.safe_load(Path(load_spec(spec_id).source).read_text(encoding="utf-8"))


def _problems(data) -> list[str]:
    with pytest.raises(InputError) as exc:
        parse_spec(data, "t.yaml")
    return exc.value.problems


def _rename(d: dict, old: str, new: str) -> None:
    d[new] = d.pop(old)


TYPOS = [  # (spec, edit, the message: key path, 未知的键, the closest key)
    ("project-2020", lambda d: _rename(d["indicators"], "reverse_rule", "reverse_rul"),
     "indicators.reverse_rul：未知的键是否应为 reverse_rule？（可用的键：title, scored, "
     "reverse_rule, rules, deviation, rows_per_subgroup, spare_rows_per_subgroup, groups）"),
    ("project-2020", lambda d: _rename(d["indicators"], "scored", "scoredd"),
     "indicators.scoredd：未知的键是否应为 scored？"),
    ("project-2020", lambda d: _rename(d["indicators"], "rows_per_subgroup", "rows_per_subgrop"),
     "indicators.rows_per_subgrop：未知的键是否应为 rows_per_subgroup？"),
    ("project-2020", lambda d: _rename(d["indicators"]["groups"][1], "subgroups", "subgroup"),
     "indicators.groups[1].subgroup：未知的键是否应为 subgroups？"),
    ("project-2020", lambda d: _rename(d["funds"]["rows"][1], "label", "lable"),
     "funds.rows[1].lable：未知的键是否应为 label？"),
    ("project-2020", lambda d: _rename(d["funds"]["columns"][0], "source", "sourse"),
     "funds.columns[0].sourse：未知的键是否应为 source？"),
    ("project-2020", lambda d: _rename(d["funds"]["execution"], "weight", "wieght"),
     "funds.execution.wieght：未知的键是否应为 weight？"),
    ("project-2020", lambda d: d["funds"].update(titel="x"), "funds.titel：未知的键是否应为 title？"),
    ("project-2020", lambda d: _rename(d["header"][0], "label", "labels"),
     "header[0].labels：未知的键是否应为 label？"),
    ("project-2020", lambda d: _rename(d["grades"][0], "min", "mn"),
     "grades[0].mn：未知的键是否应为 min？"),
    ("project-2020", lambda d: d["goals"].update(colums=[]), "goals.colums：未知的键是否应为 columns？"),
    ("project-2020", lambda d: d.update(grade=[]), "grade：未知的键是否应为 grades？"),
    ("dept-2020", lambda d: d["tasks"].update(row=3), "tasks.row：未知的键是否应为 rows？"),
    ("common-2011", lambda d: _rename(d["scorecard"]["groups"][0]["items"][0], "weight", "weigth"),
     "scorecard.groups[0].items[0].weigth：未知的键是否应为 weight？"),
    ("common-2011", lambda d: d["scorecard"]["groups"][0]["items"][3]["rate"].update(denom="x"),
     "scorecard.groups[0].items[3].rate.denom：未知的键"),
    ("common-2011", lambda d: d["scorecard"]["groups"][1].update(nmae="x"),
     "scorecard.groups[1].nmae：未知的键是否应为 name？"),
    ("common-2011", lambda d: d["scorecard"].update(tilte="x"), "scorecard.tilte：未知的键是否应为 title？"),
]


@pytest.mark.parametrize("spec_id, edit, expected", TYPOS)
def test_a_nested_typo_is_refused_with_its_key_path(spec_id, edit, expected):
    data = copy.deepcopy(_data(spec_id))
    edit(data)
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_reverse_rul_no_longer_falls_back_to_ratio():
    """The typo that silently changed the scoring: linear meant, ratio used."""
    data = copy.deepcopy(_data("project-2020"))
    data["indicators"].pop("reverse_rule", None)
    data["indicators"]["reverse_rul"] = "linear"
    with pytest.raises(InputError):
        parse_spec(data)


MISTAKES = [  # every kind of message the validator words, in Chinese
    (lambda d: d.pop("title"), "title：必须填写"),
    (lambda d: d.update(title=" "), "title：不能为空"),
    (lambda d: d.update(version=0), "version：应为 1 或更大的整数"),
    (lambda d: d.update(id="a b"), "id：'a b' 只能包含字母、数字、-、_ 和 ."),
    (lambda d: d.update(level="x"), "level：'x' 应为 project（项目）或 unit（单位）"),
    (lambda d: d.update(money_unit="千元"), "money_unit：'千元' 应为 万元 或 元"),
    (lambda d: d["header"][0].update(key="Unit"), "header[0].key：'Unit' 只能由小写字母、数字和 _ 组成"),
    (lambda d: d["indicators"]["groups"][0].update(weight=120), "indicators.groups[0].weight：120 应在 0 至 100 之间"),
    (lambda d: d["indicators"]["groups"][0].update(weight="fifty"),
     "indicators.groups[0].weight：应为数字，而不是 'fifty'"),
    (lambda d: d["indicators"]["groups"][1].update(weight=25),
     "indicators.groups[2].weight：各组分值合计 95（执行率 10 + 产出指标 50 + 效益指标 25 + 满意度指标 10），应为 100"),
    (lambda d: d["indicators"].update(reverse_rule="log"), "indicators.reverse_rule：'log' 应为 ratio 或 linear"),
    (lambda d: d["indicators"].update(spare_rows_per_subgroup=11),
     "indicators.spare_rows_per_subgroup：11 应在 0 至 10 之间"),
    (lambda d: d["indicators"].update(groups=[]), "indicators.groups：不能为空"),
    (lambda d: d["funds"]["execution"].update(row="x"), "funds.execution.row：'x' 不是 funds.rows 中的 key"),
    (lambda d: d["funds"]["rows"][0].update(parts=["nope"]), "funds.rows[0].parts：'nope' 不是另一行的 key"),
    (lambda d: d["funds"]["columns"].pop(),
     "funds.execution.executed：执行率的执行数列 'executed' 不是 funds.columns 中的 key"),
    (lambda d: d.update(funds=None), "funds：必须填写（映射：title、columns、rows）"),
    (lambda d: d["goals"].update(columns=["a"]), "goals.columns：应恰好有 2 列，而不是 1 列"),
    (lambda d: d["grades"].reverse(), "grades[1].min：等次应按 min 从高到低排列"),
    (lambda d: d["grades"][-1].update(min=10), "grades[3].min：最后一个等次的 min 应为 0"),
    (lambda d: d["header"].append(dict(d["header"][0])), "header[3]：'project_name' 与前面的重复"),
    (lambda d: d.update(narratives={}), "narratives：应为列表"),
    (lambda d: d.update(indicators="x"), "indicators：应为映射"),
]


@pytest.mark.parametrize("edit, expected", MISTAKES)
def test_every_spec_message_is_chinese_with_its_key_path(edit, expected):
    data = copy.deepcopy(_data("project-2020"))
    edit(data)
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems
    for p in problems:
        path, _, msg = p.partition("：")
        assert msg and CJK.search(msg), p


def test_nothing_scored_and_circular_parts_and_a_non_mapping():
    assert _problems([1, 2]) == ["(顶层)：表式应为键值映射（YAML 的 键: 值）"]
    data = copy.deepcopy(_data("dept-2020"))
    rows = data["funds"]["rows"]
    rows[1]["parts"] = [rows[0]["key"]]  # a part of a part of itself
    assert any("成了自己的组成部分（循环）" in p for p in _problems(data))
    data = copy.deepcopy(_data("project-2020"))
    data["funds"].pop("execution")
    data.pop("indicators")
    assert "(顶层)：没有计分的内容：请加 funds.execution、indicators 或 scorecard" in _problems(data)


def test_build_with_a_misspelt_spec_prints_every_problem_and_exits_2(tmp_path):
    data = copy.deepcopy(_data("project-2020"))
    _rename(data["indicators"], "reverse_rule", "reverse_rul")
    data["indicators"]["groups"][0]["weight"] = 45
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["build", "--spec", str(path), "--blank", "-o",
                                  str(tmp_path / "x.xlsx")])
    assert r.exit_code == 2
    assert f"错误：表式 {path} 有误：" in r.output
    assert "  indicators.reverse_rul：未知的键是否应为 reverse_rule？" in r.output
    assert "  indicators.groups[2].weight：各组分值合计 95" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "x.xlsx").exists()


def test_yaml_that_does_not_parse_says_where_in_chinese(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: project\ntitle: [unclosed\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["build", "--spec", str(path), "--blank", "-o",
                                  str(tmp_path / "x.xlsx")])
    assert r.exit_code == 2 and "YAML 格式有误第 3 行第 1 列" in r.output, r.output
    path.write_bytes("title: 项目".encode("gbk"))
    with pytest.raises(InputError, match="文件不是 UTF-8 编码的文字"):
        load_spec(path)
