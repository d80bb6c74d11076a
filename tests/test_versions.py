"""Versioned templates (issue 14, deliverable 1), through the CLI and the API.

An office's templates folder holds ``county-2020`` version 1 (the national project form
under the office's own id). Workbooks are issued with it; then version 2 is added (a real
change: an extra fund row 专项债券资金, 5 points moved from 产出 to 效益, 优 from 85) and
issued too. Returns of both kinds are read and collected from one inbox, each by its own
version; a return whose version is not on the machine, two different files of one version,
and a released version edited in place are each said in Chinese.
"""

from __future__ import annotations

import copy
import json
import secrets
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from workbooks import TARGETS, by_code, codes, fill

from xlkit.build import build_workbook, write_atomic
from xlkit.cli import main
from xlkit.core.meta import META_SHEET, parse_rows
from xlkit.core.spec import (
    TEMPLATES_ENV,
    load_spec,
    spec_digest,
    template_index,
    templates_dir,
)
from xlkit.findings import InputError
from xlkit.inputs.manifest import read_manifest
from xlkit.read import read_many, read_workbook
from xlkit.round.collect import collect

TID = "county-2020"
P1, P2 = "P2023-301001-01", "P2023-301001-02"  # issued with version 1, version 2
UNIT = ("301001", "益阳市医疗保障事务中心", "益阳市医疗保障局")


def version_1() -> dict:
    data = yaml.safe_load((templates_dir() / "project-2020.yaml").read_text(encoding="utf-8"))
    data.update(id=TID, version=1, title="县级项目支出绩效自评表")
    return data


def version_2() -> dict:
    data = copy.deepcopy(version_1())
    data["version"] = 2
    rows = data["funds"]["rows"]
    rows[0]["parts"] = [*rows[0]["parts"][:-1], "bond", rows[0]["parts"][-1]]
    rows.insert(len(rows) - 1, {"key": "bond", "label": "专项债券资金"})
    data["indicators"]["groups"][0]["weight"] -= 5
    data["indicators"]["groups"][1]["weight"] += 5
    data["grades"][0]["min"] = 85
    return data


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def targets_of(version: int) -> list[dict]:
    rows = copy.deepcopy(TARGETS)
    if version == 2:  # 产出 45 = 20 + 25, 效益 35
        rows[1]["weight"], rows[2]["weight"] = 25, 35
    return rows


