"""The news follow-up sets (tools.eval.news_follow_ups): the dev set and the blind one are read the same way, a
conversations file with its articles in the folder beside it, and every conversation names an article of its set.
Only the format is checked here: the blind sets' questions and gold answers are not read by any test."""

from __future__ import annotations

import doctest
import json

import tools.eval.news_follow_ups as news
from tools.eval.news_follow_ups import ARTICLES, FORMS, HERE, ITEMS, articles_of

BLIND = HERE / "news_follow_ups_b.jsonl"
SETS = (ITEMS, BLIND, HERE / "news_follow_ups_c.jsonl", HERE / "news_follow_ups_d.jsonl")
FIELDS = {"id", "form", "turns", "answers", "first_answers", "unanswerable", "article"}


def test_the_worked_examples_hold() -> None:
    assert doctest.testmod(news).failed == 0


def test_each_set_finds_its_own_articles() -> None:
    assert articles_of(ITEMS) == ARTICLES
    assert articles_of(BLIND) == HERE / "news_b"
    assert articles_of(HERE / "news_follow_ups_d.jsonl") == HERE / "news_d"
    stems = [{path.stem for path in articles_of(items).glob("*.txt")} for items in SETS]
    assert all(not first & second for number, first in enumerate(stems) for second in stems[number + 1:])


def test_every_set_has_the_same_format() -> None:
    for items in SETS:
        stems = {path.stem for path in articles_of(items).glob("*.txt")}
        rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert rows and len({row["id"] for row in rows}) == len(rows)
        for row in rows:
            assert set(row) == FIELDS, row["id"]
            assert row["form"] in FORMS and row["article"] in stems, row["id"]
            assert len(row["turns"]) >= 2 and row["first_answers"], row["id"]
            assert bool(row["answers"]) != row["unanswerable"], row["id"]
