"""The one entry point: ``tension worker|publish|score|train|evaluate|demo``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from models.errors import TensionError


def cmd_worker(args: argparse.Namespace) -> int:
    import faust

    from streams.app import create_app
    from streams.settings import Settings
    from streams.topics import ensure_topics

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    tension_app = create_app(settings)  # model and rules first: a bad file fails before Kafka is touched
    ensure_topics(settings)
    worker = faust.Worker(tension_app.app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from streams.publish import check_input, publish_file
    from streams.settings import Settings
    from streams.topics import bootstrap_servers

    settings = Settings()
    topic = args.topic or settings.topic(settings.topic_articles)
    check_input(args.file)
    report = publish_file(
        args.file,
        bootstrap_servers(args.kafka_url or settings.kafka_url),
        topic,
        skip_invalid=args.skip_invalid,
        progress=not args.quiet,
    )
    print(report.summary(), file=sys.stderr)
    if report.failed:
        return 1
    return 3 if (args.strict and report.invalid) else 0


def cmd_score(args: argparse.Namespace) -> int:
    from streams.score_file import check_paths, score_file
    from streams.scoring import load_scorer
    from streams.settings import Settings

    check_paths(args.input, args.output)
    scorer = load_scorer(args.model or Settings().model_path)
    scored, errors = score_file(args.input, args.output, scorer, progress=not args.quiet)
    print(f"scored {scored}, errors {errors} (model {scorer.version})", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    return run_demo(keep_kafka=args.keep_kafka, timeout=args.timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tension", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    worker = sub.add_parser("worker", help="run the Faust worker (configured by TENSION_* variables)")
    worker.set_defaults(func=cmd_worker)

    publish = sub.add_parser("publish", help="publish articles JSON lines to Kafka, keyed by id")
    publish.add_argument("file", help="JSON lines file, or - for stdin")
    publish.add_argument("--topic", help="topic (default: TENSION_TOPIC_ARTICLES)")
    publish.add_argument("--kafka-url", help="broker URL (default: TENSION_KAFKA_URL)")
    publish.add_argument(
        "--skip-invalid", action="store_true", help="do not publish lines that fail validation"
    )
    publish.add_argument("--strict", action="store_true", help="exit 3 when any line is invalid")
    publish.add_argument("--quiet", action="store_true", help="no progress bar")
    publish.set_defaults(func=cmd_publish)

    score = sub.add_parser("score", help="score articles JSON lines offline with the shipped model")
    score.add_argument("--input", default="-", help="JSON lines file, or - for stdin (default)")
    score.add_argument("--output", default="-", help="output file, or - for stdout (default)")
    score.add_argument("--model", help="model artifact (default: TENSION_MODEL_PATH or the shipped one)")
    score.add_argument("--quiet", action="store_true", help="no progress bar")
    score.set_defaults(func=cmd_score)

    try:
        from models.commands import register
    except ImportError:  # the model package without its commands: train/evaluate are unavailable
        pass
    else:
        register(sub)

    demo = sub.add_parser(
        "demo", help="local Kafka + worker + webhook receiver + a replay of sample articles"
    )
    demo.add_argument("--keep-kafka", action="store_true", help="leave the local broker running afterwards")
    demo.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the pipeline")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationError as exc:
        print(f"tension {args.command}: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    except TensionError as exc:
        print(f"tension {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
