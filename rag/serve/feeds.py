"""Atom feeds (RFC 4287) the server offers to feed readers: a brief (`GET /feeds/brief.xml`, one entry per story) and
the changes of the followed questions (`GET /feeds/follows.xml`, one entry per new answer).

Built with `xml.etree.ElementTree`, so every text is escaped; ids are tag URIs derived from what they name (a story
keeps its id as long as its first report is the same article, so a reader does not show it twice); times are
RFC 3339 in UTC; links go to the reports' own pages (only http(s) addresses, `rag.records.safe_url`).
"""

from __future__ import annotations

import datetime
import hashlib
import html
from xml.etree import ElementTree

from rag.answer.brief import Brief, Story
from rag.follow import Followed, changes_of
from rag.records import safe_url

ATOM = "http://www.w3.org/2005/Atom"
GENERATOR = "rag (local article assistant)"


def atom_time(day: str) -> str:
    """An ISO date (or date and time) as an RFC 3339 time in UTC; a bare date is its midnight.

    >>> atom_time("2026-03-14"), atom_time("2026-03-14T09:30:00+01:00")
    ('2026-03-14T00:00:00Z', '2026-03-14T08:30:00Z')
    """
    try:
        moment = datetime.datetime.fromisoformat(day)
    except ValueError:
        moment = datetime.datetime.fromisoformat(day[:10])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_id(*parts: str) -> str:
    """A stable Atom id for what `parts` name.

    >>> tag_id("story", "gazette-02")
    'tag:rag.local,2026:story/43c344661461eb742aebcaa2'
    """
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"tag:rag.local,2026:{parts[0]}/{digest}"


def brief_feed(found: Brief, self_url: str = "") -> bytes:
    """The brief as an Atom feed: the feed names the period (and topic), each story is an entry whose title is its
    headline, summary its lede and outlets, content the list of reports with links, and whose links are the
    reports' pages."""
    feed = ElementTree.Element("feed", xmlns=ATOM)
    about = f" about {found.topic}" if found.topic else ""
    _text(feed, "id", tag_id("brief", found.topic, found.period.since, found.period.until))
    _text(feed, "title", f"Brief{about}: {found.period.describe()}")
    newest = max((story.updated for story in found.stories), default=found.period.until or found.period.as_of)
    _text(feed, "updated", atom_time(newest))
    author = ElementTree.SubElement(feed, "author")
    _text(author, "name", GENERATOR)
    _text(feed, "generator", GENERATOR)
    if safe_url(self_url):
        ElementTree.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    for story in found.stories:
        _story_entry(feed, story)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def follows_feed(follows: list[Followed], self_url: str = "") -> bytes:
    """The changes of the followed questions as an Atom feed, newest first: each entry is one new answer (its id
    the question's and the answer's time), titled by the question, its content the answer and what it cites, its
    links the cited articles' pages."""
    feed = ElementTree.Element("feed", xmlns=ATOM)
    _text(feed, "id", tag_id("follows", *(followed.id for followed in follows)))
    _text(feed, "title", "Followed questions: what changed")
    changes = changes_of(follows)
    newest = max((answer.asked for followed in follows for answer in followed.answers), default="")
    _text(feed, "updated", atom_time(newest) if newest else "1970-01-01T00:00:00Z")
    author = ElementTree.SubElement(feed, "author")
    _text(author, "name", GENERATOR)
    if safe_url(self_url):
        ElementTree.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    for change in changes:
        answer = change.followed.latest
        assert answer is not None  # a change is an answer after the first
        entry = ElementTree.SubElement(feed, "entry")
        _text(entry, "id", tag_id("answer", change.followed.id, answer.asked))
        _text(entry, "title", change.followed.question)
        _text(entry, "updated", atom_time(answer.asked))
        _text(entry, "summary", answer.text)
        items = []
        for number, source in enumerate(answer.sources):
            url = safe_url(source.get("url", ""))
            new = " (new)" if source.get("article_id") in answer.new_articles else ""
            name = html.escape(f"{source.get('source', '')}: {source.get('title', '')}, "
                               f"{source.get('published', '')[:10]}{new}")
            if url:
                ElementTree.SubElement(entry, "link", rel="alternate" if number == 0 else "related", href=url)
            items.append(f'<li><a href="{html.escape(url)}">{name}</a></li>' if url else f"<li>{name}</li>")
        before = change.previous.text if change.previous else ""
        _text(entry, "content", f"<p>{html.escape(answer.text)}</p><ul>{''.join(items)}</ul>"
                                f"<p>Before: {html.escape(before)}</p>", type="html")
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def _story_entry(feed: ElementTree.Element, story: Story) -> None:
    entry = ElementTree.SubElement(feed, "entry")
    _text(entry, "id", tag_id("story", story.lede.passage.article_id))
    _text(entry, "title", story.headline)
    _text(entry, "published", atom_time(story.published))
    _text(entry, "updated", atom_time(story.updated))
    _text(entry, "summary", f"“{story.lede.quote}” ({story.reported_by_text})")
    items = []
    for number, report in enumerate(story.reports):
        url = safe_url(report.url)
        if url:
            ElementTree.SubElement(entry, "link", rel="alternate" if number == 0 else "related", href=url,
                                   title=f"{report.source}: {report.title}")
        name = html.escape(f"{report.source}: {report.title}, {report.published[:10]}")
        items.append(f'<li><a href="{html.escape(url)}">{name}</a></li>' if url else f"<li>{name}</li>")
    content = (f"<p>{html.escape(story.lede.quote)}</p><p>{html.escape(story.reported_by_text)}</p>"
               f"<ul>{''.join(items)}</ul>")
    _text(entry, "content", content, type="html")  # escaped by ElementTree: readers unescape, then render


def _text(parent: ElementTree.Element, tag: str, text: str, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag, attributes)
    element.text = text
    return element
