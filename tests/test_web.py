"""RSS and Atom feeds and web pages in (rag.ingest.rss, rag.ingest.web, and the indexer's incremental rules for
them), served by a real HTTP server on 127.0.0.1 (tests/local_site.py): nothing here touches the internet.

The fake embedder stands in for the model (these tests are about what is fetched, read and kept, not vectors)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.ingest.indexer import IndexReport, UpdateOptions, update_index
from rag.ingest.rss import read_feed
from rag.ingest.web import USER_AGENT, WebClient, read_url
from rag.store.generations import PassageIndex
from tests.conftest import FakeEmbedder, write
from tests.local_site import LocalSite, page, rss

FERRY = (
    "The Orwin Island ferry returned to service on 2 November 2026 after a six-week refit at the Carrow yard, "
    "with a new engine that the operator says burns a third less diesel."
)
MARKET = (
    "The Old Market in Maplewood will open on Sundays from January 2027, the town council decided on "
    "Tuesday by 21 votes to 6, after a trial in the summer drew 9,000 visitors."
)
LIBRARY = (
    "Lenn Valley's new library opened in the former grain store on Quay Street on 7 November 2026, with "
    "38,000 books and a reading room that looks over the river."
)


@pytest.fixture
def web() -> Iterator[WebClient]:
    with WebClient(timeout=5) as client:
        yield client


def test_a_file_never_replaces_an_article_read_from_a_url(site: LocalSite, web: WebClient, tmp_path: Path) -> None:
    """Every citation shows its article's id: an uploaded JSON feed naming a news feed's item replaced its text."""
    feed = site.put("/feed.xml", rss("Lenn Valley Herald", items(site)), "application/rss+xml")
    index([feed], tmp_path / "index", web)
    forged = {"id": f"{feed}#herald-101", "title": "Ferry sunk", "text": "The Orwin ferry sank on Monday, police said."}
    write(tmp_path / "uploads", "innocent.jsonl", json.dumps(forged))
    report = index([tmp_path / "uploads"], tmp_path / "index", web)
    assert report.updated == [] and "six-week refit" in stored(tmp_path / "index")[f"{feed}#herald-101"]
    [(source, message)] = report.failed
    assert source == "innocent.jsonl" and f"like {feed} (kept that one" in message
    rebuilt = index([tmp_path / "uploads", feed], tmp_path / "index", web, rebuild=True)  # files are read first
    assert [source for source, _ in rebuilt.failed] == ["innocent.jsonl"]
    assert "six-week refit" in stored(tmp_path / "index")[f"{feed}#herald-101"]


def items(site: LocalSite) -> list[dict[str, str]]:
    """Three summary-only items whose pages hold the full text."""
    site.put("/news/ferry", page("Orwin ferry back in service", FERRY, "It carries 240 passengers."))
    site.put("/news/market", page("Sunday market approved", MARKET, "Stalls cost 30 euros a day."))
    site.put("/news/library", page("New library opens", LIBRARY, "It is open every day but Monday."))
    return [
        {
            "title": "Orwin ferry back in service",
            "link": site.url("/news/ferry"),
            "guid": "herald-101",
            "description": "The ferry is back.",
            "pubDate": "Mon, 02 Nov 2026 09:00:00 +0000",
        },
        {
            "title": "Sunday market approved",
            "link": site.url("/news/market"),
            "guid": "herald-102",
            "description": "Sundays from January.",
            "pubDate": "Wed, 04 Nov 2026 17:30:00 +0000",
        },
        {
            "title": "New library opens",
            "link": site.url("/news/library"),
            "guid": "herald-103",
            "description": "Books by the river.",
            "pubDate": "Sat, 07 Nov 2026 11:00:00 +0000",
        },
    ]


def index(sources: list[str | Path], folder: Path, web: WebClient | None, **options: object) -> IndexReport:
    return update_index(sources, folder, FakeEmbedder(), UpdateOptions(progress=False, **options), web=web)  # type: ignore[arg-type]


def stored(folder: Path) -> dict[str, str]:
    """Article id -> text of every article the index holds."""
    loaded = PassageIndex.load(folder)
    texts: dict[str, list[str]] = {}
    for passage in loaded.passages:
        texts.setdefault(passage.article_id, []).append(passage.text)
    return {article_id: " ".join(parts) for article_id, parts in texts.items()}


# --- feeds over HTTP ----------------------------------------------------------------------------------------------


def test_feed_url_items_get_the_full_text_of_their_pages_once(site: LocalSite, web: WebClient, tmp_path: Path) -> None:
    feed = site.put("/feed.xml", rss("Lenn Valley Herald", items(site)), "application/rss+xml")
    first = index([feed], tmp_path / "index", web)
    assert first.failed == [] and len(first.added) == 3
    held = PassageIndex.load(tmp_path / "index").articles
    ferry = held[f"{feed}#herald-101"]  # a guid that is not a URI is made unique by the feed's address
    assert ferry.title == "Orwin ferry back in service" and ferry.source == "Lenn Valley Herald"
    assert ferry.url == site.url("/news/ferry") and ferry.published == "2026-11-02T09:00:00+00:00"
    text = stored(tmp_path / "index")[f"{feed}#herald-101"]
    assert "six-week refit" in text and "240 passengers" in text  # the page, not the feed's summary
    assert "The ferry is back." not in text and "newsletter" not in text and "Home" not in text
    assert all(headers["user-agent"] == USER_AGENT for _, headers in site.requests)
    assert sorted(site.paths()) == ["/feed.xml", "/news/ferry", "/news/library", "/news/market"]

    site.forget()
    again = index([feed], tmp_path / "index", web)
    assert (again.unchanged, again.added, again.updated, again.passages_embedded) == (3, [], [], 0)
    assert site.paths() == ["/feed.xml"]  # no page fetched again
    assert site.requests[0][1].get("if-none-match"), "the feed is asked for conditionally"
    assert again.files_unchanged == 1  # and answered 304 Not Modified


def test_a_changed_item_refetches_its_page_only(site: LocalSite, web: WebClient, tmp_path: Path) -> None:
    listed = items(site)
    feed = site.put("/feed.xml", rss("Lenn Valley Herald", listed), "application/rss+xml")
    index([feed], tmp_path / "index", web)
    listed[1]["description"] = "Sundays from January; stall fees set."
    site.put("/news/market", page("Sunday market approved", MARKET, "Stalls now cost 35 euros a day."))
    site.put("/feed.xml", rss("Lenn Valley Herald", listed), "application/rss+xml")
    site.forget()
    report = index([feed], tmp_path / "index", web)
    assert site.paths() == ["/feed.xml", "/news/market"]
    assert report.updated == [f"{feed}#herald-102"] and report.unchanged == 2
    assert "35 euros" in stored(tmp_path / "index")[f"{feed}#herald-102"]


def test_a_feed_is_a_window_items_that_scroll_off_are_kept_unless_pruned(
    site: LocalSite, web: WebClient, tmp_path: Path
) -> None:
    listed = items(site)
    feed = site.put("/feed.xml", rss("Lenn Valley Herald", listed), "application/rss+xml")
    index([feed], tmp_path / "index", web)
    site.put("/feed.xml", rss("Lenn Valley Herald", listed[1:]), "application/rss+xml")
    kept = index([feed], tmp_path / "index", web)
    assert kept.removed == [] and kept.window == 1 and "no longer in their feed" in kept.summary()
    assert f"{feed}#herald-101" in PassageIndex.load(tmp_path / "index").articles

    again = index([feed], tmp_path / "index", web)  # the kept item does not stop the next 304
    assert again.files_unchanged == 1 and again.window == 0 and again.removed == []

    pruned = index([feed], tmp_path / "index", web, prune_feeds=True)
    assert pruned.removed == [f"{feed}#herald-101"]
    assert set(PassageIndex.load(tmp_path / "index").articles) == {f"{feed}#herald-102", f"{feed}#herald-103"}


def test_atom_file_with_full_content_is_read_without_the_network(tmp_path: Path) -> None:
    atom = write(
        tmp_path / "feeds",
        "herald.atom",
        f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Lenn Valley Herald</title><id>tag:herald.example,2026:feed</id>
<updated>2026-11-07T11:00:00Z</updated>
<entry><id>tag:herald.example,2026:103</id><title>New library opens</title>
<link href="https://herald.example/news/library"/><updated>2026-11-07T11:00:00Z</updated>
<author><name>Mara Quist</name></author><category term="Culture"/>
<summary>Books by the river.</summary><content type="html">&lt;p&gt;{LIBRARY}&lt;/p&gt;</content></entry>
</feed>""",
    )
    report = index([tmp_path / "feeds"], tmp_path / "index", web=None)
    assert report.failed == [] and report.added == ["tag:herald.example,2026:103"]
    record = PassageIndex.load(tmp_path / "index").articles["tag:herald.example,2026:103"]
    assert (record.author, record.url, record.published) == (
        "Mara Quist",
        "https://herald.example/news/library",
        "2026-11-07T11:00:00+00:00",
    )
    assert record.metadata["tags"] == ["Culture"] and record.path == str(atom.resolve())
    assert "38,000 books" in stored(tmp_path / "index")["tag:herald.example,2026:103"]


