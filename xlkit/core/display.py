"""What a person or a spreadsheet is shown: paths, OS errors and cell text, made safe.

- :func:`display_path` / :func:`display_text`: a file name that is not valid UTF-8 (Python
  hands its bytes over as lone surrogates, ``surrogateescape``) is shown with each
  undecodable byte written ``\\xff``, the same way on screen, in JSON, CSV, xlsx and the
  ledger; a valid name is returned unchanged.
- :func:`os_reason` / :func:`cannot_write`: an OSError said in Chinese (errno → 原因).
- :func:`sheet_text`: text bound for a cell a spreadsheet opens stays text: in CSV a value
  starting with ``= + - @``, a tab or a CR gets the usual apostrophe prefix (xlsx writers
  write such values as string cells, never formulas).
"""

from __future__ import annotations

import errno
import os
from pathlib import PurePath

_SURROGATES = range(0xD800, 0xE000)


def display_text(text: str) -> str:
    """``text`` with lone surrogates shown: ``\\xNN`` for an undecodable byte of a file name
    (U+DC80–U+DCFF), U+FFFD for any other; always encodable as UTF-8."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    return "".join(
        (f"\\x{ord(c) - 0xDC00:02x}" if ord(c) >= 0xDC80 and ord(c) <= 0xDCFF else "\ufffd")
        if ord(c) in _SURROGATES else c for c in text)


def display_path(path: str | bytes | os.PathLike) -> str:
    """A path as a person reads it (see :func:`display_text`)."""
    if isinstance(path, PurePath):
        path = str(path)
    else:
        path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return display_text(path)


#: errno → the reason in Chinese
_REASONS = {
    errno.EACCES: "权限不足", errno.EPERM: "权限不足", errno.ENOTDIR: "路径中有一部分是文件，不是文件夹",
    errno.EISDIR: "这是一个文件夹", errno.ENOSPC: "磁盘已满", errno.ENAMETOOLONG: "文件名过长",
    errno.EROFS: "只读文件系统", errno.ENOENT: "文件或文件夹不存在", errno.EEXIST: "已存在",
    errno.EDQUOT: "超出磁盘配额", errno.EBUSY: "文件正被占用", errno.ETXTBSY: "文件正被占用",
    errno.ELOOP: "符号链接层数过多（可能是循环链接）", errno.EMFILE: "打开的文件过多",
    errno.EIO: "读写出错（磁盘或网络）", errno.EINVAL: "文件名无效", errno.EXDEV: "不能跨磁盘改名",
}


def os_reason(exc: OSError) -> str:
    """The reason of an OSError in Chinese (the errno's name when it has no wording yet)."""
    reason = _REASONS.get(exc.errno or 0)
    if reason is None:
        name = errno.errorcode.get(exc.errno or 0, "")
        reason = f"系统错误 {name}".rstrip() if name else "系统错误"
    return reason


def cannot_write(exc: OSError, path: str | os.PathLike | None = None) -> str:
    """``无法写入 <path>：<原因>`` for an OSError met writing an output; the path the error
    names (e.g. the folder that is a file) is shown when it differs from ``path``."""
    where = path if path is not None else exc.filename
    if path is None and where is not None and _ours(where):  # our temp file: its folder
        where = os.path.join(os.path.dirname(os.fsdecode(where)), "")
    text = f"无法写入 {display_path(where)}" if where is not None else "无法写入"
    culprit = exc.filename
    extra = ""
    if culprit is not None and path is not None and os.fspath(culprit) != os.fspath(path) \
            and not _ours(culprit):
        extra = f"（{display_path(culprit)}）"
    return f"{text}：{os_reason(exc)}{extra}"


def _ours(path: str | bytes | os.PathLike) -> bool:
    """One of our temp files (``.~xlkit-*``): not a name to show a person."""
    return os.path.basename(os.fsdecode(path)).startswith(".~xlkit-")


#: a cell text starting with one of these is a formula, a DDE call or a number to a
#: spreadsheet opening a CSV
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_text(text: str, csv: bool = False) -> str:
    """Text for a cell a spreadsheet will open, kept text: shown safely (see
    :func:`display_text`) and, in CSV, prefixed with an apostrophe when it starts with
    ``= + - @``, a tab or a CR (OWASP's "CSV injection" rule). xlsx writers write the text
    as a string cell (never a formula), so it needs no prefix there."""
    text = display_text(text)
    if csv and text.startswith(FORMULA_START):
        return "'" + text
    return text
