"""Incremental indexing with a fake embedder: what is embedded, kept, removed and reported, bad input, settings
changes, checkpoints, a reader following a concurrent writer, and uploads."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.answer.retrieve import Retriever
from rag.errors import IndexFormatError, IndexLockedError, IndexWriteError, SourceError
from rag.ingest import files
from rag.ingest.indexer import IndexReport, UpdateOptions, UpdateRun, remove_articles, update_index
from rag.ingest.lazy_embedder import LazyEmbedder
from rag.ingest.uploads import add_files, safe_upload_name
from rag.settings import Settings
from rag.store.generations import PassageIndex, current_generation, writer_lock
from tests.conftest import FakeEmbedder, write

CHUNKS: dict[str, Any] = {"chunk_tokens": 24, "chunk_overlap": 4}


def story(topic: str, version: int = 1, sentences: int = 6) -> str:
    """A small article about `topic` whose passages mention the topic; `version` changes its text."""
    body = " ".join(f"The {topic} report {version} notes fact number {n} about the {topic} plan." for n in
                    range(sentences))
    return f"{topic.title()} news\n\n{body}\n"


def corpus(folder: Path, topics: Sequence[str] = ("harbour", "bridge", "library")) -> Path:
    for topic in topics:
        write(folder, f"{topic}.txt", story(topic))
    return folder


def index(sources: Sequence[Path], folder: Path, embedder: Any, **options: Any) -> IndexReport:
    return update_index(sources, folder, embedder, UpdateOptions(progress=False, **{**CHUNKS, **options}))


def uploading(**choices: Any) -> UpdateOptions:
    """The options of an upload run, as the server builds them from the default settings, with these choices."""
    return UpdateOptions.from_settings(Settings(), "upload", **choices)


def state(folder: Path) -> tuple[Any, ...]:
    """Everything a reader sees of the live index, comparable with ==."""
    loaded = PassageIndex.load(folder)
    vectors = loaded.vectors_of(range(len(loaded)))
    rows = sorted((passage.id, passage.text, vectors[row].round(5).tobytes())
                  for row, passage in enumerate(loaded.passages))
    records = sorted((record.id, record.hash, record.passages) for record in loaded.articles.values())
    return loaded.embedder, loaded.dimension, loaded.settings, rows, records


def articles_in(folder: Path) -> set[str]:
    return {Path(article_id).name for article_id in PassageIndex.load(folder).articles}


# --- incremental: new, changed, unchanged, removed --------------------------------------------------------------


def test_rerun_with_nothing_changed_embeds_nothing_and_writes_no_generation(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    embedder = FakeEmbedder()
    first = index([source], folder, embedder)
    assert sorted(Path(a).name for a in first.added) == ["bridge.txt", "harbour.txt", "library.txt"]
    assert first.passages_embedded == first.passages_total == embedder.embedded > 3
    before = state(folder)

    rerun_embedder = FakeEmbedder()
    second = index([source], folder, rerun_embedder)
    assert rerun_embedder.calls == []
    assert (second.unchanged, second.added, second.updated, second.removed) == (3, [], [], [])
    assert second.passages_embedded == 0 and second.generation == first.generation == 1
    assert current_generation(folder).name == "gen-000001"
    assert state(folder) == before


def test_a_changed_article_is_re_embedded_alone(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    unchanged_rows = {row for row in state(folder)[3] if "bridge" in row[0] or "library" in row[0]}
    write(source, "harbour.txt", story("harbour", version=2, sentences=9))

    embedder = FakeEmbedder()
    report = index([source], folder, embedder)
    assert [Path(a).name for a in report.updated] == ["harbour.txt"] and report.unchanged == 2
    assert all("harbour report 2" in text for call in embedder.calls for text in call)
    record = PassageIndex.load(folder).articles[report.updated[0]]
    assert report.passages_embedded == embedder.embedded == record.passages
    rows = state(folder)[3]
    assert unchanged_rows <= set(rows)  # the other articles' passages and vectors are untouched
    texts = [text for _, text, _ in rows if "harbour" in text.lower()]
    assert texts and all("report 2" in text for text in texts)  # no passage of the old version is left


def test_new_article_is_added_without_touching_the_others(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    write(source, "sub/school.md", "# School opens\n\n" + story("school").split("\n", 2)[2])
    embedder = FakeEmbedder()
    report = index([source], folder, embedder)
    assert [Path(a).name for a in report.added] == ["school.md"] and report.unchanged == 3
    assert all("school" in text for call in embedder.calls for text in call)
    assert articles_in(folder) == {"harbour.txt", "bridge.txt", "library.txt", "school.md"}


def test_deleted_file_is_removed_unless_keep_missing(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    (source / "bridge.txt").unlink()
    kept = index([source], folder, FakeEmbedder(), keep_missing=True)
    assert kept.removed == [] and "bridge.txt" in articles_in(folder)
    removed = index([source], folder, FakeEmbedder())
    assert [Path(a).name for a in removed.removed] == ["bridge.txt"]
    assert articles_in(folder) == {"harbour.txt", "library.txt"}
    assert all("bridge" not in passage.text for passage in PassageIndex.load(folder).passages)


def test_removal_only_under_the_sources_scanned(tmp_path: Path) -> None:
    news, blog, folder = corpus(tmp_path / "news"), corpus(tmp_path / "blog", ["garden"]), tmp_path / "index"
    index([news], folder, FakeEmbedder())
    index([blog], folder, FakeEmbedder())  # news articles are not under blog/: they stay
    assert articles_in(folder) == {"harbour.txt", "bridge.txt", "library.txt", "garden.txt"}
    (news / "harbour.txt").unlink()
    report = index([blog], folder, FakeEmbedder())
    assert report.removed == [] and "harbour.txt" in articles_in(folder)
    report = index([news / "bridge.txt"], folder, FakeEmbedder())  # a file as the source: only itself
    assert report.removed == [] and report.unchanged == 1
    report = index([news], folder, FakeEmbedder())
    assert [Path(a).name for a in report.removed] == ["harbour.txt"]


def test_article_of_a_file_that_fails_to_read_is_kept(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    before = state(folder)
    write(source, "bridge.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    report = index([source], folder, FakeEmbedder())
    assert report.removed == [] and [Path(a).name for a in report.kept] == ["bridge.txt"]
    [(failed_source, message)] = report.failed
    assert failed_source == "bridge.txt" and "binary" in message and "convert it to text or remove it" in message
    assert state(folder) == before
    assert "kept: " in report.summary() and "failed: bridge.txt: looks like a binary file" in report.summary()


def test_feed_records_are_added_updated_and_removed_by_id(tmp_path: Path) -> None:
    source, folder = tmp_path / "feeds", tmp_path / "index"
    records = [{"id": f"r{n}", "title": f"Record {n}", "text": story(f"topic{n}")} for n in range(3)]
    feed = write(source, "feed.jsonl", "\n".join(json.dumps(record) for record in records))
    index([source], folder, FakeEmbedder())
    records[1]["text"] = story("topic1", version=2)
    feed.write_text("\n".join(json.dumps(record) for record in [records[0], records[1]]))
    report = index([source], folder, FakeEmbedder())
    assert (report.updated, report.removed, report.unchanged) == (["r1"], ["r2"], 1)
    assert set(PassageIndex.load(folder).articles) == {"r0", "r1"}


def test_malformed_feed_line_keeps_the_good_lines_and_what_was_indexed(tmp_path: Path) -> None:
    source, folder = tmp_path / "feeds", tmp_path / "index"
    lines = [json.dumps({"id": f"r{n}", "title": f"Record {n}", "text": story(f"topic{n}")}) for n in range(3)]
    feed = write(source, "feed.jsonl", "\n".join(lines))
    index([source], folder, FakeEmbedder())
    lines[2] = lines[2][:40]  # the record on line 3 is cut off: it may be r2, so r2 must not be removed
    lines.append(json.dumps({"id": "r3", "title": "Record 3", "text": story("topic3")}))
    feed.write_text("\n".join(lines))
    report = index([source], folder, FakeEmbedder())
    assert report.added == ["r3"] and report.removed == [] and report.kept == ["r2"]
    [(failed_source, message)] = report.failed
    assert failed_source == "feed.jsonl:3" and "line 3 is not valid JSON" in message and "fix or remove" in message
    assert set(PassageIndex.load(folder).articles) == {"r0", "r1", "r2", "r3"}


def test_same_id_in_two_feeds_is_reported_and_the_first_kept(tmp_path: Path) -> None:
    source = tmp_path / "feeds"
    write(source, "a.jsonl", json.dumps({"id": "same", "title": "First", "text": story("first")}))
    write(source, "b.jsonl", json.dumps({"id": "same", "title": "Second", "text": story("second")}))
    report = index([source], tmp_path / "index", FakeEmbedder())
    assert report.added == ["same"] and PassageIndex.load(tmp_path / "index").articles["same"].title == "First"
    [(failed_source, message)] = report.failed
    assert failed_source == "b.jsonl" and "'same'" in message and "a.jsonl" in message


def test_same_id_in_a_feed_indexed_in_another_run_does_not_replace_the_first(tmp_path: Path) -> None:
    # Two feeds numbering their records 1, 2, …, indexed one run at a time: the second replaced the first's articles.
    source, folder = tmp_path / "feeds", tmp_path / "index"
    first = write(source, "courier.jsonl", json.dumps({"id": "1", "title": "Mill fire", "text": story("mill")}))
    write(source, "herald.jsonl", json.dumps({"id": "1", "title": "Ferry strike", "text": story("ferry")}))
    index([first], folder, FakeEmbedder())
    report = index([source / "herald.jsonl"], folder, FakeEmbedder())
    assert report.updated == [] and PassageIndex.load(folder).articles["1"].title == "Mill fire"
    [(failed_source, message)] = report.failed
    assert failed_source == "herald.jsonl" and "'1'" in message and str(first.resolve()) in message
    # A feed that moved (its old file gone) keeps its articles, changed or not.
    first.rename(source / "courier-2026.jsonl")
    moved = index([source / "courier-2026.jsonl"], folder, FakeEmbedder())
    assert moved.failed == [] and moved.unchanged == 1


def test_an_index_folder_inside_the_sources_is_not_read_as_articles(tmp_path: Path) -> None:
    # Its passages.jsonl read as a JSON feed replaced the articles it holds, and failed one line per passage.
    source = corpus(tmp_path / "articles")
    index([source], source / "idx", FakeEmbedder())
    report = index([source], source / "idx", FakeEmbedder())
    assert report.failed == [] and report.unchanged == 3 and report.added == []
    assert articles_in(source / "idx") == {"harbour.txt", "bridge.txt", "library.txt"}


def test_a_symbolic_link_loop_fails_alone(tmp_path: Path) -> None:
    source = corpus(tmp_path / "articles", ["harbour"])
    (source / "x.txt").symlink_to(source / "y.txt")
    (source / "y.txt").symlink_to(source / "x.txt")
    report = index([source], tmp_path / "index", FakeEmbedder())
    assert articles_in(tmp_path / "index") == {"harbour.txt"}
    assert sorted(failed for failed, _ in report.failed) == ["x.txt", "y.txt"]


# --- duplicates -------------------------------------------------------------------------------------------------


def test_exact_duplicates_are_stored_once_and_reported(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles", ["harbour"]), tmp_path / "index"
    write(source, "copy/harbour.txt", story("harbour").replace(" ", "  "))  # same text, other white space
    write(source, "feed.jsonl", json.dumps({"id": "h1", "title": "Harbour news", "text": story("harbour")
                                           .split("\n", 2)[2]}))
    first = index([source], folder, FakeEmbedder())
    assert len(first.added) == 1 and len(first.duplicates) == 2
    kept = first.added[0]
    paths = {str((source / name).resolve()) for name in ("harbour.txt", "copy/harbour.txt")}
    assert {kept, *(dup for dup, _ in first.duplicates)} == {*paths, "h1"}
    assert all(same_as == kept for _, same_as in first.duplicates)
    assert len(PassageIndex.load(folder).articles) == 1
    assert "stored once" in first.summary()
    assert json.loads(first.to_json())["duplicates"][0]["same_as"] == kept

    embedder = FakeEmbedder()
    again = index([source], folder, embedder)  # still duplicates, still nothing embedded
    assert len(again.duplicates) == 2 and embedder.calls == [] and again.unchanged == 1

    Path(kept).unlink()  # the kept copy goes: one of the duplicates takes its place
    after = index([source], folder, FakeEmbedder())
    assert after.removed == [kept] and len(after.added) == 1 and len(after.duplicates) == 1
    assert len(PassageIndex.load(folder).articles) == 1


def test_article_edited_into_a_copy_of_another_is_removed_as_a_duplicate(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles", ["harbour", "bridge"]), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    write(source, "bridge.txt", story("harbour"))
    report = index([source], folder, FakeEmbedder())
    bridge = str((source / "bridge.txt").resolve())
    assert report.removed == [bridge] and report.duplicates == [(bridge, str((source / "harbour.txt").resolve()))]
    assert articles_in(folder) == {"harbour.txt"}


# --- files not read again ---------------------------------------------------------------------------------------


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files read, in order."""
    read: list[str] = []
    original = files.read_file_with_problems

    def counting(path: Path, root: Path | None = None, **options: Any) -> Any:
        read.append(Path(path).name)
        return original(path, root, **options)

    monkeypatch.setattr(files, "read_file_with_problems", counting)
    return read


