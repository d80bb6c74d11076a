"""What a damaged file's exception means, said in Chinese for the clerk who sent it.

Readers (zipfile, zlib, expat, openpyxl, xlrd) raise exceptions whose names and texts are
Python's ("BadZipFile: Bad CRC-32", "ValueError: invalid literal for int() with base 10:
'inf'"). A reason a person reads never shows them: :func:`damage_reason` turns one into a
short Chinese phrase, keeping a raw value the text quotes (the value is the user's, not
Python's). The exception itself is logged at debug level (logger ``xlkit.read``) for whoever
maintains xlkit.
"""

from __future__ import annotations

import errno
import logging
import re
import zipfile
import zlib
from xml.etree import ElementTree
from xml.parsers import expat

__all__ = ["damage_reason", "os_read_reason"]

LOG = logging.getLogger("xlkit.read")

_E = expat.errors
#: expat's messages (its error code → Chinese)
_EXPAT = {_E.codes[msg]: zh for msg, zh in (
    (_E.XML_ERROR_SYNTAX, "语法错误"),
    (_E.XML_ERROR_NO_ELEMENTS, "内容为空或被截断"),
    (_E.XML_ERROR_INVALID_TOKEN, "含有非法字符或标记"),
    (_E.XML_ERROR_UNCLOSED_TOKEN, "标记未闭合（内容被截断）"),
    (_E.XML_ERROR_PARTIAL_CHAR, "字符不完整（内容被截断）"),
    (_E.XML_ERROR_TAG_MISMATCH, "开始与结束标记不匹配"),
    (_E.XML_ERROR_DUPLICATE_ATTRIBUTE, "同一属性出现两次"),
    (_E.XML_ERROR_JUNK_AFTER_DOC_ELEMENT, "文档结束后还有多余内容"),
    (_E.XML_ERROR_UNDEFINED_ENTITY, "引用了未定义的实体"),
    (_E.XML_ERROR_BAD_CHAR_REF, "字符引用无效"),
    (_E.XML_ERROR_UNKNOWN_ENCODING, "未知的字符编码"),
    (_E.XML_ERROR_INCORRECT_ENCODING, "字符编码与声明不符"),
    (_E.XML_ERROR_UNCLOSED_CDATA_SECTION, "CDATA 段未闭合"),
    (_E.XML_ERROR_MISPLACED_XML_PI, "XML 声明位置不对"),
    (_E.XML_ERROR_UNBOUND_PREFIX, "使用了未声明的命名空间前缀"),
    (_E.XML_ERROR_INVALID_ARGUMENT, "内容无法解析"),
) if msg in _E.codes}

#: zipfile's BadZipFile texts (a piece of the text → Chinese)
_ZIP = (
    ("Bad CRC-32", "部件的校验和（CRC-32）不符，数据已损坏"),
    ("not a zip file", "不是有效的 zip 压缩包"),
    ("Truncated file header", "压缩包被截断"),
    ("Bad magic number", "部件的文件头损坏"),
    ("differ", "部件的文件头与目录不一致"),
    ("Overlapped entries", "压缩包内部件互相重叠"),
    ("zip64", "压缩包的 zip64 记录损坏"),
    ("Corrupt extra field", "部件的扩展字段损坏"),
    ("Bad offset", "压缩包目录位置错误"),
)

#: errno → why a file could not be read, in Chinese
_OS = {
    errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限", errno.ENOENT: "文件不存在",
    errno.EISDIR: "这是一个文件夹", errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.ENAMETOOLONG: "文件名过长", errno.ELOOP: "符号链接层数过多（可能是循环链接）",
    errno.EIO: "读写出错（磁盘或网络）", errno.ENXIO: "设备不存在", errno.EMFILE: "打开的文件过多",
    errno.ENFILE: "打开的文件过多", errno.ETXTBSY: "文件正被占用", errno.EBUSY: "文件正被占用",
}

_NAMED = re.compile(r"named '([^']*)'")
_QUOTED = re.compile(r"""(?:'([^']{0,200})'|"([^"]{0,200})")\s*\)?\s*$""")


def os_read_reason(exc: OSError) -> str:
    """Why ``exc`` stopped a file from being read, in Chinese."""
    return _OS.get(exc.errno or 0, "无法访问（系统错误）")


def _quoted(text: str) -> str:
    m = _QUOTED.search(text)
    if not m:
        return ""
    value = m[1] if m[1] is not None else m[2]
    return f"「{value[:60]}」"


def damage_reason(exc: BaseException) -> str:
    """``exc`` (raised by a reader on a damaged file) as a Chinese phrase, no Python names."""
    LOG.debug("damaged input: %s: %s", type(exc).__name__, exc)
    text = str(exc)
    if isinstance(exc, expat.ExpatError):
        what = _EXPAT.get(exc.code, "XML 结构不合法")
        return f"XML 格式错误：{what}（第 {exc.lineno} 行第 {exc.offset + 1} 列）"
    if isinstance(exc, zipfile.BadZipFile):
        for needle, zh in _ZIP:
            if needle in text:
                return zh
        return "压缩包结构损坏"
    if isinstance(exc, zlib.error):
        return "压缩数据损坏或不完整"
    if isinstance(exc, EOFError):
        return "文件被截断，数据不完整"
    if isinstance(exc, NotImplementedError):
        if "version" in text:  # zipfile: "zip file version 8.4"
            return "压缩包标明的版本不受支持（文件可能已损坏）"
        return "使用了不支持的压缩方式"
    if isinstance(exc, RuntimeError) and "encrypted" in text:
        return "部件已加密，无法读取"
    if isinstance(exc, OSError):
        return os_read_reason(exc)
    if isinstance(exc, KeyError):
        m = _NAMED.search(text)  # zipfile: "There is no item named 'x' in the archive"
        if m:
            return f"压缩包中缺少部件 {m[1][:100]}"
        arg = exc.args[0] if exc.args else ""
        return f"缺少条目「{str(arg)[:60]}」" if arg else "缺少必需的条目"
    if isinstance(exc, ElementTree.ParseError):  # openpyxl's parser
        line, col = getattr(exc, "position", (0, 0))
        return f"XML 格式错误（第 {line} 行第 {col + 1} 列）"
    if isinstance(exc, RecursionError):
        return "结构嵌套过深"
    if isinstance(exc, (ValueError, TypeError, OverflowError, IndexError, AttributeError)):
        value = _quoted(text)
        return f"内容无法识别：{value}" if value else "内容无法识别（格式不合规范）"
    return "内容无法识别"