def test_the_same_item_in_two_feeds_is_stored_once(site: LocalSite, web: WebClient, tmp_path: Path) -> None:
    listed = items(site)
    for item in listed:
        item["guid"] = item["link"]  # a permalink guid: the same in every feed of the site
    local = site.put("/local.xml", rss("Herald: local", listed), "application/rss+xml")
    culture = site.put("/culture.xml", rss("Herald: culture", listed[2:]), "application/rss+xml")
    report = index([local, culture], tmp_path / "index", web)
    assert report.failed == [] and len(report.added) == 3 and report.duplicates == []


# --- pages --------------------------------------------------------------------------------------------------------


def test_page_url_is_an_article_and_an_unchanged_page_costs_a_304(
    site: LocalSite, web: WebClient, tmp_path: Path
) -> None:
    url = site.put("/news/ferry", page("Orwin ferry back in service", FERRY, published="2026-11-02"))
    first = index([url], tmp_path / "index", web)
    assert first.added == [url]
    record = PassageIndex.load(tmp_path / "index").articles[url]
    assert record.title == "Orwin ferry back in service" and record.source == "127.0.0.1"
    assert record.published == "2026-11-02"
    again = index([url], tmp_path / "index", web)
    assert again.unchanged == 1 and again.files_unchanged == 1 and again.passages_embedded == 0
    site.put("/news/ferry", page("Orwin ferry back in service", FERRY, "Fares stay the same."))
    changed = index([url], tmp_path / "index", web)
    assert changed.updated == [url] and "Fares stay the same." in stored(tmp_path / "index")[url]


