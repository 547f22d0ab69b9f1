"""Word documents: docx, and Word 97–2003 binaries (.doc, and .wps as WPS saves it) through docx.

A legacy file is converted to docx (``msdoc2docx``, pure Python) so that its tables become task
measures exactly as a docx's do; where the converter fails, ``legacy-doc`` still gets the text.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import docx
import legacy_doc
from doc2docx import convert
from doc2docx.errors import EncryptedDocumentError
from docx.table import Table

from retrieval.formats.common import DocumentError
from retrieval.formats.sniff import password_protected
from retrieval.tables import table_blocks

logger = logging.getLogger(__name__)


def _table_rows(table: Table) -> list[str]:
    # A merged cell comes back once per grid column and row it spans: its text stays in place.
    return table_blocks([[cell.text for cell in row.cells] for row in table.rows])


def read_docx(data: bytes, name: str) -> list[str]:
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.extend(_table_rows(item))
            else:
                blocks.append(item.text)
    # A damaged file surfaces as zipfile, lxml, KeyError and other errors; all mean the same.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 Word（.docx）文档。") from exc
    return blocks


def read_doc(data: bytes, name: str) -> list[str]:
    """A Word 97–2003 binary: converted to docx, else its text alone."""
    with tempfile.TemporaryDirectory(prefix="policyqa-doc-") as folder:
        source, target = Path(folder) / "source.doc", Path(folder) / "converted.docx"
        source.write_bytes(data)
        try:
            convert(source, target)
            return read_docx(target.read_bytes(), name)
        except EncryptedDocumentError as exc:
            raise password_protected(name) from exc
        # The converter does not cover every legacy feature; the text alone is still worth having.
        except Exception as exc:
            logger.info("%s: converting to docx failed (%s); reading its text only", name, exc)
    try:
        text = legacy_doc.extract_text(data).text
    except Exception as exc:
        raise DocumentError(
            f"文件“{name}”已损坏或不是有效的 Word 97–2003 文档，请用 Office 或 WPS 另存为 .docx 后再上传。"
        ) from exc
    return text.splitlines()
