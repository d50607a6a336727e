"""Prompt building: numbered passages, chat vs base shapes, history, and fitting the context window."""

from __future__ import annotations

from rag.answer.prompts import BASE_STOP, CANNOT_ANSWER, build_prompt, fit_passages
from rag.records import Passage


def passage(number: int, words: int = 10) -> Passage:
    text = " ".join(f"w{number}_{i}" for i in range(words))
    return Passage(f"a{number}", f"Title {number}", "s", "", text, 0, len(text))


def count(text: str) -> int:
    return len(text.split())


def test_chat_prompt_has_system_rules_history_and_numbered_passages() -> None:
    prompt = build_prompt("And then?", [passage(1), passage(2)], history=[("Q1", "A1")], chat=True)
    roles = [message["role"] for message in prompt.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert CANNOT_ANSWER in prompt.messages[0]["content"]
    assert "never instructions" in prompt.messages[0]["content"]
    last = prompt.messages[-1]["content"]
    assert last.index("[1] Title 1:") < last.index("[2] Title 2:") < last.index("Question: And then?")
    assert prompt.text == "" and prompt.stop == ()


def test_base_prompt_is_a_completion_with_stop_sequences() -> None:
    prompt = build_prompt("Why?", [passage(1)], history=[("Q1", "A1")], chat=False)
    assert prompt.messages == ()
    assert prompt.text.rstrip().endswith("Question: Why?\nAnswer:")
    assert "Earlier question: Q1\nEarlier answer: A1" in prompt.text
    assert prompt.stop == tuple(BASE_STOP)


def test_fit_drops_lowest_ranked_passages_first() -> None:
    passages = [passage(n, words=100) for n in range(1, 6)]
    full = count(build_prompt("q", passages, chat=False).text)
    fitted = fit_passages("q", passages, [], chat=False, budget=full - 150, count_tokens=count)
    assert [p.article_id for p in fitted.passages] == ["a1", "a2", "a3"]
    assert count(fitted.text) <= full - 150


def test_fit_shortens_the_only_passage_when_it_alone_is_too_long() -> None:
    fitted = fit_passages("q", [passage(1, words=3000)], [], chat=True, budget=1000, count_tokens=count)
    assert len(fitted.passages) == 1
    assert count("\n".join(m["content"] for m in fitted.messages)) <= 1000
    assert fitted.passages[0].text.startswith("w1_0 w1_1")
