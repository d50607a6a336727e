"""A realistic corpus of any size for lexical (BM25) search at scale, and real questions to ask it (issue 23).

Synthetic word documents (`tools.bench.synthetic_documents`) have the wrong statistics for BM25: their most
frequent words are in most passages, as stop words would be, where real questions lose those to the tokenizer. This
corpus is made of real text instead: the sentences of the SQuAD 2.0 articles in `../shared/eval` (the 35 dev
articles and the 10 of the train sample; the bundled sample articles when that folder is absent), recombined:

- **passages**: each is a run of consecutive sentences of one source article, from a random sentence, as many
  sentences as a random paragraph of the sources holds (so that passage lengths are the sources' paragraph
  lengths), with the article's title (BM25 indexes it with the text);
- **replicas, and words that stay rare**: a million passages made from 1,900 paragraphs repeat each sentence about
  500 times, which would put every name in hundreds of passages. So each passage belongs to a replica `r` (one of
  `replicas` = passages / source paragraphs) and a word is respelled by replica: a word in `df` of the `P` source
  paragraphs has `variant_count` spellings, `replicas ** (1 - log(df) / log(C))` for a word rarer than the common
  ones (`C`: `COMMON_SHARE` of the paragraphs), and replica `r` writes spelling `r % count` (spelling 0 is the word
  itself). A word of one source paragraph thus has a spelling of its own in every replica (it stays in about one
  passage in `P`: rare words stay rare, and the vocabulary grows with the corpus as real vocabularies do), common
  words keep one spelling (in the same share of passages as in the sources: "state", "first", "city" are in
  tens of thousands of a million passages), and between the two a word's document frequency grows as a power of
  its source frequency. Stop words are never respelled (the tokenizer drops them).
- **questions**: the dev questions as written (`questions`), about the source articles: their words are the
  words of replica 0, so a question's rare words find a few passages among the million and its common words many.

Everything is seeded: the same arguments give the same passages, in the same order (the stores are loaded and the
reference computed from two runs of the generator).
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.records import Passage
from rag.text import STOP_WORDS, fold, split_sentences

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
SOURCES = (SHARED_EVAL / "squad2-dev", SHARED_EVAL / "squad2-train-sample")
"""The articles the corpus is made of (when present): SQuAD 2.0 dev and the train sample."""
SAMPLES = ROOT / "rag" / "samples"
PASSAGES_PER_ARTICLE = 8
SOURCE_NAMES = 20
"""Synthetic articles are spread over this many sources and over `DAYS` publication dates (for filters)."""
DAYS = 730
COMMON_SHARE = 0.01
"""Words in at least this share of the source paragraphs are common words: never respelled."""
_WORD = re.compile(r"[^\W_]+")
_LETTERS = "bcdfghjkmnpqrtvz"  # no vowel, "s" or "y": the stemmer leaves such endings alone


@dataclass(frozen=True)
class SourceArticle:
    """An article the corpus is made of: its title, its sentences, and how many sentences each paragraph has."""

    title: str
    sentences: tuple[str, ...]
    paragraph_sizes: tuple[int, ...]


def read_sources(folders: Sequence[Path] = SOURCES) -> list[SourceArticle]:
    """The SQuAD articles of `folders` (`articles.jsonl`, paragraphs separated by a blank line); the bundled sample
    articles when none of the folders exists (the project runs without ../shared)."""
    texts: list[tuple[str, str]] = []
    for folder in folders:
        path = folder / "articles.jsonl"
        if path.exists():
            records = map(json.loads, path.read_text("utf-8").splitlines())
            texts += [(record["title"], record["text"]) for record in records]
    if not texts:
        texts = [(path.stem.replace("-", " "), path.read_text("utf-8")) for path in sorted(SAMPLES.iterdir())
                 if path.suffix in (".md", ".txt")]
    articles = []
    for title, text in texts:
        sentences: list[str] = []
        sizes: list[int] = []
        for span in split_sentences(text):
            if span.paragraph_start or not sizes:
                sizes.append(0)
            sizes[-1] += 1
            sentences.append(text[span.start:span.end])
        if sentences:
            articles.append(SourceArticle(title, tuple(sentences), tuple(sizes)))
    return articles


def variant_count(frequency: int, common: int, replicas: int) -> int:
    """How many spellings a word held by `frequency` source paragraphs gets when words held by `common` or more are
    common words and the corpus has `replicas` replicas: all of them for a word of one paragraph, one for a common
    word, a power law between.

    >>> [variant_count(frequency, 20, 500) for frequency in (1, 2, 5, 20, 400)]
    [500, 119, 18, 1, 1]
    """
    share = min(1.0, math.log(max(frequency, 1)) / math.log(max(common, 2)))
    return max(1, min(replicas, round(replicas ** (1.0 - share))))


def spelling(word: str, number: int) -> str:
    """Spelling `number` of `word` (0: the word itself): a suffix of consonants the stemmer keeps.

    >>> spelling("Crisis", 0), spelling("Crisis", 1), spelling("1973", 17)
    ('Crisis', 'Crisisxc', '1973xcc')
    """
    if number == 0:
        return word
    letters = []
    while number:
        number, digit = divmod(number, len(_LETTERS))
        letters.append(_LETTERS[digit])
    return f"{word}x{''.join(letters)}"


class Corpus:
    """`count` passages made from `articles` (see the module docstring), generated in order by `passages`."""

    def __init__(self, count: int, articles: Sequence[SourceArticle], seed: int = 0) -> None:
        self.count = count
        self.articles = list(articles)
        self.seed = seed
        paragraphs = [size for article in self.articles for size in article.paragraph_sizes]
        self.paragraph_sizes = paragraphs
        self.replicas = max(1, math.ceil(count / len(paragraphs)))
        frequencies: Counter[str] = Counter()
        for article in self.articles:
            start = 0
            for size in article.paragraph_sizes:
                frequencies.update({fold(word) for sentence in article.sentences[start:start + size]
                                    for word in _WORD.findall(sentence)})
                start += size
        common = max(2, round(COMMON_SHARE * len(paragraphs)))
        self.variants = {word: variant_count(number, common, self.replicas) for word, number in frequencies.items()
                         if word not in STOP_WORDS}

    def respelled(self, text: str, replica: int) -> str:
        """`text` as replica `replica` writes it."""
        if replica == 0:
            return text
        variants = self.variants

        def respell(match: re.Match[str]) -> str:
            word = match.group(0)
            count = variants.get(fold(word), 1)
            return word if count == 1 else spelling(word, replica % count)

        return _WORD.sub(respell, text)

    def passages(self) -> Iterator[Passage]:
        """The passages, `PASSAGES_PER_ARTICLE` to an article (one source article and replica each)."""
        rng = random.Random(self.seed)
        weights = [len(article.sentences) for article in self.articles]
        made = 0
        number = 0
        while made < self.count:
            article = rng.choices(self.articles, weights)[0]
            replica = rng.randrange(self.replicas)
            article_id = f"c{number:07d}"
            source = f"source{number % SOURCE_NAMES:02d}"
            published = f"{2024 + (number % DAYS) // 365}-{1 + (number % 365) // 31:02d}-{1 + number % 28:02d}"
            title = self.respelled(article.title, replica)
            offset = 0
            for _ in range(min(PASSAGES_PER_ARTICLE, self.count - made)):
                size = rng.choice(self.paragraph_sizes)
                first = rng.randrange(len(article.sentences))
                text = self.respelled(" ".join(article.sentences[first:first + size]), replica)
                yield Passage(article_id, title, source, "", text, offset, offset + len(text), published=published)
                offset += len(text) + 2
                made += 1
            number += 1


def questions(count: int | None = None, seed: int = 0, folder: Path = SOURCES[0]) -> list[str]:
    """`count` dev questions (all when None), seeded; questions made of the sample articles' titles and first
    sentences' words when the dev set is absent."""
    path = folder / "questions.jsonl"
    if path.exists():
        found = [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines()]
    else:
        found = [f"What about {article.title} and {' '.join(article.sentences[0].split()[:6])}?"
                 for article in read_sources(())]
    if count is not None and count < len(found):
        found = random.Random(seed).sample(found, count)
    return found
