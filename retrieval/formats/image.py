"""Pictures of pages (png, jpeg, tiff with one page per frame, bmp), read by OCR."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from retrieval.formats.common import (
    DocumentError,
    ReadContext,
    ReadResult,
    join_lines,
    too_many_ocr_pages,
    too_many_pages,
    without_page_furniture,
)
from retrieval.formats.ocr import ocr_lines

# Fewer letters than this on a whole picture is noise the models saw in a photo, not a text.
_MIN_CHARS = 4


def read_image(data: bytes, name: str, context: ReadContext) -> ReadResult:
    limits = context.limits
    try:
        with warnings.catch_warnings():
            # Pillow warns of large pictures; the pixel limit below decides instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        width, height = image.size
    except Image.DecompressionBombError as exc:
        raise DocumentError(f"图片“{name}”的像素过多，请缩小后再上传。") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DocumentError(f"图片“{name}”已损坏或格式无法识别。") from exc
    if width * height > limits.max_image_pixels:
        raise DocumentError(
            f"图片“{name}”有 {width}×{height} 像素，超过了 {limits.max_image_pixels // 10_000} 万像素"
            "的上限，请缩小后再上传。"
        )
    if frames > limits.max_pages:
        raise too_many_pages(name, frames, limits.max_pages)
    if frames > limits.max_ocr_pages:
        raise too_many_ocr_pages(name, frames, limits.max_ocr_pages)

    def render(frame: int) -> Image.Image:
        try:
            image.seek(frame)
            # a phone photo is stored sideways with an EXIF note to turn it
            return ImageOps.exif_transpose(image.convert("RGB"))
        except (OSError, ValueError, EOFError) as exc:
            raise DocumentError(f"图片“{name}”已损坏，无法读取第 {frame + 1} 帧。") from exc

    with image:
        boxes = context.ocr.read(range(frames), render)
    pages = [ocr_lines(boxes[frame], page=frame + 1) for frame in range(frames)]
    letters = sum(ch.isalnum() for page in pages for line in page for ch in line.text)
    if letters < _MIN_CHARS:
        raise DocumentError(f"文件“{name}”中没有可提取的文字：图片中没有识别出文字。")
    items = join_lines(without_page_furniture(pages))
    return ReadResult(
        "image",
        tuple(items),
        pages=frames,
        ocr_pages=frozenset(frame + 1 for frame in range(frames) if boxes[frame]),
    )
