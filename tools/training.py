"""What the two training scripts share (`tools.train_answer_finder`, `tools.train_span_reader`): the split by
article (`split_of`), batches of similar length (`length_batches`), one training step (`learn`), the int8 ONNX export
(`export_int8`), the logistic fit used for calibration (`logistic`), the meta.json a model is scored with before its
calibration is fitted (`write_raw_meta`), what `--skip-training` keeps of the run that trained it
(`kept_training`), the `--seed` and `--member` options of an ensemble (`add_ensemble_arguments`) and the joining of
its members (`join_members`), and a timestamped log line (`log`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SEED = 0
"""The fixed seed of both trainers: the examples, the split and the samples are always this seed's; `--seed` changes
only what makes another member of an ensemble (the output layer's start, the batches' order)."""
CALIBRATION_ARTICLES = ("a000", "a010", "a020", "a030")
"""squad2-dev articles kept out of training to calibrate on (and to fit thresholds on)."""


def split_of(article_id: str) -> str:
    """train / calibration / held-out, by article: even-numbered squad2-dev articles train (but the calibration
    ones), odd-numbered ones are held out and only reported on; squad2-train-sample articles (t000, ...) and the
    news written for training (n101, ...) train; the news written for reporting (h101, ..., tools/eval/news_heldout)
    is held out; the news dev set (d101, ..., tools/eval/news_dev), where rules and thresholds are fitted, is never
    trained on.

    >>> split_of("t003"), split_of("a002"), split_of("a010"), split_of("a003"), split_of("n101"), split_of("h101")
    ('train', 'train', 'calibration', 'held-out', 'train', 'held-out')
    >>> split_of("d101")
    'calibration'
    """
    if article_id in CALIBRATION_ARTICLES or article_id.startswith("d"):
        return "calibration"
    if article_id.startswith("h"):
        return "held-out"
    if not article_id.startswith("a"):
        return "train"
    return "train" if int(article_id.lstrip("a")) % 2 == 0 else "held-out"


def length_batches(order: list[int], length: Callable[[int], int], batch_size: int,
                   rng: random.Random) -> Iterator[list[int]]:
    """One epoch of batches over `order` (shuffled in place): batches of examples of similar `length`, sorted within
    chunks of 50 batches so that little time goes into padding, the batches of a chunk in random order.

    >>> batches = list(length_batches(list(range(6)), lambda i: 10 - i, 2, random.Random(0)))
    >>> sorted(len(batch) for batch in batches), sorted(i for batch in batches for i in batch)
    ([2, 2, 2], [0, 1, 2, 3, 4, 5])
    """
    rng.shuffle(order)
    chunk = batch_size * 50
    for chunk_start in range(0, len(order), chunk):
        indexes = sorted(order[chunk_start:chunk_start + chunk], key=length)
        batches = [indexes[i:i + batch_size] for i in range(0, len(indexes), batch_size)]
        rng.shuffle(batches)
        yield from batches


def learn(loss: Any, model: Any, optimiser: Any, schedule: Any) -> float:
    """One training step from `loss`: back-propagate, clip the gradients' norm to 1, step the optimiser and the
    learning-rate schedule, clear the gradients. Returns the loss's value."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimiser.step()
    schedule.step()
    optimiser.zero_grad()
    return float(loss.detach())