def write_sheet(path: Path, head: list[str], rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(head)
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def filled_values(version: int) -> dict:
    """What the unit types: 80 % executed, the qualitative scores 2 and 3 points short:
    8 + 16 + (w1 − 2) + (w2 − 3) + 10 = 89 on either version."""
    weights = [t["weight"] for t in targets_of(version)]
    return {
        "funds.total.executed": 1200, "funds.fiscal.executed": 600,
        "funds.carryover.executed": 600,
        "ind.0.actual": 0.8, "ind.0.reason": "年底清算未完",
        "ind.1.tier": "达成", "ind.1.qscore": weights[1] - 2, "ind.1.actual": "及时拨付",
        "ind.1.reason": "个别延迟",
        "ind.2.tier": "达成", "ind.2.qscore": weights[2] - 3, "ind.2.actual": "好",
        "ind.2.reason": "宣传不足",
        "ind.3.actual": 0.95,
        "goals.expected": "保障离休人员医疗待遇", "goals.actual": "已保障",
        "signoff.0": "刘纪", "signoff.1": "6501871", "signoff.2": "2024.5.20",
    }


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def payload_of(path: Path) -> dict:
    ws = openpyxl.load_workbook(path)[META_SHEET]
    return parse_rows({r[0].value: r[1].value for r in ws.iter_rows() if r[0].value}).payload


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Issue with version 1, add version 2, issue again (both through `xlkit build`); the
    unit returns P1 on the version-1 form and P2 on the version-2 form."""
    root = tmp_path_factory.mktemp("versions")
    tpl = root / "本单位表式"
    write_yaml(tpl / f"{TID}@1.yaml", version_1())
    key = root / "key.txt"
    key.write_text(secrets.token_hex(16), encoding="utf-8")
    head = ["单位编码", "单位名称", "主管部门", "项目编码", "项目名称", "年初预算数", "全年预算数",
            "当年财政拨款", "上年结转资金"]
    listing = write_sheet(root / "预算清单.xlsx", head, [
        [*UNIT, P1, "医疗保险基金补助", 1500, 1500, 720, 780],
        [*UNIT, P2, "医疗救助资金", 1500, 1500, 720, 780]])
    tcols = ["项目编码", "一级指标", "二级指标", "三级指标", "指标方向", "年度指标值", "计量单位", "分值"]
    out, said = {}, {}
    for v in (1, 2):
        if v == 2:
            write_yaml(tpl / f"{TID}.yaml", version_2())  # the newest, beside the released
        targets = write_sheet(root / f"目标{v}.xlsx", tcols, [
            [p, t["level1"], t["level2"], t["name"], t["direction"], t["target"], t["unit"],
             t["weight"]] for p in (P1, P2) for t in targets_of(v)])
        out[v] = root / f"issued{v}"
        r = run("build", "--template", TID, "--templates", tpl, "--list", listing,
                "--targets", targets, "--year", 2023, "--out", out[v], "--key-file", key)
        assert r.exit_code == 0, r.output
        said[v] = r.output
    inbox = root / "inbox"
    inbox.mkdir()
    for v, project in ((1, P1), (2, P2)):
        issued = next(out[v].rglob(f"{project}_*.xlsx"))
        fill(issued, inbox / f"v{v}_{issued.name}", filled_values(v))
    return {"root": root, "tpl": tpl, "key": key.read_text(encoding="utf-8").strip(),
            "list": listing, "out": out, "said": said, "inbox": inbox,
            "returns": {v: next(inbox.glob(f"v{v}_*.xlsx")) for v in (1, 2)}}


@pytest.fixture
def office(world, monkeypatch):
    """$XLKIT_TEMPLATES names the office's folder (for the API calls)."""
    monkeypatch.setenv(TEMPLATES_ENV, str(world["tpl"]))
    return world


# ------------------------------------------------------------------ loading by version


def test_load_spec_newest_or_a_named_version(office):
    assert load_spec(TID).version == 2
    assert load_spec(f"{TID}@1").version == 1 == load_spec(TID, version=1).version
    assert [r.key for r in load_spec(TID).funds.rows][-2:] == ["bond", "other"]
    with pytest.raises(InputError) as exc:
        load_spec(f"{TID}@3")
    assert exc.value.code == "input.template"
    assert str(exc.value) == f"表式 {TID} 没有第 3 版（本机有：第 1 版、第 2 版）"
    with pytest.raises(InputError, match="版本号「x」应为整数"):
        load_spec(f"{TID}@x")


def test_the_index_reads_id_and_version_from_the_content_not_the_name(office, tmp_path,
                                                                      monkeypatch):
    folder = tmp_path / "t"
    write_yaml(folder / "随便起的名字.yaml", {**version_2(), "version": 5})
    monkeypatch.setenv(TEMPLATES_ENV, f"{folder}:{office['tpl']}")
    assert sorted(template_index().versions[TID]) == [1, 2, 5]
    assert load_spec(TID).source.endswith("随便起的名字.yaml")


def test_an_identical_copy_in_the_office_folder_is_the_same_version(tmp_path, monkeypatch):
    """The office folder is searched first; a copy of a built-in version with the same
    content (comments aside) is that version, found there."""
    text = (templates_dir() / "project-2020.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").write_text("# 本单位留存的副本\n" + text, encoding="utf-8")
    monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path))
    version = load_spec("project-2020").version
    index = template_index()
    assert index.conflicts == {}
    assert index.versions["project-2020"][version].path == tmp_path / "mine.yaml"


def test_two_different_files_of_one_version_are_refused_naming_both(office, tmp_path,
                                                                    monkeypatch):
    changed = version_1()
    changed["grades"][0]["min"] = 95
    other = write_yaml(tmp_path / "copy.yaml", changed)
    monkeypatch.setenv(TEMPLATES_ENV, f"{tmp_path}:{office['tpl']}")
    with pytest.raises(InputError) as exc:
        load_spec(f"{TID}@1")
    first = office["tpl"] / f"{TID}@1.yaml"
    assert str(exc.value).startswith(f"表式 {TID} 第 1 版有两个内容不同的文件：{other} 与 {first}。")
    assert load_spec(TID).version == 2  # the other version is not in doubt
    r = run("templates")
    assert r.exit_code == 2 and str(other) in r.output and str(first) in r.output
    assert "两个内容不同的文件" in r.output and "Traceback" not in r.output


# ------------------------------------------------------------------ the command line


