"""Milvus as the search backend, for platforms that serve more yearbooks than one process can hold.

One collection per index, reached through an alias (QA_MILVUS_COLLECTION, default qa_<index name>):
a full build writes a new collection and moves the alias onto it, so searches never see half an
index. Each chunk is a row: id (primary key), yearbook (partition key), category, path, pages,
text; a `words` field that Milvus segments with jieba and our corpus user dictionary, a `bigrams`
field of pre-split CJK bigrams, each turned into a sparse vector by a BM25 function; and the dense
vector in an HNSW index. A search is one `hybrid_search` over the channels with a weight > 0 (the
question's book terms and its thesaurus expansions are separate requests, as in the embedded
backend) fused by WeightedRanker with the QA_WEIGHT_* weights or by RRF, with the yearbook and
category filters as a filter expression. The coverage rerank gets the fused order and each hit's
fused score relative to the best hit's; no channel's score is read on its own.

The answering tier still reads the index folder (records, chunks, mentions, answer models): hits
come back as chunk ids and are looked up there.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pymilvus import (AnnSearchRequest, DataType, Function, FunctionType, MilvusClient, MilvusException, RRFRanker,
                      WeightedRanker)

from qa.backend import ChannelQuery
from qa.config import Settings
from qa.lexical import Analyzer, token_runs
from qa.store import IndexStoreError, LoadedIndex, open_index, read_manifest

if TYPE_CHECKING:  # retrieval imports the backend seam, which imports this module lazily
    from qa.retrieval import SearchFilters

ROUTE_DEPTH_FACTOR = 4  # each channel returns this many times the candidates the caller looks at
RRF_K = 60  # the constant of reciprocal rank fusion (Milvus's default)
HNSW_PARAMS = {"M": 32, "efConstruction": 200}  # M as the embedded FAISS HNSW (qa/vector.py)
INSERT_BATCH = 256
MAX_TEXT_BYTES = 65535  # Milvus's VARCHAR limit, in bytes
RANK_FLOOR = 1e-6  # the value of a returned hit whose fused score is 0, so that it keeps its place


@dataclass(frozen=True)
class Engine:
    """Everything that differs between milvus-lite and a Milvus server, in one place.

    milvus-lite 3.x is a Python re-implementation of the server, not the server:
    - its analyzers are 'standard' (a \\w+ regex) and 'jieba' only: no 'whitespace' tokenizer and no
      `{"type": "chinese"}`; the server's 'whitespace' keeps a pre-split token such as 12.5 whole,
      Lite's 'standard' splits it in two (bigrams are CJK, so this touches decimals only);
    - it computes BM25 IDF per segment (the server per collection), so one query's scores are not
      comparable across segments: we flush after writing, and rely on the fused order;
    - its plain-search BM25 "distance" is the negated score (the server reports the score).
    Both accept jieba with a user dictionary (`dict`, where "_default_" keeps jieba's own) and a
    stop-word filter. Both engines' WeightedRanker, with its default norm_score=True, maps BM25
    through 2·atan(s)/π, which squeezes every good match into 0.98–1.0 and drowns the fused order
    in the coverage rerank (top-1 agreement with the embedded backend fell to 0.80 on 80 dev
    questions); with norm_score=False the weights act on raw BM25, as the embedded backend's do
    after max-normalisation (agreement 0.99). Raw scores do not mix with cosine similarities, so
    with the weighted ranker the dense channel is searched apart and added after max-normalising it
    (`MilvusBackend.fused`); RRF fuses ranks, so there all three channels share one hybrid_search.
    """

    lite: bool

    @classmethod
    def of(cls, client: MilvusClient) -> Engine:
        return cls(lite=str(client.get_server_version()).startswith("milvus_lite"))

    def words_analyzer(self, user_words: list[str], stopwords: frozenset[str]) -> dict[str, Any]:
        return {"tokenizer": {"type": "jieba", "mode": "search", "dict": ["_default_", *user_words]},
                "filter": [{"type": "stop", "stop_words": sorted(stopwords)}]}

    def bigrams_analyzer(self) -> dict[str, Any]:
        return {"tokenizer": "standard"} if self.lite else {"tokenizer": "whitespace"}

    def ranker(self, kind: str, weights: list[float]) -> WeightedRanker | RRFRanker:
        return RRFRanker(RRF_K) if kind == "rrf" else WeightedRanker(*weights, norm_score=False)


def connect(settings: Settings) -> MilvusClient:
    """A client for QA_MILVUS_URI (a server, a `milvus-lite server`, or a local .db file)."""
    return MilvusClient(uri=settings.milvus_uri, token=settings.milvus_token)


class MilvusBackend:
    """Fused channel scores from one hybrid_search of the index's collection."""

    def __init__(self, client: MilvusClient, collection: str, engine: Engine, positions: dict[str, int],
                 chunks: int, ranker: str, candidate_pool: int, analyzer: Analyzer) -> None:
        self.analyzer = analyzer  # the index's: its bigrams drop the genre's stopwords, as the rows' did
        self.client = client
        self.collection = collection
        self.engine = engine
        self.positions = positions
        self.chunks = chunks
        self.ranker = ranker
        self.candidate_pool = candidate_pool

    @classmethod
    def connect(cls, settings: Settings, index: LoadedIndex) -> MilvusBackend:
        """Open the collection of the configured index; refuse a missing one or one of another model."""
        name = settings.collection_name()
        try:
            client = connect(settings)
            found = client.has_collection(name)
        except MilvusException as exc:
            raise IndexStoreError(f"cannot reach Milvus at {settings.milvus_uri} (QA_MILVUS_URI): {exc}") from exc
        if not found:
            raise IndexStoreError(f"Milvus at {settings.milvus_uri} has no collection '{name}': "
                                  "write it with `qa index build --backend milvus`")
        dense = next(f for f in client.describe_collection(name)["fields"] if f["name"] == "dense")
        if int(dense["params"]["dim"]) != index.manifest["embedding"]["dims"]:
            raise IndexStoreError(f"Milvus collection '{name}' holds {dense['params']['dim']}-d vectors, the index "
                                  f"{index.manifest['embedding']['dims']}-d; rebuild with `qa index build --backend milvus`")
        client.load_collection(name)
        return cls(client, name, Engine.of(client), {chunk.id: i for i, chunk in enumerate(index.chunks)},
                   len(index.chunks), settings.milvus_ranker, settings.candidate_pool, index.analyzer)

    def fused(self, query: ChannelQuery, filters: SearchFilters | None, allowed: np.ndarray | None) -> np.ndarray:
        fused = np.zeros(self.chunks, dtype=np.float32)
        limit = max(ROUTE_DEPTH_FACTOR * query.depth, self.candidate_pool)
        expression = filter_expression(filters)
        requests, weights = [], []
        for channel, text_of in (("words", token_runs), ("bigrams", lambda text: bigram_text(self.analyzer, text))):
            if query.weights[channel] <= 0:
                continue
            for text, weight in ((query.terms, 1.0), (query.expansions, query.expansion_weight)):
                if weight > 0 and text_of(text):
                    requests.append(AnnSearchRequest(data=[text_of(text)], anns_field=f"{channel}_sparse",
                                                     param={"metric_type": "BM25"}, limit=limit, expr=expression))
                    weights.append(query.weights[channel] * weight)
        dense = query.weights["dense"] > 0 and query.vector is not None
        dense_param = {"metric_type": "IP", "params": {"ef": max(64, limit)}}
        if dense and self.ranker == "rrf":  # ranks fuse across kinds of score: all three channels in one search
            requests.append(AnnSearchRequest(data=[query.vector.astype(np.float32).tolist()], anns_field="dense",
                                             param=dense_param, limit=limit, expr=expression))
            weights.append(query.weights["dense"])
        for position, score in (self._normalised(self._hybrid(requests, weights, limit)) if requests else []):
            fused[position] = score
        if dense and self.ranker != "rrf":
            # Cosine similarities and raw BM25 do not add up inside one WeightedRanker, so the dense
            # channel is its own search, max-normalised and added as the embedded backend adds it.
            nearest = self.client.search(
                self.collection, [query.vector.astype(np.float32).tolist()], anns_field="dense", limit=limit,
                filter=expression, search_params=dense_param,
                output_fields=[])[0]
            ranked = [(self.positions[hit["id"]], max(float(hit["distance"]), 0.0)) for hit in nearest
                      if hit["id"] in self.positions]
            top = max((score for _, score in ranked), default=0.0)
            for position, score in ranked:
                fused[position] += query.weights["dense"] * (score / top if top > 0 else 0.0)
        return fused

    def _hybrid(self, requests: list[AnnSearchRequest], weights: list[float], limit: int) -> list[dict]:
        return self.client.hybrid_search(self.collection, requests, self.engine.ranker(self.ranker, weights),
                                         limit=limit, output_fields=[])[0]

    def _normalised(self, hits: list[dict]) -> list[tuple[int, float]]:
        """(chunk position, score) of the lexical hits, the best 1, with a floor by rank: the engines'
        BM25 can be negative (milvus-lite) or tied, and rank is what they agree on."""
        ranked = [(self.positions[hit["id"]], float(hit["distance"])) for hit in hits if hit["id"] in self.positions]
        top = max((score for _, score in ranked), default=0.0)
        return [(position, max(score / top if top > 0 else 0.0, RANK_FLOOR * (len(ranked) - rank)))
                for rank, (position, score) in enumerate(ranked)]


def filter_expression(filters: SearchFilters | None) -> str:
    """Milvus filter expression for the yearbook and category filters ('' when none)."""
    if filters is None:
        return ""
    clauses = [f"{field} in {json.dumps(values, ensure_ascii=False)}"
               for field, values in (("yearbook", filters.yearbook), ("category", filters.category)) if values]
    return " and ".join(clauses)


def bigram_text(analyzer: Analyzer, text: str) -> str:
    """CJK bigrams (and Latin words, numbers), pre-split and space-separated, as the bigram field holds them."""
    return " ".join(analyzer.bigrams(text))


def create_collection(client: MilvusClient, name: str, engine: Engine, user_words: list[str],
                      stopwords: frozenset[str], dims: int, description: str) -> None:
    """An empty collection with the index schema, its BM25 functions and indexes."""
    schema = client.create_schema(auto_id=False, description=description)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=256)
    schema.add_field("yearbook", DataType.VARCHAR, max_length=128, is_partition_key=True)
    schema.add_field("category", DataType.VARCHAR, max_length=256)
    schema.add_field("path", DataType.VARCHAR, max_length=2048)
    schema.add_field("page_start", DataType.INT64)  # 0: page unknown
    schema.add_field("page_end", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
    schema.add_field("words", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                     analyzer_params=engine.words_analyzer(user_words, stopwords))
    schema.add_field("bigrams", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                     analyzer_params=engine.bigrams_analyzer())
    schema.add_field("words_sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("bigrams_sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dims)
    for channel in ("words", "bigrams"):
        schema.add_function(Function(name=f"{channel}_bm25", function_type=FunctionType.BM25,
                                     input_field_names=[channel], output_field_names=[f"{channel}_sparse"]))
    index_params = client.prepare_index_params()
    for channel in ("words", "bigrams"):
        index_params.add_index(f"{channel}_sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    index_params.add_index("dense", index_type="HNSW", metric_type="IP", params=HNSW_PARAMS)
    client.create_collection(name, schema=schema, index_params=index_params)


def rows_of(index: LoadedIndex, yearbook: str | None = None, vectors: np.ndarray | None = None) -> list[dict[str, Any]]:
    """The collection rows of the index's chunks (of one yearbook, or all), vectors read back from
    FAISS unless given (row i for chunk i)."""
    if vectors is None:
        vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
    rows = []
    for position, chunk in enumerate(index.chunks):
        if yearbook is not None and chunk.yearbook != yearbook:
            continue
        indexed = chunk.indexed_text()
        rows.append({
            "id": chunk.id, "yearbook": chunk.yearbook, "category": chunk.category, "path": " › ".join(chunk.path),
            "page_start": chunk.page_start or 0, "page_end": chunk.page_end or 0,
            "text": _clip(chunk.text), "words": _clip(token_runs(indexed)), "bigrams": _clip(bigram_text(index.analyzer, indexed)),
            "dense": vectors[position].astype(np.float32).tolist(),
        })
    return rows


def _clip(text: str) -> str:
    """Text cut to fit a VARCHAR (the limit counts UTF-8 bytes); chunks are far below it."""
    data = text.encode("utf-8")
    return text if len(data) <= MAX_TEXT_BYTES else data[:MAX_TEXT_BYTES].decode("utf-8", errors="ignore")


def insert_rows(client: MilvusClient, name: str, rows: list[dict[str, Any]], upsert: bool = False) -> None:
    """Insert (or upsert) rows in batches."""
    write = client.upsert if upsert else client.insert
    for start in range(0, len(rows), INSERT_BATCH):
        write(name, rows[start:start + INSERT_BATCH])


def write_collection(settings: Settings, index: LoadedIndex) -> dict[str, Any]:
    """Write the whole index into a new collection and move the alias onto it (the old one is then
    dropped): searches see the old index or the new one, never half of one."""
    client = connect(settings)
    engine = Engine.of(client)
    alias = settings.collection_name()
    started = time.perf_counter()
    physical = f"{alias}_{time.strftime('%Y%m%d%H%M%S')}_{time.perf_counter_ns() % 1000:03d}"
    user_words = (index.path / "userdict.txt").read_text(encoding="utf-8").split()
    description = json.dumps({"index": index.manifest["name"], "built_at": index.manifest["built_at"]})
    create_collection(client, physical, engine, user_words, index.genre.stopwords, index.manifest["embedding"]["dims"],
                      description)
    insert_rows(client, physical, rows_of(index))
    client.flush(physical)
    previous = _aliased(client, alias)
    if previous is None and client.has_collection(alias):
        client.drop_collection(alias)  # a plain collection squatting on the alias's name
    if previous is None:
        client.create_alias(physical, alias)
    else:
        client.alter_alias(physical, alias)
        client.drop_collection(previous)
    return {"collection": alias, "physical": physical, "rows": len(index.chunks), "lite": engine.lite,
            "seconds": round(time.perf_counter() - started, 2)}


def publish(settings: Settings, yearbook: str | None = None) -> dict[str, Any]:
    """Write the built index folder to Milvus: the whole collection, or one yearbook in place."""
    folder = settings.index_path()
    index = open_index(folder, read_manifest(folder))
    if yearbook is None:
        return write_collection(settings, index)
    if yearbook not in {chunk.yearbook for chunk in index.chunks}:
        raise IndexStoreError(f"the index holds no yearbook '{yearbook}'")
    started = time.perf_counter()
    rows = replace_yearbook(settings, index, yearbook)
    return {"collection": settings.collection_name(), "rows": rows, "yearbook": yearbook,
            "seconds": round(time.perf_counter() - started, 2)}


def replace_yearbook(settings: Settings, index: LoadedIndex, yearbook: str) -> int:
    """Re-index one yearbook in place: upsert its chunks, then delete its chunks that are gone.
    Other yearbooks (and this one) stay searchable throughout. Returns the rows written."""
    client = connect(settings)
    name = settings.collection_name()
    rows = rows_of(index, yearbook)
    insert_rows(client, name, rows, upsert=True)
    kept = json.dumps([row["id"] for row in rows], ensure_ascii=False)
    client.delete(name, filter=f"yearbook == {json.dumps(yearbook, ensure_ascii=False)} and id not in {kept}")
    client.flush(name)
    return len(rows)


def _aliased(client: MilvusClient, alias: str) -> str | None:
    """The collection an alias points at (None: no such alias)."""
    for collection in client.list_collections():
        if alias in client.list_aliases(collection).get("aliases", []):
            return collection
    return None
