"""The quality suite in one command: every question set docs/quality.md reports, run side by side, its figures, and
two runs compared question by question (what each stop's before/after table is made of).

    python -m tools.eval.suite prepare ../shared --work /tmp/rag-eval    # question subsets and indexes, once (~5 min)
    python -m tools.eval.suite run /tmp/rag-eval/after --work /tmp/rag-eval          # every set, four jobs (~50 min)
    python -m tools.eval.suite run /tmp/rag-eval/after --work /tmp/rag-eval --only calib ndev
    python -m tools.eval.suite score /tmp/rag-eval/after/ndev.jsonl                   # the figures of one details file
    python -m tools.eval.suite compare /tmp/rag-eval/before/ndev.jsonl /tmp/rag-eval/after/ndev.jsonl --show

`run` answers with the checkout it is started from (`python -m` from the repository root), one thread per job
(`RAG_THREADS=1`): answers are then the same whatever else runs, so a run split over jobs, or over machines with the
same CPU kind, adds up. Each set writes `NAME.txt` (the tool's own report) and, for single questions, dialogues and
two-hop items, `NAME.jsonl` (one line per question, what `score` and `compare` read). `score` takes patch files too:
the rows of a later, partial run replace the same questions' rows (a change that can only touch a few questions is
run on those alone and merged).

A change that acts only after the model writes (which passage is cited, which sentence quoted, a refusal gate after
the model, an answer rewritten) need not wait for the model: `tools.eval.replay` answers a `rag eval` set again with
the model's words its details file stored, and writes a details file `score` and `compare` read (rows whose question
now asks the model for words the stored run does not hold say `"replay": "needs model"`):

    python -m tools.eval.replay /tmp/rag-eval/before/calib.jsonl /tmp/rag-eval/calib-400.jsonl \\
        --index /tmp/rag-eval/squad-dev --details /tmp/rag-eval/after/calib.jsonl

Which sets are fitted on and which are held out is docs/quality.md's business; `SETS` says it beside each, so that
a report never mixes them up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.eval.dialogues import read_jsonl

SQUAD = Path("eval/squad2-dev")
"""The SQuAD 2.0 dev articles and questions, under the shared data folder."""

NEWS = Path("tools/eval")
"""The project's own news sets, in the repository."""


@dataclass(frozen=True)
class QuestionSet:
    """One set of the suite: `command` (its arguments after `python -m`, with `{work}` for the work folder and
    `{out}` for the output file stem), whether it writes details (`NAME.jsonl`), and whether it is held out."""

    name: str
    command: tuple[str, ...]
    held_out: bool
    details: bool = True


def _eval(questions: str, index: str, *extra: str) -> tuple[str, ...]:
    return ("rag.cli", "eval", questions, "--index", index, *extra, "--details", "{out}.jsonl")


