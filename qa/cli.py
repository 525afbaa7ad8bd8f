"""The `qa` command line: corpus, index, search, ask, serve and eval all wrap the same pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NoReturn, get_args

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
feedback_app = typer.Typer(help="Citizen feedback stored by the service.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")
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
                               train=lambda index, tuned: fit_answer_models(settings, tuned, index))
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
    finetune = manifest["embedding"]["finetune"]
    if finetune:
        recall = finetune["dev_dense_recall_at_5"]
        console.print(f"embedding fine-tuned on {finetune['train']['triplets']} training questions in "
                      f"{finetune['steps']} steps ({finetune['training_seconds']} s); "
                      f"dev dense-only Recall@5 {recall['base']} → {recall['tuned']}")
    if backend == "milvus":
        _publish_to_milvus(settings, yearbook)
    models = manifest["models"]
    console.print(f"answer models: trained on {models['training']['train']['questions']} questions; "
                  f"headline precision {models['headline'].get('dev_headline_precision')} on dev "
                  f"({models['headline'].get('dev_headlines_shown')} shown), "
                  f"{models['headline'].get('train_out_of_fold_headline_precision')} out of fold on the training questions "
                  f"({models['headline'].get('train_out_of_fold_headlines_shown')} shown); "
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
    for n, hit in enumerate(hits, start=1):  # whole passages, wrapped to the terminal, never cut
        page = f"第{hit.chunk.page_start}页" if hit.chunk.page_start else "无页码"
        console.print(f"[bold][{n}][/] {' › '.join(hit.chunk.path)}（{page}） score {hit.score:.4f}")
        console.print(hit.chunk.text, markup=False, highlight=False)
        console.print()


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
    console.print("有答案 / answered" if result.answerable else "年鉴未回答 / not answered by the yearbook")
    if result.short_answer:
        console.print(f"简答 / short answer：[bold green]{result.short_answer}[/] "
                      f"(confidence {result.short_answer_confidence:.2f})")
    console.print(result.answer, markup=False, highlight=False)
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
    workers: int = typer.Option(0, min=0, max=64, help="Worker processes (0: one per core). SIGHUP reloads the index."),
) -> None:
    """Start the HTTP service (the page at /, the API under /api, OpenAPI at /openapi.json)."""
    import os

    from qa.api.server import run

    workers = workers or os.cpu_count() or 1
    # Load first to fail fast, before binding the port, when the index is missing or stale. With
    # several workers each loads its own copy and this process only supervises, so it checks apart.
    if workers == 1:
        run(get_settings(), host, port, 1, _load_pipeline())
    else:
        _check_index()
        run(get_settings(), host, port, workers)


README_START, README_END = "<!-- eval:start -->", "<!-- eval:end -->"


@eval_app.callback()
def eval_command(
    ctx: typer.Context,
    dataset: Path = typer.Option(None, "--dataset", help="JSONL or CSV data set (default: eval/jinchuan-2020.jsonl)."),
    split: str = typer.Option("test", "--split", help="train, dev, test, test2, test3 or all."),
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
    if split not in ("train", "dev", "test", "test2", "test3", "all"):
        fail("--split must be train, dev, test, test2, test3 or all")
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
    url: str = typer.Option(None, "--url", help="A running service (started with QA_RATE_LIMIT= so that the limit does not throttle the benchmark); default: start `qa serve`."),
    workers: int = typer.Option(0, "--workers", min=0, max=64, help="Workers of the service it starts (0: one per core)."),
    seconds: float = typer.Option(15, "--seconds", min=1, help="Duration of each concurrency level."),
) -> None:
    """/api/ask over real HTTP with a mix of real questions at concurrency 1, 4, 16: req/s, p50/p95/p99, memory."""
    import os
    import tempfile
    from contextlib import nullcontext

    from qa.benchmark import bench_api, benchmark_questions, qa_serve_process, service_memory

    settings = get_settings()
    questions = benchmark_questions(settings)
    workers = workers or os.cpu_count() or 1
    log = Path(tempfile.mkstemp(prefix="qa-bench-serve-", suffix=".log")[1])
    service = nullcontext((url, None)) if url else qa_serve_process(workers, {**os.environ, "QA_RATE_LIMIT": ""}, log)
    with service as (base_url, process):
        idle = service_memory(process.pid) if process else None
        rows = bench_api(base_url, questions, seconds, (1, 4, 16))
        loaded = service_memory(process.pid) if process else None
    table = Table(title=f"/api/ask, {len(questions)} real questions, {seconds:g} s per level"
                        + (f", {workers} workers" if not url else ""))
    for column in ("clients", "requests", "failed", "req/s", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(str(row["concurrency"]), str(row["requests"]), str(row["failures"]), f"{row['rps']:.1f}",
                      f"{row['p50']:.1f}", f"{row['p95']:.1f}", f"{row['p99']:.1f}")
    console.print(table)
    if idle and loaded:
        console.print(f"memory of {idle['processes']} processes (supervisor and workers): idle RSS {idle['rss_mb']:.0f} MB "
                      f"(PSS {idle['pss_mb']:.0f} MB); after the run RSS {loaded['rss_mb']:.0f} MB "
                      f"(PSS {loaded['pss_mb']:.0f} MB)")


def _check_index() -> None:
    """What loading would refuse (files, model, corpus), checked in a child process: the supervisor
    lives as long as the service, and would otherwise keep the ~90 MB of libraries the check imports."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        problem = child.submit(_index_problem).result()
    if problem:
        fail(problem)


def _index_problem() -> str | None:
    """Why the configured index cannot be served, or None."""
    from qa.store import IndexStoreError, check_index, load_index_embedder

    try:
        check_index(get_settings(), *load_index_embedder(get_settings()))
    except (IndexStoreError, CorpusError) as exc:
        return str(exc)
    return None


ExportFormat = Literal["jsonl"]


@feedback_app.command("export")
def feedback_export(
    export_format: str = typer.Option("jsonl", "--format", help="jsonl: one eval-shaped record per line."),
    out: Path = typer.Option(None, "--out", help="File to write (atomically); default: standard output."),
    verdict: str = typer.Option(None, "--verdict", help="Only correct, wrong or unclear."),
) -> None:
    """Write stored feedback as evaluation questions (see eval/README.md), gold fields left for an evaluator."""
    from qa.evaluation.from_feedback import eval_records
    from qa.feedback import FEEDBACK_FILE, FeedbackStore, FeedbackStoreError, Verdict

    _check_choice("--format", export_format, ExportFormat)
    if verdict is not None:
        _check_choice("--verdict", verdict, Verdict)
    store = FeedbackStore(get_settings().data_dir / FEEDBACK_FILE)
    try:
        lines = [record.model_dump_json() + "\n" for record in eval_records(store.oldest_first(verdict))]
    except FeedbackStoreError as exc:
        fail(str(exc))
    if out is None:
        typer.echo("".join(lines), nl=False)
        return
    from qa.atomic import write_text_atomic

    write_text_atomic(out, "".join(lines))
    Console(stderr=True).print(f"{len(lines)} records → {out}")


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