def test_redirects_are_followed_a_few_times_and_the_id_is_the_address_asked_for(
    site: LocalSite, web: WebClient, tmp_path: Path
) -> None:
    target = site.put("/2026/11/ferry", page("Orwin ferry back in service", FERRY))
    site.put("/ferry", b"", status=301, headers={"Location": "/story/ferry"})
    site.put("/story/ferry", b"", status=302, headers={"Location": target})
    report = index([site.url("/ferry")], tmp_path / "index", web)
    assert report.added == [site.url("/ferry")]
    for hop in range(7):
        site.put(f"/loop/{hop}", b"", status=302, headers={"Location": f"/loop/{hop + 1}"})
    with pytest.raises(SourceError, match="redirects more than 5 times") as raised:
        web.fetch(site.url("/loop/0"))
    assert "give the address it ends up at" in str(raised.value)


# --- what goes wrong: named, with the fix, and nothing lost --------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_failures_are_named_with_the_fix_and_the_rest_of_the_run_goes_on(
    site: LocalSite, web: WebClient, tmp_path: Path
) -> None:
    feed = site.put("/feed.xml", rss("Lenn Valley Herald", items(site)), "application/rss+xml")
    gone = site.put("/gone", page("Gone", MARKET))
    broken = site.put("/broken", page("Broken", LIBRARY))
    index([feed, gone, broken], tmp_path / "index", web)

    down = f"http://127.0.0.1:{closed_port()}/feed.xml"
    site.put("/feed.xml", b"<html><body>Maintenance</body></html>", status=503)
    site.put("/gone", b"", status=404)
    site.put("/broken", b"<html><body><p>x</p></body></html>", status=500)
    pdf = site.put("/report.pdf", b"%PDF-1.7 ...", "application/pdf")
    fine = site.put("/news/fine", page("Library hours", LIBRARY))
    report = index([feed, gone, broken, down, pdf, fine], tmp_path / "index", web)
    messages = dict(report.failed)
    assert "failed on the server (HTTP 503)" in messages[feed] and "try again later" in messages[feed]
    assert "was not found (HTTP 404)" in messages[gone] and "check the address" in messages[gone]
    assert "HTTP 500" in messages[broken]
    assert "could not be reached (the connection was refused)" in messages[down]
    assert "neither an RSS or Atom feed nor a web page (it sent application/pdf)" in messages[pdf]
    assert report.added == [fine] and report.removed == []
    assert sorted(report.kept) == sorted(
        [f"{feed}#herald-101", f"{feed}#herald-102", f"{feed}#herald-103", gone, broken]
    )
    assert len(PassageIndex.load(tmp_path / "index").articles) == 6  # nothing lost


