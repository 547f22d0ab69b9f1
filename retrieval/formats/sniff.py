"""Tell a file's format from its bytes, not its name, and refuse dangerous containers unopened.

Offices receive docx files named .doc or .wps, PDFs named .txt, web pages saved as .doc: the
name only decides between the text formats (txt, md, html), which have no signature, and words
the error message. ZIP-based files (docx, xlsx, ofd) are checked against a zip bomb from their
directory before anything is decompressed; files carrying macros are refused.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import olefile

from retrieval.formats.common import DocumentError, ReadLimits, megabytes

# Suffix → what the name claims, for messages ("不是有效的 PDF 文件").
CLAIMS = {
    ".pdf": "PDF",
    ".docx": "Word（.docx）",
    ".doc": "Word（.doc）",
    ".wps": "WPS 文字（.wps）",
    ".xlsx": "Excel（.xlsx）",
    ".xls": "Excel（.xls）",
    ".et": "WPS 表格（.et）",
    ".ofd": "OFD",
    ".png": "PNG 图片",
    ".jpg": "JPEG 图片",
    ".jpeg": "JPEG 图片",
    ".tif": "TIFF 图片",
    ".tiff": "TIFF 图片",
    ".bmp": "BMP 图片",
}
TEXT_SUFFIXES = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html"}
SUFFIXES = frozenset(CLAIMS) | frozenset(TEXT_SUFFIXES)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
)
_BMP_HEADERS = {12, 40, 52, 56, 64, 108, 124}
_HTML = re.compile(rb"^\s*(?:<!doctype\s+html|<html[\s>]|<meta\s|<head[\s>]|<body[\s>])", re.I)
# ZIP members that unpack past this are checked for a bomb-like compression ratio.
_RATIO_FLOOR = 16 * 1024 * 1024


def supported_list() -> str:
    return "、".join(sorted(SUFFIXES))


def unrecognized(name: str, suffix: str) -> DocumentError:
    """The content is no format we read (whatever the name says)."""
    claim = CLAIMS.get(suffix)
    if claim is None:
        return DocumentError(f"不支持文件“{name}”的格式，目前支持：{supported_list()}。")
    return DocumentError(
        f"文件“{name}”不是有效的 {claim} 文件，内容也不是其他支持的格式"
        f"（目前支持：{supported_list()}）。"
    )


def macros_refused(name: str) -> DocumentError:
    return DocumentError(
        f"文件“{name}”含有宏（VBA 代码）。为安全起见不接收带宏的文档，"
        "请在 Office 或 WPS 中另存为不含宏的 .docx / .xlsx 文件后再上传。"
    )


def password_protected(name: str) -> DocumentError:
    return DocumentError(f"文件“{name}”设有打开密码，请先解除密码保护后再上传。")


def sniff(data: bytes, name: str, suffix: str, limits: ReadLimits) -> str:
    """The format of ``data``: pdf, docx, xlsx, ofd, doc, xls, image, html, md or txt.

    Raises:
        DocumentError: A ZIP that would unpack too far, a file with macros or a password, or
            content that is no supported format.
    """
    if b"%PDF-" in data[:1024]:  # the header may follow some junk, as readers allow
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_format(data, name, suffix, limits)
    if data.startswith(_OLE_MAGIC):
        return _ole_format(data, name, suffix)
    if data.startswith(_IMAGE_MAGIC) or _is_bmp(data):
        return "image"
    if _HTML.match(data[:1024].lstrip(b"\xef\xbb\xbf")):
        return "html"  # a web page saved as .doc or .txt
    if suffix in TEXT_SUFFIXES:
        return TEXT_SUFFIXES[suffix]
    raise unrecognized(name, suffix)


def _is_bmp(data: bytes) -> bool:
    """ "BM" alone would also start a text file: the header's sizes must agree too."""
    if len(data) < 26 or not data.startswith(b"BM"):
        return False
    file_size, _, offset, header = struct.unpack_from("<IIII", data, 2)
    return header in _BMP_HEADERS and offset < len(data) and file_size in (0, len(data))


def check_zip(archive: zipfile.ZipFile, name: str, size: int, limits: ReadLimits) -> None:
    """Refuse a zip bomb from the sizes its directory declares, before decompressing anything.

    zipfile never returns more bytes than a member declares, so a member lying about its size
    cannot get past this either.
    """
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.max_unzipped_bytes or (
        unpacked > _RATIO_FLOOR and unpacked > limits.max_zip_ratio * max(size, 1)
    ):
        raise DocumentError(
            f"文件“{name}”解压后有 {megabytes(unpacked)}（压缩后 {megabytes(size)}），"
            "超出允许范围，可能是恶意构造的压缩文件，已拒绝读取。"
        )


def _zip_format(data: bytes, name: str, suffix: str, limits: ReadLimits) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip(archive, name, len(data), limits)
            names = {info.filename.replace("\\", "/").lstrip("/") for info in archive.infolist()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        claim = CLAIMS.get(suffix, "ZIP 压缩")
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 {claim} 文档。") from exc
    lower = {n.lower() for n in names}
    if any(n.endswith("vbaproject.bin") for n in lower):
        raise macros_refused(name)
    if any(re.fullmatch(r"word/document\d*\.xml", n) for n in lower):
        return "docx"
    if "xl/workbook.xml" in lower:
        return "xlsx"
    if "ofd.xml" in lower:
        return "ofd"
    raise unrecognized(name, suffix)


def _ole_format(data: bytes, name: str, suffix: str) -> str:
    """Word 97–2003 (.doc; WPS saves .wps in it too) or Excel 97–2003 (.xls, WPS .et)."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            entries = {"/".join(path).lower() for path in ole.listdir(streams=True, storages=True)}
    except Exception as exc:  # olefile reports damage through many exception types
        raise unrecognized(name, suffix) from exc
    if "encryptedpackage" in entries:  # a docx or xlsx with an open password is an OLE file
        raise password_protected(name)
    if "worddocument" in entries:
        if "macros" in entries:
            raise macros_refused(name)
        return "doc"
    if "workbook" in entries or "book" in entries:
        if "_vba_project_cur" in entries:
            raise macros_refused(name)
        return "xls"
    raise unrecognized(name, suffix)
