"""Parse one yearbook's extracted text into records: the structure stage.

The book's shape (类目 › 分目 › 【条目】, reports, a chronicle, regulations with 第X条 articles) is
recovered from line shapes, never from knowledge of one book: what is specific to a book (its
category list, where a heading was lost, its running heads) comes from its manifest entry.
A wrapped line fills the column, so a line clearly shorter than the column ends a paragraph.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

from qa.genre import SHARED_GENRE, Genre
from qa.manifest import CategorySpec, CorpusError, YearbookSpec
from qa.pages import PageMap, locate_pages
from qa.records import Record, RecordKind
from qa.textrepair import count_cjk, display_width, join_wrapped, join_wrapped_with_offsets, repair_spaces

BLOCK_MAX_CHARS = 800  # a report's paragraphs are grouped into blocks of about this size
_SENTENCE_PUNCT = re.compile(r"[，。；：！？,;:!?]")
_ENDS_SENTENCE = re.compile(r"[。；！？!?）)」”】]$")
_SPACED_LABEL = re.compile(r"^[\u4e00-\u9fff](?:[ \u3000]{2,}[\u4e00-\u9fff])+$")
CHRONICLE_MONTH = re.compile(r"^(\d{1,2})月$")  # a 大事记 month heading
_REPORT_OPENING = re.compile(r"^(?:现在[，,]我代表|受[\u4e00-\u9fff]{2,12}委托[，,])")  # how a report to a congress opens
_SALUTATION = re.compile(r"^各位[\u4e00-\u9fff、]{1,12}[：:]$")
CHRONICLE_DAY = re.compile(r"^(\d{1,2}日(?:[—－~～-]+\d{1,2}日)?)")  # the day a 大事记 entry opens with
_DOC_DATE = re.compile(r"^（\d{4}年\d{1,2}月\d{1,2}日）$")
_CN_NUM = "零〇一二两三四五六七八九十百"
_ARTICLE = re.compile(rf"^第([{_CN_NUM}]+)条")
_CHAPTER = re.compile(rf"^第([{_CN_NUM}]+)章")
_TITLE_SUFFIX = re.compile(r"（(?:试行|暂行|修订|\d{4}[—－-]\d{4}年)）$")
_TITLE_START = re.compile(r"^(?:关于|中国|中共|政协|\d{4}年)")
_OUTLINE_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


@dataclass(frozen=True)
class Line:
    """A content line: its source index, repaired text, printed width and page."""

    index: int
    text: str
    width: int
    page: int | None
    label: bool = False  # a short label spaced out to the column ("主  任", "委  员"): it stands alone
    alone: bool = False  # a paragraph by itself, however it was wrapped (a report's byline)


@dataclass
class ParsedBook:
    """Records of one yearbook plus what the parser consumed as structure (headings, titles)."""

    records: list[Record]
    structure_texts: list[str]
    category_lines: list[tuple[str, int]]
    page_map: PageMap


@lru_cache(maxsize=8)
def speaker_line(genre: Genre) -> re.Pattern[str]:
    """A report's byline: who delivered it, an office and a name ("金川区人民法院代院长  陈海东")."""
    return re.compile(rf"^[\u4e00-\u9fff（）]{{0,30}}(?:{genre.titles_alternation})\s*[\u4e00-\u9fff·]{{2,4}}$")


def document_number_line(genre: Genre) -> re.Pattern[str]:
    """A document's 文号 alone on its line, in any of the genre's brackets (区委发〔2019〕7号, 县政发[2019]12号)."""
    opening, closing = genre.bracket_classes
    return re.compile(rf"^[\u4e00-\u9fff]{{1,12}}[{opening}]\d{{4}}[{closing}]\d+号$")


