"""Pages of the county plan as a scanner gives them back, and how much of them OCR reads right:
shared by the OCR benchmark and the format tests.

A page is drawn at 200 dpi with the CJK font Debian ships (``fonts-wqy-microhei``), then turned
a little askew, blurred, speckled and JPEG-compressed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "corpus" / "xiangyin-shuangtan-plan.txt"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DPI = 200
_LINES_PER_PAGE = 12


def plan_paragraphs(page: int = 0) -> list[str]:
    """The plan's blocks as one page holds them: 12 blocks from the ``page``-th dozen, each to
    its second sentence end at most (page 0: title, preamble, 一、 （一） （二） 二、 …)."""
    text = re.sub(r"\[bookmark:[^\]]*\]", "", PLAN.read_text("utf-8"))
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    chosen = paragraphs[page * _LINES_PER_PAGE : (page + 1) * _LINES_PER_PAGE]
    return [re.match(r"(?:[^。]*。){0,2}", p).group() or p for p in chosen]


def render_page(paragraphs: list[str], *, title: bool = True) -> Image.Image:
    """An A4 page at 200 dpi as a county office prints it: a centred title (the first paragraph,
    on a first page), body text at 12 pt with a two-character indent, lines wrapped at the
    margin."""
    if not FONT.exists():
        raise FileNotFoundError("需要 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）")
    width, height = round(8.27 * DPI), round(11.69 * DPI)
    size = round(12 / 72 * DPI)
    font = ImageFont.truetype(str(FONT), size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    left, right, y = round(DPI * 1.1), width - round(DPI * 1.1), round(DPI * 1.0)
    body = paragraphs
    if title:
        heading, *body = paragraphs
        draw.text(((width - font.getlength(heading)) / 2, y), heading, font=font, fill=0)
        y += 2 * size
    for paragraph in body:
        x, line = left + 2 * size, ""
        for char in paragraph:
            if x + font.getlength(line + char) > right:
                draw.text((x, y), line, font=font, fill=0)
                x, line, y = left, "", y + round(1.6 * size)
            line += char
        draw.text((x, y), line, font=font, fill=0)
        y += round(1.6 * size)
    if y >= height - DPI:
        raise ValueError("the text must fit one page")
    return page


def scanned(page: Image.Image) -> Image.Image:
    """The page as a scanner gives it back: a little askew, blurred, speckled, JPEG-compressed."""
    page = page.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.8))
    speckles = np.random.default_rng(0).normal(0, 18, (page.height, page.width))
    page = Image.fromarray(np.clip(np.asarray(page) + speckles, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    page.save(out, "JPEG", quality=55)
    return Image.open(out)


def accuracy(expected: str, found: str) -> float:
    """Characters right: 1 − edit distance / length, on the texts without whitespace."""
    a, b = re.sub(r"\s", "", expected), re.sub(r"\s", "", found)
    return 1 - Levenshtein.distance(a, b) / len(a)