def test_files_unchanged_since_indexing_are_not_read_again(tmp_path: Path, reads: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.ingest import indexer

    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    write(source, "feed.jsonl", json.dumps({"id": "f1", "title": "Feed", "text": story("feed")}) + "\n{broken\n")
    write(source, "copy.txt", story("harbour"))
    index([source], folder, FakeEmbedder())
    assert len(reads) == 5
    reads.clear()
    index([source], folder, FakeEmbedder())  # just written: their times cannot vouch for them yet
    assert len(reads) == 5

    monkeypatch.setattr(indexer, "RACY_SECONDS", -1.0)  # as if they had been written a while ago
    reads.clear()
    settle = index([source], folder, FakeEmbedder())  # read once more to record their signatures
    assert len(reads) == 5 and settle.passages_embedded == 0 and settle.generation == 2
    reads.clear()
    embedder = FakeEmbedder()
    again = index([source], folder, embedder)
    # A feed with a bad line and a duplicate are read every time, so that they are reported every time.
    [(duplicate, _)] = again.duplicates
    assert sorted(reads) == sorted(["feed.jsonl", Path(duplicate).name])
    assert (again.unchanged, again.files_unchanged, again.generation, embedder.calls) == (4, 3, 2, [])
    assert len(again.failed) == 1

    reads.clear()
    write(source, "library.txt", story("library", version=2, sentences=8))
    (source / "bridge.txt").unlink()
    changed = index([source], folder, FakeEmbedder())
    assert sorted(reads) == sorted(["feed.jsonl", Path(duplicate).name, "library.txt"])
    assert [Path(a).name for a in changed.updated] == ["library.txt"]
    assert [Path(a).name for a in changed.removed] == ["bridge.txt"]


def test_a_touched_file_is_read_and_hashed_but_not_embedded(tmp_path: Path, reads: list[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.ingest import indexer

    monkeypatch.setattr(indexer, "RACY_SECONDS", -1.0)
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    reads.clear()
    assert index([source], folder, FakeEmbedder()).files_unchanged == 3 and reads == []
    path = source / "bridge.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    embedder = FakeEmbedder()
    touched = index([source], folder, embedder)
    assert reads == ["bridge.txt"] and embedder.calls == [] and touched.unchanged == 3
    reads.clear()
    assert index([source], folder, FakeEmbedder()).files_unchanged == 3 and reads == []


# --- summary, JSON, progress ------------------------------------------------------------------------------------


def test_report_json_has_every_count_and_failure(tmp_path: Path) -> None:
    source = corpus(tmp_path / "articles", ["harbour"])
    write(source, "empty.md", "")
    data = json.loads(index([source], tmp_path / "index", FakeEmbedder()).to_json())
    assert {"added", "updated", "removed", "unchanged", "duplicates", "failed", "kept", "passages_embedded",
            "articles_total", "passages_total", "generation", "seconds", "nothing_read"} <= set(data)
    assert data["failed"] == [{"source": "empty.md", "reason": "empty.md: is empty (add the article's text, "
                                                               "or remove the file)"}]


def test_progress_shows_articles_and_chunks_per_second(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events: list[tuple[str, int, int]] = []
    update_index([corpus(tmp_path / "articles")], tmp_path / "index", FakeEmbedder(),
                 UpdateOptions(progress=True, batch_size=4, **CHUNKS), on_progress=lambda *event: events.append(event))
    assert events[0] == ("reading", 0, 3) and ("reading", 3, 3) in events
    assert events[-1] == ("embedding", 3, 3) and ("embedding", 0, 3) in events
    stderr = capsys.readouterr().err
    assert "articles/s" in stderr and "chunks/s" in stderr and "files/s" in stderr


def test_progress_to_a_log_is_plain_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A stderr that is no terminal (cron, `2> log`) gets a line per stage, not a bar's carriage-return redraws;
    a terminal gets the bar."""
    update_index([corpus(tmp_path / "articles")], tmp_path / "index", FakeEmbedder(),
                 UpdateOptions(progress=True, batch_size=4, **CHUNKS))
    lines = capsys.readouterr().err.splitlines()
    assert "\r" not in "".join(lines) and "|" not in "".join(lines)
    assert [line.split(",")[0] for line in lines] == ["reading: 1/3 files", "reading: 3/3 files",
                                                      "embedding: 1/3 articles", "embedding: 3/3 articles"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    update_index([corpus(tmp_path / "more")], tmp_path / "index", FakeEmbedder(),
                 UpdateOptions(progress=True, batch_size=4, **CHUNKS))
    assert "\r" in capsys.readouterr().err


# --- nothing readable, missing sources --------------------------------------------------------------------------


def test_remove_articles_by_id_file_or_a_folder_moved_away(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder moved away leaves its articles (no run of the new folder is about them): they are removed by the
    old name; a retracted article by its id. One name that matches nothing removes nothing."""
    from rag.cli import main

    source, folder = corpus(tmp_path / "news"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    index([corpus(tmp_path / "blog", ["garden"])], folder, FakeEmbedder())
    before = state(folder)
    with pytest.raises(SourceError, match="nowhere: names no indexed article.*nothing was removed"):
        remove_articles(folder, [str(tmp_path / "blog" / "garden.txt"), str(tmp_path / "nowhere")])
    assert state(folder) == before
    source.rename(tmp_path / "moved")
    removed = remove_articles(folder, [str(source)])
    assert sorted(Path(article_id).name for article_id in removed) == ["bridge.txt", "harbour.txt", "library.txt"]
    assert articles_in(folder) == {"garden.txt"}
    loaded = PassageIndex.load(folder)
    assert len(loaded) == loaded.vectors.ntotal == sum(record.passages for record in loaded.articles.values())
    garden = str((tmp_path / "blog" / "garden.txt").resolve())
    assert main(["remove", garden, "--index", str(folder)]) == 0
    assert f"removed: {garden}" in capsys.readouterr().out and articles_in(folder) == set()
    assert main(["remove", garden, "--index", str(folder)]) == 1
    assert "names no indexed article" in capsys.readouterr().err
    with pytest.raises(SourceError, match="names no article"):  # an unset $VARIABLE is not the current folder
        remove_articles(folder, [""])


def test_nothing_readable_changes_nothing(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    before = state(folder)
    for path in source.iterdir():
        path.write_bytes(b"")
    report = index([source], folder, FakeEmbedder())
    assert report.nothing_read and len(report.failed) == 3 and report.removed == []
    assert state(folder) == before and current_generation(folder).name == "gen-000001"

    empty = tmp_path / "empty"
    empty.mkdir()
    report = index([empty], tmp_path / "new-index", FakeEmbedder())
    assert report.nothing_read and report.failed == []
    assert not (tmp_path / "new-index" / "CURRENT").exists()
    # The folder its articles came from, emptied (moved away, unmounted): nothing removed, and none said to be
    for path in source.iterdir():
        path.unlink()
    emptied = index([source], folder, FakeEmbedder())
    assert emptied.nothing_read and emptied.removed == [] and "removed 0," in emptied.summary()
    assert state(folder) == before


def test_missing_source_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist.*check the spelling"):
        index([tmp_path / "nowhere"], tmp_path / "index", FakeEmbedder())


# --- bad input --------------------------------------------------------------------------------------------------


def test_bad_input_is_reported_with_file_reason_and_fix_and_loses_nothing(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    indexed = state(folder)[4]
    write(source, "bad/binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4)
    write(source, "bad/image.md", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(200))
    write(source, "bad/empty.txt", b"")
    write(source, "bad/blank.md", "  \n\n ")
    write(source, "bad/feed.jsonl", json.dumps({"id": "ok", "title": "Fine", "text": story("fine")}) + "\n{oops\n")
    write(source, "bad/scripts.html", "<html><head><script>alert(1)</script></head><body><script>steal()</script>"
                                      "<nav>Home</nav></body></html>")
    write(source, "bad/huge.txt", "word " * 10_000)
    write(source, "bad/latin.txt", "Café news\n\nLe café coûte cinq euros à Zürich, dit Søren.".encode("cp1252"))
    write(source, "bad/mixed.html", "<html><head><title>Dam works</title><script>alert('x')</script></head><body>"
                                    "<nav>Menu</nav><article><p>The dam works finished in May after two years of "
                                    "repairs by the river board.</p></article><footer>Contact</footer></body></html>")
    report = index([source], folder, FakeEmbedder(), max_file_bytes=20_000)
    reasons = dict(report.failed)
    assert set(reasons) == {"bad/binary.txt", "bad/image.md", "bad/empty.txt", "bad/blank.md", "bad/feed.jsonl:2",
                            "bad/scripts.html", "bad/huge.txt"}
    assert "binary" in reasons["bad/binary.txt"] and "binary" in reasons["bad/image.md"]
    assert "is empty" in reasons["bad/empty.txt"] and "is empty" in reasons["bad/blank.md"]
    assert "not valid JSON" in reasons["bad/feed.jsonl:2"]
    assert "no readable text" in reasons["bad/scripts.html"]
    assert "more than the limit" in reasons["bad/huge.txt"] and "RAG_MAX_FILE_MB" in reasons["bad/huge.txt"]
    assert all(message.startswith(name) and "(" in message for name, message in reasons.items())  # file, reason, fix
    assert sorted(Path(a).name for a in report.added) == ["latin.txt", "mixed.html", "ok"]
    [(note_source, note)] = report.notes
    assert note_source == "bad/latin.txt" and "read as cp1252" in note
    loaded = PassageIndex.load(folder)
    assert set(indexed) <= set(state(folder)[4])  # nothing indexed before was lost
    texts = " ".join(passage.text for passage in loaded.passages)
    assert "Le café coûte cinq euros" in texts and "dam works finished in May" in texts
    assert "alert" not in texts and "Menu" not in texts and "Contact" not in texts


def test_a_page_that_is_not_in_the_encoding_it_declares_is_noted_as_such(tmp_path: Path) -> None:
    """wrongenc.html declares UTF-8 and is Latin-1: it was read right (cp1252), but the note said it "declares no
    encoding", which sent its owner looking for a declaration that is there."""
    page = '<html><head><meta charset="utf-8"><title>Caf\xe9</title></head><body><p>Cr\xe8me br\xfbl\xe9e costs ' \
           '5 euros at the caf\xe9 by the harbour, the owner said on Monday.</p></body></html>'
    write(tmp_path / "docs", "wrongenc.html", page.encode("latin-1"))
    report = index([tmp_path / "docs"], tmp_path / "index", FakeEmbedder())
    [(_, note)] = report.notes
    assert "declares UTF-8 but is not valid UTF-8; it was read as cp1252" in note and "<meta charset>" in note
    assert "declares no encoding" not in note


def test_files_of_other_formats_are_not_skipped_silently(tmp_path: Path) -> None:
    source = corpus(tmp_path / "articles", ["harbour"])
    write(source, "photos/pier.jpg", b"\xff\xd8\xff")
    write(source, "report.docx", b"PK\x03\x04")
    write(source, ".DS_Store", b"\x00")  # hidden files are not articles and not worth a note
    report = index([source], tmp_path / "index", FakeEmbedder())
    assert report.notes == [("", "ignored 2 files of other formats (.docx: 1, .jpg: 1): convert them to .atom, .htm, "
                                 ".html, .json, .jsonl, .markdown, .md, .pdf, .rss, .txt or .xml to index them")]
    assert "note: ignored 2 files" in report.summary() and report.failed == []


# --- settings changes -------------------------------------------------------------------------------------------


def test_index_factory_is_used_for_a_new_index_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    assert PassageIndex("toy", 4).vectors.describe()["factory"] == "auto"  # no setting read behind the caller's back
    index([source], folder, FakeEmbedder(), index_factory="Flat")
    assert PassageIndex.load(folder).vectors.describe()["factory"] == "Flat"
    write(source, "garden.txt", story("garden"))
    index([source], folder, FakeEmbedder(), index_factory="IVF4,Flat")
    assert PassageIndex.load(folder).vectors.describe()["factory"] == "Flat"
    index([source], folder, FakeEmbedder(), index_factory="auto", rebuild=True)
    assert PassageIndex.load(folder).vectors.describe()["factory"] == "auto"


def test_changed_chunk_settings_need_rebuild(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    before = state(folder)
    with pytest.raises(IndexFormatError, match=r"re-embedded.*--rebuild"):
        update_index([source], folder, FakeEmbedder(), UpdateOptions(chunk_tokens=40, progress=False))
    assert state(folder) == before
    # Not giving chunk settings keeps the index's own: no error, nothing to do.
    embedder = FakeEmbedder()
    kept = update_index([source], folder, embedder, UpdateOptions(progress=False))
    assert kept.unchanged == 3 and embedder.calls == []

    embedder = FakeEmbedder()
    rebuilt = update_index([source], folder, embedder, UpdateOptions(chunk_tokens=40, rebuild=True, progress=False))
    assert len(rebuilt.updated) == 3 and rebuilt.unchanged == 0 and embedder.embedded == rebuilt.passages_total
    assert PassageIndex.load(folder).settings["chunk_tokens"] == 40


def test_changed_embedder_needs_rebuild_and_rebuild_keeps_other_sources(tmp_path: Path) -> None:
    news, blog, folder = corpus(tmp_path / "news"), corpus(tmp_path / "blog", ["garden"]), tmp_path / "index"
    index([news], folder, FakeEmbedder())
    index([blog], folder, FakeEmbedder())
    other = FakeEmbedder()
    other.name = "another-model"
    with pytest.raises(IndexFormatError, match="built with embedder 'fake-embedder'.*now 'another-model'"):
        index([news], folder, other)
    (news / "library.txt").unlink()
    rebuilt = index([news], folder, other, rebuild=True)
    # blog/garden.txt was indexed from another source: a rebuild re-reads it rather than dropping it.
    assert sorted(Path(a).name for a in rebuilt.updated) == ["bridge.txt", "garden.txt", "harbour.txt"]
    assert [Path(a).name for a in rebuilt.removed] == ["library.txt"]
    loaded = PassageIndex.load(folder)
    assert loaded.embedder == "another-model"
    assert {p.source for p in loaded.passages} == {"bridge.txt", "harbour.txt", "garden.txt"}


def test_rebuild_keeps_what_an_ordinary_run_keeps(tmp_path: Path) -> None:
    """An article whose file fails to read this time is carried into the rebuilt index from its stored passages
    (embedded by the new embedder), not lost: every damaged-index message tells users to rebuild."""
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    bridge = PassageIndex.load(folder).passages_of([str((source / "bridge.txt").resolve())])
    write(source, "bridge.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    other = FakeEmbedder()
    other.name = "another-model"
    rebuilt = index([source], folder, other, rebuild=True)
    assert rebuilt.removed == [] and [Path(a).name for a in rebuilt.kept] == ["bridge.txt"]
    loaded = PassageIndex.load(folder)
    assert loaded.embedder == "another-model" and articles_in(folder) == {"bridge.txt", "harbour.txt", "library.txt"}
    assert loaded.passages_of([str((source / "bridge.txt").resolve())]) == bridge
    assert sum(record.passages for record in loaded.articles.values()) == len(loaded) == loaded.vectors.ntotal
    (source / "bridge.txt").unlink()
    assert [Path(a).name for a in index([source], folder, other, rebuild=True).removed] == ["bridge.txt"]
    # a file gone outside the sources given: a rebuild reads every source there is, and this one is not
    blog = corpus(tmp_path / "blog", ["garden"])
    index([blog], folder, other)
    (blog / "garden.txt").unlink()
    kept = index([source], folder, other, rebuild=True, keep_missing=True)
    assert kept.removed == [] and "garden.txt" in articles_in(folder)
    assert [Path(a).name for a in index([source], folder, other, rebuild=True).removed] == ["garden.txt"]


def test_a_rebuild_saves_once_at_the_end(tmp_path: Path) -> None:
    """A rebuild's checkpoint would put a half-built index live, and the whole one before it would be deleted."""
    source, folder = corpus(tmp_path / "articles", [f"topic{n}" for n in range(8)]), tmp_path / "index"
    first = index([source], folder, FakeEmbedder(), batch_size=4, checkpoint_seconds=0)
    assert first.checkpoints >= 1  # a first build checkpoints: a rerun goes on from there
    before = PassageIndex.load(folder).generation
    rebuilt = index([source], folder, FakeEmbedder(), batch_size=4, checkpoint_seconds=0, rebuild=True)
    assert rebuilt.checkpoints == 0 and rebuilt.generation == before + 1 and len(rebuilt.updated) == 8


def test_lazy_embedder_is_loaded_only_when_something_must_be_embedded(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    loads: list[FakeEmbedder] = []

    def load() -> FakeEmbedder:
        loads.append(FakeEmbedder())
        return loads[-1]

    def lazy() -> LazyEmbedder:
        return LazyEmbedder(load, "fake-embedder")

    index([source], folder, lazy())
    assert len(loads) == 1
    index([source], folder, lazy())
    (source / "bridge.txt").unlink()
    index([source], folder, lazy())  # removing needs no model either
    assert len(loads) == 1
    write(source, "harbour.txt", story("harbour", 3))
    index([source], folder, lazy())
    assert len(loads) == 2 and loads[-1].embedded > 0

    wrong = LazyEmbedder(FakeEmbedder, "all-MiniLM-L6-v2")
    with pytest.raises(IndexFormatError, match="built with embedder 'fake-embedder'"):
        index([source], folder, wrong)
    assert not wrong.loaded
    smaller = lazy()
    with pytest.raises(IndexFormatError, match="--rebuild"):
        update_index([source], folder, smaller, UpdateOptions(chunk_tokens=20, progress=False))
    assert not smaller.loaded and len(loads) == 2  # refusing a smaller chunk size needs no model


# --- interrupted runs and checkpoints ---------------------------------------------------------------------------


class CrashingEmbedder(FakeEmbedder):
    """Dies (like a killed process would) on embedding call number `crash_at`."""

    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.crash_at = crash_at

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(self.calls) + 1 == self.crash_at:
            raise KeyboardInterrupt("simulated crash")
        return super().embed(texts)


@pytest.mark.parametrize("failing", ["faiss", "current"])
def test_a_full_disk_is_an_error_with_the_fix_and_leaves_the_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    """What a full disk raises (faiss's RuntimeError, an OSError writing CURRENT) becomes one message naming the
    folder and the fix, not a traceback; the previous index stays live and no generation is left filling the disk."""
    from rag.store import generations, vectors

    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    before, names = state(folder), sorted(path.name for path in folder.iterdir())
    write(source, "extra.txt", story("extra"))
    if failing == "faiss":
        def full(self: Any, target: Path) -> None:
            raise RuntimeError("Error in void faiss::write_index: (No space left on device)")
        monkeypatch.setattr(vectors.FaissVectors, "save", full)
    else:
        def full_text(path: Path, text: str) -> None:
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(generations, "_replace_text", full_text)
    with pytest.raises(IndexWriteError, match=r"could not write the index in .*No space left on device.*free some"):
        index([source], folder, FakeEmbedder())
    assert state(folder) == before and sorted(path.name for path in folder.iterdir()) == names


def test_a_read_only_index_folder_is_an_error_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filelock import FileLock

    def read_only(self: Any, timeout: float = 0.0) -> None:
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(FileLock, "acquire", read_only)
    with pytest.raises(IndexWriteError, match=r"\(Read-only file system\).*a folder you may write to"):
        index([corpus(tmp_path / "articles")], tmp_path / "index", FakeEmbedder())


def test_generation_folders_follow_the_umask(tmp_path: Path) -> None:
    """A server running as another user reads an index a cron job builds (mkdtemp made them the owner's alone)."""
    index([corpus(tmp_path / "articles")], tmp_path / "index", FakeEmbedder())
    mask = os.umask(0)
    os.umask(mask)
    assert current_generation(tmp_path / "index").stat().st_mode & 0o777 == 0o777 & ~mask


def test_crash_while_embedding_leaves_the_previous_index(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    before = state(folder)
    corpus(source, [f"topic{n}" for n in range(6)])
    with pytest.raises(KeyboardInterrupt):
        index([source], folder, CrashingEmbedder(crash_at=3), batch_size=4, checkpoint_seconds=None)
    assert state(folder) == before
    report = index([source], folder, FakeEmbedder())
    assert len(report.added) == 6 and report.unchanged == 3


def test_checkpoints_keep_finished_work_after_a_crash(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles", [f"topic{n}" for n in range(8)]), tmp_path / "index"
    with pytest.raises(KeyboardInterrupt):
        index([source], folder, CrashingEmbedder(crash_at=4), batch_size=4, checkpoint_seconds=0)
    saved = PassageIndex.load(folder)  # the last checkpoint: whole articles only, rows aligned
    assert 0 < len(saved.articles) < 8 and len(saved) == saved.vectors.ntotal
    assert sum(record.passages for record in saved.articles.values()) == len(saved)
    embedder = FakeEmbedder()
    report = index([source], folder, embedder, checkpoint_seconds=0, batch_size=4)
    assert report.unchanged == len(saved.articles) and len(report.added) == 8 - len(saved.articles)
    assert report.checkpoints >= 1
    clean = tmp_path / "clean"
    index([source], clean, FakeEmbedder())
    assert state(folder) == state(clean)


def test_checkpoint_replaces_an_updated_article_in_one_commit(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles", [f"topic{n}" for n in range(4)]), tmp_path / "index"
    index([source], folder, FakeEmbedder())
    for n in range(4):
        write(source, f"topic{n}.txt", story(f"topic{n}", version=2))
    with pytest.raises(KeyboardInterrupt):
        index([source], folder, CrashingEmbedder(crash_at=3), batch_size=2, checkpoint_seconds=0)
    saved = PassageIndex.load(folder)
    assert len(saved.articles) == 4  # every article is there, in its old or its new version, never both or none
    for article_id in saved.articles:
        versions = {passage.text.split(" report ")[1][0] for passage in saved.passages
                    if passage.article_id == article_id and " report " in passage.text}
        assert len(versions) == 1


# --- concurrency ------------------------------------------------------------------------------------------------


def _hold_lock(folder: str, ready: Any, release: Any) -> None:
    with writer_lock(folder):
        ready.set()
        release.wait(30)


def test_second_writer_fails_at_once_or_waits(tmp_path: Path) -> None:
    source, folder = corpus(tmp_path / "articles"), tmp_path / "index"
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(folder), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(IndexLockedError, match="another process is writing.*--wait SECONDS"):
            index([source], folder, FakeEmbedder())
        with pytest.raises(IndexLockedError):
            index([source], folder, FakeEmbedder(), wait=0.5)
    finally:
        release.set()
    report = index([source], folder, FakeEmbedder(), wait=60)
    holder.join(30)
    assert len(report.added) == 3


def _write_rounds(source: str, folder: str, rounds: int) -> None:
    """Rewrite every article for each round; each generation holds one round only."""
    for number in range(1, rounds + 1):
        for topic in ("harbour", "bridge", "library", "school"):
            Path(source, f"{topic}.txt").write_text(f"{topic} round {number}\n\nIn round {number} the {topic} "
                                                    f"committee met and the {topic} plan moved to round {number}.")
        update_index([source], folder, FakeEmbedder(),
                     UpdateOptions(progress=False, checkpoint_seconds=None, batch_size=2, wait=60, **CHUNKS))


def test_reader_follows_a_concurrent_writer_and_never_sees_a_half_written_index(tmp_path: Path) -> None:
    source, folder = tmp_path / "articles", tmp_path / "index"
    source.mkdir()
    _write_rounds(str(source), str(folder), rounds=1)
    retriever = Retriever.load(folder, FakeEmbedder())
    rounds = 12
    writer = multiprocessing.get_context("spawn").Process(target=_write_rounds, args=(str(source), str(folder),
                                                                                       rounds))
    writer.start()
    seen: set[int] = set()
    try:
        while writer.is_alive() or not seen or max(seen) < rounds:
            hits = retriever.search("committee plan round", k=8)
            current = retriever.index
            assert isinstance(current, PassageIndex)
            assert len(current) == current.vectors.ntotal == sum(r.passages for r in current.articles.values())
            # A generation holds exactly one round: every article, every passage, all of the same round.
            numbers = {int(passage.text.split("round ")[1].split()[0].rstrip(".")) for passage in current.passages
                       if "round " in passage.text}
            assert len(numbers) == 1 and len(current.articles) == 4
            assert {int(hit.passage.text.split("round ")[1].split()[0].rstrip(".")) for hit in hits
                    if "round " in hit.passage.text} <= numbers
            seen |= numbers
            if not writer.is_alive() and max(seen) < rounds:
                assert retriever.refresh() or max(seen) == rounds
    finally:
        writer.join(120)
    assert writer.exitcode == 0
    assert max(seen) == rounds and len(seen) > 1  # it switched generations while running


# --- uploads ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, stored", [
    ("../../x.md", "x.md"), ("/etc/passwd.md", "passwd.md"), ("..\\x.md", "x.md"), ("..\\..\\win\\y.txt", "y.txt"),
    (".hidden.md", "hidden.md"), ("C:\\Users\\me\\notes.html", "notes.html"), ("a\x00b.md", "a_b.md"),
    ("rapport été.PDF", "rapport été.PDF"),
])
def test_upload_names_are_made_safe(name: str, stored: str) -> None:
    assert safe_upload_name(name) == stored


@pytest.mark.parametrize("name, reason", [
    ("virus.exe", "unsupported suffix '.exe'"), ("notes", "unsupported suffix '(none)'"), ("../..", "no usable"),
    (".md", "unsupported suffix '(none)'"), ("", "no usable"), ("x.md/", "no usable"),
])
def test_bad_upload_names_are_refused(name: str, reason: str) -> None:
    with pytest.raises(SourceError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        safe_upload_name(name)


def test_add_files_stores_uploads_inside_the_index_folder_and_indexes_them(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "index"
    before = {path for path in tmp_path.rglob("*")}
    report = add_files([("../../evil.md", story("evil").encode()), ("/etc/passwd.md", story("passwd").encode()),
                        ("..\\win.md", story("windows").encode()), ("same.txt", story("one").encode()),
                        ("same.txt", story("two").encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    created = {path for path in tmp_path.rglob("*")} - before
    assert all(path == folder or folder in path.parents or path == folder.parent for path in created)
    uploads = folder / "uploads"
    assert sorted(path.name for path in uploads.iterdir()) == ["evil.md", "passwd.md", "same-2.txt", "same.txt",
                                                               "win.md"]
    assert len(report.added) == 5 and report.failed == []

    second = add_files([("later.md", story("later").encode()), ("same.txt", story("one", 2).encode()),
                        ("blank.txt", b"")], folder, FakeEmbedder(), uploading(**CHUNKS))
    assert [Path(a).name for a in second.added] == ["later.md"]
    assert [Path(a).name for a in second.updated] == ["same.txt"]
    # unchanged counts this upload's files only: the four earlier ones, read again by the run, are not news
    assert second.removed == [] and second.unchanged == 0 and dict(second.failed).keys() == {"blank.txt"}
    assert len(PassageIndex.load(folder).articles) == 6
    # The unreadable file is not kept: it failed again in every later upload's report.
    assert not (uploads / "blank.txt").exists()
    third = add_files([("more.md", story("more").encode()), ("same.txt", b"")], folder, FakeEmbedder(),
                      uploading(**CHUNKS))
    assert dict(third.failed).keys() == {"same.txt"}
    assert len(PassageIndex.load(folder).articles) == 7  # the earlier same.txt stays indexed, as any upload does
    # ... and so does its file, the only copy: a rebuild reads it again
    assert (uploads / "same.txt").read_bytes() == story("one", 2).encode()
    rebuilt = update_index([uploads], folder, FakeEmbedder(), uploading(**CHUNKS, rebuild=True))
    assert rebuilt.removed == [] and rebuilt.failed == [] and len(rebuilt.updated) == 7


def test_an_uploads_unchanged_count_is_of_its_own_files(tmp_path: Path) -> None:
    """The chat said "unchanged 5" for one new file after five earlier uploads of the session."""
    folder = tmp_path / "index"
    feed = "\n".join(json.dumps({"id": f"r{number}", "title": f"Record {number}", "text": story(f"r{number}")})
                     for number in range(3))
    add_files([("a.md", story("a").encode()), ("b.md", story("b").encode()), ("feed.jsonl", feed.encode())],
              folder, FakeEmbedder(), uploading(**CHUNKS))
    new = add_files([("c.md", story("c").encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    assert len(new.added) == 1 and new.unchanged == 0 and new.to_dict()["unchanged"] == 0
    again = add_files([("a.md", story("a").encode()), ("feed.jsonl", feed.encode())], folder, FakeEmbedder(),
                      uploading(**CHUNKS))
    assert again.added == again.updated == [] and again.unchanged == 4  # a.md, and the feed's three records
    whole = update_index([folder / "uploads"], folder, FakeEmbedder(), uploading(**CHUNKS))
    assert whole.unchanged == 6  # a run over the folder (not an upload) still counts every file's



def test_an_uploads_progress_counts_its_own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chat's bar said "reading c.md (file 3 of 3)" for one new file after two earlier uploads: its totals were
    the uploads folder's. They are the files the run reads: a file left unread as unchanged is not counted."""
    from rag.ingest import indexer

    monkeypatch.setattr(indexer, "RACY_SECONDS", -1.0)  # as if the earlier files had been written a while ago
    folder = tmp_path / "index"
    add_files([("a.md", story("a").encode()), ("b.md", story("b").encode())], folder, FakeEmbedder(),
              uploading(**CHUNKS))
    events: list[tuple[Any, ...]] = []
    add_files([("c.md", story("c").encode())], folder, FakeEmbedder(), uploading(**CHUNKS),
              on_progress=lambda *event: events.append(event))
    reading = [event for event in events if event[0] == "reading"]
    assert reading == [("reading", 0, 1), ("reading", 0, 1, "c.md"), ("reading", 1, 1)]
    events.clear()
    whole = update_index([folder / "uploads"], folder, FakeEmbedder(), uploading(**CHUNKS),
                         on_progress=lambda *event: events.append(event))
    assert whole.unchanged == 3 and [event for event in events if event[0] == "reading"] == [("reading", 0, 0)]


def test_add_files_refuses_a_bad_name_before_writing_anything(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    with pytest.raises(SourceError, match="unsupported suffix '.sh'"):
        add_files([("fine.md", b"# Fine\n\nText."), ("run.sh", b"rm -rf /")], folder, FakeEmbedder())
    assert not (folder / "uploads").exists() or not any((folder / "uploads").iterdir())


def test_add_files_refuses_a_file_over_the_size_limit_before_writing_anything(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    upload = [("fine.md", b"# Fine\n\nText."), ("big.txt", story("big").encode())]
    with pytest.raises(SourceError, match=r"big.txt: is \d+ bytes, more than the limit of 100 bytes.*RAG_MAX_FILE_MB"):
        add_files(upload, folder, FakeEmbedder(), uploading(max_file_bytes=100))
    assert not (folder / "uploads").exists()
    report = add_files(upload, folder, FakeEmbedder(), uploading(max_file_bytes=10_000, **CHUNKS))
    assert len(report.added) == 2 and report.failed == []


def test_a_feed_uploaded_again_without_a_record_removes_it(tmp_path: Path) -> None:
    """Uploads keep the articles of files gone from the uploads folder, not records gone from a file read whole."""
    folder = tmp_path / "index"
    records = [{"id": f"z{number}", "title": topic, "text": story(topic)} for number, topic in ((1, "mill"),
                                                                                               (2, "ferry"))]
    add_files([("z.jsonl", "\n".join(map(json.dumps, records)).encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    again = add_files([("z.jsonl", json.dumps(records[0]).encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    assert again.removed == ["z2"] and set(PassageIndex.load(folder).articles) == {"z1"}
    source = corpus(tmp_path / "news")
    index([source], folder, FakeEmbedder())
    (source / "bridge.txt").unlink()
    kept = index([source], folder, FakeEmbedder(), keep_missing=True)
    assert kept.removed == [] and "bridge.txt" in articles_in(folder)  # a file gone: kept, as asked


def test_an_upload_to_a_full_disk_is_an_error_and_stores_nothing(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """It was a 500 with a traceback in the server's log, and the files written before the failure stayed."""
    from rag.ingest import uploads

    folder = tmp_path / "index"
    add_files([("same.txt", story("one").encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    written = uploads.write_atomically

    def full(path: Path, content: bytes) -> None:
        if path.name == "new.md":
            raise OSError(28, "No space left on device")
        written(path, content)
    monkeypatch.setattr(uploads, "write_atomically", full)
    with pytest.raises(IndexWriteError, match=r"could not store the upload .*No space left on device.*nothing was"):
        add_files([("same.txt", story("two").encode()), ("new.md", story("new").encode())], folder, FakeEmbedder(),
                  uploading(**CHUNKS))
    assert [path.name for path in (folder / "uploads").iterdir()] == ["same.txt"]
    assert (folder / "uploads" / "same.txt").read_bytes() == story("one").encode()


def test_an_uploaded_feed_with_one_bad_record_is_kept(tmp_path: Path) -> None:
    """Its good records are indexed from it: removed as unreadable, they were lost at the next rebuild."""
    folder = tmp_path / "index"
    index([write(tmp_path / "feeds", "a.jsonl", json.dumps({"id": "x1", "title": "Mill", "text": story("mill")}))],
          folder, FakeEmbedder())
    feed = "\n".join(json.dumps(record) for record in ({"id": "x1", "title": "Copy", "text": story("copy")},
                                                          {"id": "y2", "title": "Ferry", "text": story("ferry")}))
    report = add_files([("b.jsonl", feed.encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    assert report.added == ["y2"] and [source for source, _ in report.failed] == ["b.jsonl"]
    assert (folder / "uploads" / "b.jsonl").is_file()
    rebuilt = update_index([folder / "uploads"], folder, FakeEmbedder(), uploading(**CHUNKS, rebuild=True))
    assert rebuilt.removed == [] and set(PassageIndex.load(folder).articles) == {"x1", "y2"}
    assert "sources_read" not in report.to_dict()


def test_the_next_upload_reports_only_its_own_files(tmp_path: Path) -> None:
    """A kept feed with a line that is not JSON is read again by every run: its failure was in every later upload's
    report, as if the new file had a problem."""
    folder = tmp_path / "index"
    feed = "\n".join((json.dumps({"id": "x1", "title": "Mill", "text": story("mill")}), "{not json"))
    first = add_files([("feed.jsonl", feed.encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    assert first.added == ["x1"] and [source for source, _ in first.failed] == ["feed.jsonl:2"]
    later = add_files([("c.md", story("library").encode()), ("empty.md", b"")], folder, FakeEmbedder(),
                      uploading(**CHUNKS))
    assert len(later.added) == 1 and [source for source, _ in later.failed] == ["empty.md"]


def test_an_upload_another_writer_keeps_out_stores_nothing(tmp_path: Path) -> None:
    """Left in the uploads folder unindexed, it turned up in the next upload's report; the message said --wait."""
    folder = tmp_path / "index"
    add_files([("same.txt", story("one").encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    with writer_lock(folder), pytest.raises(IndexLockedError, match="nothing was stored; send the files") as refused:
        add_files([("same.txt", story("two").encode()), ("new.md", story("new").encode())], folder,
                  FakeEmbedder(), uploading(wait=0.1, **CHUNKS))
    assert "--wait" not in str(refused.value)
    assert sorted(path.name for path in (folder / "uploads").iterdir()) == ["same.txt"]
    assert (folder / "uploads" / "same.txt").read_bytes() == story("one").encode()


def test_two_uploads_of_one_new_name_at_once_keep_the_later_file(tmp_path: Path) -> None:
    """The first times out waiting for another writer while the second waits too: the first's undo removed the
    file the second had written over it, and the second indexed nothing. Uploads into a folder now take turns."""
    import threading

    folder = tmp_path / "index"
    add_files([("old.txt", story("old").encode())], folder, FakeEmbedder(), uploading(**CHUNKS))
    reports: dict[str, Any] = {}

    def upload(label: str, text: str, wait: float) -> None:
        try:
            reports[label] = add_files([("same.txt", text.encode())], folder, FakeEmbedder(),
                                       uploading(wait=wait, **CHUNKS))
        except IndexLockedError as error:
            reports[label] = error

    with writer_lock(folder):
        first = threading.Thread(target=upload, args=("first", story("first"), 0.5))
        first.start()
        time.sleep(0.2)  # the first has written its file and waits for the index
        second = threading.Thread(target=upload, args=("second", story("second"), 10.0))
        second.start()
        time.sleep(1.0)  # the first has given up
    first.join()
    second.join()
    assert isinstance(reports["first"], IndexLockedError)
    assert len(reports["second"].added) == 1
    assert (folder / "uploads" / "same.txt").read_text() == story("second")


@pytest.mark.parametrize("run", ["index", "watch", "upload"])
def test_every_kind_of_run_takes_its_batch_size_size_limit_and_index_type_from_the_settings(run: UpdateRun) -> None:
    """`rag index`, `rag watch`, `rag serve --watch` and uploads are configured in one place, from the settings."""
    settings = Settings(batch_size=8, max_file_mb=0.5, index_factory="Flat")
    options = UpdateOptions.from_settings(settings, run, rebuild=True)
    assert (options.batch_size, options.max_file_bytes, options.index_factory) == (8, 524288, "Flat")
    assert options.rebuild and options.chunk_tokens is None  # the run's choices; the index keeps its chunking
    assert options.wait == {"index": 0.0, "watch": 60.0, "upload": 30.0}[run]


# --- the `rag index` command: lazy model, exit status, settings flags -------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`rag ...` in this process with the fake embedder standing in for the model folder `fake-model`."""
    from rag.cli import main
    from rag.models import embed

    model = tmp_path / "fake-model"
    model.mkdir()
    loads: list[str] = []

    def load(setting: str, **options: Any) -> FakeEmbedder:
        loads.append(setting)
        embedder = FakeEmbedder()
        embedder.name = embed.embedder_name(setting, options.get("backend"))  # as the real one names itself
        return embedder

    monkeypatch.setattr(embed, "load_embedder", load)
    monkeypatch.delenv("RAG_CHUNK_TOKENS", raising=False)

    def run(*arguments: str) -> int:
        return main(["index", *arguments, "--embedder", str(model), "--quiet"])

    run.loads = loads  # type: ignore[attr-defined]
    return run


def test_cli_loads_the_model_only_when_needed_and_sets_the_exit_status(tmp_path: Path, cli: Any,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    source, folder = corpus(tmp_path / "articles"), str(tmp_path / "index")
    assert cli(str(source), "--index", folder) == 0 and len(cli.loads) == 1
    assert cli(str(source), "--index", folder, "--json") == 0 and len(cli.loads) == 1  # nothing new: no model
    assert json.loads(capsys.readouterr().out.split("\n", 2)[2])["unchanged"] == 3

    write(source, "broken.md", b"")
    assert cli(str(source), "--index", folder) == 0
    assert "failed: broken.md: is empty" in capsys.readouterr().out
    assert cli(str(source), "--index", folder, "--strict") == 1
    assert "1 source(s) failed (--strict)" in capsys.readouterr().err

    empty = tmp_path / "empty"
    empty.mkdir()
    before = state(Path(folder))
    assert cli(str(empty), "--index", folder) == 1
    said = capsys.readouterr().err  # nothing is listed above: what to put there is said instead
    assert "no article could be read from" in said and "put article files there (read: .atom" in said
    assert state(Path(folder)) == before and len(cli.loads) == 1

    assert cli(str(tmp_path / "nowhere"), "--index", folder) == 1
    assert "rag index: error: " in capsys.readouterr().err


def test_cli_chunk_flags_need_rebuild_but_omitting_them_keeps_the_index_settings(tmp_path: Path, cli: Any,
                                                                                 capsys: pytest.CaptureFixture[str]
                                                                                 ) -> None:
    source, folder = corpus(tmp_path / "articles"), str(tmp_path / "index")
    assert cli(str(source), "--index", folder, "--chunk-tokens", "80") == 0
    capsys.readouterr()
    assert cli(str(source), "--index", folder) == 0  # the index's own 80, not the default 160
    assert cli(str(source), "--index", folder, "--chunk-tokens", "100") == 1
    assert "--rebuild" in capsys.readouterr().err
    assert cli(str(source), "--index", folder, "--chunk-tokens", "100", "--rebuild") == 0
    assert PassageIndex.load(folder).settings["chunk_tokens"] == 100


def test_an_interrupted_index_run_says_what_is_kept_and_how_to_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main
    from rag.models import embed

    class Interrupted(FakeEmbedder):
        def embed(self, texts: Any) -> Any:
            raise KeyboardInterrupt  # Ctrl-C while embedding

    def load(setting: str, **options: Any) -> FakeEmbedder:
        interrupted = Interrupted()
        interrupted.name = embed.embedder_name(setting, options.get("backend"))
        return interrupted

    monkeypatch.setattr(embed, "load_embedder", load)
    model = tmp_path / "model"
    model.mkdir()
    status = main(["index", str(corpus(tmp_path / "articles")), "--index", str(tmp_path / "index"), "--embedder",
                   str(model), "--quiet"])
    said = capsys.readouterr().err
    assert status == 130 and "rag index: interrupted; the index is whole" in said and "run the same command" in said


def test_the_encoding_note_names_the_file_not_the_outlet_its_dateline_names(tmp_path: Path) -> None:
    """A Latin-1 note whose dateline names its outlet: the note said "Nordic Tariff Monitor: is not UTF-8", which
    does not say which file to save again."""
    source, folder = tmp_path / "src", tmp_path / "idx"
    write(source, "energy/tariff-note.txt", ("Tariff note\n\nTROMSØ, 3 December 2026 (Nordic Tariff Monitor) - The "
                                             "tariff will rise by 4.5 percent, José Núñez said.").encode("cp1252"))
    report = index([source], folder, FakeEmbedder())
    [(_, note)] = report.notes
    assert note.startswith("tariff-note.txt: is not UTF-8")
