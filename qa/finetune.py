"""Fine-tuning the embedding model on the training split, inside `qa index build`.

The offline default's word vectors come from general Chinese text: they know that 产量 is near 收成
but not how this book's questions map onto its passages, so alone they put the right passage in the
top 5 for only about 60% of dev questions and add nothing to BM25. Each answerable training
question with its evidence quote gives a (question, passage that holds the quote) pair.
sentence-transformers' own trainer with MultipleNegativesRankingLoss pulls the question towards
that passage and away from every other passage of its batch and from one hard negative: the best
lexical (BM25) hit that holds none of the quote, the passage keyword search confuses it with. A
static model trains in seconds on a CPU, so this runs in every build with a fixed seed, and the
manifest records the data's sha256, the steps, the seconds and what was measured on dev.
"""

from __future__ import annotations

import bisect
import itertools
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from qa.config import Settings
from qa.embedding import Embedder, load_embedder
from qa.evaluation.dataset import EvalRecord, load_dataset
from qa.evaluation.metrics import holds_quote, is_relevant
from qa.manifest import file_sha256
from qa.records import Chunk
from qa.retrieval import Retriever
from qa.store import IndexStoreError, LoadedIndex
from qa.textrepair import normalise_for_match
from qa.vector import build_vector_index, search_vectors

NEGATIVE_DEPTH = 10  # lexical hits searched for a hard negative
SEED = 13
EPOCHS = 1
BATCH_SIZE = 128  # more in-batch negatives and fewer steps: the backward pass over the whole word table costs
                  # about the same for 192 texts as for 384 (~0.7 s here), so the step count sets the time
LEARNING_RATE = 0.1  # word vectors, not a transformer: static-embedding recipes train at 0.05–0.2
DEV_DEPTH = 5  # the dev figure recorded in the manifest: dense-only Recall@5


@dataclass(frozen=True)
class Triplet:
    """One training example, in the texts the index embeds."""

    anchor: str  # the question as `Embedder.embed_query` sees it
    positive: str  # indexed text of a chunk that holds the whole evidence quote
    negative: str  # indexed text of the best lexical hit that holds none of it


def mine_triplets(records: list[EvalRecord], retriever: Retriever, query_prefix: str = "") -> list[Triplet]:
    """A triplet for each answerable record whose evidence one chunk holds whole and whose lexical
    search returns some chunk without any of it; other records are left out."""
    chunks = retriever.index.chunks
    book = _ChunkText(chunks)
    triplets = []
    for record in records:
        quote = normalise_for_match(record.evidence)
        if not record.answerable or not quote:
            continue
        holding = book.holding(quote)
        if not holding:
            continue
        question = retriever.reader.read(record.question)
        hits = retriever.search(question, NEGATIVE_DEPTH, mode="lexical")
        hit_positions = {hit.chunk.id: rank for rank, hit in enumerate(hits)}
        # the holding chunk lexical search ranks best (overlapping pieces of one record may both hold it)
        positive = min(holding, key=lambda i: (hit_positions.get(chunks[i].id, NEGATIVE_DEPTH), i))
        negative = next((hit.chunk for hit in hits if not holds_quote(normalise_for_match(hit.chunk.text), quote)), None)
        if negative is None:
            continue
        triplets.append(Triplet(query_prefix + question.search_text(), chunks[positive].indexed_text(),
                                negative.indexed_text()))
    return triplets


class _ChunkText:
    """Every chunk's normalised text in one string, so that finding the chunks that hold a quote is one
    `str.find` scan per occurrence rather than a test of each of thousands of chunks."""

    SEPARATOR = "\x00"  # never in normalised text, so no quote spans two chunks

    def __init__(self, chunks: list[Chunk]) -> None:
        texts = [normalise_for_match(chunk.text) for chunk in chunks]
        self._starts = list(itertools.accumulate((len(text) + 1 for text in texts[:-1]), initial=0))
        self._text = self.SEPARATOR.join(texts)

    def holding(self, quote: str) -> list[int]:
        """Positions of the chunks whose normalised text holds `quote` whole, in chunk order."""
        found: list[int] = []
        at = self._text.find(quote)
        while at >= 0:
            chunk = bisect.bisect_right(self._starts, at) - 1
            if not found or found[-1] != chunk:
                found.append(chunk)
            at = self._text.find(quote, at + 1)
        return found


@dataclass
class FineTuned:
    """The fine-tuned embedder (saved in the index) and what the manifest records about its training."""

    embedder: Embedder
    figures: dict


