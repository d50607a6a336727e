"""The passage that links a question to its answer's passage, when the answer's passage alone does not name what
the question names (the first hop of a two-hop question the assistant answered in one).

"What post did the actress who played Nora Vale in Harbour Nights hold?" is answered from the actress's article
("Elsa Brandt … served as ambassador to Chile"), which never mentions Harbour Nights; the film's article links the
two ("Harbour Nights … stars Elsa Brandt as Nora Vale"). An answer citing only the actress's article asks the
reader to take that link on trust. `linking_sentence` finds it among the retrieved passages of the other articles:
the sentence naming what the question names and the cited articles do not (`rag.answer.cite.uncovered_terms`),
together with a name of the cited articles' titles the question does not use (the bridge: "Brandt"). Only across
articles: within one, a question's words missing from the answer's passage are most often said another way.
`linked` cites it after the answer. `rag.answer.hops` plans such questions in two hops when it can read their
description; this is what is left when it cannot, or when it found no confident bridge.

Pure functions only: no model here.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from rag.answer.cite import MONTH_TERMS, uncovered_terms
from rag.answer.hops import NAME_JOINERS
from rag.answer.prompts import LINK_OPENING
from rag.records import Citation, Passage
from rag.text import (
    SURFACE_WORD,
    capitalised_terms,
    content_words,
    is_number,
    qualifier_of,
    split_sentences,
    without_qualifier,
)

NOT_BRIDGES = MONTH_TERMS
"""Capitalised words two unrelated passages share by chance (months): no link between their subjects."""

DESCRIBING = frozenset({"who", "whom", "whose", "that", "which", "where", "when", "by", "starring", "featuring"})
"""Words that open a description of something by what it did or what was done to it ("the actress who played Nora
Vale", "the film directed by Mirela Voss"): the names after them may be another article's, linked to the answer's."""


@dataclass(frozen=True)
class Link:
    """A sentence of `passage` (`start:end` within its text) naming the question's `named` terms the answer's
    passages miss, and the `bridge` terms it shares with them."""

    passage: Passage
    start: int
    end: int
    named: frozenset[str]
    bridge: frozenset[str]


def bridge_terms(passages: Sequence[Passage], question: str) -> set[str]:
    """The words of the passages' titles (what their articles are about) the question does not use: what a linking
    sentence must name of them. Titles only: a passage's other names link it to too much ("Pacific" in a
    railway's passage and in another's list of rail operators).

    >>> actress = Passage("a", "Elsa Brandt", "a.txt", "", "In 1974 Brandt was made ambassador to Chile.", 0, 44)
    >>> sorted(bridge_terms([actress], "What post did the actress who played Nora Vale hold?"))
    ['brandt', 'elsa']
    """
    terms = set().union(*(content_words(passage.title) for passage in passages))
    return {term for term in terms - content_words(question) - NOT_BRIDGES if not is_number(term)}


def linking_sentence(question: str, cited: Sequence[Passage], retrieved: Sequence[Passage]) -> Link | None:
    """The sentence of a retrieved passage of another article than the `cited` passages' that names the question's
    terms the cited articles miss (in their retrieved passages) and, among its own names, a name the cited passages
    give in their titles (`bridge_terms`; most of those terms first, then most names shared, then the higher
    retrieved), or None: when the cited articles name all the question does, or no retrieved sentence links the
    two.

    >>> actress = Passage("a", "Elsa Brandt", "a.txt", "", "In 1974 Brandt was made ambassador to Chile.", 0, 44)
    >>> film = Passage("f", "Harbour Nights", "f.txt", "", "Harbour Nights is a 1951 comedy. It stars Elsa Brandt as "
    ...                "Nora Vale, a teenager.", 0, 78)
    >>> question = "What post did the actress who played Nora Vale in Harbour Nights hold?"
    >>> link = linking_sentence(question, [actress], [actress, film])
    >>> film.text[link.start:link.end], sorted(link.named), sorted(link.bridge)
    ('It stars Elsa Brandt as Nora Vale, a teenager.', ['harbour', 'night', 'nora', 'vale'], ['brandt', 'elsa'])
    >>> linking_sentence("What post did Elsa Brandt hold?", [actress], [actress, film]) is None
    True
    """
    articles = {passage.article_id for passage in cited}
    missing = uncovered_terms(question, [*cited, *(passage for passage in retrieved if passage.article_id in articles)])
    if not missing or not cited:
        return None
    # Named outside a description ("the arena of the Hull Stingrays"), the link must say what the question asks of
    # the name: one of its other words ("arena"), not the two names in any sentence ("Who is the mayor of
    # Elmsbury?" is not answered by Maplewood's mayor for trains running between the towns).
    said = set() if described(question, missing) else content_words(question) - capitalised_terms(question)
    bridges = bridge_terms(cited, question)
    best: tuple[int, int, int] | None = None
    found: Link | None = None
    for rank, passage in enumerate(retrieved):
        if passage.article_id in articles:
            continue
        for sentence in split_sentences(passage.text):
            # Names on both sides, not words the sentence happens to share ("high-speed" is no "High Speed Rail").
            names = capitalised_terms(passage.text[sentence.start:sentence.end])
            named, shared = missing & (names | content_words(passage.title)), bridges & names
            if said and not said & content_words(passage.text[sentence.start:sentence.end]):
                continue
            if named and shared and (best is None or (len(named), len(shared), -rank) > best):
                best = (len(named), len(shared), -rank)
                found = Link(passage, sentence.start, sentence.end, frozenset(named), frozenset(shared))
    return found


def described(question: str, terms: set[str]) -> bool:
    """Whether the first of `terms` a question names comes in a description of something (after a `DESCRIBING`
    word, or a participle: "the actress playing Nora Vale"), not beside what the question asks about ("the mayor of
    Elmsbury").

    >>> described("What post did the actress who played Nora Vale hold?", {"nora"})
    True
    >>> described("Where was the actress playing Nora Vale sent?", {"nora"})
    True
    >>> described("Who is the mayor of Elmsbury?", {"elmsburi"})
    False
    """
    surface = SURFACE_WORD.findall(question)
    for position, word in enumerate(surface):
        if content_words(word) & terms:
            return any(before.lower() in DESCRIBING or (before.islower() and before.endswith(("ing", "ed")))
                       for before in surface[1:position])
    return False


def linked_passages(question: str, own: Sequence[Passage], retrieved: Sequence[Passage]) -> list[Passage]:
    """An article's retrieved passages (`own`) and the passage of another article that links the question to them
    (`linking_sentence`), if any: what the article answers the question with. An article naming none of the
    question's names is not off its topic when another article links it to them (the answer of a two-hop question
    is in an article that never names what the question starts from).

    >>> actress = Passage("a", "Elsa Brandt", "a.txt", "", "In 1974 Brandt was made ambassador to Chile.", 0, 44)
    >>> film = Passage("f", "Harbour Nights", "f.txt", "", "It stars Elsa Brandt as Nora Vale.", 0, 34)
    >>> [passage.title for passage in linked_passages("Where was the actress playing Nora Vale sent?", [actress],
    ...                                               [actress, film])]
    ['Elsa Brandt', 'Harbour Nights']
    """
    link = linking_sentence(question, own, retrieved)
    return [*own, link.passage] if link is not None else list(own)


def linked(text: str, citations: Sequence[Citation], question: str,
           retrieved: Sequence[Passage]) -> tuple[str, tuple[Citation, ...]]:
    """An answer's text and citations with the sentence linking the question to its cited passages quoted and cited
    after it (`linking_sentence`), or as they were when none is needed or found.

    >>> actress = Passage("a", "Elsa Brandt", "a.txt", "", "In 1974 Brandt was made ambassador to Chile.", 0, 44)
    >>> film = Passage("f", "Harbour Nights", "f.txt", "", "It stars Elsa Brandt as Nora Vale.", 0, 34)
    >>> text, citations = linked("Ambassador to Chile [1].", [Citation(1, actress)],
    ...                          "What post did the actress who played Nora Vale hold?", [actress, film])
    >>> text
    'Ambassador to Chile [1]. How the articles link it to the question: "It stars Elsa Brandt as Nora Vale." [2]'
    >>> citations[1].number, citations[1].passage.title, citations[1].spans
    (2, 'Harbour Nights', ((0, 34),))
    """
    link = linking_sentence(question, [citation.passage for citation in citations], retrieved)
    if link is None:
        return text, tuple(citations)
    quote = " ".join(link.passage.text[link.start:link.end].split())
    number = max((citation.number for citation in citations), default=0) + 1
    citation = Citation(number, link.passage, quote, link.start, link.end, 0.0, ((link.start, link.end),))
    return f'{text} {LINK_OPENING}"{quote}" [{number}]', (*citations, citation)


def names(passage: Passage, name: str) -> bool:
    """Whether a passage names `name`: all its words in the passage's title or text (an alias counts, its text
    holding the name: "Amaranth Hospitality Group (also known as Amaranth Hotels)" names "Amaranth Hotels").

    >>> group = Passage("g", "Amaranth Hospitality Group", "g.txt", "", "It (also known as Amaranth Hotels) is "
    ...                 "based in Penang.", 0, 51)
    >>> names(group, "Amaranth Hotels"), names(group, "Harbourview Hotels")
    (True, False)
    """
    return bool(content_words(name)) and content_words(name) <= content_words(f"{passage.title} {passage.text}")


def namesakes_kept(passages: Sequence[Passage], name: str, words: set[str]) -> list[Passage]:
    """The `passages` to answer about `name` from when several of their articles are titled by it (namesakes,
    Wikipedia-style: "Hollis Brandt", "Hollis Brandt (baseball)"): those whose qualifier shares a word with the
    question's `words` (`content_words`: "film directors" and "(film director)"), else the one without a qualifier
    (the primary topic), else all; passages of articles not titled by it are kept. Titles without qualifiers (folders
    of news articles) leave everything as it is.

    >>> director = Passage("d", "Hollis Brandt", "d.txt", "", "Hollis Brandt is a film director.", 0, 33)
    >>> pitcher = Passage("p", "Hollis Brandt (baseball)", "p.txt", "", "Hollis Brandt is a pitcher.", 0, 27)
    >>> [p.title for p in namesakes_kept([pitcher, director], "Hollis Brandt", content_words("film directors"))]
    ['Hollis Brandt']
    >>> [p.title for p in namesakes_kept([pitcher, director], "Hollis Brandt", content_words("a baseball pitcher"))]
    ['Hollis Brandt (baseball)']
    """
    name_words = content_words(name)
    titled = {passage.article_id: qualifier_of(passage.title) for passage in passages
              if name_words and name_words <= content_words(without_qualifier(passage.title))}
    if len(titled) < 2:
        return list(passages)
    agreeing = {article for article, qualifier in titled.items() if content_words(qualifier) & words}
    preferred = agreeing or {article for article, qualifier in titled.items() if not qualifier}
    if not preferred:
        return list(passages)
    return [passage for passage in passages if passage.article_id not in titled or passage.article_id in preferred]


def about(passages: Sequence[Passage], name: str, question: str) -> list[Passage]:
    """The passages a question about a named thing (a comparison's part: "When was Tin Meridian formed?") may
    answer from: those naming it whole when it is a name (`names`: "Meridian (band)" never says "Tin Meridian"),
    namesakes' articles left out as `namesakes_kept` says by the question's words.

    >>> band = Passage("b", "Meridian (band)", "b.txt", "", "Meridian is a six-piece band.", 0, 29)
    >>> tin = Passage("t", "Tin Meridian", "t.txt", "", "Tin Meridian is a five-piece band.", 0, 34)
    >>> [p.title for p in about([band, tin], "Tin Meridian", "How many members does Tin Meridian have?")]
    ['Tin Meridian']
    """
    kept = [passage for passage in passages if names(passage, name)] if is_name(name) else list(passages)
    return namesakes_kept(kept, name, content_words(question) - content_words(name))


def is_name(text: str) -> bool:
    """Whether `text` is a name (capitalised words, joiners such as "of" between them, a leading "the") rather
    than a description, which passages say in other words ("the French colony in modern day Brazil").

    >>> is_name("the Bank of England"), is_name("Tin Meridian"), is_name("the French colony in modern day Brazil")
    (True, True, False)
    """
    words = text.split()
    if words[:1] and words[0].lower() == "the":
        words = words[1:]
    return bool(words) and all(word[:1].isupper() or word[:1].isdigit() or word.lower() in NAME_JOINERS
                               for word in words)


def anchored_passages(passages: Sequence[Passage], bridge: str, linking: set[str],
                      first: Passage, words: AbstractSet[str] = frozenset()) -> list[Passage]:
    """The passages a two-hop question's second hop may answer from, in their order: those naming the `bridge`
    (`names`), the first hop's own article (`first`'s) among them; and when several other articles are titled by the
    bridge (namesakes: "Cathal Brennan (hurler)", "Cathal Brennan (musician)"), only those of them that also name a
    `linking` term (the question's other names, the first hop's title: "Copperline") when any does, else as
    `namesakes_kept` says by the question's content `words` ("economist" and "(economist)"); when one article is
    titled by the bridge, only it (with the first hop's): a passage naming the bridge in passing ("founded by Ebba
    Orvald, the daughter of Sten Orvald") says less of it than its own article does. A passage that
    does not name the bridge answers about another thing ("Harbourview Hotels, with its head office in Singapore"
    for the head office of Amaranth Hotels), however well it shares the question's wording.

    >>> band = Passage("c", "Copperline", "c.txt", "", "Copperline was formed by Cathal Brennan.", 0, 40)
    >>> singer = Passage("m", "Cathal Brennan (musician)", "m.txt", "", "The Copperline singer was born in Limerick.",
    ...                  0, 43)
    >>> hurler = Passage("h", "Cathal Brennan (hurler)", "h.txt", "", "He was born in Kilkenny.", 0, 24)
    >>> other = Passage("o", "Ross Kiely", "o.txt", "", "He was born in Cork.", 0, 20)
    >>> [p.title for p in anchored_passages([hurler, band, other, singer], "Cathal Brennan", {"copperlin"}, band)]
    ['Copperline', 'Cathal Brennan (musician)']
    >>> [p.title for p in anchored_passages([hurler, other], "Cathal Brennan", {"copperlin"}, band)]
    ['Cathal Brennan (hurler)']
    """
    naming = [passage for passage in passages if names(passage, bridge)]
    bridge_words = content_words(bridge)
    titled = {passage.article_id for passage in naming if passage.article_id != first.article_id
              and bridge_words <= content_words(passage.title)}
    terms = linking - bridge_words
    linked_articles = {passage.article_id for passage in naming if passage.article_id in titled
                       and terms & content_words(f"{passage.title} {passage.text}")}
    if len(titled) == 1:  # the bridge's own article: a passage naming it in passing ("the daughter of X") is not
        return [passage for passage in naming if passage.article_id in titled | {first.article_id}]
    if not titled:
        return naming
    if not linked_articles:  # no namesake names the question's other names: the question's words, or the primary
        return namesakes_kept(naming, bridge, set(words))
    return [passage for passage in naming if passage.article_id not in titled - linked_articles]
