"""Who runs an organisation, held a post before or back then, holds a role of it (rag.answer.leaders), or does what
a who-question asks (rag.answer.reader.agent_reading), or what a court's verdict was (verdict_reading): the rules
alone, then the answer path with a fake reader that finds the wrong person or figure; and a quote saying how many
of a group there were taken on to the sentences naming them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rag.answer.assistant import READING_RULES, Assistant
from rag.answer.evidence import Evidence, Sentence, WordOverlap
from rag.answer.leaders import (
    ROLES,
    asked_role,
    led_thing,
    left,
    names_thing,
    predecessor,
    role_holder,
    successor_asked,
    then_holder,
    titled_head,
)
from rag.answer.reader import read_evidence
from rag.answer.retrieve import Retriever
from rag.records import Passage
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_reader_quote import asker
from tests.test_span_reader import FakeReader


@pytest.mark.parametrize("question, thing", [
    ("Who runs Corlan Health?", "Corlan Health"),
    ("Who heads the Ardeval Museum of Natural History?", "the Ardeval Museum of Natural History"),
    ("who's the boss of Loafton Bakeries", "Loafton Bakeries"),
    ("who runs velbus", "velbus"),  # typed in lower case: still a name
    ("Who is in charge of the Kestrin Transit Authority?", "the Kestrin Transit Authority"),
    ("Who was the head of the authority in 2018?", ""),  # another time, maybe another holder
    ("Who runs the most trains?", ""),  # no name: runs is not heads here
    ("Who chairs Corlan Health?", ""),  # a chair is asked for by its own word
])
def test_a_question_asking_who_runs_names_the_thing(question: str, thing: str) -> None:
    assert led_thing(question) == thing


@pytest.mark.parametrize("sentence, thing, name", [
    ("Chief executive Martin Haldane apologised to customers.", "Corlan Health", "Martin Haldane"),
    ("Its managing director, Carla Weisz, said the firm was cooperating.", "Grenfeld Reisen", "Carla Weisz"),
    ("Museum director Odile Fenwick said the purchase was funded.", "the Ardeval Museum", "Odile Fenwick"),
    ("The orchestra's managing director Ilse Farran said so.", "the National Orchestra", "Ilse Farran"),
    # someone else's head, or not the head now
    ("Its chair, Derek Olusanya, noted the profit.", "Corlan Health", None),
    ("It ended after the trust, then led by chief executive Moira Cuthbert, agreed.", "Northmarch Trust", None),
    ("The former chief executive Ann Roe left in 2019.", "Corlan Health", None),
    ("The find was made by chief geologist Tomasz Wren.", "Corvane Resources", None),
    ("Finance director Ana Lee resigned.", "Lumetric", None),
    ("Brenholt Holdings chief executive Ida Moss said so.", "Nordvale Sugar", None),
    ("Hollisford & Crane's head of natural history, Tobias Wren, said so.", "the Ardeval Museum", None),
    # a title after a quote's end or a comma opens its clause
    ('"We have chased it for years," managing director Oskar Lindqvist said.', "Nordvale Sugar", "Oskar Lindqvist"),
    ("Sales fell, finance director Ana Lee said.", "Lumetric", None),
])
def test_a_head_is_a_person_named_by_the_title_of_who_runs_the_thing(sentence: str, thing: str,
                                                                     name: str | None) -> None:
    head = titled_head(sentence, thing)
    assert (sentence[head.start:head.end] if head is not None else None) == name


def test_an_organisation_is_named_by_its_own_word_or_initials() -> None:
    assert names_thing("KTA chief executive Helena Vasquez apologised.", "the Kestrin Transit Authority")
    assert not names_thing("Velbus runs the buses in Velmora.", "the Civic Alliance group on Velmora city council")


ARTICLES = {
    "corlan": ("Corlan Health fined 2.3 million pounds over expired medicines",
               "Pharmacy chain Corlan Health was fined 2.3 million pounds on Tuesday. Corlan Health's chair, Derek "
               "Olusanya, said the board that runs it regretted the failings. Chief executive Martin Haldane "
               "apologised to customers and blamed a software update."),
    "union": ("Orchestra cancels tour",
              "The Arventa orchestra cancelled its tour. The players' union's general secretary, Bettina Kroll, "
              "said musicians would lose pay."),
}


def assistant_over(folder: Path, articles: dict[str, tuple[str, str]], found: str,
                   probability: float = 0.9) -> Assistant:
    """An assistant over `articles` (indexed in `folder`) whose reader finds `found` wherever it stands, with
    `probability`, and whose model is never needed."""
    embedder = FakeEmbedder()
    build(folder, embedder, articles)
    retriever = Retriever.load(folder, embedder)
    return Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(folder), k=3),
                     WordOverlap(retriever.term_weights), reader=FakeReader(found, probability))


def ask(tmp_path: Path, question: str, found: str, probability: float = 0.9) -> str:
    return assistant_over(tmp_path, ARTICLES, found, probability).ask(question).text


def test_who_runs_is_answered_with_the_chief_executive_not_the_chair_the_reader_found(tmp_path: Path) -> None:
    assert ask(tmp_path, "Who runs Corlan Health?", "Derek Olusanya").startswith("Martin Haldane [1]")
    # a question that does not ask who runs keeps the reader's span
    assert ask(tmp_path, "Who said the board regretted the failings?", "Derek Olusanya").startswith(
        "Derek Olusanya [1]")


def test_who_runs_is_answered_with_the_head_however_unsure_the_reader_is(tmp_path: Path) -> None:
    # the model ("unused") would not be asked: the rule's reading answers ("who runs velbus" was refused)
    assert ask(tmp_path, "Who runs Corlan Health?", "Derek Olusanya", 0.1).startswith("Martin Haldane [1]")


def test_who_runs_a_place_s_new_thing_is_not_the_head_of_another_story_in_that_place(tmp_path: Path) -> None:
    # "Who runs the new Skerrow surgery?" was answered with the ferry company's director: the ferry story names
    # Skerrow, and "director" is a head's title; the surgery's story names its doctor by "run by".
    articles = {
        "surgery": ("Skerrow island gets first doctor's surgery",
                    "Skerrow island opened its first doctor's surgery in thirty years on Monday, run by Dr Ayo "
                    "Okafor. The surgery cost 1.2 million pounds."),
        "ferry": ("Ferry service to resume",
                  "The Port Ellan to Skerrow ferry will resume sailings on 16 February. Company director Alisha "
                  "Mbeki said the new engines would cut fuel use."),
    }
    answer = assistant_over(tmp_path, articles, "Ayo Okafor", 0.9).ask("Who runs the new Skerrow surgery?").text
    assert "Mbeki" not in answer and "Ayo Okafor" in answer


@pytest.mark.parametrize("sentence, successor, name", [
    ("The 51-year-old, who took over the company in 2019 from founder Gerald Pask, said so.", "Miriam Osei",
     "Gerald Pask"),
    ("It paid 1.9 million dollars in 2008 under Fenwick's predecessor, Harald Quist.", "Odile Fenwick",
     "Harald Quist"),
    ("Marsh succeeded long-serving governor Tomas Ekdahl in June.", "Elena Marsh", "Tomas Ekdahl"),
    ("Former chief executive Ann Roe left in 2019.", "Piers Galloway", "Ann Roe"),
    ("Ruth Embery replaced Colin Marr as chief constable.", "Ruth Embery", "Colin Marr"),
    # the successor herself, or nobody before
    ("Osei succeeded Gerald Pask as chief executive.", "Gerald Pask", None),
    ("Chief executive Miriam Osei told reporters.", "Miriam Osei", None),
])
def test_a_report_names_who_held_the_post_before(sentence: str, successor: str, name: str | None) -> None:
    found = predecessor(sentence, successor)
    assert (sentence[slice(*found)] if found is not None else None) == name


def test_a_question_asks_who_came_before_a_named_person() -> None:
    assert successor_asked("Who ran Bluehaven Sea Lines before Piers Galloway?") == "Piers Galloway"
    assert successor_asked("who led the bank before marsh") == "marsh"
    assert successor_asked("Who was mayor of Oskarvik before the by-election?") == ""
    assert successor_asked("Who runs Bluehaven Sea Lines?") == ""


PORT = {"port": ("Bluehaven Sea Lines names new chief",
                 "Bluehaven Sea Lines named Piers Galloway chief executive on Monday. Galloway, 48, took over from "
                 "founder Agnes Holm, who ran the ferry company for 30 years. Galloway said fares would not rise.")}


def test_who_came_before_is_answered_with_the_predecessor_not_the_successor_the_reader_found(tmp_path: Path
                                                                                            ) -> None:
    assistant = assistant_over(tmp_path, PORT, "Piers Galloway")
    assert assistant.ask("Who ran Bluehaven Sea Lines before Piers Galloway?").text.startswith("Agnes Holm [1]")
    assert assistant.ask("Who runs Bluehaven Sea Lines?").text.startswith("Piers Galloway")


def test_a_who_question_may_ask_for_a_role_of_a_thing() -> None:
    assert asked_role("Who owns the turkey farm in Marlo?") == (ROLES["owns"], "the turkey farm in Marlo")
    assert asked_role("who's the chairwoman of the growers' association")[1] == "the growers' association"
    assert asked_role("Who is the head of the trust?") == ((), "")  # who runs: rag.answer.leaders.head_reading
    assert asked_role("Who said the farm was closed?") == ((), "")
    assert asked_role("Who is the founder of modern community organizing?") == ((), "")  # no name
    assert asked_role("Who is the Harrow Town manager?") == (ROLES["manages"], "the Harrow Town")
    assert asked_role("Who is the mayor of Brannock?") == (("mayor",), "Brannock")
    # the question asks for another role: the reader's span stands
    assert asked_role("Who is the deputy mayor of Brannock?") == ((), "")
    assert asked_role("Who is the Harrow Town assistant manager?") == ((), "")


@pytest.mark.parametrize("sentence, name", [
    ("Councillor Ines Varga was elected mayor of Brannock on Wednesday, succeeding Tom Reilly.", "Ines Varga"),
    ("Mayor-elect Ines Varga takes office in June.", None),  # not the mayor yet
    ("Councillor Paul Oduya was elected deputy mayor of Brannock on Monday.", None),
    ("Former mayor Tom Reilly spoke.", None),
])
def test_a_mayor_is_named_by_the_office_without_another_role_s_word(sentence: str, name: str | None) -> None:
    found = role_holder(sentence, ("mayor",))
    assert (sentence[slice(*found)] if found is not None else None) == name


MAYORS = {"mayor": ("Ines Varga elected mayor of Brannock",
                    "Councillor Ines Varga was elected mayor of Brannock on Wednesday, 14 May, by 22 votes to 11, "
                    "succeeding Tom Reilly."),
          "deputy": ("Paul Oduya elected deputy mayor",
                     "Councillor Paul Oduya was elected deputy mayor of Brannock on Monday, 2 March, by 24 votes to "
                     "9.")}


def test_who_is_the_mayor_is_not_answered_with_the_deputy_mayor_the_reader_found(tmp_path: Path) -> None:
    """A chat user's "Who is the mayor of Kestrel Haven?" was answered with the newly elected deputy mayor."""
    assistant = assistant_over(tmp_path, MAYORS, "Paul Oduya")
    answer = assistant.ask("Who is the mayor of Brannock?").text
    assert "Ines Varga [" in answer and "Oduya" not in answer  # said with or without the title that opens it
    # asked for the deputy, the reader's span stands
    assert "Paul Oduya [" in assistant.ask("Who is the deputy mayor of Brannock?").text


