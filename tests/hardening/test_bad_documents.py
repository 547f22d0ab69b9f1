"""Bad documents at ingest: a clear Chinese error for that file, the rest of the ingest goes on,
and the index and the registry keep the previous version of a file that failed."""

from __future__ import annotations

import io
import os
from pathlib import Path

import docx
import pytest
from PIL import Image

from assistant.services import Services
from policyqa.composition import build_embedder, build_store
from policyqa.storage import build_registry
from retrieval.embedding import CachedEmbedder
from retrieval.ingest import parse_source
from retrieval.loaders import MAX_CHARS, read_blocks
from retrieval.sources import Source
from tests.conftest import fixed_services, list_file, make_settings
from tests.hardening.conftest import sqlite_url

MANIFEST = """
[[source]]
id = "a"
title = "甲县节能方案"
level = "县"
file = "a.txt"
"""
# source ids of the good files: named after them, Chinese names included
GOOD_IDS = [
    "gbk",
    "utf16",
    "tables",
    "big",
    "controls",
    "really-a-docx",
    "湘阴县秸秆方案",
    "湘阴县沼气方案",
]
PLAN_A = "甲县节能方案\n一、目标\n1.推广屋顶光伏。到2027年新增屋顶光伏50兆瓦。（县发改局牵头）\n"


def _docx(path: Path, *paragraphs: str, rows: list[list[str]] = (), picture: bytes = b"") -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
    if picture:
        document.add_picture(io.BytesIO(picture))
    document.save(path)
    return path


