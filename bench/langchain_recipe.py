"""The plain LangChain recipe a team would copy from a tutorial, as the baseline.

RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50, add_start_index=True) with its
default separators, Chroma with its default settings, dense search only; the embedding model is
ours (multilingual-e5-small through the same on-disk cache, behind a LangChain ``Embeddings``
wrapper), so only the pipeline differs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from retrieval.embedding import CachedEmbedder
from retrieval.store import LangchainEmbeddings


@dataclass(frozen=True)
class RecipeHit:
    passage: str
    start: int
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def split(passages: dict[str, str]) -> list[Document]:
    """The tutorial's splitter; each chunk remembers its passage and where it starts."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=500, chunk_overlap=50, add_start_index=True
    )
    return splitter.split_documents(
        [Document(page_content=text, metadata={"passage": pid}) for pid, text in passages.items()]
    )


class LangchainRecipe:
    def __init__(self, documents: list[Document], embedder: CachedEmbedder) -> None:
        self._client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
        self._store = Chroma.from_documents(
            documents,
            LangchainEmbeddings(embedder),
            client=self._client,
            collection_name=f"recipe_{uuid.uuid4().hex[:8]}",
        )

    def search(self, query: str, *, k: int = 10) -> list[RecipeHit]:
        return [
            RecipeHit(d.metadata["passage"], int(d.metadata["start_index"]), d.page_content)
            for d in self._store.similarity_search(query, k=k)
        ]

    def close(self) -> None:
        self._store.delete_collection()
