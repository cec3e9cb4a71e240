"""Classifier benchmark: batched throughput on ~3 KB articles and single-article latency, one core.

Run: python bench/classifier.py [--model PATH] [--docs 2000] [--batch 256]
Texts are synthetic (built from our own sentences), so the benchmark runs without ../shared.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.artifact import load_model  # noqa: E402

SENTENCES = [
    "North Korea sent hundreds of balloons carrying trash across the border overnight, the military said.",
    "South Korean soldiers fired warning shots after troops crossed the military demarcation line.",
    "Russia and North Korea signed a strategic partnership treaty with a mutual defence clause.",
    "Pyongyang has shipped millions of artillery shells and ballistic missiles to Moscow, officials said.",
    "The launch of a new intercontinental ballistic missile was condemned by Japan and the US.",
    "Nordkorea hat erneut Hunderte Müllballons über die Grenze nach Südkorea geschickt.",
    "Südkoreanische Soldaten gaben Warnschüsse ab, als nordkoreanische Truppen die Grenze überquerten.",
    "Russland und Nordkorea unterzeichneten einen Beistandspakt bei einem Gipfeltreffen in Pjöngjang.",
    "Die Bundesregierung kündigte weitere Waffenlieferungen an die Ukraine an, darunter Munition.",
    "Der Trainer lobte die Mannschaft nach dem Sieg im Spitzenspiel der Bundesliga am Samstag.",
    "Die Inflation ist im Juni gesunken, weil die Preise für Energie deutlich nachgegeben haben.",
    "The central bank left interest rates unchanged and said inflation was moving toward its target.",
    "Heavy rain caused flooding in several towns, and emergency services evacuated residents overnight.",
    "The film festival opened with a premiere attended by actors and directors from around the world.",
    "Officials said the talks would continue next week in the capital, where delegations are expected.",
    "The company reported higher quarterly revenue and raised its forecast for the rest of the year.",
    "Die Polizei sucht Zeugen, nachdem in der Nacht ein Auto in der Innenstadt gestohlen wurde.",
    "Im Konzert am Freitag spielte das Orchester Werke von Beethoven und Brahms vor vollem Haus.",
    "The new smartphone goes on sale next month and will cost slightly more than last year's model.",
    "Der Stadtrat hat beschlossen, die Busverbindungen in den Außenbezirken auszubauen.",
]


EVENT_SHARE = 0.25  # share of sentences with tension vocabulary (news streams are mostly background)


def make_article(rng: random.Random, size: int = 3000) -> str:
    parts: list[str] = []
    events, background = SENTENCES[:9], SENTENCES[9:]
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(rng.choice(events if rng.random() < EVENT_SHARE else background))
    return "Headline of the day\n\n" + " ".join(parts)[:size]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--single", type=int, default=2000, help="single-article calls for latency")
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    t0 = time.perf_counter()
    model = load_model(args.model)
    load_s = time.perf_counter() - t0
    rng = random.Random(13)
    # distinct texts (a varied vocabulary) so that caches do not flatter the figures
    docs = [make_article(rng) + f" Ref {i} Nr {i * 7}." for i in range(args.docs)]
    model.predict(docs[:256])  # warm-up

    start, cpu_start = time.perf_counter(), time.thread_time()
    for i in range(0, len(docs), args.batch):
        model.predict(docs[i : i + args.batch])
    batched, batched_cpu = time.perf_counter() - start, time.thread_time() - cpu_start

    lat: list[float] = []
    lat_cpu: list[float] = []
    for i in range(args.single):
        d = docs[i % len(docs)]
        s, c = time.perf_counter(), time.thread_time_ns()
        model.predict([d])
        lat.append((time.perf_counter() - s) * 1000)
        lat_cpu.append((time.thread_time_ns() - c) / 1e6)
    lat.sort()
    lat_cpu.sort()
    mid = len(lat) // 2
    mean_len = statistics.mean(len(d.encode()) for d in docs)
    print(f"model            {model.version}")
    print(f"load             {load_s:.3f} s (including imports of the model's modules)")
    print(f"documents        {len(docs)} x {mean_len / 1024:.1f} KB, batch {args.batch}, 1 thread/core")
    print(
        f"throughput       {len(docs) / batched:,.0f} docs/s wall, {len(docs) / batched_cpu:,.0f} docs/s "
        "per CPU-second"
    )
    p99 = int(len(lat) * 0.99) - 1
    print(f"latency p50      {lat[mid]:.3f} ms wall, {lat_cpu[mid]:.3f} ms CPU (single article)")
    print(f"latency p99      {lat[p99]:.3f} ms wall, {lat_cpu[p99]:.3f} ms CPU")
    print(f"latency max      {lat[-1]:.3f} ms wall, {lat_cpu[-1]:.3f} ms CPU")
    print("(wall-clock figures include other processes' load on this machine; CPU figures do not)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
