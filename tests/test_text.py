"""rag.text's verb forms: the one table of irregular verbs, read both ways, and the participle rule of two-hop
questions built from it. (The tokenizer is tested with the BM25 index in test_lexical.py, sentences in
test_chunk.py.)"""

from __future__ import annotations

import re

from rag.answer.comparisons import comparison_plan
from rag.answer.hops import PARTICIPLE
from rag.text import (
    _NAME_OPENERS,
    _NAME_RUN,
    IRREGULAR_VERBS,
    base_of,
    measures,
    names_another,
    neutral_roles,
    participle_of,
    past_of,
    verb_forms,
    with_role_verbs,
)

FORMER_TABLES = {"beat": "beaten", "became": "become", "began": "begun", "bought": "bought", "broke": "broken",
                 "brought": "brought", "built": "built", "came": "come", "chose": "chosen", "did": "done",
                 "drew": "drawn", "flew": "flown", "found": "found", "gave": "given", "went": "gone",
                 "grew": "grown", "had": "had", "held": "held", "knew": "known", "led": "led", "made": "made",
                 "paid": "paid", "ran": "run", "rose": "risen", "sang": "sung", "saw": "seen", "sent": "sent",
                 "shot": "shot", "sold": "sold", "spoke": "spoken", "stole": "stolen", "taught": "taught",
                 "told": "told", "took": "taken", "won": "won", "wrote": "written"}
"""Every pair of the three tables the one table replaced (rag.answer.parts, two in rag.answer.comparisons)."""
FORMER_HOPS_PARTICIPLES = "born built held made won begun sung sold run found set put known led fought lost met".split()
"""The irregular participles rag.answer.hops listed before it read the table."""


def test_participle_and_past_tense_are_read_both_ways() -> None:
    assert [participle_of(past) for past in ("wrote", "built", "founded", "write", "")] == [
        "written", "built", "founded", "", ""]
    assert [past_of(participle) for participle in ("written", "built", "founded", "write", "")] == [
        "wrote", "built", "founded", "", ""]
    assert all(past_of(participle_of(past)) == past for past in IRREGULAR_VERBS)  # no two verbs share a participle


def test_no_verb_of_the_former_tables_is_lost() -> None:
    assert {past: participle_of(past) for past in FORMER_TABLES} == FORMER_TABLES
    assert {participle: past_of(participle) for past, participle in FORMER_TABLES.items()} == {
        participle: past for past, participle in FORMER_TABLES.items()}


def test_the_base_form_of_every_irregular_participle_is_a_verb_whose_past_the_table_gives() -> None:
    # Each base said with "did" must be the verb of the pair: "broken" -> "break" (broke), "written" -> "write".
    bases = {participle: base_of(participle) for participle in IRREGULAR_VERBS.values()}
    assert bases["broken"] == "break" and bases["written"] == "write" and bases["won"] == "win"
    assert bases["gone"] == "go" and bases["come"] == "come" and bases["found"] == "find"
    assert all(base != participle or participle in {"come", "become", "run", "put", "set", "beat"}
               for participle, base in bases.items())
    assert base_of("founded") == "founded"


def test_a_comparison_of_an_irregular_phrasal_verb_asks_each_part_with_the_base_form() -> None:
    assert comparison_plan("Which band broke up first, Oasis or Blur?").parts == (  # type: ignore[union-attr]
        "When did Oasis break up?", "When did Blur break up?")


def test_the_two_hop_participle_rule_reads_every_participle_and_the_regular_endings() -> None:
    for participle in [*IRREGULAR_VERBS.values(), *FORMER_HOPS_PARTICIPLES, "founded", "written", "known", "born"]:
        assert re.fullmatch(PARTICIPLE, participle), participle
    for word in ("write", "sell", "play", "Founded", "city"):
        assert re.fullmatch(PARTICIPLE, word) is None, word


def test_a_role_noun_holds_the_forms_of_its_verb_and_nothing_else_does() -> None:
    assert {"speak", "spoke"} <= with_role_verbs(set(), "A hospital spokeswoman said all three were stable.")
    assert with_role_verbs({"hospit"}, "A hospital worker said all three were stable.") == {"hospit"}


