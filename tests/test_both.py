"""Yes/no questions on whether two named things are both something (rag.answer.comparisons.both_plan): one question
per thing asking its value, the verdict said only from what the answers and their quotes hold, and, end to end with
the real models, an answer that cites each thing's article."""

from __future__ import annotations

import pytest

from rag.answer.comparisons import (
    both_opening,
    both_plan,
    common_plan,
    comparison_opening,
    comparison_plan,
    comparison_text,
    same_opening,
    same_plan,
)
from rag.models.entities import Entity, corrected
from tests.test_hops import BAKERY, indexed


@pytest.mark.parametrize(("question", "entities", "parts"), [
    ("Are Lake Arlen and Lake Morrow both in Canada?", ("Lake Arlen", "Lake Morrow"),
     ("Where is Lake Arlen?", "Where is Lake Morrow?")),
    ("Are both Lake Arlen and Lake Morrow located in Canada?", ("Lake Arlen", "Lake Morrow"),
     ("Where is Lake Arlen located?", "Where is Lake Morrow located?")),
    ("Were Anna Pell and Rita Oms both film directors?", ("Anna Pell", "Rita Oms"),
     ("What was Anna Pell's occupation?", "What was Rita Oms's occupation?")),
    ("Do the Greywater and the Milnes rivers both flow into the Baltic?", ("the Greywater river", "the Milnes river"),
     ("What does the Greywater river flow into?", "What does the Milnes river flow into?")),
    ("Were Ed Wood and Scott Derrickson both American?", ("Ed Wood", "Scott Derrickson"),
     ("What nationality was Ed Wood?", "What nationality was Scott Derrickson?")),
    ("Were both Ed Wood and Scott Derrickson born in Denver?", ("Ed Wood", "Scott Derrickson"),
     ("Where was Ed Wood born?", "Where was Scott Derrickson born?")),
    ("Were Alien and Blade Runner both written by Dan O'Bannon?", ("Alien", "Blade Runner"),
     ("Who wrote Alien?", "Who wrote Blade Runner?")),
    ("Did Tom Ford and Kate Moss both study in London?", ("Tom Ford", "Kate Moss"),
     ("Where did Tom Ford study?", "Where did Kate Moss study?")),
    ("Is the Bank of England and the Federal Reserve both central banks?",
     ("the Bank of England", "the Federal Reserve"), ("What is the Bank of England?", "What is the Federal Reserve?")),
    ("Are Random House Tower and 888 7th Avenue both used for real estate?", ("Random House Tower", "888 7th Avenue"),
     ("What is Random House Tower?", "What is 888 7th Avenue?")),  # no kind read: what each thing is
])
def test_a_both_question_asks_each_things_value(question: str, entities: tuple[str, str],
                                                parts: tuple[str, str]) -> None:
    plan = comparison_plan(question)  # what the assistant dispatches on
    assert plan is not None and plan.predicate is not None
    assert (plan.entities, plan.parts) == (entities, parts)


@pytest.mark.parametrize("question", [
    "Are they both in Canada?",  # nothing named to ask of
    "Did Davies and Baran collaborate at any point after they both developed this concept?",  # SQuAD: a clause
    "Is the sky blue?",
    "Are Lake Arlen and Lake Morrow in Canada?",  # no "both": a one-part question, as before
    "Which lakes are both in Canada?",
])
def test_a_question_saying_both_of_no_two_named_things_has_no_both_plan(question: str) -> None:
    assert both_plan(question) is None


@pytest.mark.parametrize(("question", "parts"), [
    ("Is Dunmore Hall or Pike House older?", ("When was Dunmore Hall founded?", "When was Pike House founded?")),
    ("Was Ada Lovelace or Alan Turing born first?", ("When was Ada Lovelace born?", "When was Alan Turing born?")),
    ("Did Ada Lovelace or Alan Turing die first?", ("When did Ada Lovelace die?", "When did Alan Turing die?")),
    ("Has Muse or Queen won more awards?", ("How many awards has Muse won?", "How many awards has Queen won?")),
])
def test_a_comparison_asked_yes_no_wise_is_read_as_which(question: str, parts: tuple[str, str]) -> None:
    plan = comparison_plan(question)
    assert plan is not None and plan.question == question and plan.parts == parts


