"""Two-hop questions (rag.answer.hops) and comparisons (rag.answer.comparisons): the hop plan read from a question, the
markers of the second hop moved after the bridge's, and, end to end with the real models, an answer that cites the
passage of each hop."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.comparisons import comparison_opening, comparison_plan, comparison_text, measure
from rag.answer.evidence import AnswerKinds
from rag.answer.hops import bridge_sentence, hop_plan, renumbered, usable_bridge
from rag.models.entities import PhraseTagger
from tests.conftest import write
from tests.test_reader_quote import asker


@pytest.mark.parametrize(("question", "first", "second"), [
    ("Where was the one who led the Normans crowned?", "Who led the Normans?", "Where was Rollo crowned?"),
    ("When did the Egyptian Islamic Jihad assassinate the one who is the President of Egypt?",
     "Who is the President of Egypt?", "When did the Egyptian Islamic Jihad assassinate Rollo?"),
    ("How many teams did the city that is the most populous in California used to have?",
     "Which city is the most populous in California?", "How many teams did Rollo used to have?"),
    ("What platform caused the one who is the largest television company to end their analogue service?",
     "Who is the largest television company?", "What platform caused Rollo to end their analogue service?"),
    # a modified noun: nationality, genre, year before it
    ("Which year was the American actor who starred in Dune born?", "Who starred in Dune?",
     "Which year was Rollo born?"),
    ("What is the nationality of the English rock band that released Abbey Road?",
     "Which English rock band released Abbey Road?", "What is the nationality of Rollo?"),
    ("In what country was the 1995 film which starred Bob Hoskins produced?", "Which 1995 film starred Bob Hoskins?",
     "In what country was Rollo produced?"),
    # "the <role> of <something named>", in the question or opening it when "what"/"which" follows
    ("Where was the director of the film Big Stone Gap born?", "Who is the director of the film Big Stone Gap?",
     "Where was Rollo born?"),
    ("The director of the romantic comedy 'Big Stone Gap' is based in what New York city?",
     "Who is the director of the romantic comedy 'Big Stone Gap'?", "Rollo is based in what New York city?"),
    ("What year did the lead singer of Queen die?", "Who is the lead singer of Queen?", "What year did Rollo die?"),
    ("What position did the winner of the 2009 Calloway Medal play?", "Who is the winner of the 2009 Calloway Medal?",
     "What position did Rollo play?"),
    ("Which city was the wife of Barack Obama born in?", "Who is the wife of Barack Obama?",
     "Which city was Rollo born in?"),
    # the question's closing verb keeps its particle ("break up"), and never ends inside a name ("Concert Hall")
    ('In what year did the band that recorded "Cold Cathedral" break up?', 'Which band recorded "Cold Cathedral"?',
     "In what year did Rollo break up?"),
    ("What nationality was the architect who designed the Varnhem Concert Hall?",
     "Who designed the Varnhem Concert Hall?", "What nationality was Rollo?"),
    # a statement ending in a description whose agent is asked
    ("The Elm Street station is on a line operated by which company?", "The Elm Street station is on which line?",
     "Rollo is operated by which company?"),
    ("Jim Henson founded a company owned by which corporation?", "Jim Henson founded which company?",
     "Rollo is owned by which corporation?"),
    ("The American actor who starred in Dune was born in which year?", "Who starred in Dune?",
     "Rollo was born in which year?"),
    ("The football manager who recruited David Beckham managed Manchester United during what timeframe?",
     "Who recruited David Beckham?", "Rollo managed Manchester United during what timeframe?"),
    ("Which stadium did the team that won the 1998 cup play in?", "Who won the 1998 cup?",
     "Which stadium did Rollo play in?"),  # the verb's preposition stays with it
    # a clause with a subject of its own: "whose", "where", "in which"
    ("What is the fight song of the university whose main campus is in Lawrence?",
     "Which university's main campus is in Lawrence?", "What is the fight song of Rollo?"),
    ("Where was the singer whose debut album is Velvet Harbor born?", "Which singer's debut album is Velvet Harbor?",
     "Where was Rollo born?"),
    ("What is the fight song of the university whose campus is in Lawrence and whose branches are in Topeka?",
     "Which university's campus is in Lawrence and whose branches are in Topeka?", "What is the fight song of Rollo?"),
    ("The arena where the Hull Stingrays played their home games can seat how many people?",
     "Which arena is where the Hull Stingrays played their home games?", "Rollo can seat how many people?"),
    ("How many people live in the town where Priya Sandhu was born?", "Where was Priya Sandhu born?",
     "How many people live in Rollo?"),
    ("In what year was the university where Sergei Kazakov coached founded?",
     "Which university is where Sergei Kazakov coached?", "In what year was Rollo founded?"),
    ("In what year was the city in which the band was formed founded?", "In which city was the band formed?",
     "In what year was Rollo founded?"),
    # the clause's own verb told by its place (an irregular past, a bare verb after a name) or its own passive
    ("In what year was the university where Tomas Varga taught founded?",
     "Which university is where Tomas Varga taught?", "In what year was Rollo founded?"),
    ("When was the stadium in which the Brackwater Otters play opened?",
     "Which stadium is the one in which the Brackwater Otters play?", "When was Rollo opened?"),
    ("In which county is the town where Greene King's headquarters are located?",
     "Where are Greene King's headquarters located?", "In which county is Rollo?"),
    ("When was the battle in which the king was killed?", "In which battle was the king killed?", "When was Rollo?"),
    # a clause holding what is asked: the words before it state what the first hop asks
    ("Larch Lake is in a county that has how many inhabitants?", "Larch Lake is in which county?",
     "Rollo has how many inhabitants?"),
    ("Velvet Harbor is the debut album of a Norwegian band that was formed by who?",
     "Velvet Harbor is the debut album of which Norwegian band?", "Rollo was formed by who?"),
    ("The Oberoi family is part of a hotel company that has a head office in what city?",
     "The Oberoi family is part of which hotel company?", "Rollo has a head office in what city?"),
    ("Quiet Harbour was directed by a woman who was born in what town?", "Quiet Harbour was directed by which woman?",
     "Rollo was born in what town?"),
    # a description set off by a comma, naming what the thing belongs to, whose clause asks; a title before the
    # statement's name is left out of the first hop
    ("Musician and satirist Dell Harbury wrote a song about a character from the animated series Gravel Street, "
     "whom Nina Coyle named after who?", "Dell Harbury wrote a song about which character from the animated series "
     "Gravel Street?", "Nina Coyle named Rollo after who?"),
    ("Tom Ash signed a player from the Brackwater Otters, who Mira Holt coached in what year?",
     "Tom Ash signed which player from the Brackwater Otters?", "Mira Holt coached Rollo in what year?"),  # as "whom"
    ("Tom Ash signed a player from the Brackwater Otters, who was born in what city?",
     "Tom Ash signed which player from the Brackwater Otters?", "Rollo was born in what city?"),
    ("Jazz singer Dora Kell married a trumpeter who was born in which city?", "Dora Kell married which trumpeter?",
     "Rollo was born in which city?"),
    # HotpotQA crowd-workers' forms
    ("Who directed the 2004 film that starred the voice actor of Captain Brine?",
     "Which 2004 film starred the voice actor of Captain Brine?", "Who directed Rollo?"),
    ("Who wrote the novel on which the film Quiet Harbour is based?", "On which novel is the film Quiet Harbour based?",
     "Who wrote Rollo?"),
    ("Which country is the company that makes the Tundra Hatchback based in?", "Who makes the Tundra Hatchback?",
     "Which country is Rollo based in?"),
    ("In what year was the founder of the company that makes the Tundra Hatchback born?",
     "Who makes the Tundra Hatchback?", "In what year was the founder of Rollo born?"),  # a description in a role's
    # a participle and its named agent
    ("What is the debut album of the band formed by Ingrid Solberg?", "Which band was formed by Ingrid Solberg?",
     "What is the debut album of Rollo?"),
    ("In what year was the 1995 film starring Bob Hoskins released?", "Which 1995 film starred Bob Hoskins?",
     "In what year was Rollo released?"),
    ("Where was the player signed by Lenn Valley born?", "Who was signed by Lenn Valley?", "Where was Rollo born?"),
    ("The stadium where the Lenn Valley club plays holds how many people?",  # a present verb after a name
     "Which stadium is where the Lenn Valley club plays?", "Rollo holds how many people?"),
    # forms of the blind two-hop set (tools/eval/two_hop_invented_b.jsonl)
    ("Glass Weather is the second album by a band formed in what town?",
     "Glass Weather is the second album by which band?", "Rollo was formed in what town?"),
    ("Ardent Motorworks was founded in a town on which river?", "Ardent Motorworks was founded in which town?",
     "Rollo is on which river?"),
    ("Skyrowan operates its main hub at an airport serving which city?",
     "Skyrowan operates its main hub at which airport?", "Rollo is serving which city?"),
    ("What is the birth name of the singer featured on \"Cinder Kiss\"?",
     "Which singer was featured on \"Cinder Kiss\"?", "What is the birth name of Rollo?"),
    ("What was the original name of the company that makes the Tessel Rover?", "Who makes the Tessel Rover?",
     "What was the original name of Rollo?"),
    ("Who was the cinematographer of the film in which Perrin Hale made her screen debut?",
     "Which film is the one in which Perrin Hale made her screen debut?", "Who was the cinematographer of Rollo?"),
    ("What is the seating capacity of the arena where the Harrowgate Stags play their home games?",
     "Which arena is where the Harrowgate Stags play their home games?", "What is the seating capacity of Rollo?"),
    ("Which political party does the mayor of Ostervik belong to?", "Who is the mayor of Ostervik?",
     "Which political party does Rollo belong to?"),
    ("The explorer after whom Cape Dunmarrow is named commanded which ship?",
     "After which explorer is Cape Dunmarrow named?", "Rollo commanded which ship?"),
    ("2014 S/S is the debut album of a South Korean boy group that was formed by who?",
     "2014 S/S is the debut album of which South Korean boy group?", "Rollo was formed by who?"),
    ("Which airline has its hub at the airport named after Oskar Lund?", "Which airport was named after Oskar Lund?",
     "Which airline has its hub at Rollo?"),
    ("Which actress played the mother in the film adapted from the novel The Salt Road?",
     "Which film was adapted from the novel The Salt Road?", "Which actress played the mother in Rollo?"),
    ("The song Harbour Walls was recorded by a band from which country?",
     "The song Harbour Walls was recorded by which band?", "Rollo is from which country?"),
    ("Which team did the player who scored the winning goal in the 2004 Halden Cup final join in 2007?",
     "Who scored the winning goal in the 2004 Halden Cup final?", "Which team did Rollo join in 2007?"),
    ("Which actor starred in a film directed by Mirela Voss in 2003?", "Which film was directed by Mirela Voss?",
     "Which actor starred in Rollo in 2003?"),  # "a": the one the question asks of
    ("Which company released a game developed by Bitlantern?", "Which game was developed by Bitlantern?",
     "Which company released Rollo?"),
    # a role of something named, said with a possessive
    ("What year was Acme Rail's founder born?", "Who is the founder of Acme Rail?", "What year was Rollo born?"),
    ("Where was Queen's lead singer born?", "Who is the lead singer of Queen?", "Where was Rollo born?"),
    ("What was the University of Kansas's founder's occupation?", "Who is the founder of the University of Kansas?",
     "What was Rollo's occupation?"),
    ("What did Jan van Riebeeck's father do for a living?", "Who is the father of Jan van Riebeeck?",
     "What did Rollo do for a living?"),
    ("Which country is Acme Rail's founder from?", "Who is the founder of Acme Rail?", "Which country is Rollo from?"),
])
def test_hop_plan_names_the_bridge_where_the_description_was(question: str, first: str, second: str) -> None:
    plan = hop_plan(question)
    assert plan is not None
    assert (plan.first, plan.second("Rollo")) == (first, second)


@pytest.mark.parametrize("question", [
    "When did the Normans conquer England?",
    "Who led the Normans?",  # asks for the bridge itself: one hop
    "What is the name of the satellite that measured the amount of dust?",  # its name is what is asked
    "What was the idea that won the vote?",  # a clause saying what is meant, not which thing
    "The one who led the Normans was crowned where?",  # the description opens the question
    "When did the Normans who settled in Sicily arrive?",  # a name with a clause: named already
    "The one who led the Normans was who?",  # opens the question and is what it asks for
    "Who was the president of Notre Dame in 1912?",  # asks for the role's holder itself
    "What is the name of the director of Jaws?",
    "What was the capital of Prussia?",  # not a person's role
    "Who has elected the President of Warsaw since 1990?",  # a title, named as such
    "Who was the first person who reached the pole?",  # picked out by order: what is asked
    "What is the alpine valley that the Rhine flows through?",  # "What is the…": the thing itself
    "Southern California had a population of 22,680,010 according to the census from which year?",
    "What is the name given to the district that is associated with the motion picture industry?",
    # "whose", "where", "in which"
    "From whom did the Huguenots purchase the land where they settled?",  # a pronoun the first hop cannot read
    "What is the name of the university whose main campus is in Lawrence?",
    "What is the university whose main campus is in Lawrence?",
    "What can be viewed as an informal language where the language instances whose input is yes?",  # nested
    # a clause holding what is asked
    "Kaiser Ventures was founded by an industrialist who became known as the father of modern shipbuilding?",  # no ask
    "Harold Wilson published a report in what year?",  # the year is the verb's
    "Who designed the golf course located at the Sunnyside Country Club?",  # "located at": SQuAD says it one-hop
    "Vaginal secretions serve as a chemical protective barrier following what?",
    "What is the mayor of Warsaw called?",  # the description's own name
    "What genus is considered the aunt of Vendobionta?",  # what it is called
    "What is the name of the company that makes the Tessel Rover?",
    "An igneous rock is a rock that crystallizes from what?",  # says what it is
    "Century City is an example of a district that belongs to which city?",
    "Each of the extended metropolitan areas has a population that exceeds what number?",  # its own attribute
    "Some of the export commodities that were used for oil purchases helped create tensions where?",
    "Is Larch Lake in a county that has a port?",  # yes or no
    "What is an example of a country that has a monarchy?",  # any one: "a", not "the"
    # a description in apposition to a name says which thing the name is: asked of the name
    "Velvet Harbor, the band that released Glass Fjord, was formed in which city?",
    "Cathal Brennan, the lead singer of Copperline, was born in which city?",
    "Dell Harbury wrote a song about a character from Gravel Street, whom she named after who?",  # a pronoun subject
    "Many changes in the vegetation of the amazon rainforest took place since the Last Glacial Maximum, which was how "
    "many years ago?",  # the clause is the name's, not the vegetation's
    # a participle
    "What denomination are the schools run by Academic Colleges Group?",  # a plural: any of them
    "How many square miles large was the region impacted by the 2010 drought?",  # a number, not a name
    "What is the name of the film directed by Mirela Voss?",
    "What was the film directed by Mirela Voss?",
    "What is an example of a film directed by Mirela Voss?",  # any one
    "Which is a film directed by Mirela Voss?",
    # possessives
    "Who is Acme Rail's founder?",  # asks for the holder
    "What was Acme Rail's founder's name?",
    "What is the name of Acme Rail's founder?",
    "Where is the company's founder buried?",  # no name owns the role
    "What was Acme Rail's annual revenue?",  # no role
    "What is Acme Rail's head office?",  # the role word qualifies a noun
])
def test_a_one_hop_question_has_no_hop_plan(question: str) -> None:
    assert hop_plan(question) is None


def test_the_second_hop_markers_follow_the_bridge() -> None:
    plan = hop_plan("Where was the one who led the Normans crowned?")
    assert plan is not None
    text = f"{bridge_sentence('Rollo', plan)} {renumbered('He was crowned in Rouen [1], in 912 [2].', {1: 2, 2: 3})}"
    assert text == "Rollo led the Normans [1]. He was crowned in Rouen [2], in 912 [3]."
    assert renumbered("Twice [2, 1].", {1: 2, 2: 2}) == "Twice [2]."


@pytest.mark.parametrize(("question", "sentence"), [
    ("Where was the one who led the Normans crowned?", "Rollo led the Normans [1]."),
    ("What is the fight song of the university whose main campus is in Lawrence?",
     "Rollo is the university whose main campus is in Lawrence [1]."),
    ("The arena where the Hull Stingrays played their home games can seat how many people?",
     "Rollo is the arena where the Hull Stingrays played their home games [1]."),
    ("The Oberoi family is part of a hotel company that has a head office in what city?",
     "The Oberoi family is part of Rollo [1]."),
    ("What year was Acme Rail's founder born?", "Rollo is the founder of Acme Rail [1]."),
])
def test_the_bridge_sentence_says_the_first_hop(question: str, sentence: str) -> None:
    plan = hop_plan(question)
    assert plan is not None
    assert bridge_sentence("Rollo", plan) == sentence


def test_a_bridge_names_something_new() -> None:
    question = "Where was the one who led the Normans crowned?"
    assert usable_bridge("Rollo", question)
    assert not usable_bridge("the Normans", question)
    assert not usable_bridge("", question)
    assert not usable_bridge("a long span that reads like a whole sentence of the passage itself", question)


@pytest.mark.parametrize(("question", "sentence", "span", "fits"), [
    ("Where was Emmeline Pryce born?", "Emmeline Pryce (born 1984) is a novelist.", "1984", False),  # no place
    ("Where was Emmeline Pryce born?", "Emmeline Pryce was born in Harlow in 1984.", "Harlow", True),
    ("Where was Emmeline Pryce born?", "Emmeline Pryce was born in Ashbury.", "Ashbury", True),  # tagged ORG
    ("Which band recorded Cold Cathedral?", "Cold Cathedral is a single by the Weatherglass.", "Weatherglass", True),
    ("Which 1998 film starred Ines Corvalan?", "Ines Corvalan starred in 1998 in Salt Road.", "1998", False),
    ("Which 1998 film starred Ines Corvalan?", "Ines Corvalan starred in 1998 in Salt Road.", "Salt Road", True),
    ("Who designed the Varnhem Concert Hall?", "The hall was designed by a Belgian studio.", "a Belgian studio", True),
    ("Who designed the Varnhem Concert Hall?", "The hall was designed in 1936.", "1936", False),
])
def test_a_bridge_is_a_thing_of_the_kind_the_first_hop_asks(question: str, sentence: str, span: str,
                                                             fits: bool) -> None:
    tagger = PhraseTagger({"Emmeline Pryce": "PERSON", "1984": "DATE", "Harlow": "GPE", "Weatherglass": "GPE",
                           "1998": "DATE", "Salt Road": "WORK_OF_ART", "Ines Corvalan": "PERSON", "Belgian": "NORP",
                           "1936": "DATE", "Varnhem Concert Hall": "FAC", "Ashbury": "ORG"})
    start = sentence.index(span)
    assert AnswerKinds(tagger).bridge_fits(question, sentence, start, start + len(span)) is fits


@pytest.mark.parametrize(("question", "entities", "parts", "claim"), [
    ("Which magazine was started first, Arthur's Magazine or First for Women?",
     ("Arthur's Magazine", "First for Women"),
     ("When was Arthur's Magazine started?", "When was First for Women started?"), "was started first"),
    ("Who was born first, Ada Lovelace or Alan Turing?", ("Ada Lovelace", "Alan Turing"),
     ("When was Ada Lovelace born?", "When was Alan Turing born?"), "was born first"),
    ("Which is older, Oxford University or Harvard?", ("Oxford University", "Harvard"),
     ("When was Oxford University founded?", "When was Harvard founded?"), "is older"),
    ("Which band has more members, Muse or Queen?", ("Muse", "Queen"),
     ("How many members does Muse have?", "How many members does Queen have?"), "has more members"),
    ("Which came out earlier, Dune or Alien?", ("Dune", "Alien"),
     ("When did Dune come out?", "When did Alien come out?"), "came out earlier"),
    ("Which mountain is taller, Mount Everest or K2?", ("Mount Everest", "K2"),
     ("How tall is Mount Everest?", "How tall is K2?"), "is taller"),
    ("Which film was released more recently, Dune or Alien?", ("Dune", "Alien"),
     ("When was Dune released?", "When was Alien released?"), "was released later"),
    # without the comma before the two things, as HotpotQA's questions often are written
    ("Which magazine was started first Arthur's Magazine or First for Women?",
     ("Arthur's Magazine", "First for Women"),
     ("When was Arthur's Magazine started?", "When was First for Women started?"), "was started first"),
    ("Who is older Annie Morton or Terry Richardson?", ("Annie Morton", "Terry Richardson"),
     ("When was Annie Morton born?", "When was Terry Richardson born?"), "is older"),
    # the two things elsewhere than ", A or B" at the end
    ("Between Greta Lind and Sofia Berg, who was born first?", ("Greta Lind", "Sofia Berg"),
     ("When was Greta Lind born?", "When was Sofia Berg born?"), "was born first"),
    ("Which was founded earlier: Acme Rail or Bolt Air?", ("Acme Rail", "Bolt Air"),
     ("When was Acme Rail founded?", "When was Bolt Air founded?"), "was founded earlier"),
    # what things cost: a news reader's comparison (it was refused)
    ("Which cost more, the Millbrook tram extension or the Linden Centre?",
     ("the Millbrook tram extension", "the Linden Centre"),
     ("How much did the Millbrook tram extension cost?", "How much did the Linden Centre cost?"), "cost more"),
])
def test_a_comparison_asks_of_each_thing_alone(question: str, entities: tuple[str, str], parts: tuple[str, str],
                                               claim: str) -> None:
    plan = comparison_plan(question)
    assert plan is not None
    assert (plan.entities, plan.parts, plan.claim) == (entities, parts, claim)


@pytest.mark.parametrize("question", [
    "Were they of the same nationality?",  # yes or no, but nothing named to ask of
    "Which airport is located farther north, Gdansk or Oslo?",  # no comparative read
    "Tea or coffee?",
    "Who lived longer, Ada Lovelace or Alan Turing?",  # no year or measure the parts could ask for
    "Which river, the Rhine or the Danube?",
    "When did the Normans conquer England?",
])
def test_a_question_comparing_nothing_has_no_comparison_plan(question: str) -> None:
    assert comparison_plan(question) is None


def test_the_winner_is_named_only_from_comparable_answers() -> None:
    first = comparison_plan("Which magazine was started first, Arthur's Magazine or First for Women?")
    younger = comparison_plan("Who is younger, Ada Lovelace or Alan Turing?")
    more = comparison_plan("Which band has more members, Muse or Queen?")
    assert first is not None and younger is not None and more is not None
    assert comparison_opening(first, ("First published in 1844 [1].", "In 1989 [2]."), (1, 2)) == (
        "Arthur's Magazine was started first: 1844 [1], against 1989 [2].")
    assert comparison_opening(younger, ("Born on 10 December 1815 [2].", "1912 [1]."), (2, 1)) == (
        "Alan Turing is younger: 1912 [1], against 1815 [2].")
    assert comparison_opening(more, ("Three members [1].", "Four [2]."), (1, 2)).startswith("Queen has more members")
    assert comparison_opening(first, ("In 1844 [1].", "In 1844 [2]."), (1, 2)) == ""  # a tie names no winner
    assert comparison_opening(first, ("In 1844 [1].", "In the spring [2]."), (1, 2)) == ""
    assert measure("It has 1,200 members [1].", False) is not None


CLUB = ("Lenn Valley rowing club\n"
        "The Lenn Valley rowing club was founded in 1958 by workers of the paper mill. Priya Sandhu captained the "
        "Lenn Valley rowing club to its first regional title in 2019. The club trains on the river every morning.\n")
ROWER = ("Priya Sandhu\n"
         "Priya Sandhu is a rower and engineer. Priya Sandhu was born in the village of Ashbury in 1994. She studied "
         "engineering in Leeds before she took up rowing.\n")
BAKERY = ("Quayside Bakery\n"
          "The Quayside Bakery in Maplewood won the county bread prize for its rye loaf. The judges tasted 64 loaves. "
          "The bakery opened in 1998 and employs eleven people.\n")


def indexed(tmp_path_factory: pytest.TempPathFactory, embedder, name: str,  # type: ignore[no-untyped-def]
            files: dict[str, str]) -> Path:
    """An index of the articles `files` (file name -> text), built with the real embedder."""
    from rag.ingest.indexer import UpdateOptions, update_index

    articles = tmp_path_factory.mktemp(f"{name}-articles")
    for file_name, text in files.items():
        write(articles, file_name, text)
    folder = tmp_path_factory.mktemp(f"{name}-index")
    update_index([articles], folder, embedder, UpdateOptions(progress=False))
    return folder


@pytest.fixture(scope="module")
def two_hop_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    return indexed(tmp_path_factory, real_embedder, "two-hop",
                   {"club.txt": CLUB, "rower.txt": ROWER, "bakery.txt": BAKERY})


@pytest.mark.parametrize("span_threshold", [0.4, 2.0], ids=["span-reader", "model-writes"])
def test_a_two_hop_answer_cites_the_passage_of_each_hop(two_hop_index: Path, real_embedder, real_llm,  # type: ignore[no-untyped-def]
                                                         span_threshold: float) -> None:
    from rag.answer.assistant import Assistant

    # span_threshold above 1: the model writes the second hop's answer (the bridge is still the reader's span).
    assistant = Assistant.load(two_hop_index, embedder=real_embedder, llm=real_llm, span_threshold=span_threshold)
    answer = assistant.ask("Where was the one who captained the Lenn Valley rowing club born?")
    assert not answer.refused, answer
    cited = {citation.passage.title for citation in answer.citations}
    assert {"Lenn Valley rowing club", "Priya Sandhu"} <= cited, answer
    assert answer.text.startswith("Priya Sandhu captained the Lenn Valley rowing club [1]."), answer.text
    # Every marker of the text is a citation of the answer, numbered in order from the bridge's [1].
    assert [citation.number for citation in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        assert citation.quote and citation.quote in " ".join(citation.passage.text.split()), citation


HARLOW = ("Harlow Review\n"
          "The Harlow Review is a literary magazine. The Harlow Review was started in 1844 by the printer Tobias "
          "Quell in Philadelphia. It published short stories and poems.\n")
LANTERN = ("Tin Lantern\n"
           "Tin Lantern is a monthly magazine for gardeners. Tin Lantern was started in 1989 by a cooperative of "
           "growers in Bristol. It prints seed reviews.\n")
FILM = ("Quiet Harbour\n"
        "Quiet Harbour is a 2014 drama film directed by Mirela Voss. The film follows a lighthouse keeper through one "
        "winter. It was shot on the coast of Norway.\n")
DIRECTOR = ("Mirela Voss\n"
            "Mirela Voss is a film director and novelist. Mirela Voss was born in the town of Kestrel Bay in 1971. She "
            "studied painting before she made her first short film.\n")


@pytest.fixture(scope="module")
def bridge_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    return indexed(tmp_path_factory, real_embedder, "bridge", {"harlow.txt": HARLOW, "lantern.txt": LANTERN,
                                                              "film.txt": FILM, "director.txt": DIRECTOR,
                                                              "bakery.txt": BAKERY})


def test_a_comparison_cites_both_things_and_names_the_winner(bridge_index: Path, real_embedder,  # type: ignore[no-untyped-def]
                                                             real_llm) -> None:
    from rag.answer.assistant import Assistant

    assistant = Assistant.load(bridge_index, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("Which magazine was started first, Harlow Review or Tin Lantern?")
    assert not answer.refused, answer
    assert {"Harlow Review", "Tin Lantern"} <= {citation.passage.title for citation in answer.citations}, answer
    assert answer.text.startswith("Harlow Review was started first: 1844 ["), answer.text
    assert "against 1989 [" in answer.text, answer.text


def test_a_role_description_is_answered_in_two_hops(bridge_index: Path, real_embedder, real_llm) -> None:  # type: ignore[no-untyped-def]
    from rag.answer.assistant import Assistant

    assistant = Assistant.load(bridge_index, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("Where was the director of the film Quiet Harbour born?")
    assert not answer.refused, answer
    assert {"Quiet Harbour", "Mirela Voss"} <= {citation.passage.title for citation in answer.citations}, answer
    assert answer.text.startswith("Mirela Voss is the director of the film Quiet Harbour [1]."), answer.text
    assert "Kestrel Bay" in answer.text, answer.text


SCULPTOR = ("Ilse Brandt\n"
            "Ilse Brandt is a German sculptor. She was born in Leipzig in 1952 and works in bronze and oak. Her "
            "statues stand in parks across Saxony.\n")
PAINTER = ("Tomas Berg\n"
           "Tomas Berg is a German painter. He was born in Bremen in 1948 and painted harbours and ships. His "
           "largest canvas hangs in the Kunsthalle Bremen.\n")
POTTER = ("Sigrid Holm\n"
          "Sigrid Holm is a Swedish potter. She was born in Uppsala in 1960 and throws stoneware bowls. Her "
          "workshop is on the island of Gotland.\n")


@pytest.mark.parametrize("question", [
    "Were Ilse Brandt and Tomas Berg of the same nationality?",
    "Are Ilse Brandt and Sigrid Holm of the same nationality?",
    "Were Scott Derrickson and Ed Wood from the same country?",
])
def test_a_same_question_asks_each_things_value(question: str) -> None:
    plan = comparison_plan(question)
    assert plan is not None and plan.same and len(set(plan.parts)) == 2
    assert all(entity in part for entity, part in zip(plan.entities, plan.parts, strict=True))


def test_a_same_question_is_answered_yes_or_no_citing_both(tmp_path_factory: pytest.TempPathFactory,  # type: ignore[no-untyped-def]
                                                           real_embedder, real_llm) -> None:
    """Real embedder, finder, span reader and model: each person's nationality read from their own article, the
    verdict said first, both articles cited."""
    from rag.answer.assistant import Assistant

    folder = indexed(tmp_path_factory, real_embedder, "same", {"brandt.txt": SCULPTOR, "berg.txt": PAINTER,
                                                               "holm.txt": POTTER, "bakery.txt": BAKERY})
    assistant = Assistant.load(folder, embedder=real_embedder, llm=real_llm)
    same = assistant.ask("Were Ilse Brandt and Tomas Berg of the same nationality?")
    assert same.text.startswith("Yes: both German ["), same.text
    assert {"Ilse Brandt", "Tomas Berg"} <= {citation.passage.title for citation in same.citations}, same
    other = assistant.ask("Are Ilse Brandt and Sigrid Holm of the same nationality?")
    assert other.text.startswith("No: Ilse Brandt, German"), other.text
    assert "Swedish [" in other.text and {"Ilse Brandt", "Sigrid Holm"} <= {
        citation.passage.title for citation in other.citations}, other
    shared = assistant.ask("What nationality do Ilse Brandt and Tomas Berg have in common?")
    assert shared.text.startswith("Both: German ["), shared.text
    assert not assistant.ask("What nationality do Ilse Brandt and Sigrid Holm share?").text.startswith(("Both", "No"))


COLLEGE = ("Thornbury College\n"
           "Thornbury College is a public university founded in 1872. The main campus of Thornbury College is in "
           "Harwick, beside the river Lune. It has about 9,000 students.\n")
OWLS = ("Thornbury Owls\n"
        "The Thornbury Owls are the sports teams of Thornbury College. The fight song of the Owls is \"Onward, Grey "
        "Wings\", written in 1921. The teams play in green and grey.\n")
STINGRAYS = ("Kestrel Bay Stingrays\n"
             "The Kestrel Bay Stingrays were an ice hockey team from 1989 to 2015. The Stingrays played their home "
             "games at the Marlow Arena. They won the league twice.\n")
ARENA = ("Marlow Arena\n"
         "Marlow Arena is an indoor arena on the harbour front. The arena can seat 3,500 people for ice hockey. It "
         "opened in 1988.\n")
ALBUM = ("Velvet Harbor\n"
         "Velvet Harbor is the debut album of the Norwegian band Glass Fjord, released in 2009. It was recorded in a "
         "church in Stavanger.\n")
BAND = ("Glass Fjord\n"
        "Glass Fjord is a Norwegian indie band. Glass Fjord was formed by the singer Ingrid Solberg in Bergen in 2004. "
        "Its second album won a Spellemann award.\n")
VILLAGE = ("Ashbury\n"
           "Ashbury is a village on the edge of the moors. About 1,200 people live in Ashbury. Its church dates from "
           "the twelfth century.\n")

YARD = ("Carrow Yards\n"
        "Carrow Yards is a shipyard in Tyneford. Its best known ship, the Merrow Star, was built by Carrow Yards in "
        "1911. The yard closed in 1966.\n")
SHIP = ("Merrow Star\n"
        "The Merrow Star was a cargo steamer. The Merrow Star sank off Cape Lorne in 1923 with all hands. A memorial "
        "stands in the harbour.\n")

STATION = ("Elm Street station\n"
           "Elm Street station is a railway station on the Harbour Line, in the town of Tyneford. It opened in 1898 "
           "and has two platforms.\n")
LINE = ("Harbour Line\n"
        "The Harbour Line is a commuter railway line along the coast. The Harbour Line is operated by Coastlink Rail. "
        "It has fourteen stations.\n")


@pytest.fixture(scope="module")
def forms_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    return indexed(tmp_path_factory, real_embedder, "forms", {
        "college.txt": COLLEGE, "owls.txt": OWLS, "stingrays.txt": STINGRAYS, "arena.txt": ARENA,
        "album.txt": ALBUM, "band.txt": BAND, "village.txt": VILLAGE, "club.txt": CLUB, "rower.txt": ROWER,
        "film.txt": FILM, "director.txt": DIRECTOR, "bakery.txt": BAKERY, "harlow.txt": HARLOW,
        "yard.txt": YARD, "ship.txt": SHIP, "station.txt": STATION, "line.txt": LINE})


@pytest.mark.slow
@pytest.mark.parametrize(("question", "opening", "titles"), [
    ("What is the fight song of the college whose main campus is in Harwick?",
     "Thornbury College is the college whose main campus is in Harwick [1].", {"Thornbury College", "Thornbury Owls"}),
    ("The arena where the Kestrel Bay Stingrays played their home games can seat how many people?",
     "Marlow Arena is the arena where the Kestrel Bay Stingrays played their home games [1].",
     {"Kestrel Bay Stingrays", "Marlow Arena"}),
    ("Velvet Harbor is the debut album of a Norwegian band that was formed by who?",
     "Velvet Harbor is the debut album of Glass Fjord [1].", {"Velvet Harbor", "Glass Fjord"}),
    ("Where was Quiet Harbour's director born?", "Mirela Voss is the director of Quiet Harbour [1].",
     {"Quiet Harbour", "Mirela Voss"}),
    ("How many people live in the village where Priya Sandhu was born?", "", {"Priya Sandhu", "Ashbury"}),
    ("In which year did the ship built by Carrow Yards sink?", "", {"Carrow Yards", "Merrow Star"}),
    ("Elm Street station is on a line operated by which company?", "Elm Street station is on Harbour Line [1].",
     {"Elm Street station", "Harbour Line"}),
    ("The Lenn Valley rowing club was captained by a rower who was born in which village?",
     "The Lenn Valley rowing club was captained by Priya Sandhu [1].", {"Lenn Valley rowing club", "Priya Sandhu"}),
])
def test_each_form_is_answered_in_two_hops(forms_index: Path, real_embedder, real_llm,  # type: ignore[no-untyped-def]
                                          question: str, opening: str, titles: set[str]) -> None:
    """Real embedder, finder, span reader and model: the bridge found in one article (its sentence said first, from
    the plan and the reader's span, not the model's words), the question asked of it answered from the other."""
    from rag.answer.assistant import Assistant

    assistant = Assistant.load(forms_index, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask(question)
    assert not answer.refused, answer
    assert titles <= {citation.passage.title for citation in answer.citations}, answer
    assert answer.text.startswith(opening), answer.text


def test_amounts_are_compared_at_their_scale() -> None:
    """"£1.2 million" is more than "£900,000", though 1.2 is less than 900,000."""
    plan = comparison_plan("Which cost more, the library or the pool?")
    assert plan is not None
    text = comparison_text(plan, ("£900,000 [1].", "£1.2 million [2]."), (1, 2), "£900,000 [1]. £1.2 million [2].")
    assert text.startswith("The pool cost more: £1.2 million [2], against £900,000 [1].")
    text = comparison_text(plan, ("It cost £1.2bn [1].", "£900,000 [2]."), (1, 2), "")
    assert text.startswith("The library cost more: £1.2bn [1], against £900,000 [2].")


def test_a_measured_comparison_says_the_units_once_in_its_opening() -> None:
    plan = comparison_plan("Which is longer, the footbridge or the regatta course?")
    assert plan is not None
    text = comparison_text(plan, ("86 metres [1].", "1,500-metre [2]."), (1, 2), "86 metres [1]. 1,500-metre [2].")
    assert text == "The regatta course is longer: 1,500-metre [2], against 86 metres [1]."


INTERSECTION = {
    "orchard.txt": "The Copper Orchard\nThe Copper Orchard is a 1997 American drama film directed by Ines Walde and "
                   "starring Lena Voss, Mara Quill and Tobias Renn. It was shot in Oregon.\n",
    "renn.txt": "Tobias Renn\nTobias Renn (born May 2, 1963) is an American actor. Born in Ashgrove, Vermont, he "
                "studied theatre in Boston before moving to New York.\n",
    "quill.txt": "Mara Quill\nMara Quill (born 1960) is an American actor known for The Copper Orchard. She was "
                 "born in Dunmore, Kansas.\n",
    "ashgrove.txt": "Ashgrove, Vermont\nAshgrove is a town in Vermont. The painter Edda Lind was born in the town in "
                    "1921.\n",
}


def test_an_intersection_is_answered_by_the_name_both_clauses_sentences_give(  # type: ignore[no-untyped-def]
        tmp_path_factory: pytest.TempPathFactory, real_embedder, real_llm) -> None:
    """Real models: the cast list names three actors, the birthplace sentence names its article's subject by "he";
    the one name both give is the answer, each sentence cited."""
    from rag.answer.assistant import Assistant

    folder = indexed(tmp_path_factory, real_embedder, "intersection", {**INTERSECTION, "bakery.txt": BAKERY})
    assistant = Assistant.load(folder, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("Which American actor starred in The Copper Orchard and was born in Ashgrove, Vermont?")
    assert answer.text.startswith("Tobias Renn"), answer.text
    assert {"The Copper Orchard", "Tobias Renn"} <= {citation.passage.title for citation in answer.citations}, answer


VELMORA = ("Velmora council votes to ban cars from medieval old town\n"
           "VELMORA, Oct 14 (Wire) - Velmora city council voted on Tuesday to ban private cars from the town's "
           "medieval old centre from April next year.\n\n"
           "Traffic counts commissioned by the council found that around 14,000 vehicles a day crossed the old town "
           "last year, compared with 9,500 in 2009.\n\n"
           "Shopkeepers reacted angrily. Marta Oulu, who chairs the Old Town Traders' Association, said her members "
           "feared losing up to a fifth of their takings. \"People from the villages will simply drive to the "
           "out-of-town malls instead,\" the 58-year-old said. The association, which represents about 220 "
           "businesses, said it would consider a legal challenge.\n")


def test_a_second_hop_answered_in_the_bridges_own_passage_is_said(tmp_path_factory: pytest.TempPathFactory,  # type: ignore[no-untyped-def]
                                                                  real_embedder, real_llm) -> None:
    """A news story names the head of the traders and her age two sentences apart, in one passage: the second hop
    ("How old is Marta Oulu?") is answered from the bridge's own passage, which once counted as no second hop (so
    the answer said the age was missing, after the model's one-hop answer about the association's founding)."""
    from rag.answer.assistant import Assistant
    from rag.answer.prompts import MISSING_PART_MARK

    index = indexed(tmp_path_factory, real_embedder, "same-passage", {"velmora.txt": VELMORA, "bakery.txt": BAKERY})
    assistant = Assistant.load(index, embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("How old is the head of the Old Town Traders' Association in Velmora?")
    assert not answer.refused, answer
    assert MISSING_PART_MARK not in answer.text, answer
    assert "Marta Oulu" in answer.text and "58 [1]" in answer.text, answer
    (citation,) = answer.citations
    assert any("58-year-old" in quote for quote in citation.quotes) and any(
        "Marta Oulu" in quote for quote in citation.quotes), citation.quotes


CORVANE = ("Corvane Resources shares soar 38% after major gold find at Tallis Ridge\n"
           "HARWICK, March 4 (Reuters-style wire) - Shares in Corvane Resources soared 38 percent on Tuesday after "
           "the mid-sized miner said drilling at its Tallis Ridge project had uncovered one of the largest gold "
           "deposits found in the region in two decades.\n\n"
           "\"This is the discovery we have been chasing for seven years,\" chief executive Miriam Osei told reporters "
           "at a briefing in Harwick.\n\n"
           "The deposit was found by a team led by chief geologist Tomasz Wren, who said the zone was identified "
           "after crews drilled 46 holes over an area of about 3 square kilometres between September and January.\n")



class _SpanOf:
    """A span reader that finds `span` in any sentence holding it, with chance 0.9."""

    reads_before = False

    def __init__(self, span: str) -> None:
        self.span = span

    def read(self, question: str, title: str, sentence: str, before: str = ""):  # type: ignore[no-untyped-def]
        from rag.models.span_reader import Span

        start = sentence.find(self.span)
        if start < 0:
            return Span("", 0, 0, 0.0, -10.0, sentence)
        return Span(self.span, start, start + len(self.span), 0.9, 1.0, sentence)


def test_a_description_is_no_bridge(tmp_path: Path) -> None:
    """"Who headed the team that discovered the Tallis Ridge gold deposit?": the shipped reader's first-hop span was
    "the mid-sized miner" (the news dev set), a description, and the second hop asked "Who headed The mid-sized
    miner?", which no passage answers (the answer said so). A span that names nothing is no bridge; a name is."""
    from rag.answer.assistant import Assistant
    from rag.answer.evidence import WordOverlap
    from rag.answer.retrieve import Retriever
    from rag.settings import Settings
    from tests.conftest import FakeEmbedder, ScriptedLLM
    from tests.test_assistant import build

    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"corvane": ("Corvane gold find", CORVANE.split("\n", 1)[1].replace("\n", " "))})
    retriever = Retriever.load(tmp_path, embedder)
    question = "Who headed the team that discovered the Tallis Ridge gold deposit?"
    plan = hop_plan(question)
    assert plan is not None

    def first_hop(span: str):  # type: ignore[no-untyped-def]
        assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                              WordOverlap(retriever.term_weights), PhraseTagger({"Corvane Resources": "ORG"}),
                              reader=_SpanOf(span))
        return assistant.first_hop(question, plan)

    described = first_hop("the mid-sized miner")
    assert described.bridge is None and described.stopped.startswith("names_something"), described
    assert first_hop("Corvane Resources").bridge == "Corvane Resources"