def test_a_deputy_the_reader_found_is_no_answer_when_no_report_names_the_holder(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path, {"deputy": MAYORS["deputy"]}, "Paul Oduya")
    assert "Oduya [" not in assistant.ask("Who is the mayor of Brannock?").text


CLUB = {"sacked": ("Harrow Town sack manager Dan Keane",
                   "Harrow Town have sacked manager Dan Keane after a fifth straight defeat on Saturday. His "
                   "assistant, Olek Brandt, will take charge of the team as caretaker manager."),
        "appointed": ("Harrow Town appoint Marta Ilves",
                      "Harrow Town have appointed Marta Ilves as their new manager on a contract until June 2027. "
                      "Caretaker manager Olek Brandt will stay on as her assistant.")}


@pytest.mark.parametrize(("articles", "holder"), [(("sacked",), "Olek Brandt"), (("appointed",), "Marta Ilves")])
def test_who_is_the_club_manager_is_the_manager_not_the_club_the_reader_found(tmp_path: Path, articles: tuple[str, ...],
                                                                             holder: str) -> None:
    """"Who is the Rovers manager?" was answered "Kestrel Haven Rovers"; the sacked manager is no longer it, the
    caretaker is it for the time being."""
    assistant = assistant_over(tmp_path, {key: CLUB[key] for key in articles}, "Harrow Town")
    assert assistant.ask("Who is the Harrow Town manager?").text.startswith(f"{holder} [")