@pytest.mark.parametrize("question", ["Is tea or coffee older?", "Is Dunmore Hall or Pike House open?",
                                      "Does Muse or Queen play louder?"])
def test_an_or_question_without_names_or_comparative_is_no_comparison(question: str) -> None:
    assert comparison_plan(question) is None


def test_a_same_question_is_still_read_as_one() -> None:
    plan = comparison_plan("Were Scott Derrickson and Ed Wood of the same nationality?")
    assert plan is not None and plan.same == "nationality" and plan.predicate is None


def test_yes_only_when_each_answer_or_quote_holds_it_no_only_on_another_country() -> None:
    lakes = both_plan("Are Lake Arlen and Lake Morrow both in Canada?")
    directors = both_plan("Were Anna Pell and Rita Oms both film directors?")
    assert lakes is not None and directors is not None
    answers = ("Northern Manitoba [1].", "Ontario [2].")
    quotes = ("Lake Arlen is a glacial lake in northern Manitoba, Canada.", "Lake Morrow is in Ontario, Canada.")
    assert both_opening(lakes, answers, (1, 2), quotes) == "Yes: both in Canada [1], [2]."
    # silence is no "no": Ontario is in Canada, though neither the answer nor the quote says so
    assert both_opening(lakes, answers, (1, 2), (quotes[0], "Lake Morrow is a reservoir.")) == ""
    assert both_opening(lakes, ("Canada [1].", "Minnesota, United States [2]."), (1, 2)) == (
        "No: Lake Arlen is in Canada [1], but Lake Morrow is in the United States [2].")
    # a country named in passing by a sentence is no value
    assert both_opening(lakes, ("Canada [1].", "Its anglers come from the United States and Mexico [2]."),
                        (1, 2)) == ""
    assert both_opening(directors, ("Anna Pell was a film director [1].", "A screenwriter [2]."), (1, 2),
                        ("", "Rita Oms is a Dutch film director and screenwriter.")) == (
        "Yes: both film directors [1], [2].")
    assert both_opening(directors, ("A film director [1].", "A screenwriter [2]."), (1, 2)) == ""  # no "no"


def test_a_nationality_says_its_country_and_a_lead_sentence_gives_the_value() -> None:
    lochs = both_plan("Are Loch Orvel and Tamsin Water both located in Scotland?")
    same = same_plan("Were Brannock Hale and Teodor Wisla of the same nationality?")
    assert lochs is not None and same is not None
    # "in the Scottish Borders" says "in Scotland", in the answer or a sentence shown with it
    assert both_opening(lochs, ("Highland, Scotland [1].", "Fly fishing [2]."), (1, 2),
                        ("", "Tamsin Water is a reservoir in the Scottish Borders.")) == (
        "Yes: both located in Scotland [1], [2].")
    assert both_opening(lochs, ("Highland, Scotland [1].", "Fly fishing [2]."), (1, 2),
                        ("", "Tamsin Water is a reservoir near Carlisle.")) == ""
    # a quoted lead sentence's nationality is the part's value; a nationality and its country are one
    hale = 'The articles say: "Brannock Hale (March 3, 1932 - June 9, 2004) was an American film director." [1]'
    assert same_opening(same, (hale, "Polish [2]."), (1, 2)) == (
        "No: Brannock Hale, American [1]; Teodor Wisla, Polish [2].")
    assert same_opening(same, (hale, "United States [2]."), (1, 2)) == "Yes: both American [1], [2]."
    assert same_opening(same, ('The articles say: "He directed westerns." [1]', "Polish [2]."), (1, 2)) == ""
    assert same_opening(same, ("I don't know.", "Polish [2]."), (1, 2)) == ""


