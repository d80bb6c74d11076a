"""The ``_meta`` record of an issued workbook and its HMAC-SHA256 signature.

The payload names the template, year, unit and project, the issued (pre-filled) values and
the field → cell map. It is signed with the office key, so a unit that strips protection and
edits a budget figure, or copies ``_meta`` from another unit's workbook, is detected on return:
the signature still verifies only for the payload, and the payload no longer matches the cells.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkit.findings import InputError

META_SHEET = "_meta"
CHUNK = 16000  # a cell holds 32,767 UTF-16 units; a character is at most 2
KEY_ENV = "XLKIT_KEY"


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, so a reader can say which key signed a file."""
    return hashlib.sha256(b"xlkit-key-id:" + key).hexdigest()[:12]


#: Where the issued values of a return (budget figures, approved targets, weights) were
#: taken from, the ``issued_source`` column: the reader says one of the first three, collect
#: may replace an untrusted one by what it compared the return with.
TRUST_SIGNED = "签名"  # its _meta, the signature verified with the office key
TRUST_UNVERIFIED = "未核验"  # its _meta, no key given to verify it
TRUST_NONE = "不可信"  # a key was given, and the signature is missing or does not verify
TRUST_MANIFEST = "下发清单"  # its _meta, whose digest the build's manifest records
TRUST_LIST = "预算清单"  # the office's list and targets, the return compared with them

def new_file_id() -> str:
    """A random id for one issued workbook, recorded in its payload and the manifest."""
    return secrets.token_hex(8)


def issued_digest(text: str) -> str:
    """A digest of what a workbook was issued with: its payload's canonical text (file id,
    codes, year, template, issued values, targets and all). The build's manifest keeps it,
    so a return whose ``_meta`` was edited and re-signed, unsigned or stripped of its
    signature still shows whether it holds what was issued. The reader digests the text as
    stored (only canonical texts are ever written), so nothing is serialised again."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def sign(payload: dict[str, Any], key: bytes) -> str:
    return _mac(canonical(payload), key)


def _mac(text: str, key: bytes) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(payload: dict[str, Any], signature: str, key: bytes, text: str | None = None) -> bool:
    """Whether ``signature`` signs ``payload``. ``text``: the payload as it was stored, when
    known: only canonical texts are ever signed, so a stored text whose own HMAC matches is
    the canonical one, and the payload need not be serialised again to check it."""
    if text is not None and hmac.compare_digest(_mac(text, key), signature or ""):
        return True
    return hmac.compare_digest(sign(payload, key), signature or "")


def load_key(key_file: str | os.PathLike | None = None) -> bytes | None:
    """The office key from ``key_file`` (read as bytes, surrounding whitespace and the
    trailing newline an editor adds stripped) or ``$XLKIT_KEY``; None when neither is
    given. InputError ``input.key`` (in Chinese) when the file is missing, unreadable, empty
    or too short. Exported as ``xlkit.load_key``."""
    if key_file is not None and str(key_file) != "":
        path = Path(key_file)
        try:
            data = path.read_bytes().strip()
        except FileNotFoundError:
            raise InputError("input.key", f"找不到密钥文件 {path}", file=str(path)) from None
        except IsADirectoryError:
            raise InputError("input.key", f"密钥文件 {path} 是文件夹，不是文件",
                             file=str(path)) from None
        except OSError as exc:
            raise InputError("input.key", f"无法读取密钥文件 {path}：{exc.strerror}",
                             file=str(path)) from None
        if not data:
            raise InputError("input.key", f"密钥文件 {path} 是空的", file=str(path))
        if len(data) < 16:
            raise InputError("input.key", f"密钥文件 {path} 太短（至少 16 个字符）",
                             file=str(path))
        return data
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        if len(env) < 16:
            raise InputError("input.key", f"环境变量 {KEY_ENV} 中的密钥太短（至少 16 个字符）")
        return env.encode("utf-8")
    return None


def normalise_key(key: str | bytes | bytearray | os.PathLike | None) -> bytes | None:
    """A key as the API takes it → the bytes signing uses: bytes, or str (UTF-8), with
    surrounding whitespace and newlines stripped (a key read from a file with its trailing
    newline is the same key); a path (``Path``) is a key file, read by :func:`load_key`.
    None stays None. InputError ``input.key`` (in Chinese) for an empty key or another type.
    Every API function that takes ``key=`` passes it through here."""
    if key is None:
        return None
    if isinstance(key, os.PathLike):
        return load_key(key)
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise InputError("input.key", f"密钥应为文字（str）或字节（bytes），而不是 "
                                      f"{type(key).__name__}：可用 xlkit.load_key(路径) 读取密钥文件")
    key = bytes(key).strip()
    if not key:
        raise InputError("input.key", "密钥是空的")
    return key


@dataclass
class MetaRecord:
    payload: dict[str, Any]
    signature: str  # "" when unsigned
    key_id: str
    text: str | None = field(default=None, compare=False)  # the payload as stored, if read

    def rows(self) -> list[tuple[str, str]]:
        """Key/value rows as written to the ``_meta`` sheet."""
        p = self.payload
        text = canonical(p)
        rows = [
            ("xlkit", "绩效自评表元数据（请勿修改）"),
            ("template_id", p["template_id"]),
            ("template_version", str(p["template_version"])),
            ("year", str(p.get("year") or "")),
            ("unit_code", p.get("unit_code") or ""),
            ("project_code", p.get("project_code") or ""),
            ("signed", "yes" if self.signature else "no"),
            ("key_id", self.key_id),
            ("signature", self.signature),
            ("payload_chunks", str((len(text) + CHUNK - 1) // CHUNK)),
        ]
        rows += [(f"payload.{i}", text[i * CHUNK:(i + 1) * CHUNK])
                 for i in range((len(text) + CHUNK - 1) // CHUNK)]
        return rows


def make_record(payload: dict[str, Any], key: bytes | None) -> MetaRecord:
    if key is None:
        return MetaRecord(payload, "", "")
    return MetaRecord(payload, sign(payload, key), key_id(key))


def parse_rows(rows: dict[str, str]) -> MetaRecord:
    """Rebuild a record from the ``_meta`` key/value rows; ValueError when damaged."""
    try:
        n = int(rows.get("payload_chunks", "0"))
        text = "".join(rows[f"payload.{i}"] for i in range(n))
        payload = json.loads(text)
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"_meta payload is damaged: {exc}") from None
    if not isinstance(payload, dict):
        raise ValueError("_meta payload is not a mapping")
    return MetaRecord(payload, rows.get("signature", "") or "", rows.get("key_id", "") or "",
                      text)