def test_not_a_feed_and_malformed_xml(tmp_path: Path, site: LocalSite) -> None:
    announced = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
    with pytest.raises(SourceError, match="is an HTML page, not an RSS or Atom feed") as raised:
        read_feed(announced, "news.xml", "news.xml", base_url=site.url("/news"))
    assert f"index {site.url('/feed.xml')} instead" in str(raised.value)
    with pytest.raises(SourceError, match="is not an RSS or Atom feed"):
        read_feed(b'<?xml version="1.0"?><urlset><url>x</url></urlset>', "sitemap.xml", "sitemap.xml")
    with pytest.raises(SourceError, match="not well-formed XML and no feed could be read"):
        read_feed(b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</ti", "t.xml", "t.xml")

    # Broken after the first item: that item is read, the fault is reported with its line.
    half = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Herald</title>'
        f"<item><guid>tag:h,1</guid><title>Ferry</title><description>{FERRY}</description></item>\n"
        "<item><title>Market & more</titl></item></channel></rss>"
    ).encode()
    articles, problems = read_feed(half, "half.xml", "half.xml")
    assert [article.id for article in articles][:1] == ["tag:h,1"]
    assert "is not well-formed XML (line 2" in str(problems[0]) and "ask its publisher to fix it" in str(problems[0])

    write(tmp_path / "feeds", "news.xml", announced)
    report = index([tmp_path / "feeds" / "news.xml"], tmp_path / "index", web=None)
    assert report.nothing_read and "announces a feed" in report.failed[0][1]


def test_a_page_that_fails_leaves_the_summary_until_it_can_be_read(
    site: LocalSite, web: WebClient, tmp_path: Path
) -> None:
    listed = items(site)
    site.put("/news/market", b"", status=503)
    feed = site.put("/feed.xml", rss("Lenn Valley Herald", listed), "application/rss+xml")
    first = index([feed], tmp_path / "index", web)
    # nothing lost, nothing to fix here: a note, not a failure (it made every run "fail")
    assert len(first.added) == 3 and first.failed == [] and "failed 0" in first.summary()
    assert "HTTP 503" in dict(first.notes)[site.url("/news/market")] and "kept the feed's text" in first.summary()
    assert stored(tmp_path / "index")[f"{feed}#herald-102"].endswith("Sundays from January.")
    site.put("/news/market", page("Sunday market approved", MARKET))
    site.forget()
    second = index([feed], tmp_path / "index", web)
    assert (
        second.updated == [f"{feed}#herald-102"] and "21 votes to 6" in stored(tmp_path / "index")[f"{feed}#herald-102"]
    )
    assert "/news/ferry" not in site.paths()


