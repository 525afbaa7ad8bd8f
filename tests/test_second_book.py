"""A second, county yearbook: genre knowledge is data, and a book's additions are proven needed.

The synthetic 祁岭县 yearbook (tests/fixtures/qiling-county-2020, written in the extracted layout of
the real book: wrapped lines, page anchors, 【条目】, a leaders' list, 第X条 regulations) has a 县长,
a document numbered 县政发[2019]12号, a town list, and three things the shared genre file does not
know: camels counted in 峰, a state farm's 场长, and a 文号 printed in small brackets ﹝2019﹞. Its
manifest adds those; the fast tests show each addition is what makes the difference, the slow one
parses, indexes (real store, real embedder, answer models fitted on the fixture's own question
files) and answers through the real Pipeline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.config import Settings
from qa.genre import SHARED_GENRE, GenreAdditions
from qa.lexical import Analyzer
from qa.manifest import CorpusError, load_manifest, read_source
from qa.mentions import read_sentences
from qa.parsing import parse_yearbook

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "qiling-county-2020"
BOOK = "qiling-2020"


@pytest.fixture(scope="module")
def county_spec():
    return load_manifest(FIXTURE).get(BOOK)


@pytest.fixture(scope="module")
def county_book(county_spec):
    return parse_yearbook(read_source(FIXTURE, county_spec), county_spec)


def test_the_county_book_parses_into_categories_entries_documents_and_pages(county_book):
    records = county_book.records
    assert [name for name, _ in county_book.category_lines] == ["县情概览", "祁岭县人民政府", "农业", "乡镇", "附录"]
    entries = {r.title: r for r in records if r.kind == "entry"}
    assert {"行政区划", "骆驼养殖", "国营沙河农场", "祁岭县人民政府领导班子成员"} <= set(entries)
    assert entries["祁岭县人民政府领导班子成员"].text.split("\n")[1:4] == ["县长", "马振华", "副县长"]
    assert entries["骆驼养殖"].path == ["农业", "畜牧业", "骆驼养殖"]
    towns = [r.path[1] for r in records if r.category == "乡镇" and r.title == "综述"]
    assert towns == ["沙河镇", "红岭镇", "东湾镇", "西滩乡", "马莲乡"]
    # printed pages: exact at the anchor beside the first category, then one more at each page start
    assert (entries["行政区划"].page_start, entries["人口"].page_start, entries["骆驼养殖"].page_start) == (1, 2, 5)
    assert [r.page_start for r in records if r.category == "乡镇" and r.title == "综述"] == [6, 6, 6, 7, 7]
    articles = [r for r in records if r.kind == "article"]
    assert [a.title for a in articles] == ["第一条", "第二条", "第三条", "第四条"]
    assert {a.doc_number for a in articles} == {"县政发[2019]12号"}
    assert articles[0].path[:2] == ["附录", "祁岭县骆驼产业发展扶持办法"]
    assert any(r.doc_number == "县政办发﹝2019﹞35号" and r.path[1] == "祁岭县农村人居环境整治三年行动实施方案"
               for r in records)


def test_without_its_additions_the_small_bracket_document_number_is_lost(county_spec):
    bare = county_spec.model_copy(update={"genre": GenreAdditions()})
    records = parse_yearbook(read_source(FIXTURE, bare), bare).records
    assert not any(r.doc_number == "县政办发﹝2019﹞35号" for r in records)


def _numbers_and_people(text: str, genre) -> set[str]:
    return {m.text for sentence in read_sentences(text, genre) for m in sentence.mentions if m.kind in ("number", "person")}


def test_the_books_units_and_titles_are_read_only_with_its_additions(county_spec):
    genre = SHARED_GENRE.extended(county_spec.genre)
    camels = "全县骆驼存栏 1260 峰，比上年增加 85 峰。"
    farm = "国营沙河农场始建于 1958 年，场长王海生。"
    assert not {"1260峰", "85峰"} & _numbers_and_people(camels, SHARED_GENRE)
    assert {"1260峰", "85峰"} <= _numbers_and_people(camels, genre)
    assert "王海生" not in _numbers_and_people(farm, SHARED_GENRE)
    assert "王海生" in _numbers_and_people(farm, genre)


def test_additions_merge_over_several_books_and_never_remove():
    one = GenreAdditions(units=["峰"], stopwords=["咋个"])
    other = GenreAdditions(titles=["场长"], place_suffixes=["嘎查"], document_brackets=[("﹝", "﹞")])
    merged = SHARED_GENRE.extended(one, other)
    assert set(SHARED_GENRE.units) < set(merged.units) and "峰" in merged.units
    assert set(SHARED_GENRE.titles) < set(merged.titles) and "场长" in merged.titles
    assert merged.place_suffixes == (*SHARED_GENRE.place_suffixes, "嘎查")  # shared suffixes are tried first
    assert ("﹝", "﹞") in merged.document_brackets and "咋个" in merged.stopwords
    assert SHARED_GENRE.extended() == SHARED_GENRE
    assert "咋个" not in Analyzer([], merged.stopwords).words("咋个办理居住证")
    assert "咋个" in Analyzer([], SHARED_GENRE.stopwords).words("咋个办理居住证")


@pytest.mark.parametrize("genre, problem", [
    ({"units": [" 峰"]}, "峰"),
    ({"document_brackets": [["﹝", "﹝"]]}, "bracket"),
    ({"titles": ["场长"], "colours": ["红"]}, "colours"),
])
def test_a_bad_genre_block_is_refused_with_the_manifest_named(tmp_path, genre, problem):
    manifest = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))
    manifest["yearbooks"][0]["genre"] = genre
    (tmp_path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"manifest\.json: invalid manifest(?s:.*){problem}"):
        load_manifest(tmp_path)


@pytest.fixture(scope="module")
def county_settings(tmp_path_factory) -> Settings:
    """The fixture book alone in a corpus folder of its own (a copy: one test edits its manifest)."""
    from qa.corpus import build_corpus

    root = tmp_path_factory.mktemp("county")
    shutil.copytree(FIXTURE, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", parsed_dir=root / "parsed", index_dir=root / "index",
                        train_dataset=root / "corpus" / "questions-train.jsonl",
                        calibration_datasets=[root / "corpus" / "questions-dev.jsonl"])
    build_corpus(settings.corpus_dir, settings.parsed_dir)
    return settings


@pytest.fixture(scope="module")
def county_pipeline(county_settings):
    """The real index of the county book, its answer models fitted on the fixture's own questions."""
    from qa.embedding import load_embedder
    from qa.pipeline import Pipeline
    from qa.store import build_index
    from qa.training import fit_answer_models

    embedder = load_embedder(county_settings.embedding_model, county_settings.cache_dir)
    build_index(county_settings, embedder, train=lambda index, tuned: fit_answer_models(county_settings, tuned, index))
    return Pipeline.load(county_settings)


