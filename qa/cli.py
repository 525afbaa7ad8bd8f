"""The `qa` command line: corpus, index, search, ask, serve and eval all wrap the same pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn, get_args

import typer
from rich.console import Console
from rich.table import Table

from qa.config import get_settings
from qa.manifest import CorpusError

app = typer.Typer(help="年鉴问答 — question answering over Chinese local yearbooks.", no_args_is_help=True)
corpus_app = typer.Typer(help="Parse the yearbooks listed in corpus/manifest.json.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
index_app = typer.Typer(help="Build the hybrid (BM25 + FAISS) index from the parsed corpus.", no_args_is_help=True)
app.add_typer(index_app, name="index")
eval_app = typer.Typer(help="Score a configuration on an evaluation set; compare two runs.", invoke_without_command=True)
app.add_typer(eval_app, name="eval")
bench_app = typer.Typer(help="Benchmarks that print speed and size figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
console = Console()


def _check_choice(option: str, value: str, choices: object) -> None:
    """Refuse a value outside a Literal type (the same choices the API accepts)."""
    allowed = get_args(choices)
    if value not in allowed:
        fail(f"{option} must be one of: {', '.join(allowed)}")


def fail(message: str) -> NoReturn:
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


@index_app.command("build")
def index_build(
    backend: str = typer.Option(None, "--backend", help="embedded or milvus (default: QA_BACKEND); milvus also writes the collection."),
    yearbook: str = typer.Option(None, "--yearbook", help="With --backend milvus: rewrite only this yearbook in the collection."),
) -> None:
    """Chunk, tokenise and embed the parsed corpus into index/<name>/ (built aside, renamed into place)."""
    from qa.embedding import load_embedder
    from qa.store import IndexStoreError, build_index
    from qa.training import fit_answer_models

    settings = get_settings()
    backend = backend or settings.backend
    _check_choice("--backend", backend, type(settings).model_fields["backend"].annotation)
    if yearbook and backend != "milvus":
        fail("--yearbook rewrites one yearbook of a Milvus collection: use it with --backend milvus")
    try:
        with console.status(f"loading embedding model {settings.embedding_model}…"):
            embedder = load_embedder(settings.embedding_model, settings.cache_dir, settings.embedding_query_prefix)
        manifest = build_index(settings, embedder, progress=True,
                               train=lambda index: fit_answer_models(settings, embedder, index))
    except (CorpusError, IndexStoreError) as exc:
        fail(str(exc))
    except (OSError, ValueError) as exc:  # a model name the hub cannot serve here, an unreadable folder
        fail(f"could not load embedding model '{settings.embedding_model}': {exc}")
    counts = manifest["counts"]
    console.print(
        f"index [bold]{settings.index_path()}[/]: {counts['records']} records, {counts['chunks']} chunks, "
        f"{manifest['embedding']['model']} ({manifest['embedding']['dims']} dims, {manifest['faiss']['kind']}), "
        f"built in {manifest['build_seconds']} s"
    )
    if backend == "milvus":
        _publish_to_milvus(settings, yearbook)
    models = manifest["models"]
    console.print(f"answer models: trained on {models['training']['train']['questions']} questions; "
                  f"dev headline precision {models['headline'].get('dev_headline_precision')}, "
                  f"dev refusal recall {models['refusal']['dev_refusal_recall']} at "
                  f"{models['refusal']['dev_false_refusals']} false refusals")


@app.command("search")
def search(
    query: str = typer.Argument(..., help="Question or keywords, in Chinese."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="Number of hits."),
    category: list[str] = typer.Option(None, "--category", help="Only this 类目 (repeatable)."),
    yearbook: list[str] = typer.Option(None, "--yearbook", help="Only this yearbook id (repeatable)."),
    retriever: str = typer.Option("hybrid", "--retriever", help="hybrid, lexical, dense, words or bigrams."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the /api/search passages) instead of a table."),
) -> None:
    """Ranked passages for a query, with path and printed page."""
    import json

    from qa.answering import passage_of
    from qa.retrieval import RetrieverMode, SearchFilters, UnknownFilterValue

    _check_choice("--retriever", retriever, RetrieverMode)
    pipeline = _load_pipeline()
    try:
        hits = pipeline.retriever.search(query, k, SearchFilters(yearbook=yearbook or None, category=category or None),
                                         mode=retriever)  # type: ignore[arg-type]
    except UnknownFilterValue as exc:
        fail(str(exc))
    if as_json:
        rows = [passage_of(hit).model_dump(mode="json") for hit in hits]
        typer.echo(json.dumps({"query": query, "results": rows}, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{query}")
    for column in ("#", "score", "path", "page", "text"):
        table.add_column(column)
    for n, hit in enumerate(hits, start=1):
        table.add_row(str(n), f"{hit.score:.4f}", " › ".join(hit.chunk.path), str(hit.chunk.page_start or "—"),
                      hit.chunk.text[:80].replace("\n", " "))
    console.print(table)


@bench_app.command("index")
def bench_index_command(
    builds: int = typer.Option(3, min=1, help="Index builds to time."),
    rounds: int = typer.Option(20, min=1, help="Rounds over the benchmark queries."),
) -> None:
    """Index build time, in-process search p50/p95 and index size."""
    from qa.benchmark import bench_index

    figures = bench_index(get_settings(), builds, rounds)
    console.print(
        f"index build (median of {builds}): {figures['build_s_median']:.2f} s\n"
        f"search in process: p50 {figures['search_ms_p50']:.2f} ms, p95 {figures['search_ms_p95']:.2f} ms "
        f"over {figures['searches']} searches\n"
        f"index size: {figures['index_mb']:.1f} MB for {figures['chunks']} chunks"
    )


@bench_app.command("scale")
def bench_scale_command(
    sizes: str = typer.Option("1,10,50", "--sizes", help="Numbers of yearbooks, comma-separated."),
    backends: str = typer.Option("embedded,milvus", "--backends", help="Backends to measure, comma-separated."),
    rounds: int = typer.Option(3, min=1, help="Rounds over the benchmark queries."),
) -> None:
    """Build time, size on disk, RSS and search p50/p95 against the number of yearbooks, per backend."""
    from qa.scale_bench import bench_scale

    try:
        counts = [int(size) for size in sizes.split(",")]
    except ValueError:
        fail("--sizes must be whole numbers separated by commas, e.g. 1,10,50")
    chosen = backends.split(",")
    for backend in chosen:
        _check_choice("--backends", backend, type(get_settings()).model_fields["backend"].annotation)
    table = Table(title="qa bench scale (synthetic yearbooks: the book re-labelled, digits shifted)")
    columns = ("backend", "yearbooks", "chunks", "build_s", "disk_mb", "rss_mb", "search_ms_p50", "search_ms_p95")
    for column in columns:
        table.add_column(column, justify="left" if column == "backend" else "right")
    rows = bench_scale(get_settings(), counts, chosen, rounds,
                       lambda row: console.print(" ".join(f"{key}={row[key]}" for key in columns)))
    for row in rows:
        table.add_row(*(str(row[column]) for column in columns))
    Console(width=max(console.width, 120)).print(table)


@app.command("ask")
def ask_command(
    question: str = typer.Argument(..., help="The question, in Chinese."),
    k: int = typer.Option(5, "--k", min=1, max=20, help="Passages to consider and list."),
    mode: str = typer.Option("auto", "--mode", help="auto, extractive or llm."),
    as_json: bool = typer.Option(False, "--json", help="Print the v1 JSON response."),
) -> None:
    """Answer a question with citations (path and printed page), or say the yearbook does not answer it."""
    from qa.api.schemas import MAX_QUESTION_CHARS
    from qa.pipeline import AskMode

    _check_choice("--mode", mode, AskMode)
    if not question.strip() or len(question) > MAX_QUESTION_CHARS:
        fail(f"the question must be 1–{MAX_QUESTION_CHARS} characters")
    result = _load_pipeline().ask(question, k, mode)  # type: ignore[arg-type]
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    console.print(f"[bold]{result.answer}[/]")
    if result.short_answer:
        console.print(f"答案：[green]{result.short_answer}[/]")
    for citation in result.citations:
        page = f"第{citation.page}页" if citation.page else "无页码"
        console.print(f"[{citation.n}] {' › '.join(citation.section_path)}（{page}）：{citation.quote}")
    if not result.answerable and result.passages:
        console.print("最接近的段落：")
        for passage in result.passages[:3]:
            console.print(f"  · {' › '.join(passage.section_path)}（第{passage.page or '?'}页）{passage.text[:60]}…")
    if result.notice:
        console.print(f"[yellow]{result.notice}[/]")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port."),
) -> None:
    """Start the HTTP service (OpenAPI docs at /docs)."""
    import uvicorn

    from qa.api.app import create_app

    pipeline = _load_pipeline()  # fail fast, before binding the port, when the index is missing or stale
    uvicorn.run(create_app(get_settings(), pipeline), host=host, port=port, log_level="info")


README_START, README_END = "<!-- eval:start -->", "<!-- eval:end -->"


@eval_app.callback()
def eval_command(
    ctx: typer.Context,
    dataset: Path = typer.Option(None, "--dataset", help="JSONL or CSV data set (default: eval/jinchuan-2020.jsonl)."),
    split: str = typer.Option("test", "--split", help="train, dev, test, test2 or all."),
    url: str = typer.Option(None, "--url", help="Score a running service (e.g. http://127.0.0.1:8000) instead of in process."),
    mode: str = typer.Option("auto", "--mode", help="Answer mode: auto, extractive or llm."),
    retriever: str = typer.Option("hybrid", "--retriever", help="hybrid, lexical, dense, words or bigrams."),
    name: str = typer.Option(None, "--name", help="Run name (default: time, split and retriever)."),
    compare_retrievers: bool = typer.Option(True, "--compare-retrievers/--no-compare-retrievers",
                                            help="Also score the other retrievers and the langchain quick-start."),
    readme: bool = typer.Option(False, "--readme", help="Write the headline figures into README.md."),
    backend: str = typer.Option(None, "--backend", help="embedded or milvus (default: QA_BACKEND); milvus scores embedded too and prints both side by side."),
) -> None:
    """Score answers, citations, refusals, retrieval and latency; write eval/reports/<run>/."""
    if ctx.invoked_subcommand is not None:
        return
    from datetime import datetime

    from rich.progress import track

    from qa.evaluation.dataset import DatasetError, load_dataset
    from qa.evaluation.report import headline_table, retriever_table, write_report
    from qa.evaluation.runner import HttpTarget, InProcessTarget, corpus_texts_from, quickstart_search, run_evaluation
    from qa.manifest import load_manifest, read_source

    settings = get_settings()
    from qa.pipeline import AskMode
    from qa.retrieval import RetrieverMode

    _check_choice("--mode", mode, AskMode)
    _check_choice("--retriever", retriever, RetrieverMode)
    if split not in ("train", "dev", "test", "test2", "all"):
        fail("--split must be train, dev, test, test2 or all")
    dataset = dataset or settings.eval_dataset
    try:
        records = load_dataset(dataset, split)
    except DatasetError as exc:
        fail(str(exc))
    manifest = load_manifest(settings.corpus_dir)
    corpus_texts = corpus_texts_from(settings.parsed_dir, [spec.id for spec in manifest.yearbooks])
    backend = backend or settings.backend
    _check_choice("--backend", backend, type(settings).model_fields["backend"].annotation)
    # --backend milvus scores the embedded backend first, so that both stand side by side
    backends = ["embedded", "milvus"] if backend == "milvus" and not url else [backend]
    quickstart = None
    reports = {}
    for scored in backends:
        if url:
            target = HttpTarget(url, mode)
        else:
            pipeline = _load_pipeline(settings.model_copy(update={"backend": scored}))
            target = InProcessTarget(pipeline, mode)
            if compare_retrievers and quickstart is None:
                with console.status("building the langchain quick-start baseline…"):
                    sources = [read_source(settings.corpus_dir, spec) for spec in manifest.yearbooks]
                    quickstart = quickstart_search(sources, pipeline.embedder)
        run = (name or f"{datetime.now():%Y%m%d-%H%M%S}-{split}-{retriever}") + (f"-{scored}" if len(backends) > 1 else "")
        report = run_evaluation(records, target, corpus_texts, retriever, compare_retrievers, quickstart,
                                lambda items: track(items, description=f"scoring {len(records)} questions ({scored})"))
        report["meta"] = {"run": run, "dataset": str(dataset), "split": split, "mode": mode, "backend": scored}
        folder = settings.eval_reports_dir / run
        write_report(report, folder)
        console.print(headline_table(report))
        console.print(retriever_table(report))
        console.print(f"report: {folder}/report.html")
        reports[scored] = report
    if len(reports) > 1:
        _print_comparison(reports["embedded"], reports["milvus"], "milvus − embedded")
    if readme:
        _update_readme(report, run)


def _update_readme(report: dict, run: str) -> None:
    from qa.evaluation.report import headline_table, retriever_table

    readme = Path("README.md")
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        fail(f"README.md has no {README_START} … {README_END} block")
    meta = report["meta"]
    block = (f"{README_START}\nSplit `{meta['split']}` of `{meta['dataset']}` ({report['overall']['questions']} questions), "
             f"run `{run}`, mode `{meta['mode']}`, target {report['target']}:\n\n{headline_table(report)}\n\n"
             f"{retriever_table(report)}\n{README_END}")
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    from qa.atomic import write_text_atomic

    write_text_atomic(readme, text[:start] + block + text[end:])
    console.print("README.md updated")


@eval_app.command("compare")
def eval_compare(
    run_a: str = typer.Argument(..., help="First run (name under eval/reports or a folder)."),
    run_b: str = typer.Argument(..., help="Second run."),
) -> None:
    """Print the differences between two runs' overall figures (B − A)."""
    import json

    def load(run: str) -> dict:
        folder = Path(run) if Path(run).is_dir() else get_settings().eval_reports_dir / run
        path = folder / "report.json"
        if not path.is_file():
            fail(f"{path}: no such report")
        return json.loads(path.read_text(encoding="utf-8"))

    _print_comparison(load(run_a), load(run_b), f"{run_b} − {run_a}")