def test_a_local_feed_file_whose_items_carry_their_text_fetches_nothing(tmp_path: Path) -> None:
    """A local RSS file of whole articles in <description>: `rag index` fetched every item's link on every run, and
    the site that was not reached counted as a failure each time ("failed 5" for ever), while `update_index` without
    a web client fetched nothing. Now neither fetches, and both report the same."""
    down = f"http://127.0.0.1:{closed_port()}"
    whole = " ".join([FERRY, MARKET, LIBRARY] * 3)  # about 150 words: an article, not a summary
    listed = [{"title": f"Story {number}", "link": f"{down}/story-{number}", "guid": f"story-{number}",
               "description": f"<p>{whole}</p><p>Story {number}.</p>"} for number in range(1, 4)]
    listed.append({"title": "Short", "link": f"{down}/short", "guid": "short", "description": "The ferry is back."})
    feed = write(tmp_path / "docs", "courier.rss", rss("Courier", listed))
    with WebClient(timeout=5) as web:  # what `rag index` passes
        command = index([feed], tmp_path / "cli-index", web)
    python = index([feed], tmp_path / "api-index", None)  # the README's update_index, without a web client
    for report in (command, python):
        assert len(report.added) == 4 and report.failed == [] and "failed 0" in report.summary(), report.summary()
    # only the item carrying a summary was fetched: its page was not reached, and it keeps the feed's text (a note)
    [(source, note)] = command.notes
    assert source == f"{down}/short" and "could not be reached" in note and "kept the feed's text" in note
    assert python.notes == []
    assert "six-week refit" in stored(tmp_path / "cli-index")[f"{feed.resolve()}#story-1"]


def test_size_limit_timeout_and_private_addresses(site: LocalSite, tmp_path: Path) -> None:
    big = site.put("/big", page("Big", "word " * 50_000))
    with WebClient(max_bytes=10_000) as small, pytest.raises(SourceError, match="more than the limit"):
        small.fetch(big)
    slow = site.put("/slow", page("Slow", FERRY), delay=2.0)
    with WebClient(timeout=0.5) as hasty, pytest.raises(SourceError, match="did not answer within 0.5 s") as raised:
        hasty.fetch(slow)
    assert "--fetch-timeout" in str(raised.value)
    with WebClient(allow_private=False) as guarded:
        with pytest.raises(SourceError, match="private or loopback network address"):
            guarded.fetch(site.url("/news"))
        with pytest.raises(SourceError, match="is not an http or https address"):
            guarded.fetch("file:///etc/passwd")
    with pytest.raises(SourceError, match="is a web address, and this indexer fetches none"):
        index([site.url("/feed.xml")], tmp_path / "index", web=None)


def test_read_url_tells_feeds_from_pages_whatever_the_content_type_says(site: LocalSite, web: WebClient) -> None:
    feed = site.put(
        "/feed", rss("Herald", [{"title": "Ferry", "guid": "tag:h,1", "content": FERRY}]), "text/html"
    )  # a feed mislabelled as HTML, as servers do
    read = read_url(feed, web)
    assert [article.id for article in read.articles] == ["tag:h,1"] and FERRY in read.articles[0].text
    unchanged = read_url(feed, web, read.fetched.validators)
    assert unchanged.fetched.not_modified and unchanged.articles == []


def test_a_feed_file_is_a_window_too(tmp_path: Path) -> None:
    def feed_file(*numbers: int) -> None:
        listed = [{"title": f"Item {n}", "guid": f"tag:h,{n}", "content": f"{FERRY} Item {n}."} for n in numbers]
        write(tmp_path / "feeds", "herald.rss", rss("Herald", listed))

    feed_file(1, 2)
    index([tmp_path / "feeds"], tmp_path / "index", web=None)
    feed_file(2, 3)
    report = index([tmp_path / "feeds"], tmp_path / "index", web=None)
    assert report.added == ["tag:h,3"] and report.removed == [] and report.window == 1
    index([tmp_path / "feeds"], tmp_path / "index", web=None)  # unchanged file: not read again
    rebuilt = index([tmp_path / "feeds"], tmp_path / "index", web=None, rebuild=True)
    assert rebuilt.removed == [] and rebuilt.window == 1  # a rebuild keeps the window too
    assert sorted(stored(tmp_path / "index")) == ["tag:h,1", "tag:h,2", "tag:h,3"]
    pruned = index([tmp_path / "feeds"], tmp_path / "index", web=None, prune_feeds=True)
    assert pruned.removed == ["tag:h,1"]


