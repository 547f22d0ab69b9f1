"""All configuration, read once by the composition root from ``POLICYQA_*`` variables and ``.env``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RetrievalSettings(BaseModel):
    chunk_chars: int = Field(300, ge=50, le=2000, description="largest chunk, in characters")
    candidates: int = Field(
        50, ge=5, le=1000, description="hits taken from each list before fusion"
    )
    bm25_weight: float = Field(0.45, ge=0, le=1, description="BM25 share for everyday wording")
    bm25_weight_exact: float = Field(
        0.65, ge=0, le=1, description="BM25 share when the query names a department, number or year"
    )
    collection_prefix: str = "policyqa_"


class DocumentSettings(BaseModel):
    """What a file may hold before it is refused unread, and the OCR's threads."""

    max_file_mb: int = Field(100, ge=1, le=2048, description="size of an uploaded or ingested file")
    max_pages: int = Field(1000, ge=1, description="pages of a PDF or OFD")
    max_ocr_pages: int = Field(200, ge=0, description="scanned pages read by OCR (6–15 s each)")
    max_unzipped_mb: int = Field(512, ge=1, description="unpacked size of a docx, xlsx or OFD")
    max_image_megapixels: int = Field(80, ge=1, description="pixels of one picture")
    ocr_threads: int = Field(2, ge=1, le=64, description="CPU threads of the OCR models")


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    public_rate_limit: str = Field("30/minute", description="per client, on public endpoints")
    login_rate_limit: str = Field("5/minute", description="per client and user name")
    max_body_kb: int = Field(
        64, ge=1, le=10240, description="largest request body but an uploaded document's"
    )
    account_rate_limit: str = Field(
        "120/minute", description="per logged-in account, apart from the public's per-client limit"
    )
    session_idle_minutes: int = Field(60, ge=1, description="a login unused this long ends")
    session_hours: int = Field(8, ge=1, description="a login ends this long after it began")
    token_days: int = Field(30, ge=1, description="an API token's default and longest life")
    # Signs the session cookie; several workers must share it. Default: a random secret kept in
    # DATA_DIR/session-secret.
    session_secret: str | None = None
    secure_cookies: bool = Field(
        False, description="send the session cookie over HTTPS only (behind a TLS proxy)"
    )


class ReminderSettings(BaseModel):
    offsets_days: list[int] = Field(
        [30, 7, 1], description="remind this many days before a milestone"
    )
    overdue_every_workdays: int = Field(3, ge=1, description="repeat an overdue reminder")
    digest_weekday: int = Field(
        0, ge=0, le=6, description="weekly digest to the office (0 = Monday)"
    )
    send_hour: int = Field(
        9, ge=0, le=23, description="local hour (Asia/Shanghai) reminders go out"
    )
    dispatch_seconds: float = Field(
        30, gt=0, le=3600, description="how often the outbox is sent (and a dead sender replaced)"
    )


class SupervisionSettings(BaseModel):
    """督办: when a task is 临期 and when it is 未报送."""

    due_soon_workdays: int = Field(
        5, ge=0, le=60, description="临期: a milestone due within this many China workdays"
    )
    report_stale_days: int = Field(
        30, ge=1, le=366, description="未报送: an open task with no progress report for this long"
    )


class EmailSettings(BaseModel):
    """The SMTP server reminders are mailed through (the county's mail system)."""

    host: str | None = Field(None, description="SMTP server; e-mail channels are off without it")
    port: int = Field(587, ge=1, le=65535)
    security: str = Field("starttls", pattern="^(starttls|ssl|none)$")
    username: str | None = None
    password: str | None = None
    sender: str = Field("", description="From: address (default: the username)")
    timeout: float = Field(20.0, gt=0)
    per_minute: int = Field(60, ge=1, description="messages a minute the server takes from us")
    ca_file: Path | None = Field(
        None,
        description="PEM file of the county's own CA, for a server whose certificate it signed "
        "(then only this CA is trusted; default: the system's CAs)",
    )


class DingTalkStreamSettings(BaseModel):
    """钉钉 Stream mode: an app robot's credentials; officials chat with it, no public IP."""

    client_id: str | None = Field(None, description="the app's AppKey / Client ID")
    client_secret: str | None = None
    gateway_url: str = Field(
        "https://api.dingtalk.com", description="where the Stream connection is opened"
    )


class ChannelSettings(BaseModel):
    timeout: float = Field(10.0, gt=0, description="seconds for one request to a robot")
    email: EmailSettings = EmailSettings()
    dingtalk_stream: DingTalkStreamSettings = DingTalkStreamSettings()


class Settings(BaseSettings):
    """Nested sections use ``__``: ``POLICYQA_RETRIEVAL__CHUNK_CHARS=400``."""

    model_config = SettingsConfigDict(
        env_prefix="POLICYQA_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    # The county this deployment answers for by default; a shared deployment holds several
    # counties' plans, each question sees its county's documents and the shared higher ones.
    county: str = "湘阴县"
    # The plan the assistant is about, as its welcome and page footer name it (default: the
    # county's own document in the manifest), and the assistant's name (default: "<county>“双碳”政策助手").
    plan_title: str = ""
    assistant_name: str = ""
    data_dir: Path = Path("data")
    corpus_dir: Path = Path("corpus")
    database_url: str | None = None
    chroma_url: str | None = None
    embedding_model: Path | None = None
    cache_dir: Path | None = Field(None, description="embedding cache (default: DATA_DIR/cache)")
    # An OpenAI-compatible chat endpoint (local Qwen/DeepSeek via vLLM or Ollama); off when unset.
    llm_base_url: str | None = None
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: str = "not-needed"
    llm_timeout: float = Field(20.0, gt=0, description="seconds before answering extractively")
    answer_cache_size: int = Field(
        2048, ge=0, description="answers kept per process for repeated questions (0: off)"
    )
    # Telegram: the bot is off without a token. The API root can point at a self-hosted Bot API
    # server (requests go to {root}/bot{token}/{method}).
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = Field(
        None, description="public URL: webhook instead of polling"
    )
    retrieval: RetrievalSettings = RetrievalSettings()
    documents: DocumentSettings = DocumentSettings()
    api: ApiSettings = ApiSettings()
    reminders: ReminderSettings = ReminderSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    channels: ChannelSettings = ChannelSettings()
    # Encrypts channel secrets at rest (a Fernet key; several, comma-separated, to rotate).
    # Default: a key kept in DATA_DIR/secret.key. See SECURITY.md.
    secret_key: str | None = None
    # Where officials reach the web pages (https://…); messages then link to the task.
    public_url: str | None = None

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def embedding_cache(self) -> Path:
        return (self.cache_dir or self.data_dir / "cache") / "embeddings.sqlite3"

    @property
    def manifest(self) -> Path:
        return self.corpus_dir / "sources.toml"

    @property
    def uploads_dir(self) -> Path:
        """Documents the office uploaded, kept by content hash, and their manifest."""
        return self.data_dir / "uploads"

    @property
    def manifests(self) -> tuple[Path, ...]:
        """The shipped corpus's manifest, then the uploads' (whose entries win)."""
        return (self.manifest, self.uploads_dir / "sources.toml")