def test_no_to_both_of_a_role_only_when_a_lead_sentence_gives_another() -> None:
    architects = both_plan("Are Vesna Kordic and Petra Aalto both architects?")
    directors = both_plan("Were Anna Pell and Rita Oms both film directors?")
    assert architects is not None and directors is not None
    aalto = "Petra Aalto (born 1964) is a Finnish furniture designer."
    assert both_opening(architects, ("Croatian architect [1].", "Designer [2]."), (1, 2), ("", aalto)) == (
        "No: Petra Aalto is a Finnish furniture designer [2].")
    # not when neither is said to be one, nor for a kindred role, nor for "a member of"
    assert both_opening(architects, ("Croatian [1].", "Designer [2]."), (1, 2), ("", aalto)) == ""
    assert both_opening(directors, ("A film director [1].", "Filmmaker [2]."), (1, 2),
                        ("", "Rita Oms is an American filmmaker.")) == ""
    assert both_opening(directors, ("A film director [1].", "Member [2]."), (1, 2),
                        ("", "Rita Oms was a member of the Dutch Film Academy.")) == ""


def test_a_question_asking_what_two_share_says_it_only_when_both_say_it() -> None:
    plan = common_plan("What profession do Nicolas Roeg and Peter Greenaway have in common?")
    assert plan is not None and plan.parts == ("What is Nicolas Roeg's profession?",
                                               "What is Peter Greenaway's profession?")
    roeg = 'The articles say: "Nicolas Roeg (1928-2018) was an English film director and cinematographer." [1]'
    assert same_opening(plan, (roeg, "Welsh film director [2]."), (1, 2)) == "Both: film director [1], [2]."
    assert same_opening(plan, (roeg, "Painter [2]."), (1, 2)) == ""  # nothing shared: no verdict, never "No"
    assert common_plan("What do they have in common?") is None
    assert common_plan("What role does the gene play in common cases?") is None


def test_which_of_two_is_so_is_named_only_when_its_answer_says_it_and_the_others_does_not() -> None:
    plan = comparison_plan("Is Ulmus or Oxalis a genus of flowering plants?")
    assert plan is not None and plan.which and plan.entities == ("Ulmus", "Oxalis")
    assert plan.parts == ("What is Ulmus?", "What is Oxalis?")
    genus = ("A genus [1].", "A genus [2].")
    assert comparison_opening(plan, genus, (1, 2), ("Ulmus is a genus of flowering plants in the elm family.",
                                                    "Oxalis is a genus of flowering plants.")) == ""  # both are
    assert comparison_opening(plan, genus, (1, 2), ("Ulmus is a genus of flowering plants in the elm family.",
                                                    "Oxalis is a genus of beetles.")) == (
        "Ulmus is a genus of flowering plants [1].")
    bands = comparison_plan("Which band is from Canada, Hollow Pines or The Tinderbox Union?")
    assert bands is not None and comparison_opening(bands, ("Asheville [1].", "Halifax [2]."), (1, 2), (
        "Hollow Pines is a folk band from Asheville, North Carolina.",
        "The Tinderbox Union is a Canadian indie band from Halifax.")) == "The Tinderbox Union is from Canada [2]."


def test_a_life_span_is_a_date_and_an_ensemble_a_count() -> None:
    sentence = "Petr Holub (1898–1966) was a Czech composer."
    assert corrected(sentence, [Entity("1898–1966", "CARDINAL", 12, 21)])[0].kind == "DATE"
    assert corrected("It seats 1500–2000 people.", [Entity("1500–2000", "CARDINAL", 9, 18)])[0].kind == "CARDINAL"
    born = comparison_plan("Who was born first, Anselm Greaves or Petr Holub?")
    bands = comparison_plan("Which band has more members, Hollow Pines or The Tinderbox Union?")
    assert born is not None and bands is not None
    assert comparison_opening(born, ("14 February 1903 [1].", f'The articles say: "{sentence}" [2]'), (1, 2)) == (
        "Petr Holub was born first: 1898 [2], against 1903 [1].")
    assert comparison_opening(bands, ("An American folk rock quartet [1].", "Seven [2]."), (1, 2)).startswith(
        "The Tinderbox Union has more members")