def test_without_a_web_client_an_item_keeps_its_summary_and_its_page_is_read_later(
    site: LocalSite, web: WebClient, tmp_path: Path
) -> None:
    """Uploads (the HTTP API) index with no web client: the feed's summary, and nothing recorded that would stop
    the command line from reading the page later."""
    write(tmp_path / "feeds", "herald.rss", rss("Lenn Valley Herald", items(site)[:1]))
    index([tmp_path / "feeds"], tmp_path / "index", web=None)
    assert site.paths() == [] and list(stored(tmp_path / "index").values()) == ["The ferry is back."]
    report = index([tmp_path / "feeds"], tmp_path / "index", web)
    assert site.paths() == ["/news/ferry"] and len(report.updated) == 1
    assert "six-week refit" in next(iter(stored(tmp_path / "index").values()))


def test_the_command_line_names_an_unreachable_feed_and_leaves_the_index_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rag.cli import main

    down = f"http://127.0.0.1:{closed_port()}/feed.xml"
    assert main(["index", down, "--index", str(tmp_path / "index"), "--quiet", "--fetch-timeout", "2"]) == 1
    output = capsys.readouterr()
    assert f"failed: {down}: could not be reached (the connection was refused)" in output.out
    assert "no article could be read" in output.err and not (tmp_path / "index" / "CURRENT").exists()
    assert main(["watch", down, "--index", str(tmp_path / "index"), "--every", "soon"]) == 1
    assert "cannot read the interval 'soon'" in capsys.readouterr().err


def test_rebuild_reads_the_urls_the_index_holds_again(site: LocalSite, web: WebClient, tmp_path: Path) -> None:
    feed = site.put("/feed.xml", rss("Lenn Valley Herald", items(site)), "application/rss+xml")
    page_url = site.put("/2026/ferry", page("Orwin ferry back in service", FERRY, "Fares stay the same."))
    index([feed, page_url], tmp_path / "index", web)
    site.forget()
    other = write(tmp_path / "articles", "notes.txt", f"Market notes\n\n{MARKET}\n")
    report = index([other], tmp_path / "index", web, rebuild=True)
    assert len(report.added) == 1 and len(report.updated) == 4 and report.removed == [] and report.failed == []
    assert sorted(site.paths()) == ["/2026/ferry", "/feed.xml", "/news/ferry", "/news/library", "/news/market"]
    assert all("if-none-match" not in headers for _, headers in site.requests)  # a rebuild reads everything


def test_a_rebuild_without_a_web_client_refuses_an_index_that_holds_urls(
    site: LocalSite, web: WebClient, tmp_path: Path
) -> None:
    """A rebuild reads the URLs the index holds too: without a client to fetch them it is refused, index untouched."""
    url = site.put("/news/ferry", page("Orwin ferry back in service", FERRY))
    index([url], tmp_path / "index", web)
    other = write(tmp_path / "articles", "notes.txt", f"Market notes\n\n{MARKET}\n")
    with pytest.raises(SourceError, match=f"{url}: is a web address, and this indexer fetches none"):
        index([other], tmp_path / "index", None, rebuild=True)
    assert set(stored(tmp_path / "index")) == {url}


def test_a_server_that_asks_to_wait_says_how_long(site: LocalSite, web: WebClient, tmp_path: Path) -> None:
    """Retry-After, in seconds or as an HTTP date, is read into the failure (message and `retry_after`); a page
    that does not say gets no wait of its own."""
    import email.utils
    import time

    later = email.utils.formatdate(time.time() + 1800, usegmt=True)
    busy = site.put("/busy.xml", b"", status=503, headers={"Retry-After": later})
    limited = site.put("/limited.xml", b"", status=429, headers={"Retry-After": "90"})
    plain = site.put("/plain.xml", b"", status=503)
    report = index([busy, limited, plain], tmp_path / "index", web)
    messages = dict(report.failed)
    assert 1700 < report.retry_after[busy] <= 1800  # the date has whole seconds: 29m59s or 30m from now
    assert "(HTTP 503; it asks to wait 30m)" in messages[busy] or "it asks to wait 29m59s" in messages[busy]
    assert report.retry_after[limited] == 90 and "(HTTP 429; it asks to wait 1m30s)" in messages[limited]
    assert plain not in report.retry_after and "asks to wait" not in messages[plain]
    assert report.to_dict()["retry_after"][limited] == 90