@pytest.mark.parametrize("sentence, verb, name", [
    ("Its owner, Gerrit Vantreese, said he was devastated.", "owns", "Gerrit Vantreese"),
    ("Its chairwoman, retired schoolteacher Maureen Oakes, said so.", "chairs", "Maureen Oakes"),
    ("The club's head coach Lena Marsh resigned.", "coaches", "Lena Marsh"),
    ("Its former chairman, Ian Bell, left.", "chairs", None),  # not the holder now
    # the holder named before the role, said to be or become it
    ("Harrow Town have appointed Marta Ilves as their new manager until 2027.", "manages", "Marta Ilves"),
    ("His assistant, Olek Brandt, will take charge of the team as caretaker manager.", "manages", "Olek Brandt"),
    # another role: an assistant manager is not the manager, a vice-chairman not the chair (a caretaker is)
    ("The club named Olek Brandt as assistant manager.", "manages", None),
    ("Its vice-chairman, Ian Bell, left.", "chairs", None),
    ("The chair of the inquiry said so.", "chairs", None),  # no name
])
def test_a_role_holder_is_named_right_after_the_role(sentence: str, verb: str, name: str | None) -> None:
    found = role_holder(sentence, ROLES[verb])
    assert (sentence[slice(*found)] if found is not None else None) == name