def test_one_thing_compared_at_two_times_names_the_time_it_won(tmp_path: Path) -> None:
    """An analyst's "Was Northwind's revenue larger in Q1 2025 or in Q2 2025?" named no winner, and quoted an
    unrelated sentence (`rag.answer.comparisons.period_plan`)."""
    ask = asker(tmp_path, {
        "q1": ("Interim report, first quarter", "Revenue for the first quarter of 2025 was EUR 12.4 million."),
        "q2": ("Interim report, second quarter", "Revenue for the second quarter of 2025 was EUR 14.1 million."),
    }, {"EUR 12.4 million": "MONEY", "EUR 14.1 million": "MONEY"})
    chances = {"EUR 12.4 million": 0.9, "EUR 14.1 million": 0.9}
    text = ask("Was the revenue larger in the first quarter of 2025 or in the second quarter of 2025?", chances)
    assert text.startswith("The revenue was larger in the second quarter of 2025: "), text
    assert "[1], against" in text or "[2], against" in text
    assert ask("Was the revenue smaller in the first quarter of 2025 or in the second quarter of 2025?",
               chances).startswith("The revenue was smaller in the first quarter of 2025: ")


def test_a_year_after_its_article_answers_no_past_tense_comparison(tmp_path: Path) -> None:
    """An analyst's "Which was founded first, Northwind Ferries or Bluewater Lines?" was answered "1962 [1], against
    2027 [2]", the year a ferry Bluewater ordered in 2025 is to be delivered (`later_than_said`)."""
    from tests.test_moved import dated_assistant
    from tests.test_span_reader import SpansReader

    reports = (("northwind", "2025-02-04", "Northwind Ferries names a chief executive",
                "Northwind Ferries, founded in 1962, employs around 400 people."),
               ("bluewater", "2025-09-22", "Bluewater Lines orders a ferry",
                "Bluewater Lines has ordered a battery ferry for delivery in 2027."))
    assistant = dated_assistant(tmp_path, reports, SpansReader({"1962": 0.9, "2027": 0.9}))
    text = assistant.ask("Which was founded first, Northwind Ferries or Bluewater Lines?").text
    assert "2027" not in text and "against" not in text, text
    assert 'The articles do not answer: "When was Bluewater Lines founded?"' in text, text