def chinese_number(numeral: str) -> int:
    """Value of a Chinese numeral up to 999 (第一百零二条 → 102)."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    total, current = 0, 0
    for ch in numeral:
        if ch in digits:
            current = digits[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def _stripped(text: str) -> str:
    return re.sub(r"\s+", "", text)


def find_category_starts(raw_lines: list[str], spec: YearbookSpec) -> list[tuple[CategorySpec, int]]:
    """Source line where each category begins, searched in book order.

    A category opens at a line that reads its name, or at its manifest `starts_at` text: a whole
    line, or text that begins at a line start and runs on over the following lines.
    """
    stripped = [_stripped(line) for line in raw_lines]
    starts: list[tuple[CategorySpec, int]] = []
    position = 0
    for category in spec.categories:
        found = None
        for i in range(position, len(raw_lines)):
            if stripped[i] == category.name or (category.starts_at and _opens_with(stripped, i, category.starts_at)):
                found = i
                break
        if found is None:
            raise CorpusError(
                f"{spec.source}: category '{category.name}' not found after line {position + 1}; "
                "add a `starts_at` hint to its manifest entry"
            )
        starts.append((category, found))
        position = found + 1
    return starts


def _opens_with(stripped: list[str], i: int, snippet: str) -> bool:
    snippet = _stripped(snippet)
    if not stripped[i] or not snippet.startswith(stripped[i][: len(snippet)]):
        return False
    if len(snippet) <= len(stripped[i]):
        return stripped[i] == snippet
    text, j = "", i
    while len(text) < len(snippet) and j < len(stripped):
        text += stripped[j]
        j += 1
    return text.startswith(snippet)


def parse_yearbook(text: str, spec: YearbookSpec) -> ParsedBook:
    """All records of one yearbook, in book order, read with the genre plus the book's additions."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    page_map = locate_pages(raw_lines, spec.running_heads, [c.name for c in spec.categories])
    starts = find_category_starts(raw_lines, spec)
    if not page_map.anchors:
        raise CorpusError(f"{spec.source}: no printed page numbers found; is this an extracted yearbook?")
    lines = [
        Line(i, repair_spaces(raw), display_width(raw.strip()), page_map.page_of_line[i],
             label=bool(_SPACED_LABEL.match(raw.strip())))
        for i, raw in enumerate(raw_lines)
        if raw.strip() and i not in page_map.debris_lines
    ]
    widths = sorted(line.width for line in lines)
    column_width = widths[int(len(widths) * 0.9)]
    genre = SHARED_GENRE.extended(spec.genre)
    builder = _Builder(spec.id, short_width=int(column_width * 0.8),
                       document_number_line=document_number_line(genre), speaker_line=speaker_line(genre),
                       region_names=tuple(sorted(spec.region_names, key=len, reverse=True)))

    bounds = [(CategorySpec(name=spec.front_matter), -1)] + starts
    for n, (category, start) in enumerate(bounds):
        end = bounds[n + 1][1] if n + 1 < len(bounds) else len(raw_lines)
        segment = [line for line in lines if start <= line.index < end]
        if segment and _stripped(segment[0].text) == category.name:
            builder.structure.append(segment[0].text)
            segment = segment[1:]
        layout = _parse_front_matter if n == 0 else _LAYOUTS[category.layout]
        layout(builder, category, segment)
    records = sorted(builder.records, key=lambda r: r.source_lines)  # a table is emitted before the entry around it
    return ParsedBook(records, builder.structure, [(c.name, s) for c, s in starts], page_map)


