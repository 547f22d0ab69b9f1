"""The search index as a JSON-able snapshot: the current generation's chunks with their embeddings,
and importing one as a new generation.

An import is published like an ingest, in one step: searches see the old index or the restored
one, never a mix. Embeddings travel with the chunks, so nothing is embedded again; they only make
sense for the model that made them, which an import checks. Knows nothing of files or the CLI.
"""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Any

import numpy as np

from retrieval.store import CatalogState, ChunkStore, DocumentEntry, IndexRecord

FORMAT = "policyqa-index"
VERSION = 1


class IndexBackupError(ValueError):
    """A snapshot that cannot be imported here; the message is Chinese, for end users."""


def export_index(store: ChunkStore) -> dict[str, Any] | None:
    """The current generation, or None before the first ingest."""
    state = store.state()
    if state is None:
        return None
    return {
        "format": FORMAT,
        "version": VERSION,
        "embedding_model": store.embedding_model,
        "documents": {sid: asdict(entry) for sid, entry in state.documents.items()},
        "records": [
            {
                "id": r.id,
                "text": r.text,
                "metadata": r.metadata,
                # float32 little-endian, base64: exact and a third of the size of JSON numbers
                "embedding": base64.b64encode(r.embedding.astype("<f4").tobytes()).decode(),
            }
            for r in store.records(state.generation)
        ],
    }


def check_index(store: ChunkStore, snapshot: dict[str, Any]) -> None:
    """Raises IndexBackupError unless ``snapshot`` can be imported into ``store``."""
    if snapshot.get("format") != FORMAT or snapshot.get("version") != VERSION:
        raise IndexBackupError("备份文件中的索引格式无法识别。")
    if snapshot.get("embedding_model") != store.embedding_model:
        raise IndexBackupError(
            f"备份索引的向量模型（{snapshot.get('embedding_model')}）与当前配置"
            f"（{store.embedding_model}）不同：请用相同模型恢复，或恢复后重新运行 policyqa ingest。"
        )


def import_index(store: ChunkStore, snapshot: dict[str, Any]) -> int:
    """Publish ``snapshot`` as a new generation; returns the number of chunks."""
    check_index(store, snapshot)
    try:
        records = [
            IndexRecord(
                id=r["id"],
                text=r["text"],
                metadata=r["metadata"],
                embedding=np.frombuffer(base64.b64decode(r["embedding"]), dtype="<f4"),
            )
            for r in snapshot["records"]
        ]
        documents = {sid: DocumentEntry(**e) for sid, e in snapshot["documents"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexBackupError("备份文件中的索引内容不完整或已损坏。") from exc
    generation = store.new_generation()
    store.add_records(generation, records)
    store.publish(CatalogState(generation=generation, documents=documents))
    return len(records)