def test_a_both_answer_opens_with_the_verdict_then_what_it_does_not_say() -> None:
    plan = both_plan("Are Lake Arlen and Lake Morrow both in Canada?")
    assert plan is not None
    joined = "Northern Manitoba, Canada [1]. Ontario, Canada [2]."
    assert comparison_text(plan, ("Northern Manitoba, Canada [1].", "Ontario, Canada [2]."), (1, 2), joined) == (
        "Yes: both in Canada [1], [2]. Northern Manitoba, Canada [1]. Ontario, Canada [2].")
    assert comparison_text(plan, ("Northern Manitoba [1].", "Ontario [2]."), (1, 2),
                           "Northern Manitoba [1]. Ontario [2].") == "Northern Manitoba [1]. Ontario [2]."


ARLEN = ("Lake Arlen\n"
         "Lake Arlen is a glacial lake in northern Manitoba, Canada. It covers about 40 square kilometres and freezes "
         "from November to May. Trout and pike are fished there.\n")
MORROW = ("Lake Morrow\n"
          "Lake Morrow is a reservoir in the province of Ontario, Canada. It was created in 1931 when the Morrow dam "
          "was built. The lake supplies water to three towns.\n")
TESSEL = ("Lake Tessel\n"
          "Lake Tessel is a lake in Minnesota, United States. Its shores are lined with summer cabins. The lake is "
          "known for its loons.\n")


def test_a_both_question_is_answered_thing_by_thing_citing_both(tmp_path_factory: pytest.TempPathFactory,  # type: ignore[no-untyped-def]
                                                                real_embedder, real_llm) -> None:
    """Real embedder, finder, span reader and model: each lake's place read from its own article, both articles
    cited; the verdict asserted only as far as the rule decides it from the cited quotes."""
    from rag.answer.assistant import Assistant

    folder = indexed(tmp_path_factory, real_embedder, "both", {"arlen.txt": ARLEN, "morrow.txt": MORROW,
                                                               "tessel.txt": TESSEL, "bakery.txt": BAKERY})
    assistant = Assistant.load(folder, embedder=real_embedder, llm=real_llm)
    both = assistant.ask("Are Lake Arlen and Lake Morrow both in Canada?")
    assert not both.refused, both
    assert {"Lake Arlen", "Lake Morrow"} <= {citation.passage.title for citation in both.citations}, both
    if all("Canada" in citation.quote for citation in both.citations):
        assert both.text.startswith("Yes: both in Canada ["), both.text
    other = assistant.ask("Are Lake Morrow and Lake Tessel both in Canada?")
    assert not other.refused, other
    assert {"Lake Morrow", "Lake Tessel"} <= {citation.passage.title for citation in other.citations}, other
    assert not other.text.startswith("Yes"), other.text  # Lake Tessel's article names no Canada
    which = assistant.ask("Which lake is in the United States, Lake Morrow or Lake Tessel?")
    assert not which.refused, which
    assert {"Lake Morrow", "Lake Tessel"} <= {citation.passage.title for citation in which.citations}, which
    assert not which.text.startswith("Lake Morrow"), which.text  # its article says Canada
    if any("United States" in quote for citation in which.citations for quote in citation.quotes):
        assert which.text.startswith("Lake Tessel is in the United States ["), which.text


@pytest.mark.parametrize(("question", "parts"), [
    ("Which is a genus of flowering plants, Ulmus or Oxalis?", ("What is Ulmus?", "What is Oxalis?")),
    ("Which was released first, Cold Harbour or Tin Roof?",
     ("When was Cold Harbour released?", "When was Tin Roof released?")),
    ("Who has won more Grammy awards, Ada Lane or Bo Rix?",
     ("How many Grammy awards has Ada Lane won?", "How many Grammy awards has Bo Rix won?")),
    ("Which city has a larger population, Port Aldous or Wenham Ferry?",
     ("What is the population of Port Aldous?", "What is the population of Wenham Ferry?")),
    ("Which country has the larger area, Chad or Niger?", ("What is the area of Chad?", "What is the area of Niger?")),
    ("Which magazine is published more frequently, Kite or Loom?",
     ("How often is Kite published?", "How often is Loom published?")),
])
def test_hotpot_comparison_forms_ask_each_thing_in_words_a_passage_answers(question: str,
                                                                           parts: tuple[str, str]) -> None:
    plan = comparison_plan(question)
    assert plan is not None and plan.parts == parts