def test_the_article_alone_is_no_thing_a_typed_role_question_asks_of() -> None:
    assert asked_role("who is the mayor?") == ((), "")
    assert asked_role("who is the rovers manager?") == (("manager",), "the rovers")


def test_a_role_holder_is_not_sought_in_a_long_run_of_capitalised_words_without_the_role() -> None:
    # Trying a name at every capitalised word took 0.2 s for 800 of them, growing with their square.
    sentence = " ".join(["Alpha", "Beta"] * 1000) + " said so."
    started = time.perf_counter()
    assert role_holder(sentence, ROLES["manages"]) is None
    assert time.perf_counter() - started < 0.1


FARMS = {"farm": ("Bird flu found at second Marlo farm",
                  "Bird flu was confirmed at a turkey farm in Marlo run by Vantreese Poultry, the ministry said. "
                  "All 30,000 birds will be culled.\n\nIts owner, Gerrit Vantreese, said he was devastated."),
         "sugar": ("Nordvale Sugar closes Tresby plant",
                   "Farmers blocked the factory after its owner, Nordvale Sugar, confirmed it would shut the plant. "
                   "Nordvale is majority-owned by Brenholt Holdings.")}


def test_who_owns_is_answered_with_the_owner_not_the_company_the_reader_found(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path, FARMS, "Vantreese Poultry")
    assert assistant.ask("Who owns the turkey farm in Marlo?").text.startswith("Gerrit Vantreese [1]")
    # the owner a report names may be the thing asked about itself: the reader's span stays
    assistant = assistant_over(tmp_path / "sugar", FARMS, "Brenholt Holdings")
    assert assistant.ask("Who owns Nordvale Sugar?").text.startswith("Brenholt Holdings [1]")


@pytest.mark.parametrize("question, sentence, name", [
    ("Who ran the trust during the 2019 walkout?",
     "The walkout ended after the trust, then led by chief executive Moira Cuthbert, agreed to a rise.",
     "Moira Cuthbert"),
    ("Who was the orchestra's chief conductor in 2012?",
     "It toured Asia in 2012 under its then chief conductor, Aldo Venturi.", "Aldo Venturi"),
    # asked about now, or about who came before someone: other rules
    ("Who runs the trust?", "The trust, then led by chief executive Moira Cuthbert, agreed.", None),
    ("Who ran the trust before Ana Roe?", "The trust, then led by chief executive Moira Cuthbert, agreed.", None),
    ("Who ran the trust during the walkout?", "Chief executive Ana Roe apologised.", None),
])
def test_a_holder_back_then_is_named_after_then(question: str, sentence: str, name: str | None) -> None:
    found = then_holder(question, sentence)
    assert (sentence[slice(*found)] if found is not None else None) == name


ORCHESTRA = {"tour": ("Orchestra cancels Asian tour",
                      "The National Orchestra cancelled its Asian tour, its chief conductor Mia Lund said. The tour "
                      "would have been its first in Asia since 2012, when it played in Tokyo under its then chief "
                      "conductor, Aldo Venturi.")}


def test_who_held_a_post_back_then_is_answered_with_the_holder_then(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path, ORCHESTRA, "Mia Lund")
    assert assistant.ask("Who was the orchestra's chief conductor in 2012?").text.startswith("Aldo Venturi [1]")


REVIEW = {"recount": ("Recount overturns Carrowfield result",
                      "The county council has ordered an independent review of postal vote handling. It will be led "
                      "by retired auditor Frances Okonjo, with a report due by the end of March.")}


def test_who_will_do_it_is_answered_with_the_one_a_passive_sentence_names(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path, REVIEW, "The county council")
    assert assistant.ask("Who will lead the review of postal vote handling?").text.startswith("Frances Okonjo [1]")
    # the reader's own sentence says what is asked ("ordered"): its doer stays
    assert assistant.ask("Who ordered the review of postal vote handling?").text.startswith("The county council")


TRUST = {"strike": ("Doctors strike at Northmarch hospitals",
                    "The strike hit all nine hospitals run by the Northmarch Health Trust. It is the first since 2019, "
                    "when a walkout ended after the trust, then led by chief executive Moira Cuthbert, agreed a rise.")}


def test_an_agent_the_question_names_is_no_answer(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path, TRUST, "Moira Cuthbert")
    answer = assistant.ask("Who ran the Northmarch Health Trust during the 2019 walkout?").text
    assert answer.startswith("Moira Cuthbert [1]")


DROUGHT = {"ban": ("Valley orders hosepipe ban",
                   "Brennmoor Water ordered a hosepipe ban on Tuesday. The last ban, in 2018, lasted 97 days. That ban "
                   "was ordered by Vane's predecessor, Margaret Lyle, who stepped down the following year.")}


