"""Dev sets of the kinds the held-out checks measure (follow-ups, two-part questions, two-hop questions), built from
the SQuAD-2 dev articles, and their scorer.

    python -m tools.eval.dialogues build --articles odd --out tools/eval/dialogues-odd.jsonl    # report set
    python -m tools.eval.dialogues build --articles even --out tools/eval/dialogues-even.jsonl  # fitting set
    python -m tools.eval.dialogues score tools/eval/dialogues-odd.jsonl --index /tmp/squad-dev --per-kind 15 \
        --details /tmp/dialogues-details.jsonl
    python -m tools.eval.dialogues report /tmp/dialogues-details.jsonl     # the figures again, from the details

`build` is seeded and pure (same articles and seed, same set): every item comes from the answerable questions of
one article, so a set is either fitting (even-numbered articles but the calibration ones a000, a010, a020, a030) or
report (odd-numbered: held out, the only ones reported on). Three kinds, one JSON line each:

- "follow-up": a first question and a second one about the same paragraph, the second written as a follow-up leans
  on the first; its `form` says how (`FOLLOW_UP_FORMS`):
  - "pronoun": the subject both name replaced by a pronoun in the second ("When did the Normans …?" then "Where did
    they …?"): the second can only be answered about the first turn's entity;
  - "ellipsis": the second asks the first again but for one changed phrase, and says only that phrase ("What was
    the population in 1900?" then "And in 2010?");
  - "answer-part": the second is about one item of a list the first's answer gave, named by its place ("What
    are the two …?" "A and B", then "How long is the second one?");
  - "answer-subject": the second is about what the first's answer named ("Which company …?" then "Who founded
    it?");
  - "stands-alone": the second as SQuAD wrote it, naming its subject: no rewrite is needed (and none may hurt it).
  Gold: the second question's answers.
- "two-part": two answerable questions of one paragraph joined ("When did X, and how many Y?"), both gold sets.
- "two-hop": the answer of a who/which question (the bridge) names the subject of a question about another
  paragraph; the bridge is replaced by a description from the first ("Where was the one who led the Normans
  crowned?"). Gold: the second question's answers; both hops' passages are needed.

`score` asks each item of the assistant (`rag.Assistant`, the index given) and reports follow-ups answered with the
gold, two-part questions with both parts answered / one part / a part said missing, and two-hop answers holding
the gold and citing a passage of each hop. "Answered" is the answer's own text holding a gold answer (SQuAD's
normalisation); the quoted evidence beside it is counted apart.
"""

from __future__ import annotations

import argparse
import json
import operator
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rag.answer.prompts import MISSING_PART_MARK
from rag.evaluate import contains_answer, shown_text
from rag.records import Answer

SQUAD_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "squad2-dev"
CALIBRATION = {"a000", "a010", "a020", "a030"}
SIZES = {"follow-up": 40, "two-part": 30, "two-hop": 20, "comparison": 20}
"""Items of each kind per set: small enough to score both branches side by side in minutes on 2 cores (the
"follow-up" size is that of the pronoun form, which the builder made alone before the other forms)."""
FOLLOW_UP_FORMS = {"ellipsis": 12, "answer-part": 12, "answer-subject": 12, "stands-alone": 12}
"""Follow-ups of the other forms per set, drawn after the pronoun ones with a generator of their own (so that the
two-part and two-hop items, drawn after the pronoun ones, stay as they were)."""
_PREPOSITIONS = {"in", "on", "at", "of", "for", "from", "to", "by", "with", "during", "after", "before", "since",
                 "about", "between", "under", "over", "into", "than"}
_ORDINALS = ("first", "second", "third", "fourth", "fifth")

_PART_START = re.compile(r"^(when|where|who|whom|whose|what|which|why|how|in what|by how|at what)\b", re.IGNORECASE)
_CAPITALISED_RUN = re.compile(r"\b(?:[A-Z][\w'’.-]*)(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’.-]*)*")
_QUESTION_OPENERS = {"when", "where", "who", "whom", "whose", "what", "which", "why", "how", "in", "by", "at", "the",
                     "did", "does", "do", "is", "are", "was", "were", "a", "an", "during", "after", "before", "on"}
_ENDS_NAME = {"is", "was", "are", "were", "has", "have", "had", "did", "do", "does", "in", "on", "at", "to", "for",
              "from", "with", "by", "and", "or", "as", "after", "before", "during", "first", "still", "not", "can",
              "could", "will", "would", "may", "might", "must", "should", "be", "been", "originally", "also"}
"""Words that end a name (and verbs in -ed): not a noun the name qualifies."""


def article_number(article_id: str) -> int:
    """
    >>> article_number("a017")
    17
    """
    return int(article_id.lstrip("a"))


def wanted_articles(which: str, article_ids: Iterable[str]) -> list[str]:
    """The articles of a set: "odd" (report), "even" (fitting; the calibration articles left out).

    >>> wanted_articles("even", ["a000", "a001", "a002", "a010"]), wanted_articles("odd", ["a000", "a001"])
    (['a002'], ['a001'])
    """
    parity = 1 if which == "odd" else 0
    return sorted(article for article in set(article_ids)
                  if article_number(article) % 2 == parity and article not in CALIBRATION)