@pytest.mark.parametrize("question", [
    "Is Dunmore Hall or Pike House located farther north?",  # a lead says no latitude: no part's answer decides it
    "Which airport is located farther north, Dunmore Airport or Pike Field?",
    "Which author is more widely read, Ada Lane or Bo Rix?",  # a manner, not a measure
])
def test_a_comparison_no_part_answer_decides_has_no_plan(question: str) -> None:
    assert comparison_plan(question) is None


def test_how_often_is_compared_by_times_a_year() -> None:
    plan = comparison_plan("Which magazine is published more frequently, Kite or Loom?")
    assert plan is not None and plan.by_frequency
    assert comparison_opening(plan, ('The articles say: "Kite is a British monthly music magazine." [1]',
                                     "Weekly [2]."), (1, 2)) == (
        "Loom is published more frequently: weekly [2], against monthly [1].")
    assert comparison_opening(plan, ("Monthly [1].", "Since 1990 [2]."), (1, 2)) == ""  # a year is no frequency


@pytest.mark.parametrize("sentence", [
    "Petr Holub (1898–1966) was a Czech composer.",
    "Petr Holub (c. 1898 – 1966) was a Czech composer.",
    "Petr Holub (born 1898) is a Czech composer.",
    "Petr Holub (1898 – 15 May 1966) was a Czech composer.",
])
def test_a_life_span_after_the_name_gives_the_birth_year(sentence: str) -> None:
    born = comparison_plan("Who was born first, Anselm Greaves or Petr Holub?")
    assert born is not None
    assert comparison_opening(born, ("14 February 1903 [1].", f'The articles say: "{sentence}" [2]'), (1, 2)) == (
        "Petr Holub was born first: 1898 [2], against 1903 [1].")


ALDER = ("Grey Alder\n"
         "Grey Alder is an English indie pop trio from Leeds, formed in 2012. Their second album Low Tide was "
         "released in 2017 and reached the top forty.\n")
MERIDIAN = ("Salt Meridian\n"
            "Salt Meridian is a nine-piece Irish folk orchestra from Galway, formed in 2004. They tour every summer.\n")
VANE = ("Copper Vane\n"
        "Copper Vane is a Welsh rock band from Cardiff, formed in 2001. They split up in 2009.\n")


def test_a_comparison_part_said_only_in_a_lead_sentence_is_quoted(tmp_path_factory: pytest.TempPathFactory,  # type: ignore[no-untyped-def]
                                                                   real_embedder, real_llm) -> None:
    """Real models: a count said by an ensemble word ("trio") is read from the band's own lead sentence even when
    the finder scores it too low to answer, so the winner is named; a lead holding only a year gives no count."""
    from rag.answer.assistant import Assistant

    folder = indexed(tmp_path_factory, real_embedder, "ensembles", {"alder.txt": ALDER, "meridian.txt": MERIDIAN,
                                                                    "vane.txt": VANE, "bakery.txt": BAKERY})
    assistant = Assistant.load(folder, embedder=real_embedder, llm=real_llm)
    bands = assistant.ask("Which band has more members, Grey Alder or Salt Meridian?")
    assert not bands.refused, bands
    assert {"Grey Alder", "Salt Meridian"} <= {citation.passage.title for citation in bands.citations}, bands
    assert bands.text.startswith("Salt Meridian has more members: "), bands.text
    founded = assistant.ask("Which band has more members, Grey Alder or Copper Vane?")
    assert "2001" not in founded.text.split(":")[0], founded.text  # a founding year is no count
    assert not founded.text.startswith("Copper Vane has more members"), founded.text


def test_a_number_word_is_said_in_lower_case_inside_the_opening() -> None:
    bands = comparison_plan("Which band has more members, Hollow Pines or The Tinderbox Union?")
    assert bands is not None
    assert comparison_opening(bands, ("An American folk rock quartet [1].", "Seven [2]."), (1, 2)) == (
        "The Tinderbox Union has more members: seven [2], against a quartet [1].")


