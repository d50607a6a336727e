"""The lexical (BM25) index: tokenizer, ranking, row alignment with the vector index through add, delete, save and
load, and rebuilding from the passages for an index saved without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexFormatError
from rag.records import Passage
from rag.store.generations import ArticleRecord, PassageIndex, current_generation
from rag.store.lexical import FOLDER, LexicalIndex
from rag.text import tokenize, words


def passage(article: str, text: str, title: str = "", start: int = 0) -> Passage:
    return Passage(article, title or f"Title of {article}", "feed.jsonl", "", text, start, start + len(text))


CORPUS = [
    passage("bridge", "The Hallam footbridge reopened in March after repairs to its cables."),
    passage("bridge", "Engineers replaced the corroded cables over the winter.", start=80),
    passage("budget", "The council approved a budget of 4.2 million for roads and parks."),
    passage("regatta", "Rowers from twelve clubs raced on the Lenn for the Kestrel Cup."),
    passage("lake", "A survey of Lake Orwin counted otters, herons and a rare stonefly, Isoperla grammatica."),
]


def test_tokenizer_folds_case_accents_and_stems() -> None:
    assert tokenize("Bridges REOPENED") == tokenize("bridge reopens")
    assert tokenize("café") == tokenize("Cafe")
    assert words("Who was the 1st mayor of Ürümqi?") == ["1st", "mayor", "urumqi"]


def test_search_ranks_the_passage_holding_the_rare_terms_first() -> None:
    index = LexicalIndex()
    index.add(CORPUS)
    rows, scores = index.search("Which stonefly lives in the lake?", k=3)
    assert rows[0] == 4
    assert list(scores) == sorted(scores, reverse=True)
    assert index.search("zeppelin", k=3)[0].size == 0  # no shared term: nothing, rather than arbitrary rows


def test_title_is_indexed_with_every_passage() -> None:
    index = LexicalIndex()
    index.add([passage("a", "It opened in 1932.", title="Hallam Lido"), passage("b", "It closed in 1990.")])
    rows, _ = index.search("Hallam Lido", k=2)
    assert rows.tolist() == [0]


def test_search_only_within_allowed_rows() -> None:
    index = LexicalIndex()
    index.add(CORPUS)
    rows, _ = index.search("cables", k=5, allowed=np.array([1, 2, 3]))
    assert rows.tolist() == [1]


def test_delete_keeps_rows_aligned_and_rescores() -> None:
    index = LexicalIndex()
    index.add(CORPUS)
    before = index.search("cables", k=5)[0].tolist()
    assert sorted(before) == [0, 1]
    index.delete([0, 2])
    assert len(index) == 3
    # Old row 1 is now row 0, old rows 3 and 4 are rows 1 and 2.
    assert index.search("cables", k=5)[0].tolist() == [0]
    assert index.search("stonefly", k=5)[0].tolist() == [2]
    assert index.search("budget", k=5)[0].size == 0


def test_delete_rejects_rows_it_does_not_hold() -> None:
    index = LexicalIndex()
    index.add(CORPUS[:2])
    with pytest.raises(IndexError, match="row 5"):
        index.delete([5])


def test_adding_after_a_search_rebuilds_the_scores() -> None:
    index = LexicalIndex()
    index.add(CORPUS[:2])
    assert index.search("stonefly", k=1)[0].size == 0
    index.add(CORPUS[2:])
    assert index.search("stonefly", k=1)[0].tolist() == [4]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = LexicalIndex()
    index.add(CORPUS)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, CORPUS)
    for query in ("cables", "Kestrel Cup rowers", "budget parks", "otters"):
        np.testing.assert_allclose(loaded.scores(query), index.scores(query), rtol=1e-6)
    loaded.add([passage("new", "A new stonefly species was named.")])  # loaded indexes stay changeable
    assert set(loaded.search("stonefly", k=5)[0].tolist()) == {4, 5}


def test_load_refuses_a_lexical_index_of_another_length(tmp_path: Path) -> None:
    index = LexicalIndex()
    index.add(CORPUS)
    index.save(tmp_path)
    with pytest.raises(IndexFormatError, match="holds 5 passages but the index has 4"):
        LexicalIndex.load(tmp_path, CORPUS[:4])


def test_empty_index_searches_save_and_load(tmp_path: Path) -> None:
    index = LexicalIndex()
    assert index.search("anything", k=3)[0].size == 0
    index.save(tmp_path)
    assert len(LexicalIndex.load(tmp_path, [])) == 0


# -- inside the PassageIndex ---------------------------------------------------------------------------------------


def passage_index(passages: list[Passage]) -> PassageIndex:
    index = PassageIndex("toy", 4)
    vectors = np.eye(4, dtype=np.float32)[np.arange(len(passages)) % 4]
    records = [ArticleRecord(article_id, f"hash-{article_id}", article_id, "feed.jsonl")
               for article_id in dict.fromkeys(p.article_id for p in passages)]
    index.add(passages, vectors, records)
    return index


def assert_aligned(index: PassageIndex) -> None:
    assert len(index.lexical) == len(index.passages) == index.vectors.ntotal
    for row, stored in enumerate(index.passages):
        assert index.lexical.search(stored.text, k=1, allowed=np.array([row]))[0].tolist() == [row]
        best_row = index.lexical.search(stored.text, k=1)[0][0]
        assert index.passages[best_row].text == stored.text


def test_passage_index_keeps_lexical_rows_aligned_through_delete_save_and_load(tmp_path: Path) -> None:
    index = passage_index(CORPUS)
    assert_aligned(index)
    index.delete(["bridge"])
    assert_aligned(index)
    index.save(tmp_path)
    assert (current_generation(tmp_path) / FOLDER / "tokens.npy").exists()
    loaded = PassageIndex.load(tmp_path)
    assert_aligned(loaded)
    loaded.add([passage("bridge", "The footbridge cables were replaced.")], np.eye(4, dtype=np.float32)[:1])
    assert_aligned(loaded)
    rows, _ = loaded.lexical.search("footbridge cables", k=1)
    assert loaded.passages[rows[0]].article_id == "bridge"


def test_an_index_saved_without_the_lexical_part_gets_it_rebuilt_on_load(tmp_path: Path) -> None:
    index = passage_index(CORPUS)
    index.save(tmp_path)
    shutil.rmtree(current_generation(tmp_path) / FOLDER)
    loaded = PassageIndex.load(tmp_path)
    assert_aligned(loaded)


def test_the_score_matrix_equals_bm25s_own_build() -> None:
    import bm25s

    index = LexicalIndex()
    index.add(CORPUS * 3)
    index.delete([1, 7])
    ours = getattr(index._built(), "scores")  # noqa: B009 (bm25s's model object is untyped)
    documents = [index.tokens[index.offsets[row]:index.offsets[row + 1]].tolist() for row in range(len(index))]
    reference = bm25s.BM25(k1=index.k1, b=index.b, method="lucene").build_index_from_ids(
        list(range(len(index.vocabulary))), documents, show_progress=False)
    np.testing.assert_array_equal(ours["indptr"], reference["indptr"])
    np.testing.assert_array_equal(ours["indices"], reference["indices"])
    np.testing.assert_allclose(ours["data"], reference["data"], rtol=1e-5)