SETS: tuple[QuestionSet, ...] = (
    QuestionSet("calib", _eval("{work}/calib-400.jsonl", "{work}/squad-dev"), held_out=False),
    QuestionSet("h300", _eval("{work}/heldout-300.jsonl", "{work}/squad-dev"), held_out=True),
    QuestionSet("h1000", _eval("{work}/held-1000.jsonl", "{work}/squad-dev"), held_out=True),
    QuestionSet("ndev", _eval(f"{NEWS}/news_dev/questions.jsonl", "{work}/news-dev"), held_out=False),
    QuestionSet("nheld", _eval(f"{NEWS}/news_heldout/questions.jsonl", "{work}/news-heldout"), held_out=True),
    QuestionSet("notidx", _eval("{work}/odd-answerable.jsonl", "{work}/squad-even", "--limit", "100", "--seed",
                                "13"), held_out=True),
    QuestionSet("even", ("tools.eval.dialogues", "score", f"{NEWS}/dialogues-even.jsonl", "--index",
                         "{work}/squad-dev", "--details", "{out}.jsonl"), held_out=False),
    QuestionSet("odd", ("tools.eval.dialogues", "score", f"{NEWS}/dialogues-odd.jsonl", "--index",
                        "{work}/squad-dev", "--details", "{out}.jsonl"), held_out=True),
    QuestionSet("twohop", ("tools.eval.two_hop", f"{NEWS}/two_hop_invented.jsonl", "--details", "{out}.jsonl"),
                held_out=False),
    QuestionSet("twohopb", ("tools.eval.two_hop", f"{NEWS}/two_hop_invented_b.jsonl", "--details", "{out}.jsonl"),
                held_out=False),
    QuestionSet("twohopc", ("tools.eval.two_hop", f"{NEWS}/two_hop_invented_c.jsonl", "--details", "{out}.jsonl"),
                held_out=True),
    *(QuestionSet(f"nfu{suffix}", ("tools.eval.news_follow_ups", "--failures", "--set",
                                   f"{NEWS}/news_follow_ups{suffix}.jsonl"), held_out=suffix == "_d", details=False)
      for suffix in ("", "_b", "_c", "_d")),
    QuestionSet("samples", ("tools.eval.samples", "--index", "{work}/sample-index"), held_out=False, details=False),
)
"""Every set, in the order docs/quality.md's tables give them. Held out: nothing was trained, calibrated or fitted on
their articles (SQuAD's odd articles, the held-out news stories, the blind sets); the others were read to choose
rules and thresholds."""

LONGEST_FIRST = ("h1000", "nheld", "calib", "ndev", "h300", "even", "odd")
"""The sets that take longest (minutes on 2 cores), started first so that the jobs end together."""


def command_line(question_set: QuestionSet, work: Path, out: Path, python: str = sys.executable) -> list[str]:
    """The command that runs `question_set` with the work folder `work`, writing into the folder `out`.

    >>> calib = next(s for s in SETS if s.name == "calib")
    >>> command_line(calib, Path("/w"), Path("/o"), "py")[1:]
    ['-m', 'rag.cli', 'eval', '/w/calib-400.jsonl', '--index', '/w/squad-dev', '--details', '/o/calib.jsonl']
    """
    stem = str(out / question_set.name)
    return [python, "-m", *(part.format(work=work, out=stem) for part in question_set.command)]


def chosen(names: Sequence[str] | None) -> list[QuestionSet]:
    """The sets named (all when none), the longest first; an unknown name is an error that lists the known ones.

    >>> [s.name for s in chosen(["samples", "ndev"])]
    ['ndev', 'samples']
    """
    known = {question_set.name: question_set for question_set in SETS}
    unknown = [name for name in names or () if name not in known]
    if unknown:
        raise SystemExit(f"unknown set(s) {', '.join(unknown)}: choose from {', '.join(known)}")
    picked = [known[name] for name in names] if names else list(SETS)
    return sorted(picked, key=lambda s: LONGEST_FIRST.index(s.name) if s.name in LONGEST_FIRST else len(SETS))


def run(sets: Sequence[QuestionSet], work: Path, out: Path, jobs: int) -> int:
    """Run `sets` in `jobs` processes at once, each writing `NAME.txt` in `out`; the number that failed."""
    out.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "RAG_THREADS": "1"}
    waiting, failed = list(sets), 0
    running: list[tuple[QuestionSet, subprocess.Popen[bytes]]] = []
    started = time.monotonic()
    while waiting or running:
        while waiting and len(running) < jobs:
            question_set = waiting.pop(0)
            with (out / f"{question_set.name}.txt").open("w") as report:
                process = subprocess.Popen(command_line(question_set, work, out), stdout=report,
                                           stderr=subprocess.STDOUT, env=environment)
            running.append((question_set, process))
            print(f"started {question_set.name}", flush=True)
        time.sleep(2)
        for question_set, process in list(running):
            if process.poll() is not None:
                running.remove((question_set, process))
                failed += process.returncode != 0
                state = "done" if process.returncode == 0 else f"FAILED ({process.returncode}): see its .txt"
                print(f"{question_set.name} {state} after {(time.monotonic() - started) / 60:.1f} min", flush=True)
    return failed


# -- preparing the work folder ----------------------------------------------------------------------------------------