def _noise_png(side: int) -> bytes:
    """An incompressible picture: a few MB however it is packed."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "sources.toml").write_text(MANIFEST, "utf-8")
    (folder / "a.txt").write_text(PLAN_A, "utf-8")
    return folder


def _bad_files(folder: Path) -> dict[str, Path]:
    """Files that must fail, each with a word its error message must hold."""
    folder.mkdir()
    files = {
        "已损坏或不是有效的 Word": folder / "corrupt.docx",
        "不是有效的 Word": folder / "notzip.docx",
        "已损坏或不是有效的 PDF": folder / "corrupt.pdf",
        "不是有效的 PDF": folder / "really-a-text.pdf",
        "是空文件": folder / "empty.txt",
        "没有可提取的文字": folder / "blank.md",
        "没有识别出文字": folder / "picture.png",
        "目前支持": folder / "old-word.doc",
        "文字编码": folder / "binary.txt",
        "无法识别": folder / "utf32.txt",
        "万字": folder / "huge.txt",
        "找不到文件": folder / "missing.txt",
    }
    files["已损坏或不是有效的 Word"].write_bytes(b"PK\x03\x04" + os.urandom(2000))
    files["不是有效的 Word"].write_text("这不是 Word 文件", "utf-8")
    files["已损坏或不是有效的 PDF"].write_bytes(b"%PDF-1.7\n1 0 obj <<" + os.urandom(3000))
    files["不是有效的 PDF"].write_text(PLAN_A, "utf-8")
    files["是空文件"].write_bytes(b"")
    files["没有可提取的文字"].write_text("  \n\n\t\n---\n", "utf-8")
    files["没有识别出文字"].write_bytes(_noise_png(8))  # read by OCR, which finds no text
    files["目前支持"].write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    files["文字编码"].write_bytes(b"\x80\xff" * 50)
    files["无法识别"].write_bytes("一、任务".encode("utf-32"))
    line = "1.推进屋顶分布式光伏建设，鼓励公共机构和居民住宅安装光伏设施。\n"
    files["万字"].write_text(line * (3 * MAX_CHARS // len(line)), "utf-8")  # about 4.5 MB
    return files


def _good_files(folder: Path) -> dict[str, Path]:
    """Files that must be read, each with a phrase search must find afterwards."""
    folder.mkdir()
    gbk = "乙县方案\n一、任务\n1.建设光伏电站。到2027年新增光伏30兆瓦。（县发改局负责）\n"
    utf16 = "丙县方案\n一、任务\n1.建设地源热泵。到2028年推广地源热泵40台。（县住建局负责）\n"
    files = {
        "光伏电站": folder / "gbk.txt",
        "地源热泵": folder / "utf16.txt",
        "新能源公交车": folder / "tables.docx",
        "换电站": folder / "big.docx",
        "生物质锅炉": folder / "controls.html",
        "秸秆气化": folder / "湘阴县秸秆方案.txt",
        "农村沼气": folder / "湘阴县沼气方案.txt",
        "空气源热泵": folder / "really-a-docx.txt",  # the content decides, not the name
    }
    files["光伏电站"].write_bytes(gbk.encode("gbk"))
    files["地源热泵"].write_bytes(utf16.encode("utf-16"))
    _docx(
        files["新能源公交车"],
        "丁县交通方案",
        "一、任务",
        rows=[["1.推广新能源公交车。", "到2028年新增新能源公交车50辆。（县交通运输局负责）"]],
    )
    big = _docx(
        files["换电站"],
        "戊县方案",
        "一、任务",
        "1.建设换电站。到2029年建成换电站12座。（县住建局负责）",
        picture=_noise_png(1100),
    )
    assert big.stat().st_size > 3_000_000
    files["生物质锅炉"].write_bytes(
        "<html><body><h1>己县方案</h1><p>一、任务\x00</p>"
        "<p>1.改造生物质锅炉\x07。到2027年改造生物质锅炉8台\x1b[0m。（县工信局负责）</p>"
        "</body></html>".encode()
    )
    files["秸秆气化"].write_text("一、任务\n1.推广秸秆气化。（县农业农村局负责）\n", "utf-8")
    files["农村沼气"].write_text("一、任务\n1.建设农村沼气池。（县农业农村局负责）\n", "utf-8")
    _docx(
        files["空气源热泵"],
        "庚县方案",
        "一、任务",
        "1.推广空气源热泵。到2028年推广空气源热泵60台。（县住建局负责）",
    )
    return files


def test_bad_files_fail_alone_and_leave_the_index_as_it_was(
    corpus: Path, tmp_path: Path, embedding_cache: Path
) -> None:
    settings = make_settings(tmp_path / "data", embedding_cache, corpus_dir=corpus)
    services = fixed_services(settings)
    services.ingest.ingest()
    before = _catalog(services)
    task_before = services.registry.tasks()

    bad, good = _bad_files(tmp_path / "bad"), _good_files(tmp_path / "good")
    for path in [*bad.values(), *good.values()]:
        list_file(settings.data_dir, path)
    (corpus / "a.txt").write_bytes(PLAN_A.encode("utf-32"))  # the plan itself goes bad
    outcome = services.ingest.ingest([corpus / "a.txt", *bad.values(), *good.values()])

    failed = dict(outcome.failed)
    assert set(failed) == {str(p) for p in (corpus / "a.txt", *bad.values())}
    for words, path in bad.items():
        assert words in failed[str(path)] and path.name in failed[str(path)], failed[str(path)]
    assert sorted(outcome.index.updated) == sorted(GOOD_IDS)

    after = _catalog(services)
    assert after["a"] == before["a"]  # the failed plan keeps its indexed version
    assert "屋顶光伏" in services.search.search("屋顶光伏", k=1)[0].text
    assert [t for t in services.registry.tasks() if t.document_id == "a"] == [
        t for t in task_before if t.document_id == "a"
    ]
    for phrase in good:
        hits = services.search.search(phrase, k=1)
        assert hits and phrase in hits[0].text, phrase
    assert not any(
        c in h.text for h in services.search.search("生物质锅炉") for c in "\x00\x07\x1b"
    )
    leads = {t.title: t.lead_departments for t in services.registry.tasks()}
    assert leads["推广新能源公交车"] == ("县交通运输局",)
    assert leads["推广秸秆气化"] == leads["建设农村沼气池"] == ("县农业农村局",)


def _catalog(services: Services) -> dict[str, object]:
    settings = services.settings
    store = build_store(
        settings, CachedEmbedder(build_embedder(settings), settings.embedding_cache)
    )
    state = store.state()
    assert state is not None
    return dict(state.documents)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_control_characters_never_reach_the_registry(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A stray NUL in a web page would not even fit in a PostgreSQL text column."""
    url = sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("postgres_url")
    page = tmp_path / "page.html"
    page.write_bytes("<p>一、任务\x00</p><p>1.建设\x07换电站。（县住建局\x1b负责）</p>".encode())
    blocks = read_blocks(page)
    assert blocks == ["一、任务", "1.建设换电站。（县住建局负责）"]
    registry = build_registry(make_settings(tmp_path / "data", tmp_path, database_url=url))
    source = Source(id="page", title="测试页面")
    document = parse_source(blocks, source)
    registry.sync_document(source_id="page", title="测试页面", level="县", document=document)
    assert registry.tasks()[0].lead_departments == ("县住建局",)


def test_the_size_limit_is_a_setting(corpus: Path, tmp_path: Path, embedding_cache: Path) -> None:
    """``POLICYQA_DOCUMENTS__MAX_FILE_MB`` refuses a larger file at ingest, in Chinese, with
    nothing indexed; the same file passes under the default limit."""
    big = tmp_path / "乙县节能方案.txt"
    big.write_text(PLAN_A + "说明。" * 130_000, encoding="utf-8")  # 1.2 MB, 390,000 characters
    small = make_settings(
        tmp_path / "small", embedding_cache, corpus_dir=corpus, documents={"max_file_mb": 1}
    )
    refused = fixed_services(small).ingest.ingest([big])
    [(path, message)] = refused.failed
    assert path == str(big) and big.name in message and "MB" in message
    assert not refused.index.updated
    accepted = fixed_services(
        make_settings(tmp_path / "default", embedding_cache, corpus_dir=corpus)
    )
    assert not accepted.ingest.ingest([big]).failed
