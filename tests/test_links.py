"""The sentence linking a question to its answer's passage (rag.answer.links): found only where the cited passage
misses what the question names and another passage names it beside the cited passage's subject; end to end with the
real models, a two-hop question answered in one hop cites both articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.links import anchored_passages, bridge_terms, linked, linking_sentence, names
from rag.answer.prompts import LINK_OPENING
from rag.records import Citation, Passage
from tests.test_hops import BAKERY, indexed


def passage(article_id: str, title: str, text: str) -> Passage:
    return Passage(article_id, title, f"{article_id}.txt", "", text, 0, len(text))


ACTRESS = passage("brandt", "Elsa Brandt", "Elsa Brandt was an actress and diplomat. In 1974 Brandt was appointed "
                  "ambassador to Chile. She died in 2011.")
FILM = passage("film", "Harbour Nights", "Harbour Nights is a 1951 comedy film. It stars Elsa Brandt as Nora Vale, a "
               "teenager who dreams of the stage.")
ARENA = passage("arena", "Ferens Ice Arena", "The Ferens Ice Arena is an indoor arena in Hull, England. It can seat "
                "3,750 spectators.")
TEAM = passage("team", "Hull Stingrays", "The Hull Stingrays were an ice hockey team. They played their home games at "
               "the Ferens Ice Arena from 2003 until 2015.")




def test_the_link_names_what_the_question_names_beside_the_answer_passages_subject() -> None:
    question = "Which country was the actress who played Nora Vale appointed ambassador to?"
    link = linking_sentence(question, [ACTRESS], [ACTRESS, ARENA, FILM])
    assert link is not None
    assert link.passage == FILM
    assert FILM.text[link.start:link.end] == "It stars Elsa Brandt as Nora Vale, a teenager who dreams of the stage."
    assert {"nora", "vale"} <= link.named and "brandt" in link.bridge


def test_of_two_sentences_naming_the_question_the_one_sharing_more_names_links() -> None:
    # Both of the team's sentences name the Stingrays and share "ice" with the arena's passage; only the second
    # names the arena.
    link = linking_sentence("How many people can the arena of the Hull Stingrays seat?", [ARENA], [ARENA, TEAM])
    assert link is not None
    assert TEAM.text[link.start:link.end].startswith("They played their home games at the Ferens Ice Arena")


def test_two_names_in_one_sentence_link_only_what_the_question_asks_of_them() -> None:
    """Named beside what is asked ("the mayor of Elmsbury") rather than in a description ("the actress who played
    Nora Vale"), a name is linked to the answer's article only by a sentence saying what is asked ("arena"): trains
    between two towns make no town's mayor the other's."""
    bridge = passage("bridge", "Maplewood footbridge reopens", "The footbridge reopened on 14 March. Mayor Theresa "
                     "Okafor was the first to cross.")
    trains = passage("trains", "Sunday trains return", "Trains will run between Maplewood and Elmsbury again. The "
                     "first leaves Maplewood at 08:12 and the last returns from Elmsbury at 20:40.")
    assert linking_sentence("Who is the mayor of Elmsbury?", [bridge], [bridge, trains]) is None
    assert linking_sentence("Who was the first to cross the footbridge that trains pass near Elmsbury?", [bridge],
                            [bridge, trains]) is not None  # a description: any sentence naming both links them


@pytest.mark.parametrize(("question", "retrieved"), [
    ("Which country was Elsa Brandt appointed ambassador to?", [ACTRESS, FILM]),  # the cited passage names all
    ("Which country was the actress who played Nora Vale appointed ambassador to?", [ACTRESS, ARENA]),  # no link
    ("Which country was the actress who played Nora Vale appointed ambassador to?", [ACTRESS]),
])
def test_no_link_where_none_is_needed_or_found(question: str, retrieved: list[Passage]) -> None:
    assert linking_sentence(question, [ACTRESS], retrieved) is None
    assert linked("Chile [1].", [Citation(1, ACTRESS)], question, retrieved) == ("Chile [1].", (Citation(1, ACTRESS),))


def test_a_month_or_a_number_both_passages_give_is_no_link() -> None:
    report = passage("r", "Harbour Nights review", "In May 1974 the critics praised Nora Vale as a role.")
    actress = passage("a", "Elsa Brandt", "In May 1974 she was appointed ambassador to Chile.")
    assert not bridge_terms([actress], "Who played Nora Vale?") & {"may", "1974"}
    assert linking_sentence("Which country was the actress who played Nora Vale sent to?", [actress],
                            [actress, report]) is None


def test_the_link_is_quoted_and_cited_after_the_answer() -> None:
    citations = (Citation(1, ACTRESS, "In 1974 Brandt was appointed ambassador to Chile."),)
    text, cited = linked("Chile [1].", citations, "Which country was the star of Harbour Nights sent to?",
                         [ACTRESS, FILM])
    # The film's title names it in both sentences; the second also names the actress.
    link = "It stars Elsa Brandt as Nora Vale, a teenager who dreams of the stage."
    assert text == f'Chile [1]. {LINK_OPENING}"{link}" [2]'
    assert [citation.number for citation in cited] == [1, 2]
    assert cited[1].passage == FILM and cited[1].quote == link
    assert FILM.text[slice(*cited[1].spans[0])] == cited[1].quote


FILM_ARTICLE = ("Harbour Nights\n"
                "Harbour Nights is a 1951 American comedy film. It stars Elsa Brandt as Nora Vale, a teenager who "
                "dreams of the stage. The film was shot in Baltimore.\n")
ACTRESS_ARTICLE = ("Elsa Brandt\n"
                   "Elsa Brandt was an American actress and diplomat. After leaving films she entered politics, and in "
                   "1974 she was appointed ambassador to Chile. She died in 2011.\n")
UNIVERSITY_ARTICLE = ("Ridgeway University\n"
                      "Ridgeway University is a public university whose main campus is in Lorne, Kansas. It was "
                      "founded in 1866.\n")
SONG_ARTICLE = ("Onward Ridgeway\n"
                "\"Onward Ridgeway\" is the fight song of Ridgeway University. It was written in 1912 by the student "
                "George Pike.\n")


@pytest.fixture(scope="module")
def linked_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    return indexed(tmp_path_factory, real_embedder, "link", {
        "film.txt": FILM_ARTICLE, "actress.txt": ACTRESS_ARTICLE, "university.txt": UNIVERSITY_ARTICLE,
        "song.txt": SONG_ARTICLE, "bakery.txt": BAKERY})


@pytest.mark.parametrize(("question", "hops"), [
    ("Which country was the Harbour Nights star playing Nora Vale appointed ambassador to?",
     {"Elsa Brandt", "Harbour Nights"}),
    ("What is the fight song of the university whose main campus is in Lorne?",
     {"Onward Ridgeway", "Ridgeway University"}),
])
def test_a_two_hop_question_answered_in_one_hop_cites_both_articles(linked_index: Path, real_embedder, real_llm,  # type: ignore[no-untyped-def]
                                                                    question: str, hops: set[str]) -> None:
    from rag.answer.assistant import Assistant

    assistant = Assistant.load(linked_index, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask(question)
    assert not answer.refused, answer
    assert hops <= {citation.passage.title for citation in answer.citations}, answer
    assert LINK_OPENING in answer.text or len(answer.citations) > 1, answer.text
    assert [citation.number for citation in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:  # every cited quote is the passage's own words
        assert citation.quote and citation.quote in " ".join(citation.passage.text.split()), citation


def test_a_question_its_answer_passage_names_whole_gets_no_link(linked_index: Path, real_embedder,  # type: ignore[no-untyped-def]
                                                                real_llm) -> None:
    from rag.answer.assistant import Assistant

    assistant = Assistant.load(linked_index, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("Which country was Elsa Brandt appointed ambassador to?")
    assert not answer.refused, answer
    assert LINK_OPENING not in answer.text
    assert {citation.passage.title for citation in answer.citations} == {"Elsa Brandt"}, answer


SUITES = passage("suites", "Kestrel Suites", "Kestrel Suites is a brand of hotels operated by Amaranth Hotels.")
GROUP = passage("group", "Amaranth Hospitality Group", "Amaranth Hospitality Group (also known as Amaranth Hotels) is "
                "a hotel company headquartered in George Town.")
INN = passage("inn", "Kestrel Inn", "The Kestrel Inn is owned by Harbourview Hotels, a hotel company with its head "
              "office in Singapore.")
BAND = passage("band", "Copperline", "Copperline are an Irish band formed by singer Cathal Brennan.")
SINGER = passage("singer", "Cathal Brennan (musician)", "Cathal Brennan is the frontman of Copperline. He was born in "
                 "Limerick.")
HURLER = passage("hurler", "Cathal Brennan (hurler)", "Cathal Brennan is an Irish hurler. He was born in Kilkenny.")


def test_a_second_hop_answers_only_from_passages_naming_the_bridge() -> None:
    assert names(GROUP, "Amaranth Hotels") and not names(INN, "Amaranth Hotels")  # an alias in the text counts
    kept = anchored_passages([SUITES, INN, GROUP], "Amaranth Hotels", {"kestrel", "suit"}, SUITES)
    assert kept == [SUITES, GROUP]
    assert anchored_passages([INN, ARENA], "Amaranth Hotels", set(), SUITES) == []


def test_of_namesakes_the_article_naming_the_question_is_the_bridges() -> None:
    kept = anchored_passages([HURLER, BAND, SINGER], "Cathal Brennan", {"copperlin"}, BAND)
    assert kept == [BAND, SINGER]
    # nothing tells the namesakes apart: both kept, as retrieved
    assert anchored_passages([HURLER, BAND, SINGER], "Cathal Brennan", {"galway"}, BAND)[0] == HURLER
    assert anchored_passages([HURLER, BAND, SINGER], "Cathal Brennan", set(), BAND) == [HURLER, BAND, SINGER]


CAPTAIN = ("Priya Sandhu (rower)\n"
           "Priya Sandhu is a rower and engineer. She rows for the Lenn Valley rowing club. Priya Sandhu was born in "
           "the village of Ashbury in 1994.\n")
CYCLIST = ("Priya Sandhu (cyclist)\n"
           "Priya Sandhu is a track cyclist. Priya Sandhu was born in the city of Dunmore in 1990 and rode in two "
           "Olympic Games.\n")
ROWING_CLUB = ("Lenn Valley rowing club\n"
               "The Lenn Valley rowing club was founded in 1958 by workers of the paper mill. Priya Sandhu captained "
               "the Lenn Valley rowing club to its first regional title in 2019.\n")


@pytest.fixture(scope="module")
def namesake_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    return indexed(tmp_path_factory, real_embedder, "namesake", {"club.txt": ROWING_CLUB, "rower.txt": CAPTAIN,
                                                                "cyclist.txt": CYCLIST, "bakery.txt": BAKERY})


def test_a_second_hop_is_answered_from_the_bridges_article_not_a_namesakes(namesake_index: Path, real_embedder,  # type: ignore[no-untyped-def]
                                                                            real_llm) -> None:
    from rag.answer.assistant import Assistant

    assistant = Assistant.load(namesake_index, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("Where was the one who captained the Lenn Valley rowing club born?")
    cited = {citation.passage.title for citation in answer.citations}
    assert "Priya Sandhu (cyclist)" not in cited and "Dunmore" not in answer.text, answer
    assert "Ashbury" in answer.text and "Priya Sandhu (rower)" in cited, answer


def test_the_first_hop_says_its_bridge_or_the_gate_that_stopped_it(namesake_index: Path,  # type: ignore[no-untyped-def]
                                                                   real_embedder, real_llm) -> None:
    from rag.answer.assistant import Assistant
    from rag.answer.hops import hop_plan

    question = "Where was the one who captained the Lenn Valley rowing club born?"
    hops = hop_plan(question)
    assert hops is not None
    found = Assistant.load(namesake_index, embedder=real_embedder, llm=real_llm).first_hop(question, hops)
    assert (found.bridge, found.stopped) == ("Priya Sandhu", ""), found
    assert found.passage is not None and found.passage.title == "Lenn Valley rowing club"
    strict = Assistant.load(namesake_index, embedder=real_embedder, llm=real_llm, refusal_threshold=1.0)
    stopped = strict.first_hop(question, hops)
    assert (stopped.bridge, stopped.read, stopped.stopped) == (None, "Priya Sandhu",
                                                               "evidence below refusal_threshold"), stopped


def test_among_namesakes_the_question_s_words_or_the_primary_topic_choose() -> None:
    from rag.answer.links import about, namesakes_kept
    from rag.text import content_words

    economist = passage("econ", "Lorne Kessler", "Lorne Kessler is an economist. He studied at Pembrook University.")
    politician = passage("pol", "Lorne Kessler (politician)", "Lorne Kessler is a senator. He studied at Carradine.")
    chef = passage("chef", "Lorne Kessler (chef)", "Lorne Kessler is a chef who trained in Lyon.")
    coined = passage("term", "Quiet inflation", "The term quiet inflation was coined by Lorne Kessler in 1988.")
    # the second hop: no namesake names a linking term, so the question's words ("chef") or the primary topic decide
    assert anchored_passages([politician, economist, chef], "Lorne Kessler", {"quiet"}, coined,
                             content_words("Where did the chef Lorne Kessler train?")) == [chef]
    assert anchored_passages([politician, economist], "Lorne Kessler", {"quiet"}, coined,
                             content_words("Which university did the economist who coined it attend?")) == [economist]
    # titles without qualifiers (news articles) are left alone
    news = [passage("n1", "Kessler wins seat", "Lorne Kessler won."), passage("n2", "Kessler speaks", "Lorne Kessler")]
    assert namesakes_kept(news, "Lorne Kessler", set()) == news
    # a part about a named thing answers only from passages naming it whole; a description is said in other words
    assert about([chef, economist], "Pembrook University", "When was Pembrook University founded?") == [economist]
    assert about([chef, coined], "the inflation term", "When was the inflation term coined?") == [chef, coined]


def test_the_bridges_own_article_outranks_a_passage_naming_it_in_passing() -> None:
    founder = passage("quartet", "Orvald Quartet", "The Orvald Quartet was founded in 1961 by Sten Orvald.")
    own = passage("sten", "Sten Orvald", "Sten Orvald was a Swedish violist. He taught in Gothenburg.")
    daughter = passage("trio", "Orvald Trio", "The Orvald Trio was founded by the pianist Ebba Orvald, the daughter "
                       "of Sten Orvald.")
    assert anchored_passages([daughter, own, founder], "Sten Orvald", set(), founder) == [own, founder]
    # with no article titled by the bridge, every passage naming it stays
    assert anchored_passages([daughter, founder], "Sten Orvald", set(), founder) == [daughter, founder]