def _write(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _article_number(row: Mapping[str, Any]) -> int:
    """The number of a SQuAD dev article id ("a013" -> 13)."""
    return int(str(row["article_id"])[1:])


def subsets(questions: Sequence[Mapping[str, Any]], articles: Sequence[Mapping[str, Any]],
            qids: Mapping[str, set[str]]) -> dict[str, list[Mapping[str, Any]]]:
    """The question and article files the suite's SQuAD sets read: the questions of each qid list (in the dev set's
    order), the even-numbered articles (an index the odd ones' questions are "not in"), and the odd articles'
    answerable questions.

    >>> questions = [{"qid": "q1", "article_id": "a001", "is_impossible": False},
    ...              {"qid": "q2", "article_id": "a002", "is_impossible": False},
    ...              {"qid": "q3", "article_id": "a003", "is_impossible": True}]
    >>> made = subsets(questions, [{"article_id": "a001"}, {"article_id": "a002"}], {"calib-400": {"q2"}})
    >>> [row["qid"] for row in made["calib-400"]], made["even-articles"], [r["qid"] for r in made["odd-answerable"]]
    (['q2'], [{'article_id': 'a002'}], ['q1'])
    """
    made: dict[str, list[Mapping[str, Any]]] = {
        name: [row for row in questions if row["qid"] in wanted] for name, wanted in qids.items()}
    made["even-articles"] = [row for row in articles if _article_number(row) % 2 == 0]
    made["odd-answerable"] = [row for row in questions
                              if not row.get("is_impossible") and _article_number(row) % 2 == 1]
    return made


QID_FILES = {"calib-400": "calibration-400.qids", "heldout-300": "heldout-300.qids", "held-1000": "held-1000.qids"}
"""The question lists the SQuAD sets are made of (tools/eval/*.qids), by the file they become."""

INDEXES = {"squad-dev": "{shared}/eval/squad2-dev/articles.jsonl", "squad-even": "{work}/even-articles.jsonl",
           "news-dev": f"{NEWS}/news_dev/articles.jsonl", "news-heldout": f"{NEWS}/news_heldout/articles.jsonl",
           "sample-index": "rag/samples"}
"""The indexes the sets search, by folder name under the work folder, and what each is built from."""


def prepare(shared: Path, work: Path) -> None:
    """Write the question subsets and build the indexes into `work` (an index already there is kept)."""
    work.mkdir(parents=True, exist_ok=True)
    squad = shared / SQUAD
    if not (squad / "questions.jsonl").exists():
        raise SystemExit(f"no {squad / 'questions.jsonl'}: give the shared data folder (the one holding eval/)")
    qids = {name: set((NEWS / file).read_text().split()) for name, file in QID_FILES.items()}
    made = subsets(read_jsonl(squad / "questions.jsonl"), read_jsonl(squad / "articles.jsonl"), qids)
    for name, rows in made.items():
        print(f"{name}: {_write(work / f'{name}.jsonl', rows)} rows", flush=True)
    for folder, source in INDEXES.items():
        if (work / folder).exists():
            print(f"{folder}: kept", flush=True)
            continue
        print(f"{folder}: indexing {source.format(shared=shared, work=work)}", flush=True)
        subprocess.run([sys.executable, "-m", "rag.cli", "index", source.format(shared=shared, work=work),
                        "--index", str(work / folder)], check=True)


# -- figures and comparisons ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What docs/quality.md reports of a details file: counts, and the ratios of issue 22's targets."""

    questions: int
    answerable: int
    text: int
    evidence: int
    cited: int
    cited_gold: int
    unanswerable: int
    unanswerable_refused: int
    false_refusals: int
    not_indexed: int
    not_indexed_refused: int

    def line(self) -> str:
        """The figures as one line: text / evidence / citation precision / unanswerable refused / false refusals.

        >>> Figures(4, 2, 1, 2, 4, 3, 2, 1, 0, 0, 0).line().split(" / ")
        ['answerable 2: text 0.500 (1)', 'evidence 1.000 (2)', 'citation precision 0.750 (4)', \
'unanswerable refused 0.500 (1 of 2)', 'false refusals 0.000 (0)']
        """
        def ratio(part: int, whole: int) -> str:
            return f"{part / whole:.3f}" if whole else "-"

        parts = [f"answerable {self.answerable}: text {ratio(self.text, self.answerable)} ({self.text})",
                 f"evidence {ratio(self.evidence, self.answerable)} ({self.evidence})",
                 f"citation precision {ratio(self.cited_gold, self.cited)} ({self.cited})"]
        if self.unanswerable:
            parts.append(f"unanswerable refused {ratio(self.unanswerable_refused, self.unanswerable)} "
                         f"({self.unanswerable_refused} of {self.unanswerable})")
        parts.append(f"false refusals {ratio(self.false_refusals, self.answerable)} ({self.false_refusals})")
        if self.not_indexed:
            parts.append(f"not indexed refused {ratio(self.not_indexed_refused, self.not_indexed)} "
                         f"({self.not_indexed_refused} of {self.not_indexed})")
        return " / ".join(parts)


def figures(rows: Iterable[Mapping[str, Any]]) -> Figures:
    """The figures of `rag eval --details` rows, counted as `rag eval` counts them: the answer's own text holding
    gold, the shown evidence holding it (not refused), cited passages holding it (answers not refused),
    unanswerable questions refused, answerable ones refused, and questions whose article is not indexed refused.

    >>> rows = [{"indexed": True, "impossible": False, "refused": False, "contains_text": True, "contains": True,
    ...          "citations": [{"holds_gold": True}, {"holds_gold": False}]},
    ...         {"indexed": True, "impossible": False, "refused": True, "contains": False, "citations": []},
    ...         {"indexed": True, "impossible": True, "refused": True, "citations": []},
    ...         {"indexed": False, "impossible": False, "refused": False, "citations": []}]
    >>> counted = figures(rows)
    >>> counted.answerable, counted.text, counted.evidence, counted.cited, counted.cited_gold, counted.false_refusals
    (2, 1, 1, 2, 1, 1)
    >>> counted.unanswerable, counted.unanswerable_refused, counted.not_indexed, counted.not_indexed_refused
    (1, 1, 1, 0)
    """
    rows = list(rows)
    answerable = [row for row in rows if row["indexed"] and not row["impossible"]]
    unanswerable = [row for row in rows if row["indexed"] and row["impossible"]]
    not_indexed = [row for row in rows if not row["indexed"]]
    cited = [citation for row in answerable if not row["refused"] for citation in row["citations"]]
    return Figures(
        questions=len(rows), answerable=len(answerable),
        text=sum(bool(row.get("contains_text")) for row in answerable),
        evidence=sum(bool(row.get("contains")) and not row["refused"] for row in answerable),
        cited=len(cited), cited_gold=sum(bool(citation["holds_gold"]) for citation in cited),
        unanswerable=len(unanswerable), unanswerable_refused=sum(bool(row["refused"]) for row in unanswerable),
        false_refusals=sum(bool(row["refused"]) for row in answerable),
        not_indexed=len(not_indexed), not_indexed_refused=sum(bool(row["refused"]) for row in not_indexed))


def merged(rows: Sequence[Mapping[str, Any]], *patches: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """`rows` with each patch's rows in place of the same questions' (by "qid"); questions a patch adds are not kept.

    >>> [row["answer"] for row in merged([{"qid": 1, "answer": "a"}, {"qid": 2, "answer": "b"}],
    ...                                   [{"qid": 2, "answer": "B"}, {"qid": 3, "answer": "C"}])]
    ['a', 'B']
    """
    by_qid = {row["qid"]: row for row in rows}
    for patch in patches:
        by_qid.update((row["qid"], row) for row in patch if row["qid"] in by_qid)
    return list(by_qid.values())


@dataclass(frozen=True)
class Change:
    """A question answered differently by two runs: "gain" when the second's answer holds gold where the first's
    did not (its text, then its evidence), "loss" the other way, "same" when neither moved."""

    qid: str
    verdict: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]


def _standing(row: Mapping[str, Any]) -> tuple[int, int]:
    """How right an answer is: its own text, then with its quotes (a dialogue's turn: `held`, or a two-part
    question's `parts_held`)."""
    if "parts_held" in row:
        return int(row["parts_held"]), int(row.get("parts_held_with_evidence", 0))
    if "held" in row:
        return int(bool(row["held"])), int(bool(row.get("held_with_evidence")))
    return int(bool(row.get("contains_text"))), int(bool(row.get("contains")) and not row.get("refused"))


def _key(row: Mapping[str, Any]) -> str:
    """A question's id in a details file: `rag eval`'s "qid", a dialogue's "id"."""
    return str(row.get("qid") or row["id"])


def changes(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> list[Change]:
    """The questions both runs answered whose answers differ, judged on the answerable ones' gold (an unanswerable
    question's changed answer is "same": whether it was refused shows in `figures`).

    >>> first = [{"qid": "q", "answer": "1932 [1].", "contains_text": False, "contains": True, "refused": False}]
    >>> second = [{"qid": "q", "answer": "1931 [1].", "contains_text": True, "contains": True, "refused": False}]
    >>> [(change.qid, change.verdict) for change in changes(first, second)]
    [('q', 'gain')]
    >>> turn = {"id": "d", "answer": "In 1939 [1].", "held": True, "held_with_evidence": True}
    >>> [(change.qid, change.verdict) for change in changes([turn], [{**turn, "answer": "No.", "held": False}])]
    [('d', 'loss')]
    """
    by_qid = {_key(row): row for row in after}
    found = []
    for row in before:
        other = by_qid.get(_key(row))
        if other is None or other.get("answer") == row.get("answer"):
            continue
        was, now = _standing(row), _standing(other)
        found.append(Change(_key(row), "gain" if now > was else "loss" if now < was else "same", row, other))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("prepare", help="write the question subsets and build the indexes")
    make.add_argument("shared", type=Path, help="the shared data folder (holding eval/squad2-dev)")
    make.add_argument("--work", type=Path, default=Path("/tmp/rag-eval"))
    go = commands.add_parser("run", help="run the sets, each writing NAME.txt (and NAME.jsonl) into OUT")
    go.add_argument("out", type=Path)
    go.add_argument("--work", type=Path, default=Path("/tmp/rag-eval"))
    go.add_argument("--only", nargs="*", default=None, help=f"only these sets: {' '.join(s.name for s in SETS)}")
    go.add_argument("--jobs", type=int, default=4, help="sets run at once (each on one thread)")
    score = commands.add_parser("score", help="the figures of a details file, patched by later partial runs")
    score.add_argument("details", type=Path)
    score.add_argument("patches", type=Path, nargs="*")
    compare = commands.add_parser("compare", help="questions two details files answer differently")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    compare.add_argument("--show", action="store_true", help="print each changed question and both answers")
    arguments = parser.parse_args(argv)
    if arguments.command == "prepare":
        prepare(arguments.shared, arguments.work)
        return 0
    if arguments.command == "run":
        if not (arguments.work / "squad-dev").exists():
            raise SystemExit(f"no indexes in {arguments.work}: run `python -m tools.eval.suite prepare` first")
        return 1 if run(chosen(arguments.only), arguments.work, arguments.out, arguments.jobs) else 0
    if arguments.command == "score":
        print(figures(merged(read_jsonl(arguments.details), *map(read_jsonl, arguments.patches))).line())
        return 0
    found = changes(read_jsonl(arguments.before), read_jsonl(arguments.after))
    for change in found if arguments.show else ():
        print(f"[{change.verdict}] {change.qid} {change.before.get('question', '')}\n"
              f"  gold:   {list(change.before.get('gold', []))[:3]}\n"
              f"  before: {change.before.get('answer')!r}\n  after:  {change.after.get('answer')!r}")
    verdicts = [change.verdict for change in found]
    print(f"differ {len(found)}: gains {verdicts.count('gain')}, losses {verdicts.count('loss')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