@dataclass
class _Builder:
    """Collects records with stable ids and shared line-shape tests."""

    yearbook: str
    short_width: int
    document_number_line: re.Pattern[str]
    speaker_line: re.Pattern[str]
    region_names: tuple[str, ...] = ()
    records: list[Record] = field(default_factory=list)
    structure: list[str] = field(default_factory=list)
    _seen_ids: set[str] = field(default_factory=set)

    def opens_title(self, text: str) -> bool:
        """Whether a line can be the first line of a report's title (关于…, 中共…, 2019年…, or the region's name)."""
        return bool(_TITLE_START.match(text)) or text.startswith(self.region_names)

    def starts_paragraph(self, lines: list[Line], k: int) -> bool:
        """Whether line k opens a paragraph: it is first, or the line before is short or ends a sentence."""
        previous = lines[k - 1] if k > 0 else None
        return previous is None or self.ends_paragraph(previous) or bool(_ENDS_SENTENCE.search(previous.text))

    def ends_paragraph(self, line: Line) -> bool:
        return line.width < self.short_width

    def paragraphs(self, lines: list[Line]) -> Iterator[list[Line]]:
        current: list[Line] = []
        for line in lines:
            if line.label and current:
                yield current  # the names above a label end there, however long their line
                current = []
            current.append(line)
            if self.ends_paragraph(line) or line.alone:
                yield current
                current = []
        if current:
            yield current

    def emit(self, kind: RecordKind, path: list[str], title: str, lines: list[Line], *,
             doc_number: str | None = None, one_line_each: bool = False) -> None:
        if not lines:
            return
        groups = [[line] for line in lines] if one_line_each else list(self.paragraphs(lines))
        text, line_starts = "", []
        for para in groups:
            if text:
                text += "\n"
            joined, starts = join_wrapped_with_offsets([line.text for line in para])
            line_starts += [len(text) + start for start in starts]
            text += joined
        page_breaks: list[tuple[int, int]] = []
        for offset, line in zip(line_starts, lines):
            if line.page is not None and (not page_breaks or page_breaks[-1][1] != line.page):
                page_breaks.append((offset, line.page))
        digest = hashlib.sha1(("›".join(path) + "\n" + text).encode("utf-8")).hexdigest()[:12]
        record_id, n = f"{self.yearbook}:{digest}", 1
        while record_id in self._seen_ids:
            n += 1
            record_id = f"{self.yearbook}:{digest}-{n}"
        self._seen_ids.add(record_id)
        pages = [line.page for line in lines if line.page is not None]
        self.records.append(Record(
            id=record_id, yearbook=self.yearbook, kind=kind, path=[p for p in path if p], title=title,
            page_start=min(pages) if pages else None, page_end=max(pages) if pages else None,
            text=text, doc_number=doc_number, source_lines=(lines[0].index + 1, lines[-1].index + 1),
            page_breaks=page_breaks,
        ))

    def emit_blocks(self, path: list[str], title: str, lines: list[Line], doc_number: str | None = None) -> None:
        """Group whole paragraphs into blocks of about BLOCK_MAX_CHARS."""
        block: list[Line] = []
        size = 0
        for para in self.paragraphs(lines):
            para_size = sum(len(line.text) for line in para)
            if block and size + para_size > BLOCK_MAX_CHARS:
                self.emit("block", path, title, block, doc_number=doc_number)
                block, size = [], 0
            block += para
            size += para_size
        self.emit("block", path, title, block, doc_number=doc_number)

    def is_table_title(self, lines: list[Line], k: int) -> bool:
        text = lines[k].text
        following = lines[k + 1 : k + 4]
        return (
            text.endswith("表") and 4 <= len(text) <= 40 and not _SENTENCE_PUNCT.search(text)
            and len(following) == 3 and all(self.ends_paragraph(line) for line in following)
        )

    def table_end(self, lines: list[Line], k: int) -> int:
        """Index after the last cell of the table whose title is at k: cells are short, prose is not."""
        j = k + 1
        while j < len(lines):
            text = lines[j].text
            prose = count_cjk(text) >= 8 and re.search(r"[，。；]", text)
            if text.startswith("【") or prose or self.is_table_title(lines, j):
                break
            j += 1
        return j

    def walk_prose(self, lines: list[Line], path: list[str], title: str,
                   is_heading: Callable[[int], bool], doc_number: str | None = None) -> None:
        """Blocks of paragraphs under the latest heading, with tables cut out as their own records."""
        heading, pending, k = None, [], 0
        while k < len(lines):
            if is_heading(k):
                self.emit_blocks(path + [heading or ""], heading or title, pending, doc_number)
                heading, pending = lines[k].text, []
                self.structure.append(heading)
                k += 1
            elif self.is_table_title(lines, k):
                end = self.table_end(lines, k)
                self.emit_table(path + [heading or ""], lines[k:end])
                k = end
            else:
                pending.append(lines[k])
                k += 1
        self.emit_blocks(path + [heading or ""], heading or title, pending, doc_number)

    def emit_table(self, path: list[str], lines: list[Line]) -> None:
        title = lines[0].text
        self.emit("table", path + [title], title, lines, one_line_each=True)  # one cell or row per line


def _looks_like_heading(builder: _Builder, lines: list[Line], k: int, max_chars: int) -> bool:
    """A short line without punctuation standing alone between paragraphs."""
    text = lines[k].text
    if not (2 <= len(text) <= max_chars) or _SENTENCE_PUNCT.search(text) or text[0] in "【（(“\"0123456789":
        return False
    if re.search(r"[、）)】”]", text):
        return False
    return builder.starts_paragraph(lines, k)