def finetune_embedder(settings: Settings, base: Embedder, index: LoadedIndex, folder: Path) -> FineTuned:
    """Train a copy of `base` on triplets mined from the training split over `index` (lexical files
    only: no vectors yet) and save it into `folder`, a new folder inside the index being built."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import PrinterCallback

    started = time.perf_counter()
    bm25 = settings.model_copy(update={"weight_coverage": 0.0})  # negatives by BM25 alone, without the rerank
    retriever = Retriever(index, base, bm25)
    books = {book["yearbook"] for book in index.manifest["corpus"]}
    if not settings.train_dataset.is_file():
        raise IndexStoreError(f"no training split at {settings.train_dataset} (QA_TRAIN_DATASET): "
                              "fine-tuning the embedding model needs one (or set QA_EMBEDDING_FINETUNE=false)")
    train = [r for r in load_dataset(settings.train_dataset) if r.split == "train" and r.yearbook in books]
    triplets = mine_triplets(train, retriever, base.query_prefix)
    if not triplets:
        raise IndexStoreError(f"no training triplets could be mined from {settings.train_dataset}")
    mined = time.perf_counter()

    model = base.trainable()  # a fresh torch copy: the caller's embedder stays the base model
    # The trainer samples "widget examples" for a model card (with a progress bar on the console)
    # unless the card has some; no card is saved, so give it a placeholder.
    model.model_card_data.widget = [{"text": "unused"}]
    dataset = Dataset.from_dict({"anchor": [t.anchor for t in triplets], "positive": [t.positive for t in triplets],
                                 "negative": [t.negative for t in triplets]})
    with tempfile.TemporaryDirectory(prefix="qa-finetune-") as scratch:  # the trainer's output_dir; nothing is kept
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch, num_train_epochs=EPOCHS, per_device_train_batch_size=BATCH_SIZE,
            learning_rate=LEARNING_RATE, warmup_steps=0.1, seed=SEED, data_seed=SEED, use_cpu=True,
            batch_sampler=BatchSamplers.NO_DUPLICATES,  # a passage twice in one batch would be its own negative
            optim="adamw_torch_fused",  # one pass over the 29M word-vector weights: 0.2 s a step here, not 1.3 s
            save_strategy="no", report_to="none", logging_steps=1, disable_tqdm=True,
        )
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset,
                                             loss=MultipleNegativesRankingLoss(model))
        trainer.remove_callback(PrinterCallback)  # the losses go into the manifest, not onto the console
        result = trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    model.save(str(folder), create_model_card=False)
    tuned = load_embedder(base.name, settings.cache_dir, base.query_prefix, source=folder)
    trained = time.perf_counter()

    dev = [r for path in settings.calibration_datasets if path.is_file()
           for r in load_dataset(path, "dev") if r.yearbook in books and r.answerable]
    figures = {
        "base_fingerprint": base.fingerprint,
        "train": {"file": str(settings.train_dataset), "sha256": file_sha256(settings.train_dataset),
                  "questions": len(train), "triplets": len(triplets)},
        "loss": "MultipleNegativesRankingLoss", "negatives": f"best of the top {NEGATIVE_DEPTH} lexical hits without the evidence",
        "epochs": EPOCHS, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE, "seed": SEED,
        "steps": int(result.global_step),
        "loss_first_step": round(losses[0], 4) if losses else None, "loss_last_step": round(losses[-1], 4) if losses else None,
        "mining_seconds": round(mined - started, 2), "training_seconds": round(trained - mined, 2),
        f"dev_dense_recall_at_{DEV_DEPTH}": {"questions": len(dev), "base": dense_recall(base, retriever, dev, settings.embedding_batch_size),
                                             "tuned": dense_recall(tuned, retriever, dev, settings.embedding_batch_size)},
    }
    return FineTuned(tuned, figures)


def dense_recall(embedder: Embedder, retriever: Retriever, records: list[EvalRecord], batch_size: int,
                 depth: int = DEV_DEPTH) -> float | None:
    """Share of `records` with a relevant passage among the `depth` chunks nearest to the question,
    every chunk embedded by `embedder`: `qa eval --retriever dense` without its 文号 lookup, cheap
    enough to measure both models in every build."""
    if not records:
        return None
    chunks = retriever.index.chunks
    vectors = build_vector_index(embedder.embed_documents([chunk.indexed_text() for chunk in chunks], batch_size), "flat")
    found = 0
    for record in records:
        query = embedder.embed_query(retriever.reader.read(record.question).search_text())
        ids, _ = search_vectors(vectors, query, depth, None)
        found += any(is_relevant(chunks[i].text, record.answer, record.aliases, record.evidence) for i in ids)
    return round(found / len(records), 4)
