"""Feeds: JSON and JSON Lines files of article records, and one record as an `Article`.

A .json file holds a list of records, an object with the list under one of `RECORD_LIST_KEYS`, or one record; a
.jsonl file holds one record per line. A bad record is a problem for that record only: the other records are
still read, and each bad one is reported as its own SourceError (`feed.jsonl:7` for line 7, `feed.json record 3`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.errors import SourceError
from rag.ingest.decode import normalise_newlines
from rag.ingest.html import html_fragment_text, is_whole_page, looks_like_html, read_html
from rag.ingest.metadata import json_safe, published_date, text_field
from rag.ingest.source import SourceFile
from rag.records import Article, content_hash, safe_url
from rag.text import json_kind

# Keys of a JSON object that hold the list of records, in the order they are tried.
RECORD_LIST_KEYS = ("articles", "items", "records", "entries", "data")
TEXT_KEYS = ("text", "content", "body")
URL_KEYS = ("url", "link")
DATE_KEYS = ("published", "date")


def read_json_feed(file: SourceFile, text: str) -> tuple[list[Article], list[SourceError]]:
    """The articles of a .json file, and a SourceError for each bad record."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise file.error(f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})",
                         fix="fix the JSON, or save one record per line as .jsonl") from error
    except RecursionError as error:
        raise file.error("is nested too deeply to read", fix="flatten the records") from error
    if isinstance(data, dict):
        listed = next((data[key] for key in RECORD_LIST_KEYS if isinstance(data.get(key), list)), None)
        records: list[Any] = listed if listed is not None else [data]
        labels = [f"{file.relative} record {number}" for number in range(1, len(records) + 1)]
        if listed is None:
            labels = [file.relative]
    elif isinstance(data, list):
        records = data
        labels = [f"{file.relative} record {number}" for number in range(1, len(records) + 1)]
    else:
        raise file.error(f"holds a JSON {type(data).__name__}, not records",
                         fix='give a list of records, {"articles": [...]}, or one record object')
    if not records:
        raise file.error("holds no records", fix="add records, or remove the file")
    return _records_to_articles(file, zip(labels, records, strict=True))


def read_jsonl_feed(file: SourceFile, text: str) -> tuple[list[Article], list[SourceError]]:
    """The articles of a .jsonl file, and a SourceError for each bad line or record, in line order."""
    labelled: list[tuple[str, Any]] = []
    problems: list[SourceError] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        label = f"{file.relative}:{number}"
        try:
            labelled.append((label, json.loads(line)))
        except (json.JSONDecodeError, RecursionError) as error:
            detail = f"{error.msg}, column {error.colno}" if isinstance(error, json.JSONDecodeError) else "too deep"
            problems.append(SourceError(label, f"line {number} is not valid JSON ({detail})",
                                        fix="fix or remove that line; the other lines were read"))
    if not labelled and not problems:
        raise file.error("holds no records", fix="add one JSON record per line, or remove the file")
    articles, record_problems = _records_to_articles(file, labelled)
    return articles, sorted([*problems, *record_problems], key=lambda problem: _line_of(problem.source))


def _line_of(label: str) -> int:
    tail = label.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _records_to_articles(file: SourceFile, labelled: Any) -> tuple[list[Article], list[SourceError]]:
    articles: list[Article] = []
    problems: list[SourceError] = []
    first_label_of: dict[str, str] = {}
    for label, record in labelled:
        try:
            article = _record_article(record, file, label)
        except SourceError as problem:
            problems.append(problem)
            continue
        if article.id in first_label_of:
            # The index keys articles by id: a second record with the same id would silently replace the first.
            problems.append(SourceError(label, f"has the same id {article.id!r} as {first_label_of[article.id]}",
                                        fix="give each record its own 'id' (or 'url'), or remove the duplicate"))
            continue
        first_label_of[article.id] = label
        articles.append(article)
    return articles, problems


def article_from_record(record: dict[str, Any], feed_path: Path, position: int, root: Path | None = None) -> Article:
    """One feed record as an article (also used for records posted to the HTTP API).

    The record holds `text` (or `content`/`body`) and `title`, optionally `url`/`link`, `published`/`date`,
    `source`, `author` and `id`; every other field is kept in `metadata`. `position` is the record's line
    (JSON Lines) or 1-based place in the feed; errors name the record as `feed:position`.
    Raises SourceError for a record without usable text.
    """
    file = SourceFile.of(Path(feed_path), root)
    return _record_article(record, file, f"{file.relative}:{position}")


def _record_article(record: Any, file: SourceFile, label: str) -> Article:
    if not isinstance(record, dict):
        raise SourceError(label, f"is {json_kind(record)}, not a record object",
                          fix='make each record an object such as {"title": ..., "text": ...}')
    by_key = {str(key).lower(): key for key in record}  # field names are matched case-insensitively
    used: set[Any] = set()

    def take(*names: str) -> Any:
        for name in names:
            key = by_key.get(name)
            if key is not None and record[key] is not None:
                used.add(key)
                return record[key]
        return None

    raw_text = take(*TEXT_KEYS)
    if raw_text is None:
        raise SourceError(label, "has no text field",
                          fix="give each record its text as a 'text' (or 'content' or 'body') string")
    if not isinstance(raw_text, str):
        raise SourceError(label, f"has text that is {json_kind(raw_text)}, not a string",
                          fix="give the record's text as one string")
    text = normalise_newlines(raw_text).strip()
    page = None
    if looks_like_html(text):
        # A whole page keeps its metadata; a fragment is cleaned as the article body it is.
        page = read_html(text) if is_whole_page(text) else None
        text = page.text if page is not None else html_fragment_text(text)
    if not text:
        raise SourceError(label, "has empty text", fix="give the record some text, or remove it")

    title = text_field(take("title", "headline"))
    if not title and page is not None:
        title = page.title
    if not title:
        first_line = text.split("\n", 1)[0]
        title = first_line if len(first_line) <= 100 else first_line[:99].rsplit(" ", 1)[0] + "…"

    metadata: dict[str, Any] = {}
    url_value = text_field(take(*URL_KEYS)) or (page.url if page is not None else "")
    url = safe_url(url_value)
    if url_value and not url:
        metadata["url_raw"] = url_value
    published, extra = published_date(take(*DATE_KEYS) or (page.published if page is not None else None))
    metadata.update(extra)
    record_id = take("id", "article_id")
    if isinstance(record_id, (dict, list)) or record_id == "":
        metadata["id_raw"] = json_safe(record_id)
        record_id = None
    article_id = str(record_id) if record_id is not None else url or f"{file.resolved}#{content_hash(text)[:12]}"
    author = text_field(take("author", "authors", "byline")) or (page.author if page is not None else "")
    source = text_field(take("source")) or file.relative
    for key, value in record.items():
        if key not in used:
            metadata[str(key)] = json_safe(value)
    return Article(id=article_id, title=title, text=text, source=source, url=url, published=published,
                   author=author, path=file.resolved, metadata=metadata)