def _parse_entries(builder: _Builder, category: CategorySpec, lines: list[Line]) -> None:
    """分目 headings, 【条目】 entries, the odd table, and text directly under a section."""
    section = category.opening_section
    entry_title: str | None = None
    entry_lines: list[Line] = []
    loose_lines: list[Line] = []

    def flush() -> None:
        nonlocal entry_lines, loose_lines
        if entry_title is not None:
            builder.emit("entry", [category.name, section or "", entry_title], entry_title, entry_lines)
        builder.emit_blocks([category.name, section or ""], section or category.name, loose_lines)
        entry_lines, loose_lines = [], []

    def is_section_heading(k: int) -> bool:
        if not _looks_like_heading(builder, lines, k, 14) or re.search(r"\d", lines[k].text):
            return False
        following = lines[k + 1] if k + 1 < len(lines) else None
        if following is None:
            return False
        if following.text.startswith("【"):
            return True
        previous = lines[k - 1] if k > 0 else None
        return len(lines[k].text) <= 10 and not builder.ends_paragraph(following) and (
            previous is None or previous.text.endswith(("。", "！", "？")) or previous.text.startswith("（供稿")
        )

    k = 0
    while k < len(lines):
        line = lines[k]
        if is_section_heading(k):
            flush()
            entry_title = None
            section = line.text
            builder.structure.append(section)
            k += 1
        elif builder.is_table_title(lines, k):
            end = builder.table_end(lines, k)
            builder.emit_table([category.name, section or "", entry_title or ""], lines[k:end])
            k = end
        elif line.text.startswith("【"):
            flush()
            head = join_wrapped([candidate.text for candidate in lines[k : k + 3]])
            close = head.find("】")
            entry_title = head[1:close] if 0 < close <= 60 else head[1:21]
            entry_lines = [line]
            k += 1
        else:
            (entry_lines if entry_title is not None else loose_lines).append(line)
            k += 1
    flush()


def _parse_reports(builder: _Builder, category: CategorySpec, lines: list[Line]) -> None:
    """Speeches and work reports: each opens with title lines, a '——date, occasion' line and a byline.

    The extraction sometimes drops a report's title block into the middle of one of its sentences
    ("向区委常委会汇" / title / "——2020年1月14日在…" / "代院长 陈海东" / "报工作2次"). The title lines
    become the record's title, and the occasion and byline lines open the report's text, so the
    sentence around them reads whole again and no answer quotes a title block as a statement.
    """
    subtitles = [k for k, line in enumerate(lines) if line.text.startswith("——")]
    starts: list[tuple[int, str, list[int]]] = []
    title_indices: set[int] = set()
    for n, k in enumerate(subtitles):
        j = k
        while j > 0 and k - j < 2 and not _SENTENCE_PUNCT.search(lines[j - 1].text) \
                and not lines[j - 1].text.endswith("】"):
            j -= 1
            if builder.opens_title(lines[j].text):
                break  # a title's first line; what stands before it ends the previous report
        title = join_wrapped([line.text for line in lines[j:k]]) or lines[k].text.lstrip("—")
        builder.structure.extend(line.text for line in lines[j:k])
        byline = _byline(builder, lines, k)
        title_indices.update(range(j, k), byline)
        starts.append((0 if n == 0 else _report_start(lines, starts[-1][0], j), title, byline))
    if not starts:
        starts = [(0, category.name, [])]
    for n, (start, title, byline) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        body = [line for k, line in enumerate(lines[start:end], start) if k not in title_indices]
        opening = [_at_report_start(lines[k], body[0].page if body else None) for k in byline]
        # the occasion and the byline each stand alone, whatever their width ("检察长      杨连贵" fills
        # the column): the byline states an office, the occasion line does not
        opening = [replace(line, alone=True) for line in opening]
        speech = opening + body
        builder.walk_prose(
            speech, [category.name, title], title,
            lambda k, speech=speech: _looks_like_heading(builder, speech, k, 24)
            and builder.ends_paragraph(speech[k]) and not speech[k].text.startswith("——")
            and not builder.speaker_line.match(speech[k].text),
        )


def _at_report_start(line: Line, start_page: int | None) -> Line:
    """A byline moved to its report's start: one printed pages later is cited at the start's page."""
    if start_page is not None and line.page is not None and line.page > start_page:
        return replace(line, page=start_page)
    return line


def _byline(builder: _Builder, lines: list[Line], occasion: int) -> list[int]:
    """The occasion line ("——…会议上"), any wrapped rest of it, and the speaker's line after it."""
    block = [occasion]
    for k in range(occasion + 1, min(occasion + 3, len(lines))):
        if _SENTENCE_PUNCT.search(lines[k].text):
            break
        block.append(k)
        if builder.speaker_line.match(lines[k].text):
            return block
    return [occasion]


def _report_start(lines: list[Line], previous_start: int, title_at: int) -> int:
    """Where a report begins. Usually at its title; but the extracted text sometimes places a
    title block pages into its report, after "现在，我代表…向大会报告工作" has already opened it.
    The first such opening from the previous report's start on is that report's own; a later one
    opens this report, with the salutation ("各位代表：") just before it."""
    openings = [k for k in range(previous_start, title_at) if _REPORT_OPENING.match(lines[k].text)][1:]
    if not openings:
        return title_at
    start = openings[-1]
    return start - 1 if _SALUTATION.match(lines[start - 1].text) else start


