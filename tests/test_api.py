"""The Python API (issue 13, "Python API"; deliverable 7): files and folders as str or Path
(one of them where a list is expected), keys as str or bytes with surrounding whitespace and
the trailing newline of a key file stripped, and ``xlkit.load_key(path)``. Through the public
names: xlkit.read_workbook, read_many, iter_read, load_key; build_workbook, FastBuilder,
issue_all; collect."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from conftest import SAMPLES

import xlkit
from xlkit.build import build_workbook
from xlkit.build.distribute import issue_all, plan
from xlkit.build.fast import FastBuilder
from xlkit.core.meta import META_SHEET, normalise_key, parse_rows, verify
from xlkit.core.spec import load_spec
from xlkit.findings import InputError
from xlkit.inputs.budget_list import read_list
from xlkit.round.collect import collect

RETURNS = SAMPLES / "returns"
KEY_FILE = SAMPLES / "示例密钥.txt"  # ends with a newline, as an editor saves it
KEY = KEY_FILE.read_bytes().strip()
N_RETURNS = sum(1 for _ in RETURNS.rglob("*.xlsx"))


def _codes(tables) -> set[str]:
    return set(tables.findings["code"])


def test_the_key_file_has_a_trailing_newline():
    assert KEY_FILE.read_bytes().endswith(b"\n") and not KEY.endswith(b"\n")


@pytest.mark.parametrize("paths", [str(RETURNS), RETURNS, [str(RETURNS)], (RETURNS,),
                                   iter([RETURNS])])
def test_read_many_takes_one_folder_or_a_list_as_str_or_path(paths):
    tables = xlkit.read_many(paths, key=KEY, jobs=1)
    assert len(tables.files) == N_RETURNS  # not one rejected "file" per character
    assert set(tables.files["status"]) == {"read"}


@pytest.mark.parametrize("key", [KEY.decode(), KEY + b"\n", KEY_FILE.read_bytes(),
                                 KEY_FILE.read_text(encoding="utf-8"), "  " + KEY.decode() + "\r\n",
                                 bytearray(KEY), KEY_FILE])
def test_read_many_takes_the_key_as_str_or_bytes_stripped(key):
    tables = xlkit.read_many(RETURNS, key=key, jobs=1)
    assert set(tables.files["status"]) == {"read"}
    assert set(tables.projects["issued_source"]) == {"签名"}
    assert not _codes(tables) & {"meta.bad_signature", "file.corrupt", "meta.unsigned"}


def test_a_wrong_key_still_finds_bad_signatures():
    tables = xlkit.read_many(RETURNS, key="another-office-key-0123456789", jobs=1)
    assert "meta.bad_signature" in _codes(tables) or "meta.other_key" in _codes(tables)
    assert set(tables.projects["issued_source"]) == {"不可信"}


def test_read_workbook_and_iter_read_take_str_paths_and_str_keys():
    one = next(RETURNS.rglob("*.xlsx"))
    r = xlkit.read_workbook(str(one), key=KEY.decode() + "\n")
    assert r.status == "read" and r.project["issued_source"] == "签名"
    (again,) = list(xlkit.iter_read(str(one), key=KEY + b"\n", jobs=1))  # one path, not its letters
    assert again.status == "read" and again.project["issued_source"] == "签名"


def test_load_key_reads_strips_and_says_in_chinese_what_is_wrong(tmp_path):
    assert xlkit.load_key(KEY_FILE) == KEY
    assert xlkit.load_key(str(KEY_FILE)) == KEY
    with pytest.raises(InputError, match="找不到密钥文件 .*没有.key"):
        xlkit.load_key(tmp_path / "没有.key")
    (tmp_path / "空.key").write_bytes(b"\n\n")
    with pytest.raises(InputError, match="密钥文件 .*空.key 是空的"):
        xlkit.load_key(tmp_path / "空.key")
    (tmp_path / "短.key").write_bytes(b"short\n")
    with pytest.raises(InputError, match="太短（至少 16 个字符）"):
        xlkit.load_key(tmp_path / "短.key")
    with pytest.raises(InputError, match="是文件夹，不是文件"):
        xlkit.load_key(tmp_path)
    assert "load_key" in xlkit.__all__ and "load_key" in dir(xlkit)


def test_normalise_key_refuses_what_is_not_a_key_in_chinese():
    assert normalise_key(None) is None
    assert normalise_key(" k\n") == b"k"
    with pytest.raises(InputError, match="密钥应为文字（str）或字节（bytes），而不是 int"):
        normalise_key(12345)
    with pytest.raises(InputError, match="密钥是空的"):
        normalise_key(" \n")


def _verified(data: bytes) -> bool:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    meta = parse_rows({k: v for k, v in wb[META_SHEET].iter_rows(values_only=True)})
    return bool(meta.signature) and verify(meta.payload, meta.signature, KEY)


def test_build_workbook_and_fast_builder_take_str_keys_stripped():
    spec = load_spec("project-2020")
    built = build_workbook(spec, {"year": 2023}, key=KEY.decode() + "\n")
    assert _verified(built.data)
    builder = FastBuilder(spec, key=KEY + b"\r\n")
    assert _verified(builder.build({"year": 2023, "unit_code": "1", "project_code": "P"}))


def test_issue_all_takes_a_str_key_and_str_folders(tmp_path):
    spec = load_spec("project-2020")
    rows = read_list(str(SAMPLES / "预算清单.xlsx")).rows
    out = tmp_path / "out"
    issued = issue_all(spec, plan(spec, rows, out), year=2023, out_dir=str(out),
                       key=KEY.decode() + "\n")
    assert issued and all(it.signed for it in issued)
    tables = xlkit.read_many(str(out), key=KEY)
    assert set(tables.projects["issued_source"]) == {"签名"}


def test_collect_takes_str_paths_and_a_str_key(tmp_path):
    outcome = collect(str(RETURNS), str(SAMPLES / "预算清单.xlsx"), str(tmp_path / "报告.xlsx"),
                      key=KEY.decode() + "\n", jobs=1)
    assert Path(outcome.report).is_file()
    assert outcome.summary["已报"] > 0
    assert outcome.summary["收到文件"] == N_RETURNS
