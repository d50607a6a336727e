"""Which number a question asks for: the value of a reported change (`rag.answer.changes`), the count of what a
how-many question counts (`rag.answer.reader.counted_value`). Pure cases, then through the assistant with a reader
that always takes the first value it meets."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.changes import change_size, changed_value, changes
from rag.answer.reader import counted_value
from tests.test_reader_quote import asker

UPGRADE = ("She said the company would spend 85 million pounds upgrading its Sale Bridge treatment works by 2027, "
           "up from the 60 million pounds it pledged last year.")
SPEED = "Trains ran at a maximum of 40 km/h under manual control, down from the usual 80 km/h."
BRAKES = "He braked hard and cut the train's speed from 95 kilometres an hour to about 30 before it hit the slip."
OIL = "By March 1974 the price of oil had risen from US$3 per barrel to nearly $12 globally."


def moved(question: str, sentence: str, span: str) -> str | None:
    start = sentence.index(span)
    found = changed_value(question, sentence, start, start + len(span))
    return None if found is None else sentence[slice(*found)]


@pytest.mark.parametrize(("question", "sentence", "span", "wanted"), [
    ("How much had Vantmoor promised for the upgrade a year earlier?", UPGRADE, "85 million pounds", "60 million"),
    ("How much did Vantmoor originally pledge?", UPGRADE, "85 million pounds", "60 million"),
    ("How much will Vantmoor spend upgrading Sale Bridge?", UPGRADE, "60 million", "85 million"),
    ("What is the usual top speed?", SPEED, "40", "80"),
    ("What was the top speed under manual control?", SPEED, "80", "40"),
    ("What was the price of oil in March 1974?", OIL, "US$3", "nearly $12"),
    ("What did oil cost before the embargo?", OIL, "nearly $12", "US$3"),
    ("How fast was the train going before the driver hit the brakes?", BRAKES, "about 30", "95"),
    ("How fast was the train going before it hit the slip?", BRAKES, "95", "about 30"),
])
def test_the_span_moves_to_the_value_asked_for(question: str, sentence: str, span: str, wanted: str) -> None:
    assert moved(question, sentence, span) == wanted


def test_a_span_already_on_the_value_asked_for_stays() -> None:
    assert moved("How much will Vantmoor spend upgrading Sale Bridge?", UPGRADE, "85 million pounds") is None
    assert moved("What did oil cost before the embargo?", OIL, "US$3") is None


def test_a_time_word_the_later_value_says_too_does_not_ask_for_the_earlier() -> None:
    sentence = "Inflation rose from 5 percent in 2024 to 8 percent last year, the bank said."
    assert moved("What was inflation last year?", sentence, "5 percent") == "8"
    assert moved("What was inflation in 2024?", sentence, "8 percent") == "5"


def test_a_range_or_a_span_holding_both_values_is_not_a_change() -> None:
    assert changes("The museum is open from 9 a.m. to 5 p.m. on weekdays.") == []
    assert changes("Tickets cost from 5 to 12 euros.") == []
    assert moved("What was the price of oil in March 1974?", OIL, "US$3 per barrel to nearly $12") is None
    assert moved("How many trains ran?", "Twelve trains ran, up from nine.", "Twelve") is None


TOLL = ("Police revised the death toll of the Stanway Mills fire from two to one on Monday after a second man was "
        "found alive in hospital.")
OPENING = "The opening of the new Kestrel Bridge has been pushed back from spring 2027 to autumn 2027."
FLOODED = ("The number of homes flooded in Kestrel Haven now stands at 160, the council said on Wednesday, revising "
           "its earlier figure of 120 after surveyors reached streets cut off by water.")
FINAL_COST = ("The final cost of the repairs was 3.05 million euros, above the 2.7 million euros estimated in "
              "January, because a second pier was found to be cracked.")


@pytest.mark.parametrize(("question", "sentence", "span", "wanted"), [
    ("How many people died in the Stanway Mills fire?", TOLL, "two to one", "one"),
    ("How many people died in the Stanway Mills fire?", TOLL, "two", "one"),
    ("How many people died in the Stanway Mills fire?", "Police have revised the number of people who died in "
     "Saturday's fire at the Stanway Mills depot from two to one.", "two to one", "one"),  # 13 words before "from"
    ("When will the new Kestrel Bridge open?", OPENING, "spring 2027 to autumn 2027", "autumn 2027"),
    ("When was the Kestrel Bridge originally due to open?", OPENING, "spring 2027 to autumn 2027", "spring 2027"),
    # "B instead of A": the plan moved to B (an analyst's delivery date)
    ("When will MV Borealis be delivered?", "Our second hybrid ferry, MV Borealis, will now be delivered in January "
     "2026 instead of September 2025.", "September 2025", "January 2026"),
    ("When was MV Borealis originally due?", "MV Borealis will now be delivered in January 2026 instead of "
     "September 2025.", "January 2026", "September 2025"),
    ("What is the new fare?", "Day tickets will now cost €12 rather than €10.", "€10", "€12"),
    # a choice of two is no change (a reviewer's cases)
    ("How many jobs will Lumetric create in Manchester?", "Lumetric will create 50 jobs in Leeds rather than 30 "
     "in Manchester.", "30", None),
    ("How many carriages did the old trains have?", "The new trains have 8 carriages instead of 6 on the old "
     "fleet.", "6", None),
    # a range after a verb that is no change of it stays whole (a reviewer's cases)
    ("When will the festival run?", "The festival has moved to the old quay and will run from May to September.",
     "May to September", None),
    ("When was he finance director?", "He moved to Harrow Foods in 2011 and served as finance director from 2012 "
     "to 2015.", "2012 to 2015", None),
    # revisions in ordinary wording (the chat user's stop 59): the later figure first, the void one after
    ("How many homes were flooded?", FLOODED, "120", "160"),
    ("What was the council's earlier figure?", FLOODED, "160", "120"),
    ("How many people attended?", "The attendance has been revised from 22,000 to 18,500, after an audit.",
     "22,000 to 18,500", "18,500"),  # the comma after "18,500" is not the number's
    ("What did the repairs cost?", FINAL_COST, "2.7 million", "3.05 million"),
    ("What was the estimated cost of the repairs?", FINAL_COST, "3.05 million", "2.7 million"),
])
def test_a_revision_answers_with_the_value_that_holds(question: str, sentence: str, span: str,
                                                       wanted: str | None) -> None:
    """A revised figure or a moved date: the span holding both values ("Two to one [1].") said nothing."""
    assert moved(question, sentence, span) == wanted


STADIUM = {"arena": ("Kessler Arena crowds grow",
                     "Kessler Arena drew 41,500 visitors a game this season, up from 36,200 last season, the club "
                     "said. The club plans a new roof.")}


def test_the_assistant_answers_a_revised_toll_with_the_revised_value(tmp_path: Path) -> None:
    ask = asker(tmp_path, {"fire": ("Stanway Mills fire toll revised", TOLL)}, {"two to one": "CARDINAL"})
    assert ask("How many people died in the Stanway Mills fire?", {"two to one": 0.9}).startswith("One")


def test_the_assistant_answers_with_the_value_asked_for(tmp_path: Path) -> None:
    ask = asker(tmp_path, STADIUM, {"41,500": "CARDINAL", "36,200": "CARDINAL"})
    first_value = {"41,500 visitors": 0.9}  # the reader takes the reported value whatever is asked
    assert ask("How many visitors a game did Kessler Arena draw last season?", first_value).startswith("36,200")
    assert ask("How many visitors a game did Kessler Arena draw this season?", first_value).startswith("41,500")


@pytest.mark.parametrize(("question", "span", "wanted"), [
    ("How many crew were on the train?", "184", "three"),
    ("How many passengers were on the train?", "184", None),  # the span counts what is asked
    ("How many crew were on the train?", "three", None),
    ("How many carriages were on the train?", "184", None),  # nothing counts carriages
    ("When did the train leave?", "184", None),  # no count asked for
])
def test_a_how_many_span_moves_to_the_number_of_what_is_counted(question: str, span: str,
                                                                  wanted: str | None) -> None:
    sentence = "The 6:52 a.m. service was carrying 184 passengers and three crew when it struck mud."
    start = sentence.index(span)
    found = counted_value(question, sentence, start, start + len(span))
    assert (sentence[slice(*found)] if found is not None else None) == wanted


def test_a_count_that_leaves_its_noun_unsaid_counts_what_is_asked() -> None:
    sentence = "Emergency services treated 23 people at the scene and took six to hospital."
    start = sentence.index("six")
    assert counted_value("How many people were taken to hospital?", sentence, start, start + 3) is None


def test_a_count_saying_another_thing_than_asked_gives_way_to_the_one_that_says_it() -> None:
    """A news reader's "How many people died in the Stanway Mills fire?" was answered "Five" (the injured) from
    "Two people were killed and five were injured …"."""
    sentence = "Two people were killed and five were injured when fire swept through the depot."
    assert moved_count("How many people died in the fire?", sentence, "five") == "Two"
    assert moved_count("How many people were hurt?", sentence, "five") is None  # "injured" is what is asked
    # a count whose other says nothing the question asks besides the noun stays (a reviewer's case)
    assert moved_count("How many people were rescued?", "Forty people were on board and 38 were pulled from the "
                       "water alive.", "38") is None


def moved_count(question: str, sentence: str, span: str) -> str | None:
    start = sentence.index(span)
    found = counted_value(question, sentence, start, start + len(span))
    return None if found is None else sentence[slice(*found)]


UPTAKE = {"jabs": ("Flu jab uptake rises",
                   "Flu jab uptake among over-65s in Carrow rose by 4 percentage points this winter, to 58 percent. "
                   "The jobless rate stood at 6.1 percent, down from 6.6 percent, a fall of half a percentage point.")}


@pytest.mark.parametrize(("question", "sentence", "span", "wanted"), [
    ("By how much did uptake rise?", "Uptake rose by 4 percentage points this winter, to 58 percent.", "58 percent",
     "4 percentage points"),
    ("How much has the jobless rate fallen?", "It stood at 6.1 percent, a fall of half a percentage point.", "6.1",
     "half a percentage point"),
    ("By how much did fares go up?", "Fares went up 9 percent to 2.40 pounds.", "2.40 pounds", "9 percent"),
    ("By how much did the herd grow?", "The herd grew from 120 to 310 animals.", "310", "from 120 to 310"),
    ("What was uptake this winter?", "Uptake rose by 4 percentage points this winter, to 58 percent.", "58 percent",
     None),  # the level is asked
    ("By how much did rents rise?", "Rents reached 900 euros, the agency said.", "900 euros", None),  # no size said
    ("By how much did uptake rise?", "Uptake rose by 4 percentage points.", "4 percentage points", None),
])
def test_a_by_how_much_question_gets_the_size_of_the_change(question: str, sentence: str, span: str,
                                                             wanted: str | None) -> None:
    start = sentence.index(span)
    found = change_size(question, sentence, start, start + len(span))
    assert (None if found is None else sentence[slice(*found)]) == wanted


def test_the_assistant_answers_by_how_much_with_the_change_not_the_level(tmp_path: Path) -> None:
    """"By how much did flu uptake rise?" was answered "62 percent" (the level reached), "By how much did the
    unemployment rate fall?" "5.8 percent": the reader takes the level, the sentence says the change."""
    ask = asker(tmp_path, UPTAKE, {"58 percent": "PERCENT", "6.1 percent": "PERCENT"})
    assert ask("By how much did flu jab uptake among over-65s rise?", {"58 percent": 0.9}).startswith("4 percentage")
    assert ask("By how much did the jobless rate fall?", {"6.1 percent": 0.9}).lower().startswith("half a percentage")
    assert ask("What was flu jab uptake among over-65s this winter?", {"58 percent": 0.9}).startswith("58 percent")


PLANT = {"plant": ("Tarrow Mills to close its Ebbe plant",
                   "Tarrow Mills said on Monday it will close its Ebbe plant in June, with the loss of 180 jobs. "
                   "Work will move to its Carrick site.")}


def test_a_count_lost_is_not_given_for_a_count_created(tmp_path: Path) -> None:
    """"How many jobs will Brightwater Foods create in Dunmore?" was answered "250 jobs" from "… with the loss of
    250 jobs": the question's verb (create) and the sentence's (loss) are opposite, and the answer says so."""
    ask = asker(tmp_path, PLANT, {"180": "CARDINAL"})
    created = ask("How many jobs will Tarrow Mills create at its Carrick site?", {"180": 0.9})
    assert created.startswith("The articles report 180 jobs lost, not created"), created
    assert ask("How many jobs will Tarrow Mills cut at Ebbe?", {"180": 0.9}).startswith("180 jobs")
