"""Fine-tuning the embedding model: triplet mining on a small hand-made index, and on the real index
that the fine-tuned model beats the base model at dense-only retrieval of dev questions."""

from __future__ import annotations

import dataclasses

import pytest

from qa.config import Settings
from qa.evaluation.dataset import EvalRecord, load_dataset
from qa.evaluation.metrics import is_relevant
from qa.finetune import mine_triplets
from qa.genre import SHARED_GENRE
from qa.lexical import Analyzer, BM25Field
from qa.records import Chunk
from qa.retrieval import Retriever
from qa.store import LoadedIndex
from qa.vector import build_vector_index

TEXTS = {
    "livestock": (["农业", "畜牧业"], "2019年，金川区生猪出栏0.74万头，羊存栏15.7万只。"),
    "grain": (["农业", "种植业"], "2019年，金川区粮食总产量7.2万吨，比上年增长3%。"),
    "grain-again": (["农业", "种植业"], "金川区粮食总产量7.2万吨，其中小麦2.1万吨。"),  # a second piece holding the same quote
    "mills": (["工业", "粮食加工"], "金川区粮食加工企业3家，粮食产量与收购量由农业部门统计。"),
}


def _record(question: str, evidence: str, answer: str = "", answerable: bool = True) -> EvalRecord:
    return EvalRecord(id=question, question=question, answer=answer, evidence=evidence, yearbook="book",
                      category="农业", type="number" if answerable else "unanswerable", answerable=answerable,
                      split="train")


@pytest.fixture(scope="module")
def small_retriever() -> Retriever:
    chunks = [Chunk(id=name, record_id=name, yearbook="book", kind="entry", path=path, start=0, end=len(text),
                    text=text, page_start=1, page_end=1) for name, (path, text) in TEXTS.items()]
    analyzer = Analyzer([], SHARED_GENRE.stopwords)
    indexed = [chunk.indexed_text() for chunk in chunks]
    index = LoadedIndex(
        path=None, manifest={"corpus": [{"edition_year": 2020, "region_names": ["金川区"]}]},  # type: ignore[arg-type]
        records={}, chunks=chunks, analyzer=analyzer, words=BM25Field.build([analyzer.words(t) for t in indexed]),
        bigrams=BM25Field.build([analyzer.bigrams(t) for t in indexed]), vectors=None, sentences={}, genre=SHARED_GENRE, models=None)
    return Retriever(index, None, Settings(weight_coverage=0.0))  # type: ignore[arg-type]


def test_mining_pairs_a_question_with_its_evidence_and_the_lexical_hit_that_lacks_it(small_retriever):
    triplets = mine_triplets([_record("金川区2019年粮食产量是多少？", "粮食总产量7.2万吨", "7.2万吨")], small_retriever)
    assert len(triplets) == 1
    triplet = triplets[0]
    by_name = {chunk.id: chunk.indexed_text() for chunk in small_retriever.index.chunks}
    assert triplet.anchor == small_retriever.reader.read("金川区2019年粮食产量是多少？").search_text()
    assert triplet.positive in (by_name["grain"], by_name["grain-again"])
    assert triplet.negative == by_name["mills"]  # shares 粮食 and 产量 with the question, not the evidence


def test_mining_leaves_out_what_cannot_make_a_triplet(small_retriever):
    records = [
        _record("金川区2019年有多少条地铁？", "", answerable=False),  # unanswerable: no positive
        _record("金川区2019年粮食产量是多少？", "粮食总产量9.9万吨", "9.9万吨"),  # evidence no chunk holds
    ]
    assert mine_triplets(records, small_retriever) == []


def test_the_query_prefix_goes_on_the_anchor_only(small_retriever):
    [triplet] = mine_triplets([_record("金川区羊存栏多少只？", "羊存栏15.7万只", "15.7万只")], small_retriever, "查询：")
    assert triplet.anchor.startswith("查询：") and not triplet.positive.startswith("查询：")
    assert "15.7万只" in triplet.positive and "15.7万只" not in triplet.negative


@pytest.mark.slow
def test_the_fine_tuned_model_retrieves_dev_evidence_better_than_the_base_model(pipeline, embedder, index_settings,
                                                                               built_index):
    """Dense-only Recall@5 on the dev split, through the real FAISS index of the fine-tuned model
    (the `qa eval --retriever dense` path) against the base model over the same chunks."""
    finetune = built_index["embedding"]["finetune"]
    assert finetune["train"]["triplets"] > 1000 and len(finetune["train"]["sha256"]) == 64 and finetune["steps"] > 0
    assert (index_settings.index_path() / "embedding" / "modules.json").is_file()
    assert pipeline.embedder.fingerprint == built_index["embedding"]["fingerprint"] != embedder.fingerprint
    dev = [r for path in index_settings.calibration_datasets for r in load_dataset(path, "dev") if r.answerable]
    base_vectors = build_vector_index(embedder.embed_documents([c.indexed_text() for c in pipeline.index.chunks]), "flat")
    base = Retriever(dataclasses.replace(pipeline.index, vectors=base_vectors), embedder, index_settings)

    def recall(retriever: Retriever) -> float:
        return sum(any(is_relevant(hit.chunk.text, r.answer, r.aliases, r.evidence)
                       for hit in retriever.search(r.question, 5, mode="dense")) for r in dev) / len(dev)

    assert recall(pipeline.retriever) > recall(base) + 0.1
    recorded = finetune["dev_dense_recall_at_5"]
    assert recorded["questions"] == len(dev) and recorded["tuned"] > recorded["base"] + 0.1