def subject_in(first: str, second: str, title: str) -> str:
    """The subject both questions name: the article's title, else the longest capitalised name in both (not a
    question's opening word); "" when they share none.

    >>> subject_in("When did the Normans conquer England?", "Where did the Normans settle?", "Normans")
    'Normans'
    >>> subject_in("Who founded Harvard College?", "When was Harvard College founded?", "Boston")
    'Harvard College'
    """
    if re.search(rf"\b{re.escape(title)}\b", first, re.IGNORECASE) and re.search(rf"\b{re.escape(title)}\b",
                                                                                   second, re.IGNORECASE):
        return title
    names = [match.group(0) for match in _CAPITALISED_RUN.finditer(first)]
    names = [name for name in names if name.split()[0].lower() not in _QUESTION_OPENERS or len(name.split()) > 1]
    shared = [name.strip(" .") for name in names if len(name) >= 4 and re.search(rf"\b{re.escape(name)}\b", second)]
    return max(shared, key=len, default="")


def stands_alone(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` is a whole name there: not part of a longer capitalised run nor followed by "of…".

    >>> stands_alone("What does the Scotland Act of 2012 extend?", 14, 26)
    False
    >>> stands_alone("The Scottish Parliament may legislate", 13, 23)
    False
    >>> stands_alone("Where did the Normans settle?", 10, 21)
    False
    >>> stands_alone("How large is the Amazon basin?", 13, 23)
    False
    >>> stands_alone("When were the Normans in Normandy?", 10, 21)
    True
    """
    before = text[:start].split()
    after = text[end:].split()
    if not text[start:end].removeprefix("the ")[:1].isupper() or (
            before and (before[-1].lower() in {"the", "a", "an"} or before[-1][:1].isdigit())):
        return False  # a common noun ("oxygen"), or the name used as an adjective after an article
    if before and before[-1][:1].isupper() and before[-1].lower() not in _QUESTION_OPENERS:
        return False
    if after and (after[0][:1].isupper() or after[0].lower() == "of"):
        return False
    # "the Amazon basin": a name followed by a noun qualifies it; a verb, a preposition or the end closes it.
    following = after[0].lower().strip("?,.;:") if after else ""
    return (text[start:end].endswith(("'s", "’s")) or not following or following in _ENDS_NAME
            or following.endswith("ed"))


def with_pronoun(question: str, subject: str) -> str:
    """`question` with its first mention of `subject` (and a "the" before it) replaced by a pronoun: "its" for a
    possessive, "they"/"them" for a plural-looking name, else "it"; the question unchanged when it opens with the
    subject followed by nothing asked (the pronoun would stand alone).

    >>> with_pronoun("When were the Normans in Normandy?", "Normans")
    'When were they in Normandy?'
    >>> with_pronoun("What is the Amazon rainforest's area?", "Amazon rainforest")
    'What is its area?'
    >>> with_pronoun("Who attacked Normandy in 911?", "Normandy")
    'Who attacked it in 911?'
    """
    pattern = re.compile(rf"(?:\bthe\s+)?\b{re.escape(subject)}\b(['’]s)?", re.IGNORECASE)
    match = pattern.search(question)
    if not match or not stands_alone(question, match.start(), match.end()):
        return question
    plural = subject.endswith("s") and not subject.endswith("ss")
    if match.group(1):
        pronoun = "their" if plural else "its"
    else:
        before = question[:match.start()].split()
        object_position = bool(before) and before[-1].lower() not in {"did", "do", "does", "was", "were", "is", "are",
                                                                      "has", "have", "had", "can", "could", "will"}
        pronoun = ("them" if object_position else "they") if plural else "it"
    replaced = question[:match.start()] + pronoun + question[match.end():]
    return replaced[0].upper() + replaced[1:] if match.start() == 0 else replaced


def joined(first: str, second: str) -> str:
    """Two questions as one that asks both.

    >>> joined("When did the bridge reopen?", "How much did the repairs cost?")
    'When did the bridge reopen, and how much did the repairs cost?'
    """
    return f"{first.rstrip(' ?')}, and {second[0].lower()}{second[1:].rstrip(' ?')}?"


def described(question: str) -> str:
    """A who/which question turned into a description of its answer ("" when it is neither).

    >>> described("Who led the Normans in 1066?")
    'the one who led the Normans in 1066'
    >>> described("Which city hosted the games?")
    'the city that hosted the games'
    """
    text = question.strip().rstrip("?").strip()
    who = re.match(r"^who\s+(.+)$", text, re.IGNORECASE)
    if who:
        return f"the one who {who.group(1)}"
    which = re.match(r"^which\s+(\w+)\s+((?:was|is|were|are|has|had)\b.+|\w+ed\b.+)$", text, re.IGNORECASE)
    if which:
        return f"the {which.group(1)} that {which.group(2)}"
    return ""


def elided(first: str, second: str) -> str:
    """The second question said as an ellipsis of the first: when the two differ only in one short phrase (up to
    five words, a preposition before it taken with it), that phrase alone ("And in 2010?", "What about the
    Rhine?"); "" when they differ more, or share fewer than three words around it.

    >>> elided("What was the population of Fresno in 1900?", "What was the population of Fresno in 2010?")
    'And in 2010?'
    >>> elided("How long is the Rhine?", "How long is the Danube?")
    'What about the Danube?'
    >>> elided("Who founded Harvard?", "When did Harvard open?")
    ''
    >>> elided("What did Davies call his system?", "What did Davies want to build?")
    ''
    """
    one, two = first.rstrip(" ?").split(), second.rstrip(" ?").split()
    prefix = 0
    while prefix < min(len(one), len(two)) and one[prefix].lower() == two[prefix].lower():
        prefix += 1
    suffix = 0
    while (suffix < min(len(one), len(two)) - prefix
           and one[len(one) - 1 - suffix].lower() == two[len(two) - 1 - suffix].lower()):
        suffix += 1
    if suffix:  # only a changed ending reads as an ellipsis ("And in 2010?"); a changed middle does not
        return ""
    while prefix and (two[prefix - 1].lower() in _PREPOSITIONS or two[prefix - 1].lower() in {"the", "a", "an"}):
        prefix -= 1  # "in 2010", "the Danube": the phrase keeps its preposition or article
    changed, replaced = two[prefix:], one[prefix:]
    if not changed or not replaced or len(changed) > 4 or len(replaced) > 4 or prefix < 3:
        return ""
    opening = changed[0].lower()
    if not (opening in _PREPOSITIONS or opening in {"the", "a", "an", "its", "their"} or changed[0][:1].isupper()
            or changed[0][:1].isdigit() or (len(changed) == len(replaced) == 1 and not opening.endswith("ed"))):
        return ""  # a changed verb or a clause ("What about used for year 13?") is no ellipsis anyone says
    if changed[0].lower() in _PREPOSITIONS:
        return f"And {' '.join(changed)}?"
    return f"What about {' '.join(changed)}?"


def listed(answer: str) -> list[str]:
    """The items of an answer that lists things ("A, B and C"), each of two words at most; [] when it lists none.

    >>> listed("the Rhine and the Meuse")
    ['the Rhine', 'the Meuse']
    >>> listed("gold, silver, and copper")
    ['gold', 'silver', 'copper']
    >>> listed("the Treaty of Paris"), listed("$57,000")
    ([], [])
    """
    items = [item.strip(" .") for item in re.split(r",\s+(?:and\s+|or\s+)?|\s+(?:and|or)\s+", answer)]
    items = [item for item in items if item]
    if len(items) < 2 or any(len(item.split()) > 3 or len(item) < 3 for item in items):
        return []
    return items


def by_place(question: str, items: Sequence[str]) -> str:
    """`question` with the one item of `items` it names replaced by its place in the list ("the second one"); ""
    when it names none or several, or the item is not a whole word run there.

    >>> by_place("How long is the Meuse?", ["the Rhine", "the Meuse"])
    'How long is the second one?'
    >>> by_place("How long is the Meuse?", ["Rhine", "Meuse"])
    'How long is the second one?'
    """
    found = []
    for place, item in enumerate(items):
        bare = re.sub(r"^(?:the|a|an)\s+", "", item, flags=re.IGNORECASE)
        match = re.search(rf"(?:(?<=\s)|^)(?:the\s+)?{re.escape(bare)}(?=['’]s\b|[\s?,]|$)", question,
                          re.IGNORECASE)
        if match and _closes_name(question, match.end()):
            found.append((place, match))
    if len(found) != 1 or found[0][0] >= len(_ORDINALS):
        return ""
    place, match = found[0]
    name = "last" if place == len(items) - 1 and place > 1 else _ORDINALS[place]
    replaced = question[:match.start()] + f"the {name} one" + question[match.end():]
    return replaced[0].upper() + replaced[1:]


def _closes_name(question: str, end: int) -> bool:
    """Whether a name ending at `end` of `question` is a noun there, not an adjective before one: the end, a
    possessive, or a verb or preposition follows (`stands_alone`'s test).

    >>> _closes_name("What are private vocational schools called?", 26), _closes_name("How long is the Meuse?", 21)
    (False, True)
    """
    after = question[end:].split()
    following = after[0].lower().strip("?,.;:") if after else ""
    return (question[end:].startswith(("'s", "’s")) or not following or following in _ENDS_NAME
            or following.endswith("ed"))


def person_pronoun(passage: str) -> tuple[str, str, str]:
    """The pronouns (subject, object, possessive) a passage uses for its person: "she" when it says she/her more
    often than he/his/him, else "he".

    >>> person_pronoun("She was born in Lyon. Her father taught there.")
    ('she', 'her', 'her')
    """
    words = re.findall(r"[a-z]+", passage.lower())
    feminine = sum(word in ("she", "her", "hers") for word in words)
    masculine = sum(word in ("he", "his", "him") for word in words)
    return ("she", "her", "her") if feminine > masculine else ("he", "him", "his")


def with_answer_pronoun(question: str, answer: str, person: tuple[str, str, str] | None) -> str:
    """`question` with the name `answer` gave replaced by a pronoun (a person's when `person` is given, else "it"
    / "its"); "" when the question does not name it as a whole name.

    >>> with_answer_pronoun("When was Isaiah D. Hart born?", "Isaiah D. Hart", ("he", "him", "his"))
    'When was he born?'
    >>> with_answer_pronoun("Who founded Kunskapsskolan?", "Kunskapsskolan", None)
    'Who founded it?'
    >>> with_answer_pronoun("What is Boston's population?", "Boston", None)
    'What is its population?'
    """
    match = re.search(rf"(?:\bthe\s+)?\b{re.escape(answer)}\b(['’]s)?", question)
    if not match:
        return ""
    before, after = question[:match.start()].split(), question[match.end():].split()
    if (before and before[-1][:1].isupper() and before[-1].lower() not in _QUESTION_OPENERS) or (
            after and (after[0][:1].isupper() or after[0].lower() == "of")):
        return ""  # part of a longer name
    subject = not before or before[-1].lower() in {"did", "do", "does", "was", "were", "is", "are", "has", "have",
                                                   "had", "can", "could", "will", "would"}
    if (before and before[-1].lower() in {"a", "an", "of"}) or not (subject or _closes_name(question, match.end())):
        return ""  # the name as an adjective ("an NP-complete problem"), or "the city of Fresno's flag"
    if match.group(1):
        pronoun = person[2] if person else "its"
    elif person:
        pronoun = person[0] if subject else person[1]
    else:
        pronoun = "it"
    replaced = question[:match.start()] + pronoun + question[match.end():]
    return replaced[0].upper() + replaced[1:] if match.start() == 0 else replaced


def _by_paragraph(questions: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for question in questions:
        groups[question["gold_passage_id"]].append(question)
    return groups


def _follow_up(form: str, first: dict[str, Any], second: dict[str, Any], text: str) -> dict[str, Any]:
    return {"kind": "follow-up", "form": form, "id": f"{first['qid']}+{second['qid']}",
            "article_id": first["article_id"], "passage_id": first["gold_passage_id"],
            "turns": [first["question"], text], "first_answers": first["answers"], "answers": second["answers"]}


def other_follow_ups(first: dict[str, Any], second: dict[str, Any], passage: str = "") -> list[dict[str, Any]]:
    """The follow-ups of the forms other than "pronoun" that a pair of questions of one paragraph makes (`passage`:
    its text, for the pronoun of a person the first answer names)."""
    if set(map(str.lower, first["answers"])) & set(map(str.lower, second["answers"])):
        return []
    made = []
    ellipsis = elided(first["question"], second["question"])
    if ellipsis:
        made.append(_follow_up("ellipsis", first, second, ellipsis))
    named = max(first["answers"], key=len)
    items = listed(named)
    in_place = by_place(second["question"], items) if items else ""
    if in_place and not any(contains_answer(item, second["answers"]) for item in items):
        made.append(_follow_up("answer-part", first, second, in_place))
    if (not items and len(named) >= 4 and named[0].isupper() and named.lower() not in first["question"].lower()
            and not contains_answer(named, second["answers"])):
        # A person's pronoun for who-questions answered with a person-like name ("Thoreau", not "BSkyB").
        person = (person_pronoun(passage) if first["question"].lower().startswith(("who ", "whom "))
                  and all(word[:1].isupper() and word[1:].islower() for word in named.split() if len(word) > 2)
                  else None)
        about_answer = with_answer_pronoun(second["question"], named, person)
        if about_answer:
            made.append(_follow_up("answer-subject", first, second, about_answer))
    if (first["qid"] < second["qid"] and subject_in(first["question"], second["question"], first["title"])
            and not ellipsis):
        made.append(_follow_up("stands-alone", first, second, second["question"]))
    return made


def build(questions: Sequence[dict[str, Any]], articles: Sequence[str], seed: int = 0,
          sizes: dict[str, int] | None = None, passages: dict[str, str] | None = None,
          forms: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The items of each kind (`SIZES`; follow-ups of other forms than "pronoun": `FOLLOW_UP_FORMS`) from the
    answerable questions of `articles`, drawn with `seed` (`passages`: paragraph texts by id, for person pronouns)."""
    sizes = sizes or SIZES
    forms = FOLLOW_UP_FORMS if forms is None else forms
    passages = passages or {}
    generator = random.Random(seed)
    answerable = [question for question in questions if not question["is_impossible"] and
                  question["article_id"] in set(articles)]
    answerable.sort(key=lambda question: question["qid"])
    follow_ups: list[dict[str, Any]] = []
    two_parts: list[dict[str, Any]] = []
    two_hops: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for paragraph, members in sorted(_by_paragraph(answerable).items()):
        for first in members:
            for second in members:
                if first is second or set(map(str.lower, first["answers"])) & set(map(str.lower, second["answers"])):
                    continue
                subject = subject_in(first["question"], second["question"], first["title"])
                if subject:
                    follow_up = with_pronoun(second["question"], subject)
                    if follow_up != second["question"]:
                        follow_ups.append({"kind": "follow-up", "form": "pronoun",
                                           "id": f"{first['qid']}+{second['qid']}",
                                           "article_id": first["article_id"], "passage_id": paragraph,
                                           "turns": [first["question"], follow_up], "subject": subject,
                                           "first_answers": first["answers"], "answers": second["answers"]})
                others.extend(other_follow_ups(first, second, passages.get(paragraph, "")))
                if first["qid"] < second["qid"] and _PART_START.match(second["question"]):
                    two_parts.append({"kind": "two-part", "id": f"{first['qid']}+{second['qid']}",
                                      "article_id": first["article_id"], "passage_id": paragraph,
                                      "question": joined(first["question"], second["question"]),
                                      "parts": [first["question"], second["question"]],
                                      "part_answers": [first["answers"], second["answers"]]})
    by_article: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for question in answerable:
        by_article[question["article_id"]].append(question)
    for members in by_article.values():
        for first in members:
            description = described(first["question"])
            bridge = max(first["answers"], key=len)
            if not description or len(bridge) < 4 or not bridge[0].isupper():
                continue
            for second in members:
                if second["gold_passage_id"] == first["gold_passage_id"]:
                    continue
                found = re.search(rf"\b{re.escape(bridge)}\b", second["question"])
                if (found and stands_alone(second["question"], found.start(), found.end())
                        and not contains_answer(bridge, second["answers"])):
                    question = second["question"][:found.start()] + description + second["question"][found.end():]
                    two_hops.append({"kind": "two-hop", "id": f"{first['qid']}+{second['qid']}",
                                     "article_id": first["article_id"], "question": question, "bridge": bridge,
                                     "hops": [first["question"], second["question"]],
                                     "passage_ids": [first["gold_passage_id"], second["gold_passage_id"]],
                                     "bridge_answers": first["answers"], "answers": second["answers"]})
    chosen: list[dict[str, Any]] = []
    for kind, items in (("follow-up", follow_ups), ("two-part", two_parts), ("two-hop", two_hops)):
        # At most two items per paragraph (or article), so that a few long articles do not make the whole set.
        generator.shuffle(items)
        per_place: Counter[str] = Counter()
        for item in items:
            place = item.get("passage_id") or item["article_id"]
            if per_place[place] < 2 and sum(1 for other in chosen if other["kind"] == kind) < sizes[kind]:
                per_place[place] += 1
                chosen.append(item)
    # The other forms with a generator of their own: the items above stay as they were before these forms existed.
    others_generator = random.Random(f"{seed}-forms")
    others_generator.shuffle(others)
    taken = {item["id"] for item in chosen}
    per_form: Counter[tuple[str, str]] = Counter()
    for item in others:
        form, place = item["form"], item["passage_id"]
        if (item["id"] not in taken and per_form[(form, place)] < 2
                and sum(count for (other, _), count in per_form.items() if other == form) < forms.get(form, 0)):
            per_form[(form, place)] += 1
            taken.add(item["id"])
            chosen.append(item)
    return chosen + comparisons(questions, articles, seed, sizes.get("comparison", 0))


_DATED = re.compile(r"^(?:When|In what year|What year) (?P<auxiliary>was|were|did) (?P<thing>(?:the )?[A-Z][^?]*?) "
                    r"(?P<verb>founded|established|created|formed|built|constructed|published|introduced|born|die|"
                    r"begin|end)\s*\?$")
"""A question asking when a named thing happened ("When was the Lisbon Treaty established?"): one side of a
comparison item."""

COMPARED = {"die": "Who died first", "begin": "Which began first", "end": "Which ended first",
            "born": "Who was born first"}
"""How a comparison asks of a verb that is not said "Which was <verb> first"."""

MADE = frozenset({"founded", "established", "created", "formed", "built", "constructed", "published", "introduced"})
"""Verbs of a thing coming to be: two things made by different ones are compared by age ("Which is older, …?")."""


def dated(question: dict[str, Any]) -> tuple[str, str, int] | None:
    """The thing, verb and year of a question asking when a named thing happened, its gold answer holding a year.

    >>> dated({"question": "When was the Lisbon Treaty established?", "answers": ["December 2007"]})
    ('the Lisbon Treaty', 'established', 2007)
    >>> dated({"question": "When was the school formed?", "answers": ["1636"]}) is None
    True
    """
    found = _DATED.match(question["question"].strip())
    year = re.search(r"\b(1\d{3}|20\d\d)\b", question["answers"][0]) if question["answers"] else None
    if found is None or year is None:
        return None
    return found.group("thing"), found.group("verb"), int(year.group(1))


def comparison_question(first: str, second: str, verb: str, other_verb: str = "") -> str:
    """A HotpotQA-style comparison of two things that happened in different years (`other_verb`: the second
    thing's, when it differs: both made, compared by age).

    >>> comparison_question("the Lisbon Treaty", "the ECSC agreement", "established")
    'Which was established first, the Lisbon Treaty or the ECSC agreement?'
    >>> comparison_question("Otto von Bismarck", "John Gallagher", "born")
    'Who was born first, Otto von Bismarck or John Gallagher?'
    >>> comparison_question("the Tower Theatre", "the IPCC Trust Fund", "built", "founded")
    'Which is older, the Tower Theatre or the IPCC Trust Fund?'
    """
    same = not other_verb or other_verb == verb
    opening = COMPARED.get(verb, f"Which was {verb} first") if same else "Which is older"
    return f"{opening}, {first} or {second}?"


def _comparable(first: str, second: str) -> bool:
    """Whether two verbs can be compared in one question: the same, or both of a thing coming to be (`MADE`)."""
    return first == second or (first in MADE and second in MADE)


def comparisons(questions: Sequence[dict[str, Any]], articles: Sequence[str], seed: int = 0,
                size: int = SIZES["comparison"]) -> list[dict[str, Any]]:
    """Comparison items (HotpotQA's other kind of two-paragraph question): two answerable questions of different
    articles asking when a named thing happened (`dated`, the same verb, different years) made into "Which was
    established first, A or B?". Gold: the earlier thing's name; both questions' paragraphs are needed (each gold
    set kept in `part_answers` to check that both are cited). Seeded, with a generator of its own."""
    found = [(question, *found) for question in questions if not question["is_impossible"]
             and question["article_id"] in set(articles) and (found := dated(question)) is not None]
    found.sort(key=lambda row: row[0]["qid"])
    pairs = [(first, second) for first in found for second in found
             if first[0]["article_id"] < second[0]["article_id"] and _comparable(first[2], second[2])
             and first[3] != second[3]
             and first[1].lower() != second[1].lower()]
    random.Random(f"{seed}-comparisons").shuffle(pairs)
    items: list[dict[str, Any]] = []
    used: Counter[str] = Counter()
    for (first, first_thing, verb, first_year), (second, second_thing, other_verb, second_year) in pairs:
        if used[first["qid"]] or used[second["qid"]] or len(items) >= size:
            continue
        used.update([first["qid"], second["qid"]])
        earlier = first_thing if first_year < second_year else second_thing
        items.append({"kind": "comparison", "id": f"{first['qid']}+{second['qid']}",
                      "article_id": first["article_id"],
                      "question": comparison_question(first_thing, second_thing, verb, other_verb),
                      "passage_ids": [first["gold_passage_id"], second["gold_passage_id"]],
                      "years": [first_year, second_year],
                      "part_answers": [first["answers"], second["answers"]], "answers": [earlier]})
    return items


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file, one a line (blank lines skipped): every eval set's reader."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


# -- scoring ---------------------------------------------------------------------------------------------------


def said_missing(text: str) -> bool:
    """Whether an answer says a part of the question is not answered by the articles (the fixed phrase).

    >>> said_missing(f"It reopened in May [1]. {MISSING_PART_MARK} what the repairs cost.")
    True
    """
    return MISSING_PART_MARK.lower() in text.lower()


def names_the_winner(answer: str, question: str, winner: Sequence[str]) -> bool:
    """Whether a comparison's answer opens by naming the winner and not the other thing: both names are in the
    question, so an answer that repeats it (or says a part missing in its words) holds both, and counts for neither.

    >>> question = "Which is older, the Tower Theatre or the IPCC Trust Fund?"
    >>> names_the_winner("The Tower Theatre is older: 1939 [1], against 1989 [2].", question, ["the Tower Theatre"])
    True
    >>> names_the_winner('1939 [1]. The articles do not answer: "When was the Tower Theatre built?"', question,
    ...                  ["the Tower Theatre"])
    False
    """
    names = [name.strip() for name in re.split(r",\s*|\s+or\s+", question.rstrip("?"))[1:] if name.strip()]
    opening = answer.split(". ")[0]
    others = [name for name in names if not contains_answer(name, winner)]
    return contains_answer(opening, winner) and not any(contains_answer(opening, [name]) for name in others)


def _score_follow_up(item: dict[str, Any], assistant: Any) -> tuple[Answer, dict[str, Any]]:
    """A follow-up, asked after its first turn (that turn's answer as history): whether the answer holds the gold
    (and counting quoted evidence), refused, or repeated the first turn's answer; `previous` is that answer."""
    first = assistant.ask(item["turns"][0])
    answer = assistant.ask(item["turns"][1], history=[(item["turns"][0], first.text)])
    gold = item["answers"]
    return answer, {"form": item.get("form", "pronoun"), "held": contains_answer(answer.text, gold),
                    "held_with_evidence": contains_answer(shown_text(answer), gold),
                    "refused": answer.refused,
                    "repeated": not answer.refused and answer.text.strip() == first.text.strip(),
                    "previous": first.text}


def _score_two_part(item: dict[str, Any], assistant: Any) -> tuple[Answer, dict[str, Any]]:
    """A two-part question: how many parts the answer holds the gold of (and counting quoted evidence), whether it
    refused, and whether it says a part is missing."""
    answer = assistant.ask(item["question"])
    held = [contains_answer(answer.text, answers) for answers in item["part_answers"]]
    return answer, {"parts_held": sum(held), "refused": answer.refused, "said_missing": said_missing(answer.text),
                    "parts_held_with_evidence": sum(contains_answer(shown_text(answer), answers)
                                                    for answers in item["part_answers"])}


def _score_comparison(item: dict[str, Any], assistant: Any) -> tuple[Answer, dict[str, Any]]:
    """A comparison: whether the answer names the winner (`names_the_winner`; the quoted evidence holding it counted
    apart), refused, and cites a passage holding each compared thing's gold."""
    answer = assistant.ask(item["question"])
    cited = [citation.passage.text for citation in answer.citations]
    return answer, {"held": names_the_winner(answer.text, item["question"], item["answers"]),
                    "held_with_evidence": contains_answer(shown_text(answer), item["answers"]),
                    "refused": answer.refused,
                    "cites_both": all(any(contains_answer(text, answers) for text in cited)
                                      for answers in item["part_answers"])}


def _score_two_hop(item: dict[str, Any], assistant: Any) -> tuple[Answer, dict[str, Any]]:
    """A two-hop question: whether the answer holds the gold (and counting quoted evidence), refused, and cites both
    a passage holding the bridge and one holding the gold."""
    answer = assistant.ask(item["question"])
    cited = [citation.passage.text for citation in answer.citations]
    return answer, {"held": contains_answer(answer.text, item["answers"]),
                    "held_with_evidence": contains_answer(shown_text(answer), item["answers"]),
                    "refused": answer.refused,
                    "cites_both": (any(contains_answer(text, item["bridge_answers"]) for text in cited)
                                   and any(contains_answer(text, item["answers"]) for text in cited))}


SCORERS: dict[str, Callable[[dict[str, Any], Any], tuple[Answer, dict[str, Any]]]] = {
    "follow-up": _score_follow_up, "two-part": _score_two_part, "two-hop": _score_two_hop,
    "comparison": _score_comparison}
"""Each kind's scorer: asks the item of the assistant and returns the answer and what the kind counts."""


def score_item(item: dict[str, Any], assistant: Any) -> dict[str, Any]:
    """Ask one item of the assistant and score it (a detail line: the item, the answer, the seconds it took, then
    what the kind's scorer (`SCORERS`) counts)."""
    started = time.perf_counter()
    answer, detail = SCORERS[item["kind"]](item, assistant)
    return {"id": item["id"], "kind": item["kind"], "answer": answer.text, "seconds":
            round(time.perf_counter() - started, 3), **detail}


def shown_item(item: dict[str, Any], assistant: Any) -> dict[str, Any]:
    """A follow-up's evidence without the model writing (`score --shown`): the history is the first question and
    its gold answer, and the detail says whether the evidence the model would be shown holds the gold answer (or
    whether the assistant refuses before asking it). Minutes rather than hours on a busy machine; an upper bound
    of what the model can answer, and what retrieval and the follow-up rules alone decide."""
    started = time.perf_counter()
    history = [(item["turns"][0], f"{item['first_answers'][0]} [1].")]
    prompt = assistant.prompt(item["turns"][1], history=history)
    shown = " ".join(passage.text for passage in prompt.passages) if prompt is not None else ""
    return {"id": item["id"], "kind": "follow-up", "form": item.get("form", "pronoun"),
            "shown": contains_answer(shown, item["answers"]), "refused": prompt is None,
            "seconds": round(time.perf_counter() - started, 3)}


def distractor_paragraphs(question: str, gold: Sequence[str], paragraphs: Mapping[str, Any],
                          vectors: Any, embedder: Any, count: int) -> list[str]:
    """The `count` paragraphs most like `question` (cosine of the bundled embedder's vectors) that are not its
    gold ones: the distractors of a HotpotQA-like setting (HotpotQA chose its eight by TF-IDF similarity to the
    question), ids in the order of `paragraphs`' keys ranked by similarity."""
    import numpy as np

    ids = list(paragraphs)
    query = np.asarray(embedder.embed([question]))[0]
    order = np.argsort(-(np.asarray(vectors) @ query))
    return [ids[row] for row in order if ids[row] not in gold][:count]


def distractor_item(item: dict[str, Any], assistant: Any, paragraphs: dict[str, dict[str, Any]], vectors: Any,
                    count: int, folder: Path) -> dict[str, Any]:
    """A two-hop item asked of an index of its gold paragraphs and `count` distractors only (each paragraph an
    article of its own, as in HotpotQA's distractor setting), scored as `score_item` scores it."""
    from rag import Assistant
    from rag.ingest.indexer import UpdateOptions, update_index

    chosen = [*item["passage_ids"], *distractor_paragraphs(item["question"], item["passage_ids"], paragraphs,
                                                           vectors, assistant.retriever.embedder, count)]
    articles = folder / f"{item['id']}.jsonl"
    articles.write_text("".join(json.dumps({"id": passage_id, "title": paragraphs[passage_id]["title"],
                                            "text": paragraphs[passage_id]["text"]}) + "\n"
                                for passage_id in chosen), encoding="utf-8")
    index = folder / f"{item['id']}-index"
    update_index([articles], index, assistant.retriever.embedder, UpdateOptions(progress=False))
    small = Assistant.load(index, embedder=assistant.retriever.embedder, llm=assistant.llm)
    return {**score_item(item, small), "setting": f"distractors {count}"}


def _of_form(details: Sequence[dict[str, Any]], form: str) -> list[dict[str, Any]]:
    """The follow-up details of one form (details written before there were forms are "pronoun" ones)."""
    return [detail for detail in details if detail.get("form", "pronoun") == form]


def _count(details: Sequence[dict[str, Any]], counted: str | Callable[[dict[str, Any]], Any]) -> str:
    """How many of `details` count, out of how many, as a report gives a figure: `counted` is a field (true, or a
    number added up) or a test of a detail.

    >>> details = [{"held": True, "parts_held": 2}, {"held": False, "parts_held": 1}]
    >>> _count(details, "held"), _count(details, lambda detail: detail["parts_held"] == 2), _count([], "held")
    ('1/2', '1/2', '0/0')
    """
    test = counted if callable(counted) else operator.itemgetter(counted)
    return f"{sum(test(detail) for detail in details)}/{len(details)}"


def _report_shown(shown: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Follow-ups scored `--shown`: per form, the evidence shown holding the gold and the refusals; then all forms."""
    figures: dict[str, str] = {}
    for form in ("pronoun", *FOLLOW_UP_FORMS):
        of_form = _of_form(shown, form)
        if of_form:
            figures[f"follow-up, {form}: evidence shown holds gold / refused before the model"] = (
                f"{_count(of_form, 'shown')}, {_count(of_form, 'refused')}")
    figures["follow-up, all forms: evidence shown holds gold"] = _count(shown, "shown")
    return figures


def _report_follow_up(follow: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Follow-ups answered: holding the gold (and counting quoted evidence), refused, repeating the previous answer;
    then the first three per form."""
    figures = {
        "follow-up: answer holds gold": _count(follow, "held"),
        "follow-up: counting quoted evidence": _count(follow, "held_with_evidence"),
        "follow-up: refused": _count(follow, "refused"),
        "follow-up: repeated the previous answer": _count(follow, "repeated")}
    for form in ("pronoun", *FOLLOW_UP_FORMS):
        of_form = _of_form(follow, form)
        if of_form:
            figures[f"follow-up, {form}: holds gold / with evidence / refused"] = (
                f"{_count(of_form, 'held')}, {_count(of_form, 'held_with_evidence')}, {_count(of_form, 'refused')}")
    return figures


def _report_two_part(parts: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Two-part questions: both parts answered, one, a part said missing, one answered and the other silently
    dropped, both counting quoted evidence, refused."""
    return {
        "two-part: both parts answered": _count(parts, lambda detail: detail["parts_held"] == 2),
        "two-part: one part answered": _count(parts, lambda detail: detail["parts_held"] == 1),
        "two-part: a part said missing": _count(parts, "said_missing"),
        "two-part: one part answered, the other neither answered nor said missing": (
            _count(parts, lambda detail: detail["parts_held"] == 1 and not detail["said_missing"])),
        "two-part: both parts counting quoted evidence": (
            _count(parts, lambda detail: detail["parts_held_with_evidence"] == 2)),
        "two-part: refused": _count(parts, "refused")}


def _report_two_paragraphs(hops: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Two-hop or comparison questions (one kind at a time): holding the gold (and counting quoted evidence),
    citing a passage of each paragraph, both, refused."""
    kind = hops[0]["kind"]
    return {
        f"{kind}: answer holds gold": _count(hops, "held"),
        f"{kind}: counting quoted evidence": _count(hops, "held_with_evidence"),
        f"{kind}: cites a passage of each hop": _count(hops, "cites_both"),
        f"{kind}: holds gold and cites both": _count(hops, lambda detail: detail["held"] and detail["cites_both"]),
        f"{kind}: refused": _count(hops, "refused")}


REPORTERS: dict[str, Callable[[Sequence[dict[str, Any]]], dict[str, str]]] = {
    "follow-up, shown": _report_shown, "follow-up": _report_follow_up, "two-part": _report_two_part,
    "two-hop": _report_two_paragraphs, "comparison": _report_two_paragraphs}
"""Each group of details' figures, in the order a report lists them; `--shown` follow-ups are a group of their own
(`_reported_under`): the model was not asked, so they have none of the answered follow-ups' fields."""


def _reported_under(detail: dict[str, Any]) -> str:
    """The `REPORTERS` group of a detail line."""
    return "follow-up, shown" if "shown" in detail else detail["kind"]


def report(details: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The figures of a run, as "count/total" strings, each group's (`REPORTERS`) that has details.

    >>> report([{"kind": "two-part", "parts_held": 2, "said_missing": False, "refused": False,
    ...          "parts_held_with_evidence": 2}])["two-part: both parts answered"]
    '1/1'
    """
    figures: dict[str, str] = {}
    for group, figures_of in REPORTERS.items():
        grouped = [detail for detail in details if _reported_under(detail) == group]
        if grouped:
            figures.update(figures_of(grouped))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write a seeded set of follow-ups, two-part and two-hop questions")
    make.add_argument("--articles", choices=("odd", "even"), default="odd",
                      help="odd: held-out report set; even: fitting set (calibration articles left out)")
    make.add_argument("--squad", type=Path, default=SQUAD_DEV, help="the SQuAD-2 dev folder (questions.jsonl)")
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("--out", type=Path, required=True)
    run = commands.add_parser("score", help="ask a set's items of the assistant and report")
    run.add_argument("items", type=Path)
    run.add_argument("--index", required=True)
    run.add_argument("--details", type=Path, default=None, help="one JSON line per item")
    run.add_argument("--kind", choices=tuple(SIZES), default=None, help="only this kind")
    run.add_argument("--per-kind", type=int, default=None, help="only the first N items of each kind")
    run.add_argument("--shown", action="store_true",
                     help="follow-ups only, the model not asked: does the evidence it would be shown hold the gold")
    run.add_argument("--distractors", type=int, default=None, metavar="N",
                     help="two-hop and comparison items only, each asked of an index of its 2 gold paragraphs "
                          "and the N paragraphs of --squad most like the question (HotpotQA's distractor setting: 8)")
    run.add_argument("--squad", type=Path, default=SQUAD_DEV, help="the SQuAD-2 dev folder (passages.jsonl)")
    show = commands.add_parser("report", help="the figures of a details file a score run wrote")
    show.add_argument("details", type=Path)
    arguments = parser.parse_args(argv)
    if arguments.command == "report":
        for name, value in report(read_jsonl(arguments.details)).items():
            print(f"{name:80s} {value}")
        return 0
    if arguments.command == "build":
        questions = read_jsonl(arguments.squad / "questions.jsonl")
        paragraphs = {passage["passage_id"]: passage["text"]
                      for passage in read_jsonl(arguments.squad / "passages.jsonl")}
        articles = wanted_articles(arguments.articles, (question["article_id"] for question in questions))
        items = build(questions, articles, arguments.seed, passages=paragraphs)
        arguments.out.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
        print(f"{len(items)} items ({dict(Counter(item['kind'] for item in items))}) -> {arguments.out}")
        return 0
    from rag import Assistant

    assistant = Assistant.load(arguments.index)
    kind = "follow-up" if arguments.shown else arguments.kind
    items = [item for item in read_jsonl(arguments.items) if kind in (None, item["kind"])]
    if arguments.distractors is not None:  # the kinds with two gold paragraphs
        items = [item for item in items if item["kind"] in ("two-hop", "comparison")]
    if arguments.per_kind is not None:
        items = [item for item in items
                 if sum(other["kind"] == item["kind"] for other in items[:items.index(item)]) < arguments.per_kind]
    details = []
    written = arguments.details.open("w", encoding="utf-8") if arguments.details else None
    pool: dict[str, dict[str, Any]] = {}  # the paragraphs distractors are drawn from, and their vectors
    vectors = None
    if arguments.distractors is not None:
        pool = {passage["passage_id"]: passage for passage in read_jsonl(arguments.squad / "passages.jsonl")}
        vectors = assistant.retriever.embedder.embed([f"{passage['title']}. {passage['text']}"
                                                      for passage in pool.values()])
    scratch = tempfile.TemporaryDirectory(prefix="distractors-")
    for number, item in enumerate(items, start=1):
        if arguments.distractors is not None:
            details.append(distractor_item(item, assistant, pool, vectors, arguments.distractors,
                                           Path(scratch.name)))
        else:
            details.append(shown_item(item, assistant) if arguments.shown else score_item(item, assistant))
        if written:  # line by line: a long run interrupted still has its details
            written.write(json.dumps(details[-1]) + "\n")
            written.flush()
        print(f"\r{number}/{len(items)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    scratch.cleanup()
    if written:
        written.close()
    for name, value in report(details).items():
        print(f"{name:80s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
