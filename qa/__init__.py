"""年鉴问答 — question answering with citations over Chinese local yearbooks."""

__version__ = "0.1.0"