def export_int8(model: Any, folder: Path, outputs: Sequence[str], per_token: bool) -> Path:
    """The model as ONNX (dynamic batch and length; `outputs` named, with a length axis too when `per_token`),
    then int8: matrix products and the embedding table. Returns the int8 file, `folder / "model.onnx"`."""
    import logging
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder.mkdir(parents=True, exist_ok=True)
    float_file, int8_file = folder / "model-float.onnx", folder / "model.onnx"
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long),
               torch.zeros(2, 8, dtype=torch.long))
    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "length"} for name in inputs}
    axes.update({name: {0: "batch", 1: "length"} if per_token else {0: "batch"} for name in outputs})
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, str(float_file), dynamo=False, opset_version=17,
                          input_names=list(inputs), output_names=list(outputs), dynamic_axes=axes)
    logging.getLogger().setLevel(logging.ERROR)
    quantize_dynamic(str(float_file), str(int8_file), weight_type=QuantType.QUInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gather"])
    float_file.unlink()
    return int8_file


def logistic(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias of a logistic model (Newton's method on the log-loss, a little L2 for stability:
    deterministic). With one feature, the raw logit, it is Platt scaling.

    >>> weights, bias = logistic(np.array([[-2.0], [-1.0], [1.0], [2.0], [0.5], [-0.5]]),
    ...                          np.array([0, 0, 1, 1, 0, 1.0]))
    >>> bool(weights[0] > 0)
    True
    """
    rows = np.column_stack([features, np.ones(len(features))])
    theta = np.zeros(rows.shape[1])
    for _ in range(100):
        probability = 1.0 / (1.0 + np.exp(-(rows @ theta)))
        gradient = rows.T @ (probability - labels) + 1e-3 * theta
        hessian = (rows * (probability * (1 - probability))[:, None]).T @ rows + 1e-3 * np.eye(rows.shape[1])
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def write_raw_meta(folder: Path, format_version: int, **reading: Any) -> None:
    """Writes a meta.json with the identity calibration (scale 1, offset 0) beside the model in `folder`, so that the
    model loads and scores raw while its calibration is fitted; the full meta.json replaces it at the end of a run.
    `reading`: how the model reads its input (the span reader's `previous_sentence`), as the full meta.json says.
    """
    (folder / "meta.json").write_text(json.dumps({"format_version": format_version, **reading,
                                                  "calibration": {"scale": 1.0, "offset": 0.0}}))


def kept_training(folder: Path, default_seed: int) -> tuple[dict[str, Any], str, int]:
    """The training figures, the command and the seed in the meta.json of the model in `folder`: what
    `--skip-training` reports, so that a run that only calibrates again (or joins members) still names the run that
    trained the model, not itself (`default_seed` for a meta.json from before seeds were recorded).
    """
    previous = json.loads((folder / "meta.json").read_text("utf-8"))
    return previous["training"], previous["command"], previous.get("seed", default_seed)


def add_ensemble_arguments(parser: argparse.ArgumentParser, model: str, kept: str, fitted: str) -> None:
    """The `--seed` and `--member` options both trainers share: `model` names what is trained ("finder", "reader"),
    `kept` what the fixed seed keeps whatever `--seed` says, `fitted` what is fitted on the members' average."""
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"seed of the output layer's start and the batches' order ({kept} stay those of the "
                             "fixed seed): another member of an ensemble")
    parser.add_argument("--member", action="append", default=[], type=Path, metavar="FOLDER",
                        help=f"a {model} trained alike with another --seed (its folder, as --out wrote it): copied "
                             f"beside this one as a member of its ensemble, the average of their logits {fitted} "
                             f"(with --skip-training: join {model}s already trained)")


def log(message: str) -> None:
    """A progress line on stderr, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def join_members(out: Path, folders: Sequence[Path]) -> list[dict[str, Any]]:
    """Copy the model of each folder in `folders` (a model trained alike with another seed: a span reader's, an
    answer finder's) into `out` as `member-N.onnx`, removing members of an earlier run; each member's file, seed,
    training figures, command and its own held-out report, for meta.json's `members` and `member_training`."""
    import shutil

    for stale in out.glob("member-*.onnx"):
        stale.unlink()
    members = []
    for number, folder in enumerate(folders, 1):
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        if meta.get("members"):
            raise SystemExit(f"{folder} is an ensemble already ({meta['members']}): give the folders of single models")
        name = f"member-{number}.onnx"
        shutil.copyfile(folder / "model.onnx", out / name)
        members.append({"file": name, "seed": meta.get("seed"), "training": meta.get("training"),
                        "command": meta.get("command"), "held_out_alone": meta.get("held_out")})
    return members