def test_a_possessive_doer_is_answered_with_the_name_set_off_after_its_role(tmp_path: Path) -> None:
    # "ordered by Vane's predecessor, Margaret Lyle": whose predecessor is no answer to who ordered it
    assistant = assistant_over(tmp_path, DROUGHT, "The last ban")
    assert assistant.ask("Who ordered the valley's 2018 hosepipe ban?").text.startswith("Margaret Lyle [1]")


VERDICT = {"verdict": ("Verdict in the Hale trial",
                    "In its verdict in the Hale trial the jury found Desmond Hale guilty of fraud on Monday, 9 "
                    "February, by a majority of 10 to 2. The jury found that he had taken 685,000 euros.")}


def test_a_verdict_question_is_answered_with_the_verdict_not_the_jurys_split(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path, VERDICT, "10 to 2")
    assert assistant.ask("What was the verdict in the Hale trial?").text.startswith("Guilty of fraud [1]")
    # another question keeps the reader's span
    assert assistant.ask("By what majority was the verdict in the Hale trial?").text.startswith("10 to 2 [1]")


def test_a_verdict_opening_a_sentence_is_read_too(tmp_path: Path) -> None:
    """Review of stop 60: `_VERDICT` was case-sensitive, and missed a sentence opening "Found guilty of fraud"."""
    opening = {"verdict": ("Verdict in the Hale trial",
                           "Found guilty of fraud by a majority of 10 to 2, Desmond Hale was jailed in the Hale trial "
                           "on Monday.")}
    assistant = assistant_over(tmp_path, opening, "10 to 2")
    answer = assistant.ask("What was the verdict in the Hale trial?")
    assert answer.text.startswith("Guilty of fraud [1]"), answer.text


STRIKE_ENDS = {
    "talks": ("Bus strike to resume as talks end",
              "The talks at the commission ended without agreement after the company raised its offer to 3.5 per "
              "cent."),
    "ends": ("Bus strike called off",
             "The bus strike has been called off after drivers accepted a pay deal on Thursday, the union said."),
}


def test_how_a_thing_ended_is_read_where_a_sentence_says_it_ended(tmp_path: Path) -> None:
    """Stop 59's chat user: "How did the strike end?" was answered with how the talks ended ("without agreement")."""
    from tests.test_span_reader import SpansReader

    embedder = FakeEmbedder()
    build(tmp_path, embedder, STRIKE_ENDS)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights),
                          reader=SpansReader({"without agreement": 0.9, "called off": 0.6}))
    answer = assistant.ask("How did the talks end?")
    assert answer.text.startswith("Without agreement [1]"), answer.text  # the talks' own end stands
    answer = assistant.ask("How did the bus strike end?")
    assert answer.text.startswith("Called off after drivers accepted a pay deal on Thursday [1]"), answer.text


VALLEY_WAR = {"war": ("The valley war",
                      "Hostilities ended with the Treaty of Paris in 1763. Before the war, a treaty had ended British "
                      "claims to the valley.")}


def test_a_reading_naming_the_thing_by_another_word_is_not_moved(tmp_path: Path) -> None:
    """Review of stop 60: "How did the war end?" read "with the Treaty of Paris" (of "Hostilities ended …") and the
    reading moved to a sentence merely holding "war" and "ended", which says nothing of the war's end."""
    from tests.test_span_reader import SpansReader

    embedder = FakeEmbedder()
    build(tmp_path, embedder, VALLEY_WAR)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights),
                          reader=SpansReader({"with the Treaty of Paris": 0.9, "British claims": 0.05}))
    answer = assistant.ask("How did the war end?")
    assert answer.text.startswith("With the Treaty of Paris"), answer.text


INJURIES = {"injuries": ("Injury blow for Rovers",
                         "Rovers beat Dunmore Celtic 2-0 on Saturday but lost two players to injury. Top scorer "
                         "Callum Reid ruptured a knee ligament. Defender Sam Okoro twisted an ankle. The win leaves "
                         "Rovers third.")}


def test_a_quote_saying_how_many_of_a_group_goes_on_to_the_sentences_naming_them(tmp_path: Path) -> None:
    """Stop 59's chat user: "Which two Rovers players were injured?" quoted "… lost two players to injury", the
    names in the next sentences."""
    answer = assistant_over(tmp_path, INJURIES, "no such span").ask("Which two Rovers players were injured?")
    assert answer.text.startswith('The articles say: "Rovers beat Dunmore Celtic'), answer.text
    assert "Callum Reid" in answer.text and "Sam Okoro" in answer.text and "third" not in answer.text
    assert "Sam Okoro" in answer.citations[0].quote