def test_every_country_has_the_nationality_that_names_it() -> None:
    from rag.countries import COUNTRIES, COUNTRIES_OF, COUNTRY_NAMES

    said = {country for countries in COUNTRIES_OF.values() for country in countries}
    assert (COUNTRIES | COUNTRY_NAMES) - said == set()
    assert corrected("She is a Moldovan pianist.", [Entity("Moldovan", "PERSON", 9, 17)])[0].kind == "NORP"
    assert corrected("He speaks English.", [Entity("English", "LANGUAGE", 10, 17)])[0].kind == "LANGUAGE"


def test_same_country_parts_keep_their_phrase() -> None:
    plan = same_plan("Are Ana Popa and Ion Lupu both from the same country?")
    assert plan is not None and plan.parts == ("What country is Ana Popa from?", "What country is Ion Lupu from?")
    assert same_opening(plan, ("Romanian [1].", "Moldovan [2]."), (1, 2)) == (
        "No: Ana Popa, Romanian [1]; Ion Lupu, Moldovan [2].")


PIANISTS = {
    "popa.txt": "Ana Popa\nAna Popa (born 3 May 1981) is a Romanian pianist. She studied at the conservatory in "
                "Iasi and won the Enescu prize in 2004.\n",
    "lupu.txt": "Ion Lupu\nIon Lupu (born 9 June 1984) is a Moldovan violinist. Born in Balti, he studied in Vienna "
                "and Prague, and has recorded the sonatas of Ysaye.\n",
}


def test_a_same_country_part_answered_without_a_country_quotes_the_lead(  # type: ignore[no-untyped-def]
        tmp_path_factory: pytest.TempPathFactory, real_embedder, real_llm) -> None:
    """Real models: a lead saying the nationality ("a Moldovan violinist") gives the part's value, though the
    finder scores it low and the reader may find cities ("Vienna and Prague") for "What country is he from?"."""
    from rag.answer.assistant import Assistant

    folder = indexed(tmp_path_factory, real_embedder, "pianists", {**PIANISTS, "bakery.txt": BAKERY})
    assistant = Assistant.load(folder, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("Are Ana Popa and Ion Lupu both from the same country?")
    assert {"Ana Popa", "Ion Lupu"} <= {citation.passage.title for citation in answer.citations}, answer
    assert answer.text.startswith("No: "), answer.text


NAMESAKES = {
    "vidal.txt": "Oriane Vidal\nOriane Vidal (born 1961) is a French film director and screenwriter. Her first "
                 "feature, Salt Lanterns, won the Jean Vigo Prize in 1994.\n",
    "vidal-tennis.txt": "Oriane Vidal (tennis)\nOriane Vidal (born 1990) is a French tennis player who reached the "
                        "quarter-finals of the French Open in 2012.\n",
    "okoro.txt": "Tunde Okoro\nTunde Okoro (born 1972) is a Nigerian film director, known for the drama Harmattan "
                 "Road (2004).\n",
}


def test_a_comparison_part_answers_from_the_things_own_article_not_a_namesakes(  # type: ignore[no-untyped-def]
        tmp_path_factory: pytest.TempPathFactory, real_embedder, real_llm) -> None:
    """Real models: "Oriane Vidal (tennis)" shares the name but not the question's words; the unqualified article
    (Wikipedia's primary topic) answers the part, and a part is never answered from an article not naming its
    thing whole."""
    from rag.answer.assistant import Assistant

    folder = indexed(tmp_path_factory, real_embedder, "namesakes", {**NAMESAKES, "bakery.txt": BAKERY})
    assistant = Assistant.load(folder, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("Who was born first, Oriane Vidal or Tunde Okoro?")
    titles = {citation.passage.title for citation in answer.citations}
    assert "Oriane Vidal (tennis)" not in titles, answer
    assert {"Oriane Vidal", "Tunde Okoro"} <= titles, answer
    assert answer.text.startswith("Oriane Vidal"), answer.text
