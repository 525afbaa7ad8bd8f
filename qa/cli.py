"""The `qa` command line: corpus, index, search, ask, serve and eval all wrap the same pipeline."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from qa.config import get_settings
from qa.manifest import CorpusError

app = typer.Typer(help="年鉴问答 — question answering over Chinese local yearbooks.", no_args_is_help=True)
corpus_app = typer.Typer(help="Parse the yearbooks listed in corpus/manifest.json.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
console = Console()


def fail(message: str) -> None:
    """Print a clear error and exit non-zero (no traceback for expected problems)."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


@corpus_app.command("build")
def corpus_build() -> None:
    """Parse every yearbook into records (corpus/parsed/<id>.jsonl) and print a summary."""
    from qa.corpus import build_corpus

    settings = get_settings()
    try:
        with console.status("parsing yearbooks…"):
            summaries = build_corpus(settings.corpus_dir, settings.parsed_dir)
    except CorpusError as exc:
        fail(str(exc))
        return
    for summary in summaries:
        table = Table(title=f"{summary.yearbook}: {len(summary.records)} records → {summary.path}")
        table.add_column("类目")
        table.add_column("records", justify="right")
        table.add_column("pages", justify="right")
        for category, count in summary.per_category().items():
            pages = [p for r in summary.records if r.category == category for p in (r.page_start, r.page_end) if p]
            table.add_row(category, str(count), f"{min(pages)}–{max(pages)}" if pages else "—")
        console.print(table)
        kinds = ", ".join(f"{kind} {n}" for kind, n in summary.per_kind().most_common())
        console.print(f"kinds: {kinds}; CJK retention {summary.retention:.3%}")


def main() -> None:  # pragma: no cover - console entry for `python -m qa.cli`
    app(sys.argv[1:])