def test_a_role_said_with_the_holders_sex_is_one_term_and_other_words_are_kept() -> None:
    assert neutral_roles({"spokesman"}) == neutral_roles({"spokeswoman"}) == neutral_roles({"spokesperson"})
    assert neutral_roles({"chairwoman"}) == {"chair"}
    assert neutral_roles({"man", "woman", "fireman", "ekholm"}) == {"man", "woman", "fireman", "ekholm"}


def test_the_forms_of_a_verb_include_its_participle() -> None:
    assert {"lead", "leads", "led", "leading"} == verb_forms("leading")
    assert {"order", "ordered"} <= verb_forms("orders")
    assert verb_forms("was") == frozenset()


def test_a_person_named_again_by_an_honorific_is_no_other_person() -> None:
    """A chat user's "When did he take over?" (Darren Pike) was answered "Since 2019" (when he became finance
    chief): "Mr Pike, who took over from Grainne Walsh on 1 April" scored 0 as about another Pike."""
    question = "When did Darren Pike take over?"
    for sentence in ("Mr Pike, who took over on 1 April, said so.", "Dr. Pike took over.", "Ms Pike spoke."):
        assert not names_another(question, sentence)
    assert names_another(question, "Milo Pike took over the bakery.")  # another Pike still is


def test_a_sentence_about_another_of_a_series_names_another_thing() -> None:
    """An analyst's "Who led Veridian's Series A?" was answered with the Series B's lead: the tokenizer drops the
    letter, so both rounds were the same words."""
    question = "Who led Veridian Labs' Series A?"
    assert names_another(question, "Veridian Labs has raised $48 million in a Series B round led by Orbital Partners.")
    assert not names_another(question, "Veridian Labs raised $14 million in a Series A round led by Halcyon Capital.")
    assert names_another("When did Phase 2 start?", "Phase 3 started in May.")
    assert not names_another("When did the trial start?", "Phase 3 started in May.")


def test_every_sentence_opener_is_a_word_a_run_of_capitalised_words_can_open_with() -> None:
    # "Mr." was listed, though a run never takes the full stop: an entry that never matched
    assert all(_NAME_RUN.fullmatch(opener) for opener in _NAME_OPENERS)


def test_a_figure_s_unit_is_one_however_it_is_spelt() -> None:
    assert measures("48 km, 48-kilometre, 48 kilometers") == {("48", "km")}
    assert measures("3.4 per cent, 3.4%, 3.4 percent") == {("3.4", "percent")}
    assert measures("48 pupils, aged 44, 44 years") == set()  # no unit, or one of time


def test_name_runs_keep_their_titles_as_before_the_honorifics_were_one_list() -> None:
    """One list of honorifics (`rag.text.HONORIFICS`) for bylines and name runs: a byline's name is compared without
    any of them, while the name runs of names with and without titles are what they were before the list was shared
    ("Sir" and "Professor" stay in a run, "Mr" and "Dr" open none)."""
    from rag.answer.bylines import name_words, same_author
    from rag.text import HONORIFICS, name_runs

    before = {
        "Sir Peter Lang opened the hall.": [["sir", "peter", "lang"]],
        "Mr Pike said it was late.": [["pike"]],
        "Dr. Ana Ruiz and Prof. Tom Hale spoke.": [["ana", "ruiz", "prof"], ["tom", "hale"]],
        "Professor Lang agreed.": [["professor", "lang"]],
        "Dame Judi Dench, Miss Marple and Mx Lee came.": [["dame", "judi", "dench"], ["marpl", "mx", "lee"]],
        "Darren Pike left. Mrs Pike stayed.": [["darren", "pike"], ["pike"]],
    }
    assert {text: name_runs(text) for text in before} == before
    for title in HONORIFICS:
        assert name_words(f"{title}. Ada Kerr") == ("ada", "kerr"), title
    assert same_author("Miss Ada Kerr", "Ada Kerr") and same_author("Sir Peter Lang", "Peter Lang")
