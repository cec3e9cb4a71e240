"""``tension score``: offline scoring of ``articles`` JSON lines with the same model as the stream."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from tqdm import tqdm

from models.errors import InputError
from streams.publish import check_input, count_lines, read_lines
from streams.records import Article, best_effort_id, parse_article
from streams.scoring import ArticleScorer

OUTPUT_KEYS = (
    "id",
    "labels",
    "scores",
    "tension",
    "language",
    "actors",
    "dyads",
    "regions",
    "evidence",
    "model_version",
)


def score_lines(
    lines: Iterator[tuple[int, bytes]], scorer: ArticleScorer, batch_size: int = 256
) -> Iterator[dict[str, Any]]:
    """One output object per input line, in order; a bad line gives ``{"id", "error", "line"}``."""
    pending: list[tuple[int, bytes, Article | InputError]] = []

    def flush() -> Iterator[dict[str, Any]]:
        articles = [item for _, _, item in pending if isinstance(item, Article)]
        scored = iter(scorer.score(articles))
        for number, raw, item in pending:
            error = item if isinstance(item, InputError) else None
            if error is None:
                result = next(scored)
                if result.record is not None:
                    yield {key: result.record[key] for key in OUTPUT_KEYS}
                    continue
                error = result.error
            assert error is not None
            yield {"id": best_effort_id(raw), "error": f"{error.reason}: {error.detail}", "line": number}
        pending.clear()

    for number, raw in lines:
        try:
            pending.append((number, raw, parse_article(raw)))
        except InputError as exc:
            pending.append((number, raw, exc))
        if len(pending) >= batch_size:
            yield from flush()
    yield from flush()


def score_file(
    input_path: str, output_path: str, scorer: ArticleScorer, progress: bool = True
) -> tuple[int, int]:
    """Score ``input_path`` (or ``-``) into ``output_path`` (or ``-``); return (scored, errors)."""
    source: BinaryIO = sys.stdin.buffer if input_path == "-" else open(input_path, "rb")  # noqa: SIM115
    sink: TextIO = sys.stdout if output_path == "-" else open(output_path, "w", encoding="utf-8")  # noqa: SIM115
    total = count_lines(input_path)
    scored = errors = 0
    try:
        bar = tqdm(total=total, unit="doc", desc="score", disable=not progress)
        for out in score_lines(read_lines(source), scorer):
            if "error" in out:
                errors += 1
            else:
                scored += 1
            sink.write(json.dumps(out, ensure_ascii=False) + "\n")
            bar.update(1)
        bar.close()
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if sink is not sys.stdout:
            sink.close()
        else:
            sink.flush()
    return scored, errors


def check_paths(input_path: str, output_path: str) -> None:
    check_input(input_path)
    if output_path != "-" and not Path(output_path).resolve().parent.is_dir():
        raise InputError("missing_dir", f"output folder does not exist: {Path(output_path).parent}")