@pytest.mark.slow
def test_the_index_records_the_genre_it_was_read_with(county_pipeline):
    index = county_pipeline.index
    [book] = index.manifest["corpus"]
    assert book["genre"] == {"titles": ["场长"], "units": ["峰"], "document_brackets": [["﹝", "﹞"]]}
    assert "峰" in index.genre.units and "场长" in index.genre.titles
    stored = json.loads((index.path / "genre.json").read_text(encoding="utf-8"))
    assert stored["units"] == list(index.genre.units) and "genre.json" in index.manifest["files"]
    mentions = {m.text for found in index.sentences.values() for s in found for m in s.mentions}
    assert {"1260峰", "540峰", "王海生", "马振华"} <= mentions


@pytest.mark.slow
@pytest.mark.parametrize("question, expected, cited", [
    ("祁岭县县长是谁？", "马振华", "祁岭县人民政府领导班子成员"),
    ("祁岭县全县骆驼存栏多少峰？", "1260峰", "骆驼"),
    ("县政发〔2019〕12号是什么文件？", "祁岭县骆驼产业发展扶持办法", "祁岭县骆驼产业发展扶持办法"),
    ("县政办发(2019)35号文件叫什么？", "县政办发﹝2019﹞35号", "祁岭县农村人居环境整治三年行动实施方案"),
    ("祁岭县辖哪些乡镇？", "沙河镇、红岭镇、东湾镇、西滩乡、马莲乡", "行政区划"),
    ("祁岭县有几个乡镇？", "5个乡镇", "行政区划"),
    ("国营沙河农场的场长是谁？", "王海生", "国营沙河农场"),
])
def test_the_county_book_answers_with_citations(county_pipeline, question, expected, cited):
    result = county_pipeline.ask(question)
    assert result.answerable, result.answer
    assert expected in result.answer.replace(" ", "")
    assert any(cited in "›".join(c.section_path) for c in result.citations)
    for citation in result.citations:  # verbatim quotes from the county book, with its printed pages
        assert citation.yearbook == BOOK and citation.page is not None
        assert citation.quote in county_pipeline.index.records[citation.record_id].text
    if result.short_answer is not None:
        assert result.short_answer.replace(" ", "") in result.answer.replace(" ", "")


@pytest.mark.slow
@pytest.mark.parametrize("question", ["祁岭县有几个国家级自然保护区？", "祁岭县2016年粮食总产量是多少？"])
def test_a_question_the_county_book_does_not_answer_is_refused(county_pipeline, question):
    result = county_pipeline.ask(question)
    assert not result.answerable and result.citations == [], result.answer
    assert result.answer.startswith("年鉴中未找到")


@pytest.mark.slow
def test_an_index_read_with_other_additions_is_refused(county_settings, county_pipeline):
    from qa.pipeline import Pipeline
    from qa.store import IndexStoreError

    path = county_settings.corpus_dir / "manifest.json"
    original = path.read_text(encoding="utf-8")
    manifest = json.loads(original)
    manifest["yearbooks"][0]["genre"]["units"].append("尾")
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    try:
        with pytest.raises(IndexStoreError, match="genre additions"):
            Pipeline.load(county_settings)
    finally:
        path.write_text(original, encoding="utf-8")