LOCOMOTIVES = {"rail": ("Steam locomotives",
                        "The twin-cylinder locomotive Salamanca by Matthew Murray was used on the edge railway. A "
                        "new campus was later designed by the architect Eero Saarinen.")}


def test_an_agent_of_another_thing_is_no_answer(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path, LOCOMOTIVES, "Matthew Murray")
    assert assistant.ask("Who designed Salamanca?").text.startswith("Matthew Murray [1]")


WATER = {
    "resigns": ("Tarn Valley Water chief executive resigns after reservoir leak",
                "Margaret Oduya has resigned as chief executive of Tarn Valley Water, the company said on Thursday. "
                "The company's finance director, Tomas Reyes, has been appointed interim chief executive while the "
                "board searches for a permanent successor. The chair of the board, Helen Ashdown, thanked Ms Oduya "
                "and said the search for a new chief executive would take months."),
    "named": ("Tarn Valley Water names Priya Castell as chief executive",
              "Tarn Valley Water has appointed Priya Castell as its permanent chief executive, ending a search that "
              "followed the resignation of Margaret Oduya."),
}


@pytest.mark.parametrize(("sentence", "name", "went"), [
    ("Margaret Oduya has resigned as chief executive.", "Margaret Oduya", True),
    ("It appointed Priya Castell, ending the search that followed the resignation of Margaret Oduya.",
     "Margaret Oduya", True),
    ("It appointed Priya Castell, ending the search that followed the resignation of Margaret Oduya.",
     "Priya Castell", False),
    ("Dana Ruiz, who is stepping down in June, thanked staff.", "Dana Ruiz", False),  # ", who is stepping": no
    ("Dana Ruiz will step down at the end of June.", "Dana Ruiz", False),  # the holder until then
    ("Peter Lindqvist succeeds Dana Ruiz.", "Dana Ruiz", True),
    ("Peter Lindqvist succeeds Dana Ruiz.", "Peter Lindqvist", False),
    # "replaced by", "succeeded by": the one named after "by" came (a reviewer's cases)
    ("Margaret Oduya was replaced by Priya Castell as chief executive on Monday.", "Priya Castell", False),
    ("Margaret Oduya was replaced by Priya Castell as chief executive on Monday.", "Margaret Oduya", True),
    ("Margaret Oduya will be succeeded by Priya Castell as chief executive in May.", "Priya Castell", False),
    ("Former Olympic rower Priya Castell is the new chief executive.", "Priya Castell", False),
    ("Former chief executive Margaret Oduya spoke at the meeting.", "Margaret Oduya", True),
])
def test_a_sentence_says_who_left_a_post(sentence: str, name: str, went: bool) -> None:
    start = sentence.index(name)
    assert left(sentence, start, start + len(name)) is went


WATER["replaced"] = ("Tarn Valley Water appoints new chief executive",
                     "Tarn Valley Water chief executive Margaret Oduya was replaced by Priya Castell on Monday, the "
                     "company said.")
WATER["former"] = ("Tarn Valley Water names interim chief",
                   "Tarn Valley Water named former finance director Tomas Reyes as chief executive after Margaret "
                   "Oduya resigned. Chair Helen Ashdown thanked her.")


@pytest.mark.parametrize(("question", "article", "holder"), [
    ("Who is the chief executive of Tarn Valley Water?", "resigns", "Tomas Reyes"),
    ("Who runs Tarn Valley Water?", "named", "Priya Castell"),
    ("Who is the chief executive of Tarn Valley Water?", "replaced", "Priya Castell"),
    ("Who is the chief executive of Tarn Valley Water?", "former", "Tomas Reyes"),
])
def test_who_holds_a_post_now_is_not_the_one_who_left_it(tmp_path: Path, question: str, article: str,
                                                         holder: str) -> None:
    """The reader took the one who resigned ("Who runs Tarn Valley Water?" → "Margaret Oduya", from the sentence
    appointing her successor)."""
    assistant = assistant_over(tmp_path, {article: WATER[article]}, "Margaret Oduya")
    assert assistant.ask(question).text.startswith(f"{holder} [1]")


def test_who_is_answered_with_the_person_a_place_describes_not_the_place(tmp_path: Path) -> None:
    """An analyst's "Who presented the Safety Medal?" was answered "Ellan" (the reader's span) from "presented by
    Ellan harbour master Inés Núñez" (`rag.answer.reader.described_person`)."""
    ask = asker(tmp_path, {"medal": ("Crew honoured", "The medal was presented by Ellan harbour master Inés Núñez "
                                                      "at a ceremony on the quay.")},
                {"Ellan": "ORG", "Inés Núñez": "PERSON"})
    assert ask("Who presented the medal?", {"Ellan": 0.9}).startswith("Inés Núñez")
    assert ask("Who presented the medal?", {"Inés Núñez": 0.9}).startswith("Inés Núñez")