def test_templates_lists_every_version_with_newest_and_folder(world):
    r = run("templates", "--templates", world["tpl"])
    assert r.exit_code == 0, r.output
    lines = {ln.split()[0] + " " + ln.split()[1]: ln for ln in r.output.splitlines()}
    assert "最新" not in lines[f"{TID} v1"] and "最新" in lines[f"{TID} v2"]
    assert f"本单位：{world['tpl'] / (TID + '@1.yaml')}" in lines[f"{TID} v1"]
    assert "县级项目支出绩效自评表" in lines[f"{TID} v2"]
    assert "内置：" in lines["project-2020 v1"]
    assert TID not in run("templates").output  # the option lasts one command


def test_build_says_the_version_and_the_manifest_records_it(world):
    assert f"表式：{TID} 第 1 版（最新）「县级项目支出绩效自评表」（默认最新" in world["said"][1]
    assert f"表式：{TID} 第 2 版（最新）" in world["said"][2]
    for v in (1, 2):
        rows = read_manifest(world["out"][v] / "manifest.xlsx").rows
        assert {r.values["表式"] for r in rows if r.file} == {f"{TID} v{v}"}
    r = run("build", "--template", f"{TID}@1", "--templates", world["tpl"], "--blank", "-o",
            world["root"] / "blank1.xlsx")
    assert r.exit_code == 0 and f"表式：{TID} 第 1 版「" in r.output and "（指定；" in r.output
    assert payload_of(world["root"] / "blank1.xlsx")["template_version"] == 1
    r = run("build", "--template", f"{TID}@9", "--templates", world["tpl"], "--blank", "-o",
            world["root"] / "blank9.xlsx")
    assert r.exit_code == 2
    assert f"错误：表式 {TID} 没有第 9 版（本机有：第 1 版、第 2 版）" in r.output


def test_both_builders_record_the_digest_of_the_spec(office):
    """The fast builder (build --list) and the reference one (build_workbook) record the
    same template_digest: the spec's canonical content."""
    for v in (1, 2):
        spec = load_spec(TID, version=v)
        assert spec.digest == spec_digest(version_1() if v == 1 else version_2())
        issued = next(office["out"][v].rglob(f"{P1}_*.xlsx"))
        assert payload_of(issued)["template_digest"] == spec.digest
        assert build_workbook(spec, {"year": 2023}).record.payload["template_digest"] == \
            spec.digest


# ------------------------------------------------------------------ reading by version


def test_each_return_is_read_by_its_own_version(office):
    """89 points on both forms: 良 under version 1 (优 from 90), 优 under version 2 (优
    from 85); version 2's return has the 专项债券资金 row. No other_version finding."""
    r1, r2 = (read_workbook(office["returns"][v], key=office["key"], year=2023)
              for v in (1, 2))
    for v, r in ((1, r1), (2, r2)):
        assert r.status == "read", r.reason
        assert not {"meta.other_version", "meta.template_changed"} & set(codes(r))
        assert [f.message for f in r.findings if f.severity == "错误"] == []
        assert r.project["template_version"] == v and r.project["total_score"] == 89
    assert (r1.project["grade"], r2.project["grade"]) == ("良", "优")
    assert "bond" not in {f["row"] for f in r1.funds}
    assert "bond" in {f["row"] for f in r2.funds}
    assert [i["weight"] for i in r2.indicators if i["name"]] == [20, 25, 35, 10]


def test_read_command_tables_say_each_version(world, tmp_path):
    out = tmp_path / "tables.xlsx"
    r = run("read", world["inbox"], "-o", out, "--templates", world["tpl"], "--headers", "en",
            env={"XLKIT_KEY": world["key"]})
    assert r.exit_code == 0, r.output
    import pandas as pd

    projects = pd.read_excel(out, sheet_name="projects", engine="openpyxl",
                             dtype={"project_code": str}).set_index("project_code")
    assert projects.loc[P1, "template_version"] == 1 and projects.loc[P2, "template_version"] == 2
    assert (projects.loc[P1, "grade"], projects.loc[P2, "grade"]) == ("良", "优")


def test_collect_an_inbox_of_both_versions(office, tmp_path):
    outcome = collect(office["inbox"], office["list"], tmp_path / "报告.xlsx", spec_ref=TID,
                      key=office["key"], year=2023)
    result = outcome.result
    projects = result.tables.projects.set_index("project_code")
    assert projects.loc[P1, "template_version"] == 1 and projects.loc[P2, "template_version"] == 2
    assert (projects.loc[P1, "grade"], projects.loc[P2, "grade"]) == ("良", "优")
    assert result.summary()["已报"] == 2
    assert not result.issues["rule"].isin(["meta.other_version", "meta.version_missing"]).any()


