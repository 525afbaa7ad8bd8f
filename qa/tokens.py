"""Token counting with tiktoken's cl100k_base, loaded without the network.

tiktoken downloads its rank files on first use. The `bpe-openai` package ships the same files
gzipped; we decompress one, check it against the sha256 tiktoken itself expects, and place it in
tiktoken's cache under the key tiktoken would use, so `tiktoken.get_encoding` never goes online.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from qa.atomic import write_bytes_atomic

ENCODING = "cl100k_base"
_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
_EXPECTED_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def seed_tiktoken_cache(cache_dir: Path) -> Path:
    """Put cl100k_base's rank file where tiktoken looks for it; return the cache folder."""
    target = cache_dir / hashlib.sha1(_BLOB_URL.encode()).hexdigest()
    if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != _EXPECTED_SHA256:
        packed = resources.files("bpe_openai").joinpath("data", f"{ENCODING}.tiktoken.gz").read_bytes()
        ranks = gzip.decompress(packed)
        actual = hashlib.sha256(ranks).hexdigest()
        if actual != _EXPECTED_SHA256:
            raise RuntimeError(f"bpe-openai's {ENCODING} ranks have sha256 {actual}, expected {_EXPECTED_SHA256}")
        write_bytes_atomic(target, ranks)
    return cache_dir


@lru_cache(maxsize=4)
def get_encoding(cache_dir: Path) -> tiktoken.Encoding:
    """cl100k_base, served from the seeded cache."""
    os.environ["TIKTOKEN_CACHE_DIR"] = str(seed_tiktoken_cache(cache_dir))
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str, cache_dir: Path) -> int:
    return len(get_encoding(cache_dir).encode(text, disallowed_special=()))
