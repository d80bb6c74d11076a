"""Specs are data: built-ins load, mistakes are reported with their key path."""

from __future__ import annotations

import copy

import pytest
import yaml
from click.testing import CliRunner

from xlkit.cli import main
from xlkit.core.spec import builtin_specs, load_spec, parse_spec, templates_dir
from xlkit.findings import InputError


def _data(spec_id: str) -> dict:
    return yaml.safe_load((templates_dir() / f"{spec_id}.yaml").read_text(encoding="utf-8"))


def test_builtin_specs_load_and_weights_sum_to_100():
    specs = {s.id: s for s in builtin_specs()}
    assert set(specs) >= {"project-2020", "dept-2020", "common-2011"}
    for s in specs.values():
        assert sum(s.weights.values()) == 100, s.id
    assert specs["project-2020"].weights == {"执行率": 10, "产出指标": 50, "效益指标": 30,
                                             "满意度指标": 10}
    assert specs["common-2011"].weights == {"投入": 20, "过程": 20, "产出": 30, "效果": 30}


def _problems(data) -> list[str]:
    with pytest.raises(InputError) as exc:
        parse_spec(data, "t.yaml")
    return exc.value.problems


def test_weights_not_summing_to_100_names_the_key_path():
    data = _data("project-2020")
    data["indicators"]["groups"][1]["weight"] = 25
    assert _problems(data) == [
        "indicators.groups[2].weight：各组分值合计 95（执行率 10 + 产出指标 50 + 效益指标 25 + "
        "满意度指标 10），应为 100"]


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d.pop("title"), "title：必须填写"),
    (lambda d: d.update(colour="red"), "colour：未知的键（可用的键：id, version, title"),
    (lambda d: d["header"][0].update(source="预算"), "header[0].source：'预算' 应为预算清单的列代码"),
    (lambda d: d["funds"]["rows"][0].update(parts=["fiscal", "nope"]),
     "funds.rows[0].parts：'nope' 不是另一行的 key"),
    (lambda d: d["funds"]["execution"].update(row="x"), "funds.execution.row：'x' 不是 funds.rows 中的 key"),
    (lambda d: d["indicators"].update(reverse_rule="log"), "indicators.reverse_rule：'log' 应为 ratio 或 linear"),
    (lambda d: d["indicators"]["groups"][0].update(weight="fifty"),
     "indicators.groups[0].weight：应为数字，而不是 'fifty'"),
    (lambda d: d["grades"].reverse(), "grades[1].min：等次应按 min 从高到低排列"),
    (lambda d: d["header"].append(dict(d["header"][0])), "header[3]：'project_name' 与前面的重复"),
    (lambda d: d["indicators"].update(rows_per_subgroup=0), "indicators.rows_per_subgroup：0 应在 1 至 20 之间"),
])
def test_each_mistake_is_reported_with_its_path(edit, expected):
    data = copy.deepcopy(_data("project-2020"))
    edit(data)
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_scorecard_items_must_fill_their_group_and_rates_must_point_at_funds():
    data = _data("common-2011")
    data["scorecard"]["groups"][0]["items"][0]["weight"] = 2
    data["scorecard"]["groups"][0]["items"][3]["rate"]["numerator"] = "total.paid"
    problems = _problems(data)
    assert "scorecard.groups[0].items：各项分值合计 19，应等于本组分值 20" in problems
    assert ("scorecard.groups[0].items[3].rate.numerator：'total.paid' 应写成 "
            "<资金行 key>.<资金列 key>（如 total.full_year）") in problems


def test_local_variant_by_path_and_unknown_id(tmp_path):
    data = _data("project-2020")
    data.update(id="project-2020-hn", title="湖南省项目支出绩效自评表")
    data["indicators"]["reverse_rule"] = "linear"
    path = tmp_path / "hn.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    spec = load_spec(str(path))
    assert (spec.id, spec.indicators.reverse_rule) == ("project-2020-hn", "linear")
    with pytest.raises(InputError, match="没有这个表式"):
        load_spec("project-1999")
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="YAML 格式有误第 1 行第"):
        load_spec(path)


def test_templates_command_lists_id_version_title():
    result = CliRunner().invoke(main, ["templates"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any(line.startswith("project-2020") and "v1" in line and "项目支出绩效自评表" in line
               for line in lines)
    assert any(line.startswith("common-2011") for line in lines)


def test_build_with_a_broken_spec_file_exits_2_with_the_path(tmp_path):
    data = _data("project-2020")
    data["indicators"]["groups"][0]["weight"] = 45
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--spec", str(path), "--blank", "-o",
                                       str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert "indicators.groups[2].weight：各组分值合计 95" in result.output
    assert "Traceback" not in result.output