def _parse_chronicle(builder: _Builder, category: CategorySpec, lines: list[Line]) -> None:
    """大事记: month headings, then one record per day line."""
    month = ""
    day_title: str | None = None
    day_lines: list[Line] = []

    def flush() -> None:
        if day_title is not None:
            builder.emit("chronicle", [category.name, month, day_title], f"{month}{day_title}", day_lines)
        elif day_lines:
            builder.emit_blocks([category.name, month], month or category.name, day_lines)

    for k, line in enumerate(lines):
        at_paragraph_start = builder.starts_paragraph(lines, k)
        if CHRONICLE_MONTH.match(line.text):
            flush()
            month, day_title, day_lines = line.text, None, []
            builder.structure.append(month)
        elif at_paragraph_start and (day := CHRONICLE_DAY.match(line.text)):
            flush()
            day_title, day_lines = day.group(1), [line]
        else:
            day_lines.append(line)
    flush()


def _is_title_line(builder: _Builder, text: str) -> bool:
    """A line of a document title: no sentence punctuation, and any closing bracket is a title
    suffix such as （试行） or （2019—2020年）, not the tail of the previous document's last sentence."""
    if _SENTENCE_PUNCT.search(text) or builder.document_number_line.match(text):
        return False
    return not text.endswith("）") or bool(_TITLE_SUFFIX.search(text))


def _parse_documents(builder: _Builder, category: CategorySpec, lines: list[Line]) -> None:
    """附录: documents (title, 文号, date), each cut into 第X条 articles or outline blocks."""
    first_title = 0
    while first_title < min(3, len(lines)) and _is_title_line(builder, lines[first_title].text) \
            and builder.ends_paragraph(lines[first_title]):
        first_title += 1
    documents: list[tuple[int, int]] = [(0, first_title)]  # (first line, number of title lines)
    for k, line in enumerate(lines):
        if not builder.document_number_line.match(line.text):
            continue
        start = k
        while start > documents[-1][0] + documents[-1][1] and k - start < 3 and _is_title_line(builder, lines[start - 1].text):
            start -= 1
        if start > documents[-1][0]:
            documents.append((start, k - start))
    for n, (start, title_count) in enumerate(documents):
        end = documents[n + 1][0] if n + 1 < len(documents) else len(lines)
        _parse_document(builder, category, lines[start:end], title_count)


def _parse_document(builder: _Builder, category: CategorySpec, lines: list[Line], title_count: int) -> None:
    title = join_wrapped([line.text for line in lines[:title_count]]) or category.name
    header = lines[:title_count]
    body = lines[title_count:]
    doc_number = None
    if body and builder.document_number_line.match(body[0].text):
        doc_number = body[0].text
        header, body = header + body[:1], body[1:]

    path = [category.name, title]
    chapter = ""
    article: str | None = None
    article_lines: list[Line] = []
    preamble: list[Line] = list(header)  # title and 文号 open the document's first block, as printed

    def flush_article() -> None:
        if article is not None:
            builder.emit("article", path + [chapter, article], article, article_lines, doc_number=doc_number)

    for k, line in enumerate(body):
        at_paragraph_start = builder.starts_paragraph(body, k) or bool(k and _CHAPTER.match(body[k - 1].text))
        article_match = _ARTICLE.match(line.text)
        if at_paragraph_start and _CHAPTER.match(line.text) and not re.search(r"[，。；]", line.text):
            flush_article()
            article, article_lines = None, []
            chapter = line.text
            builder.structure.append(chapter)
        elif at_paragraph_start and article_match:
            flush_article()
            article, article_lines = f"第{article_match.group(1)}条", [line]
        elif article is not None:
            article_lines.append(line)
        else:
            preamble.append(line)
    flush_article()
    builder.walk_prose(
        preamble, path, title,
        lambda k: bool(_OUTLINE_HEADING.match(preamble[k].text)) and builder.ends_paragraph(preamble[k])
        and not _SENTENCE_PUNCT.search(preamble[k].text[2:]),
        doc_number,
    )


def _parse_front_matter(builder: _Builder, category: CategorySpec, lines: list[Line]) -> None:
    builder.walk_prose(lines, [category.name], category.name,
                       lambda k: _looks_like_heading(builder, lines, k, 8) and builder.ends_paragraph(lines[k]))


_LAYOUTS: dict[str, Callable[[_Builder, CategorySpec, list[Line]], None]] = {
    "entries": _parse_entries,
    "reports": _parse_reports,
    "chronicle": _parse_chronicle,
    "documents": _parse_documents,
}