def test_the_thing_asked_about_is_no_one_of_it(tmp_path: Path) -> None:
    """"Who is the Rovers manager?" was answered "Kestrel Haven Rovers", the club's fuller name: a span that is the
    thing a who-question asks for someone of is not read, whatever the reader's chance (`is_thing_asked`), unless
    the tagger finds a person in it ("Michael Dell" for "Who founded Dell?")."""
    articles = {"lost": ("Harrow Town lose again", "Harrow Town lost 0-3 at home to Ashby Athletic on Saturday. "
                                                   "Michael Dell founded Dell in 1984.")}
    ask = asker(tmp_path, articles, {"Harrow Town": "ORG", "Ashby Athletic": "ORG", "Michael Dell": "PERSON",
                                     "Dell": "ORG"})
    assert not ask("Who is the Harrow Town goalkeeper?", {"Harrow Town": 0.9}).startswith("Harrow Town")
    # asked who lost, the club is the answer; asked who founded Dell, the person of its name
    assert ask("Who lost 0-3 at home to Ashby Athletic?", {"Harrow Town": 0.9}).startswith("Harrow Town [")
    assert ask("Who founded Dell?", {"Michael Dell": 0.9}).startswith("Michael Dell [")


TRIAL = {"trial": ("Fraud trial of former treasurer opens",
                   "The trial of former council treasurer Dan Pole opened at Brannock Circuit Court on Monday, before "
                   "Judge Ana Rees. Prosecutor Lena Byrne told the jury Mr Pole had created two false suppliers. "
                   "His barrister, Tom Marr, said Mr Pole denied all charges.")}


def test_who_did_it_is_the_one_the_noun_of_the_doer_names(tmp_path: Path) -> None:
    """A chat user's "Who prosecuted?" was answered with the defendant, whom the reader took from the sentence
    naming the trial; the next sentence names "Prosecutor Siobhan Grady" (`rag.answer.reader.agent_reading`)."""
    assistant = assistant_over(tmp_path, TRIAL, "Dan Pole")
    assert assistant.ask("Who prosecuted the former treasurer?").text.startswith("Lena Byrne [")
    # the reader's sentence says the verb: its doer stands
    assistant = assistant_over(tmp_path / "said", TRIAL, "Lena Byrne")
    assert assistant.ask("Who told the jury about false suppliers?").text.startswith("Lena Byrne [")


def test_the_best_sentence_naming_a_holder_wins_over_the_reader_s_holder(tmp_path: Path) -> None:
    """"Who is the Rovers manager?" (as of January) was answered with the former caretaker, whom the reader took
    from "Caretaker manager Joanne Kerr will stay on as his assistant", below "… appointed Luis Moreno as their new
    manager"."""
    assistant = assistant_over(tmp_path, {"appointed": CLUB["appointed"]}, "Olek Brandt")
    assert assistant.ask("Who is the Harrow Town manager?").text.startswith("Marta Ilves [")


def test_who_did_it_is_named_by_the_best_sentence_naming_a_doer_either_way() -> None:
    """"Who designed the footbridge?" was answered "Jane Doe", the second sentence's "Designer", by a rule that ran
    before the one reading the best sentence's "designed by Santiago Calatrava", and overrode it."""
    text = ("The footbridge cost Dublin City Council 8 million euros. The footbridge was designed by Santiago "
            "Calatrava in 2009. Designer Jane Doe, who worked on the lighting, said it glows at night.")
    passages = [Passage("a", "Footbridge", "a.txt", "", text, 0, len(text))]
    second, third = text.index("The footbridge was"), text.index("Designer")
    ranked = (Sentence(0, second, third - 1, 0.9), Sentence(0, third, len(text), 0.8),
              Sentence(0, 0, second - 1, 0.7))
    question = "Who designed the footbridge?"
    evidence = Evidence((question,), (ranked,), 0.8)
    reader = FakeReader("Dublin City Council", 0.9)  # in no sentence it reads: it reads none
    reading = read_evidence(reader, question, evidence, passages)
    for rule in READING_RULES:
        reading = rule(question, reading, evidence, passages, reader)
    assert reading is not None and reading.span.text == "Santiago Calatrava"


@pytest.mark.parametrize(("sentence", "name"), [
    ("Prosecutor Lena Byrne told the jury so.", "Lena Byrne"),
    ("The discoverer of the Compton Effect Arthur Compton spoke.", None),  # no title: words between
    ("Dan Pole was named prosecutor.", None),  # a holder named before the role is no doer's title
])
def test_a_doer_is_named_by_a_title_right_before_the_name(sentence: str, name: str | None) -> None:
    """What `rag.answer.reader.agent_reading` reads: SQuAD's articles name "the discoverer of the Compton Effect
    Arthur …"."""
    found = role_holder(sentence, ("prosecutor", "discoverer"), titled=True)
    assert (sentence[slice(*found)] if found is not None else None) == name