def test_a_return_of_a_version_not_here_is_rejected_naming_it(office, tmp_path, monkeypatch):
    """Only version 2 on this machine: version 1's form has one fund row fewer, so version 2
    cannot stand in for it."""
    folder = tmp_path / "only2"
    shutil.copy(office["tpl"] / f"{TID}.yaml", folder.mkdir() or folder / f"{TID}.yaml")
    monkeypatch.setenv(TEMPLATES_ENV, str(folder))
    r = read_workbook(office["returns"][1], key=office["key"])
    assert (r.status, r.code) == ("rejected", "meta.version_missing")
    assert r.reason == (f"表式 {TID} 第 1 版不在本机，请安装包含该版本的 xlkit 或把该版本的 YAML "
                        "放入模板目录（本机有：第 2 版）")
    assert read_workbook(office["returns"][2], key=office["key"]).status == "read"
    tables = read_many([office["returns"][1]], key=office["key"])
    assert list(tables.files["code"]) == ["meta.version_missing"]


def test_a_released_version_edited_in_place_is_said(office, tmp_path, monkeypatch):
    """The office changed 优 in version 1's file after issuing it: the return is read by the
    file as it is now, and a 提示 says the file changed since issue. A return issued before
    digests were recorded reads as before."""
    folder = tmp_path / "edited"
    changed = version_1()
    changed["grades"][0]["min"] = 88
    write_yaml(folder / f"{TID}@1.yaml", changed)
    monkeypatch.setenv(TEMPLATES_ENV, str(folder))
    r = read_workbook(office["returns"][1], key=office["key"])
    f = by_code(r, "meta.template_changed")
    assert f.severity == "提示" and f.sheet == "_meta"
    assert f.message.startswith(f"表式 {TID} 第 1 版的文件在下发后被改动过（{folder / (TID + '@1.yaml')}")
    assert r.status == "read" and r.project["grade"] == "优"  # 89 ≥ 88: the file as it is
    # issued before this change: no digest in _meta, nothing said
    from dataclasses import replace

    old = build_workbook(replace(load_spec(f"{TID}@1"), digest=""), {"year": 2023})
    assert "template_digest" not in old.record.payload
    write_atomic(tmp_path / "old.xlsx", old.data)
    r = read_workbook(tmp_path / "old.xlsx")
    assert r.status == "read" and "meta.template_changed" not in codes(r)


def test_unknown_template_and_unusable_version_are_rejected_in_chinese(office, tmp_path,
                                                                      monkeypatch):
    folder = tmp_path / "broken"
    bad = version_1()
    bad["indicators"]["groups"][0]["weight"] = 70  # the weights no longer add up to 100
    write_yaml(folder / f"{TID}@1.yaml", bad)
    monkeypatch.setenv(TEMPLATES_ENV, str(folder))
    r = read_workbook(office["returns"][1], key=office["key"])
    assert (r.status, r.code) == ("rejected", "meta.unknown_template")
    assert r.reason.startswith(f"表式「{TID}」第 1 版在本机无法使用：") and "weight" in r.reason
    monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path / "empty"))
    r = read_workbook(office["returns"][1], key=office["key"])
    assert r.reason == f"未知的表式「{TID}」第 1 版，本机没有这个表式"


def test_builtin_templates_are_indexed_by_content():
    """Every built-in file is a spec whose versions of one id differ in content; the
    package's ``<id>.yaml`` is its id's newest version."""
    index = template_index([templates_dir()])
    assert index.broken == () and index.conflicts == {}
    for tid, versions in index.versions.items():
        newest = versions[max(versions)]
        assert newest.path.name in (f"{tid}.yaml", f"{tid}@{newest.version}.yaml")
        assert json.dumps(sorted(versions)) == json.dumps(list(range(min(versions),
                                                                     max(versions) + 1)))


def test_released_builtin_versions_are_kept_and_never_edited_in_place():
    """tests/data/released_templates.json lists the built-in versions that have been issued:
    each is still in the package, with the content it was issued with (a change is a new
    version, the old file kept as ``<id>@<N>.yaml``)."""
    released = json.loads((Path(__file__).parent / "data" / "released_templates.json")
                          .read_text(encoding="utf-8"))
    index = template_index([templates_dir()])
    for ref, digest in released.items():
        if ref.startswith("_"):
            continue
        tid, version = ref.rsplit("@", 1)
        assert index.has(tid, int(version)), f"已发布的表式 {tid} 第 {version} 版不在包中"
        found = index.versions[tid][int(version)]
        assert found.digest == digest, (
            f"已发布的表式 {tid} 第 {version} 版（{found.path.name}）被原地修改：请恢复原内容，"
            f"把改动另存为新版本（version 加 1），原文件保存为 {tid}@{version}.yaml")