def _print_comparison(first: dict, second: dict, title: str) -> None:
    """Two runs' overall figures side by side, with B − A."""
    from qa.evaluation.report import compare_reports

    table = Table(title=title)
    for column in ("metric", "A", "B", "Δ"):
        table.add_column(column)
    for metric, a, b, delta in compare_reports(first, second):
        sign = "" if delta is None else ("+" if delta > 0 else "")
        table.add_row(metric, str(a), str(b), "—" if delta is None else f"{sign}{delta}")
    console.print(table)


@bench_app.command("api")
def bench_api_command(
    url: str = typer.Option(None, "--url", help="A running service; default: start one in this process."),
    rounds: int = typer.Option(10, min=1, help="Rounds over the benchmark questions."),
    concurrency: int = typer.Option(4, min=1, max=64, help="Concurrent clients for the throughput run."),
) -> None:
    """/api/ask p50/p95 over real HTTP (warm, extractive unless an LLM is configured) and throughput."""
    from qa.api.app import create_app
    from qa.benchmark import bench_api, serve_in_background

    stop = None
    if url is None:
        url, stop = serve_in_background(create_app(get_settings(), _load_pipeline()))
    try:
        figures = bench_api(url, rounds, concurrency)
    finally:
        if stop:
            stop()
    console.print(
        f"/api/ask over HTTP: p50 {figures['ask_ms_p50']:.1f} ms, p95 {figures['ask_ms_p95']:.1f} ms "
        f"over {figures['requests']} requests\n"
        f"throughput: {figures['throughput_rps']:.1f} requests/s with {figures['concurrency']} concurrent clients"
    )


def _publish_to_milvus(settings, yearbook: str | None) -> None:
    from qa.milvus_backend import publish
    from qa.store import IndexStoreError

    try:
        with console.status(f"writing to Milvus at {settings.milvus_uri}…"):
            written = publish(settings, yearbook)
    except IndexStoreError as exc:
        fail(str(exc))
    except Exception as exc:  # pymilvus raises MilvusException and gRPC errors for an unreachable or refusing server
        fail(f"could not write to Milvus at {settings.milvus_uri}: {exc}")
    console.print(f"Milvus collection [bold]{written['collection']}[/]: {written['rows']} rows"
                  f"{' of ' + yearbook if yearbook else ''} written in {written['seconds']} s")


def _load_pipeline(settings=None):
    from qa.pipeline import Pipeline
    from qa.store import IndexStoreError

    try:
        with console.status("loading index…"):
            return Pipeline.load(settings or get_settings())
    except (IndexStoreError, CorpusError) as exc:
        fail(str(exc))


if __name__ == "__main__":  # `python -m qa.cli …`, as the test of a real `qa serve` process runs it
    app()