WALKOUT = {
    "walkout": ("Bus drivers strike in Lindgard",
                "Bus drivers in Lindgard walked out on Monday for 48 hours. The strike was called because the "
                "company refused a pay rise of 5 percent. Services return on Wednesday."),
    "ferry": ("Ferry crews in Eastmere", "Ferry crews in Eastmere walked out on Friday. The ferries stopped because "
                                         "the harbour flooded."),
}


def test_why_is_answered_with_the_reason_its_own_report_gives_not_what_happened(tmp_path: Path) -> None:
    """Stop 61's chat user: "Why did they do that?" after the drivers' walkout was answered "Walked out", the lede
    read again; the report's own "because …" says why. Another report's reason ("the harbour flooded") is never
    taken, and a question of another form keeps the reader's span."""
    assistant = assistant_over(tmp_path, WALKOUT, "walked out")
    answer = assistant.ask("Why did the bus drivers in Lindgard walk out?")
    assert answer.text.startswith("Because the company refused a pay rise of 5 percent [1]"), answer.text
    assert [citation.passage.article_id for citation in answer.citations] == ["walkout"]
    follow_up = assistant.ask("Why did they do that?", history=[("What did the bus drivers in Lindgard do?",
                                                                 "They walked out on Monday [1].")])
    assert "pay rise" in follow_up.text and "harbour" not in follow_up.text, follow_up.text
    assert assistant.ask("What did the bus drivers in Lindgard do?").text.startswith("Walked out [1]")


def test_a_why_follow_up_no_sentence_gives_a_reason_for_is_refused_before_the_model(tmp_path: Path) -> None:
    """"Why?" after "When did Eastmere's new library open?": its report gives no reason, and the lede ("… opened on
    Tuesday") was quoted as the answer. Refused without asking the model; a stand-alone why-question is left to it
    (its reasons are often said without a marker)."""
    plain = {"library": ("New library for Eastmere", "Eastmere's new library opened on Tuesday with 40,000 books. "
                                                     "The mayor cut the ribbon.")}
    assistant = assistant_over(tmp_path, plain, "on Tuesday", probability=0.2)
    llm = assistant.llm
    answer = assistant.ask("Why?", history=[("When did Eastmere's new library open?", "On Tuesday [1].")])
    assert answer.refused and llm.prompts == [], answer.text  # type: ignore[attr-defined]
    assistant.ask("Why did Eastmere's new library open?")
    assert llm.prompts  # type: ignore[attr-defined]


ERRATA = {
    "erratum": ("Correction: marathon crowd figure",
                "A report on the marathon crowd figure said 40,000. The correct marathon crowd figure was 4,000, not "
                "40,000. The error came from a transcription mistake."),
    "record": ("Marathon crowd figure a record", "The marathon crowd figure was a record. The marathon crowd "
                                                 "figure beat last year's."),
}


def test_why_reads_its_own_storys_reason_however_low_the_finder_ranks_it(tmp_path: Path) -> None:
    """Stop 61's chat user: "Why was it wrong?" after a correction's answer; the correction's reason ("The error came
    from a transcription mistake") shares no word with the question, and the other report's sentences outrank it:
    it is still the reason its own story gives."""
    assistant = assistant_over(tmp_path, ERRATA, "not 40,000")
    answer = assistant.ask("Why was the marathon crowd figure wrong?")
    assert answer.text.startswith("A transcription mistake [1]"), answer.text


RAIL = {
    "stepping": ("Kelso Rail chief executive to step down",
                 "Dana Ruiz will step down as chief executive of Kelso Rail at the end of June, the company said. "
                 "Deputy chief executive Ana Brook will act as interim chief executive."),
    "bank": ("Marrow Bank opens a branch in Kelso",
             "Chief executive Piet Vos said the bank would open a branch in Kelso, its first in the town."),
}


@pytest.mark.parametrize(("question", "answer"), [
    ("Who is the new chief executive of Kelso Rail?", "Ana Brook [1]"),
    ("Who is the new permanent chief executive of Kelso Rail?",
     "No permanent chief executive is named; Ana Brook is interim chief executive [1]"),
    ("Who is the chief executive of Kelso Rail?", "Dana Ruiz [1]"),  # the holder until June
])
def test_the_new_holder_is_not_the_one_stepping_down_nor_a_stand_in_for_a_permanent_one(
        tmp_path: Path, question: str, answer: str) -> None:
    """"Who is the new permanent chief executive of Harwick General?" was answered "Dr Marcus Lowe", who will step
    down; the deputy will be interim chief executive, and no permanent one is named."""
    assistant = assistant_over(tmp_path, RAIL, "Dana Ruiz")
    assert assistant.ask(question).text.startswith(answer)
