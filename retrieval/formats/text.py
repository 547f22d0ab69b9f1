"""Plain text (UTF-8, UTF-16 with a BOM, GB18030/GBK) and markdown."""

from __future__ import annotations

import codecs
import logging
import re

from retrieval.formats.common import DocumentError

logger = logging.getLogger(__name__)


def decode(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 (a superset of GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # NUL never occurs in a text file; seeing one means the guess was wrong.
        if "\x00" not in text:
            logger.debug("Decoded %s as %s", name, encoding)
            return text
    raise DocumentError(
        f"无法识别文件“{name}”的文字编码，请将其另存为 UTF-8 或 GBK 编码的文本文件。"
    )


def read_txt(data: bytes, name: str) -> list[str]:
    return decode(data, name).splitlines()


_MD_LINE_MARKUP = re.compile(r"^\s*(?:(?:#{1,6}|>|[-*+](?=\s))\s*)+")
_MD_RULE = re.compile(r"\s*([-*_])(?:\s*\1){2,}\s*")


def read_md(data: bytes, name: str) -> list[str]:
    return [
        _MD_LINE_MARKUP.sub("", line).replace("**", "").replace("__", "")
        for line in read_txt(data, name)
        if not _MD_RULE.fullmatch(line)
    ]
