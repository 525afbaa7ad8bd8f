"""Dense retrieval: FAISS over L2-normalised vectors, so inner product is cosine similarity.

Flat (exact) by default — a yearbook has a few thousand chunks; HNSW is there for corpora of
hundreds of books, where exact search stops being cheap.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

HNSW_NEIGHBOURS = 32


def build_vector_index(vectors: np.ndarray, kind: str) -> faiss.Index:
    dims = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dims, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexFlatIP(dims)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)


def search_vectors(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (ids, similarities) among the allowed ids (None: all)."""
    params = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(np.flatnonzero(allowed).astype(np.int64))
        is_hnsw = isinstance(index, faiss.IndexHNSW)
        params = faiss.SearchParametersHNSW(sel=selector) if is_hnsw else faiss.SearchParameters(sel=selector)
    k = min(k, index.ntotal)
    similarities, ids = index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
    keep = ids[0] >= 0
    return ids[0][keep], similarities[0][keep]
