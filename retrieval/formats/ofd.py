"""OFD (GB/T 33190, the national format for official e-documents) through ``ofdkit``.

ofdkit places each page's text objects in reading order (lines by baseline, columns where the
page has them) and leaves a blank line where the vertical gap says a paragraph ends. Lines are
then joined into paragraphs as for a PDF, so that official numbering starts each block. A page
without text objects (a scan saved as OFD) is read by OCR from its image objects.
"""

from __future__ import annotations

import io
import logging
import posixpath
import xml.etree.ElementTree as ET

import ofdkit
from ofdkit.package import Package
from PIL import Image, UnidentifiedImageError

from retrieval.formats.common import (
    DocumentError,
    Line,
    ReadContext,
    ReadResult,
    join_lines,
    too_many_ocr_pages,
    too_many_pages,
    without_page_furniture,
)
from retrieval.formats.ocr import ocr_lines

logger = logging.getLogger(__name__)

_A4 = (210.0, 297.0)


def _page_lines(text: str, page: int) -> list[Line]:
    lines: list[Line] = []
    gap = False  # a page break is no paragraph break: text runs on from the page before
    for raw in text.split("\n"):
        if not raw.strip():
            gap = True
            continue
        lines.append(Line(raw, page=page, starts_paragraph=gap))
        gap = False
    return lines


def read_ofd(data: bytes, name: str, context: ReadContext) -> ReadResult:
    limits = context.limits
    try:
        with ofdkit.open(data) as document:
            count = len(document.pages)
            if count > limits.max_pages:
                raise too_many_pages(name, count, limits.max_pages)
            pages = [_page_lines(page.text(), page.index + 1) for page in document.pages]
            for warning in document.warnings:
                logger.warning("%s: %s", name, warning)
        scanned = [index for index, lines in enumerate(pages) if not lines]
        images = _page_images(data, set(scanned)) if scanned else {}
    except DocumentError:
        raise
    except ofdkit.OFDLimitError as exc:
        raise DocumentError(f"文件“{name}”中有超出安全上限的部分，已拒绝读取。") from exc
    # ofdkit raises OFDError for what it recognises; XML and ZIP damage come as other errors.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 OFD 文档。") from exc
    scanned = [index for index in scanned if images.get(index)]
    if len(scanned) > limits.max_ocr_pages:
        raise too_many_ocr_pages(name, len(scanned), limits.max_ocr_pages)
    boxes = (
        context.ocr.read(scanned, lambda index: _compose(images[index], name)) if scanned else {}
    )
    for index, found in boxes.items():
        pages[index] = ocr_lines(found, page=index + 1)
    lines = without_page_furniture(pages)
    if not lines:
        raise DocumentError(
            f"文件“{name}”中没有可提取的文字：它的页面没有文字对象，页面图像中也没有识别出文字。"
        )
    return ReadResult(
        "ofd",
        tuple(join_lines(lines)),
        pages=count,
        ocr_pages=frozenset(index + 1 for index, found in boxes.items() if found),
    )


# --- pages that are pictures -------------------------------------------------------------------

_Placed = tuple[bytes, tuple[float, float, float, float], tuple[float, float]]
"""An image's bytes, its Boundary on the page (x, y, width, height in mm) and the page size."""


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [c for c in element if _local(c) == name]


def _box(text: str | None) -> tuple[float, float, float, float] | None:
    try:
        x, y, width, height = (float(v) for v in (text or "").split()[:4])
    except ValueError:
        return None
    return (x, y, width, height) if width > 0 and height > 0 else None


def _page_images(data: bytes, wanted: set[int]) -> dict[int, list[_Placed]]:
    """The image objects of the ``wanted`` pages (0-based, in ofdkit's page order), from the
    page content and the MultiMedia resources the document declares."""
    placed: dict[int, list[_Placed]] = {}
    with Package(data) as package:
        entry = package.find("OFD.xml")
        if entry is None:
            return placed
        index = 0
        for body in _children(package.read_xml(entry), "DocBody"):
            root = next((c.text for c in _children(body, "DocRoot")), None)
            document_path = package.resolve(entry, root)
            if document_path is None:
                continue
            document = package.read_xml(document_path)
            common = next(iter(_children(document, "CommonData")), None)
            area = next(iter(_children(common, "PageArea")), None)
            default_box = _box(next((c.text for c in _children(area, "PhysicalBox")), None))
            media = _media(package, document_path, common)
            for holder in _children(document, "Pages"):
                for page in _children(holder, "Page"):
                    location = package.resolve(document_path, page.get("BaseLoc"))
                    if location is not None and index in wanted:
                        content = package.read_xml(location)
                        page_area = next(iter(_children(content, "Area")), None)
                        page_box = _box(
                            next((c.text for c in _children(page_area, "PhysicalBox")), None)
                        )
                        size = (page_box or default_box or (0, 0, *_A4))[2:]
                        placed[index] = [
                            (package.read(media[rid]), box, size)
                            for element in content.iter()
                            if _local(element) == "ImageObject"
                            and (rid := (element.get("ResourceID") or "").strip()) in media
                            and (box := _box(element.get("Boundary"))) is not None
                        ]
                    index += 1
    return placed


def _media(package: Package, document_path: str, common: ET.Element | None) -> dict[str, str]:
    """Image resources by ID → their part in the package."""
    found: dict[str, str] = {}
    for element in list(common) if common is not None else []:
        if _local(element) not in ("PublicRes", "DocumentRes"):
            continue
        path = package.resolve(document_path, element.text)
        if path is None:
            continue
        resources = package.read_xml(path)
        base = (resources.get("BaseLoc") or "").strip()
        for holder in _children(resources, "MultiMedias"):
            for item in _children(holder, "MultiMedia"):
                file = next((c.text for c in _children(item, "MediaFile")), None)
                if not file or (item.get("Type") or "Image").strip().lower() != "image":
                    continue
                part = package.resolve(path, posixpath.join(base, file.strip())) or package.resolve(
                    path, file
                )
                if part is not None:
                    found[(item.get("ID") or "").strip()] = part
    return found


def _compose(images: list[_Placed], name: str, dpi: int = 200) -> Image.Image:
    """The page as a picture: its one image as stored, or its images placed on a white page."""
    try:
        if len(images) == 1:
            return Image.open(io.BytesIO(images[0][0])).convert("RGB")
        width, height = images[0][2]
        scale = dpi / 25.4
        page = Image.new("RGB", (round(width * scale), round(height * scale)), "white")
        for data, (x, y, w, h), _ in images:
            picture = Image.open(io.BytesIO(data)).convert("RGB")
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            page.paste(picture.resize(size), (round(x * scale), round(y * scale)))
        return page
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        # JBIG2, which some scanners put in OFD, is not read by Pillow: that page stays empty
        logger.warning("%s: a page image cannot be read (%s)", name, exc)
        return Image.new("RGB", (8, 8), "white")
