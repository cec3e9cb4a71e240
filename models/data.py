"""Training data: the shared pool, the gold labels, the team-written set, weak labels and the split.

Nothing here copies pool text anywhere: texts are read from ``../shared/data`` at training time and only
ids, labels and figures leave this module.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import ConfigError, InputError
from models.features import extract_features, fold
from models.labels import normalise_labels
from models.scoring import compose_text

__all__ = [
    "TEAM_DIR",
    "Example",
    "default_data_dir",
    "find_near_duplicate_groups",
    "load_gold",
    "load_labelled_file",
    "load_pool",
    "load_team_written",
    "split_gold",
    "weak_label",
]

PACKAGE_DIR = Path(__file__).resolve().parent
GOLD_DIR = PACKAGE_DIR / "gold"
#: Team-written labelled texts (``*.jsonl``, the format of :func:`load_labelled_file`): short notes and
#: long articles in English and German, written by the team (never copied from ../shared/data).
TEAM_DIR = PACKAGE_DIR / "data" / "team"
POOL_FILES = (
    "csis_provocations",
    "csis_nk_russia_timeline",
    "kcna_stiles",
    "kcna_2011_2012",
    "de_trends",
    "cnn_latest",
    "gnad10k_test",
)
UNKNOWN = -1


@dataclass
class Example:
    """One training/evaluation item. ``labels`` holds 1/0/-1 per category (-1: unknown)."""

    id: str
    text: str
    language: str
    labels: list[int]
    kind: str  # "gold", "team", "weak", "file"
    source: str
    published: str | None = None
    group: int = -1
    meta: dict[str, Any] = field(default_factory=dict)

    def label_names(self, categories: Sequence[str]) -> list[str]:
        return [c for c, v in zip(categories, self.labels, strict=True) if v == 1]


def default_data_dir() -> Path:
    """``../shared/data`` relative to the repository (the parent of the ``models`` package)."""
    return PACKAGE_DIR.parent.parent / "shared" / "data"


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError("bad_json", f"{path}:{n}: {exc}") from exc
            if isinstance(obj, dict):
                yield obj


def load_pool(data_dir: Path, files: Iterable[str] = POOL_FILES) -> dict[str, dict[str, Any]]:
    """Pool records by id (raises :class:`ConfigError` if the directory is missing)."""
    pool_dir = Path(data_dir) / "train_pool"
    if not pool_dir.is_dir():
        raise ConfigError(
            str(data_dir),
            "training pool not found (expected train_pool/*.jsonl under "
            "the data directory, by default ../shared/data next to the repository)",
        )
    out: dict[str, dict[str, Any]] = {}
    for name in files:
        path = pool_dir / f"{name}.jsonl"
        if not path.is_file():
            continue
        for rec in _read_jsonl(path):
            out[str(rec["id"])] = rec
    return out


def _labels_vector(names: Iterable[str], categories: Sequence[str]) -> list[int]:
    wanted = set(names)
    return [1 if c in wanted else 0 for c in categories]


def load_gold(
    pool: dict[str, dict[str, Any]], categories: Sequence[str], gold_dir: Path = GOLD_DIR
) -> list[Example]:
    """Gold labels (``models/gold/*.jsonl``: ``{"id", "labels"}``) joined with the pool by id.

    A later line for the same id wins; ids missing from the pool are skipped.
    """
    labels: dict[str, tuple[list[str], str]] = {}
    for path in sorted(Path(gold_dir).glob("*.jsonl")):
        for obj in _read_jsonl(path):
            if "id" in obj and isinstance(obj.get("labels"), list):
                labels[str(obj["id"])] = ([str(x) for x in obj["labels"]], path.stem)
    out: list[Example] = []
    for gid, (names, fname) in labels.items():
        rec = pool.get(gid)
        if rec is None:
            continue
        out.append(
            Example(
                id=gid,
                text=compose_text(rec.get("title"), rec.get("text")),
                language=str(rec.get("language") or "en"),
                labels=_labels_vector(normalise_labels(names, categories), categories),
                kind="gold",
                source=str(rec.get("source") or gid.split(":")[0]),
                published=rec.get("published"),
                meta={"gold_file": fname},
            )
        )
    return out


def load_labelled_file(path: Path, categories: Sequence[str], kind: str = "file") -> list[Example]:
    """A labelled JSON lines file: ``{"id", "title", "text", "labels", optional "language"}``."""
    from models.language import detect_language

    out: list[Example] = []
    for obj in _read_jsonl(Path(path)):
        text = compose_text(obj.get("title"), obj.get("text"))
        if not text:
            continue
        lang = obj.get("language") or detect_language(text)
        out.append(
            Example(
                id=str(obj.get("id", len(out))),
                text=text,
                language=str(lang),
                labels=_labels_vector(normalise_labels(obj.get("labels") or [], categories), categories),
                kind=kind,
                source=str(obj.get("source") or kind),
                published=obj.get("published"),
            )
        )
    return out


def load_team_written(categories: Sequence[str], team_dir: Path = TEAM_DIR) -> list[Example]:
    """All team-written files in ``team_dir`` (sorted by name); ids must be unique across them."""
    out: list[Example] = []
    for path in sorted(Path(team_dir).glob("*.jsonl")):
        out += load_labelled_file(path, categories, kind="team")
    dup = sorted(i for i, n in Counter(ex.id for ex in out).items() if n > 1)
    if dup:
        raise ConfigError(str(team_dir), f"duplicate team-written ids: {dup[:5]}")
    return out


# ---------------------------------------------------------------------------------------------------
# Weak labels: labelling functions over the concept features, plus the sources' own fields.
# They only ever say "positive" for CSIS database notes (whose own fields say what happened);
# for news they say "clearly not this category" (no evidence at all) or abstain.

_KOREA = ("c:korea", "c:nkorea", "c:skorea")


def _has(f: dict[str, float], *names: str) -> bool:
    return any(n in f for n in names)


def _pairs(f: dict[str, float], lefts: Sequence[str], rights: Sequence[str]) -> bool:
    for a in lefts:
        for b in rights:
            if a == b:
                continue
            key = f"p:{a}+{b}" if a < b else f"p:{b}+{a}"
            if key in f:
                return True
    return False


_DMZ_EVENT = (
    "balloon",
    "loudspeaker",
    "warning_shot",
    "mine",
    "gunfire",
    "artillery",
    "cross",
    "defect",
    "drone",
    "jamming",
    "guard_post",
    "explosion",
    "soldier",
    "leaflet",
    "trash",
    "naval",
    "wall",
    "road_rail",
    "aircraft",
)
_TRANSFER = ("deliver", "send", "receive", "arms_deal")
_ARMS = ("weapon", "ammo", "missile", "heavy_weapon", "drone", "arms_deal")


def _evidence(f: dict[str, float]) -> dict[str, bool]:
    """Per category: is there *any* evidence that it might apply (else a confident negative)."""
    korea = _has(f, *_KOREA)
    return {
        "dmz_incident": _has(f, "c:dmz", "c:sea_border", "c:balloon", "c:loudspeaker", "c:warning_shot")
        or (korea and _pairs(f, ("border", "island"), _DMZ_EVENT)),
        "weapons_transfer": _has(f, "c:arms_deal") or _pairs(f, (*_TRANSFER, "aid", "permit"), _ARMS),
        "military_cooperation": _pairs(
            f,
            (
                "pact",
                "alliance",
                "cooperation",
                "exercise",
                "joint",
                "deploy",
                "visit",
                "intel",
                "mutual_defense",
                "defmin",
            ),
            (
                "military",
                "mutual_defense",
                "exercise",
                "soldier",
                "defmin",
                "security",
                "intel",
                "weapon",
                "deploy",
            ),
        )
        or _has(f, "c:kursk", "c:mutual_defense"),
        "missile_nuclear": _has(
            f,
            "c:missile",
            "c:nuclear",
            "c:ballistic",
            "c:icbm",
            "c:satellite",
            "c:nuclear_test",
            "c:enrich",
            "c:warhead",
        ),
    }


_CSIS_DMZ = re.compile(
    r"infiltrat|incursion|dmz|nll|exchange of fire|artillery|gps|border|mine|defect|balloon|loudspeaker|"
    r"drone|territorial|ambush|guard post|tunnel|armistice|jsa|panmunjom|naval|vessel|boat|clash|airspace|"
    r"leaflet|shooting|kidnap|abduct",
    re.IGNORECASE,
)
_CSIS_MISSILE = re.compile(r"missile|nuclear|satellite|rocket|icbm|slbm|srbm|irbm|mrbm|mlrs", re.IGNORECASE)


# High-precision positive rules for news (title + repeated evidence in the body), EN and DE alike
# through the concept lexicon: (concepts the title must hold, pair evidence the body must repeat).
_TITLE_RULES: dict[str, tuple[tuple[tuple[str, ...], ...], tuple[Sequence[str], Sequence[str]]]] = {
    "weapons_transfer": (
        (
            ("deliver", "weapon"),
            ("deliver", "ammo"),
            ("deliver", "heavy_weapon"),
            ("deliver", "missile"),
            ("pledge", "weapon"),
            ("pledge", "heavy_weapon"),
            ("send", "weapon"),
            ("arms_deal",),
            ("receive", "heavy_weapon"),
            ("order", "heavy_weapon"),
            ("deliver", "aircraft"),
        ),
        ((*_TRANSFER, "pledge", "order", "aid", "permit"), (*_ARMS, "aircraft")),
    ),
    "military_cooperation": (
        (
            ("exercise", "joint"),
            ("exercise", "military"),
            ("mutual_defense",),
            ("pact", "military"),
            ("deploy", "soldier"),
            ("alliance", "military"),
            ("kursk", "soldier"),
            ("defmin", "visit"),
            ("cooperation", "military"),
            ("nato", "visit"),
            ("intel", "cooperation"),
        ),
        (
            ("pact", "alliance", "cooperation", "exercise", "joint", "deploy", "visit", "mutual_defense"),
            ("military", "mutual_defense", "exercise", "soldier", "defmin", "security", "nato"),
        ),
    ),
    "missile_nuclear": (
        (
            ("launch", "missile"),
            ("test", "missile"),
            ("nuclear_test",),
            ("launch", "satellite"),
            ("icbm",),
            ("ballistic", "missile"),
            ("nuclear", "doctrine"),
            ("enrich", "nuclear"),
            ("attack", "ballistic"),
        ),
        (
            ("launch", "test", "attack", "doctrine", "enrich", "nuclear_test"),
            ("missile", "ballistic", "icbm", "nuclear", "satellite", "warhead"),
        ),
    ),
    "dmz_incident": (
        (
            ("dmz",),
            ("balloon", "korea"),
            ("loudspeaker", "korea"),
            ("warning_shot",),
            ("border", "nkorea"),
            ("sea_border", "korea"),
        ),
        (("dmz", "border", "sea_border", "balloon", "loudspeaker", "warning_shot"), _DMZ_EVENT),
    ),
}


def _pair_count(f: dict[str, float], lefts: Sequence[str], rights: Sequence[str]) -> int:
    best = 0
    for a in lefts:
        for b in rights:
            if a != b:
                v = f.get(f"p:{a}+{b}" if a < b else f"p:{b}+{a}", 0.0)
                best = max(best, round(math.expm1(v)))
    return best


def _title_rule(category: str, title: str, body: dict[str, float]) -> bool:
    rule = _TITLE_RULES.get(category)
    if rule is None or not title.strip():
        return False
    needs, (lefts, rights) = rule
    held = {k[2:] for k in extract_features(title) if k.startswith("c:")}
    if not any(all(c in held for c in need) for need in needs):
        return False
    return _pair_count(body, lefts, rights) >= 2


def weak_label(rec: dict[str, Any], categories: Sequence[str]) -> list[int] | None:
    """Weak 1/0/-1 labels for one pool record (``None``: nothing to learn from it)."""
    text = compose_text(rec.get("title"), rec.get("text"))
    if not text:
        return None
    f = extract_features(text)
    ev = _evidence(f)
    source = str(rec.get("source") or "")
    meta = rec.get("source_meta") or {}
    out: list[int] = []
    for c in categories:
        value = UNKNOWN if ev.get(c, True) else 0
        if (
            value == UNKNOWN
            and not source.startswith("csis")
            and _title_rule(c, str(rec.get("title") or ""), f)
        ):
            value = 1
        if source == "csis_provocations":
            event = f"{meta.get('event', '')} {meta.get('cat', '')}"
            if c == "missile_nuclear":
                value = (
                    1
                    if (
                        meta.get("cat") in {"missile", "nuclear_test", "nuclear_program"}
                        or _CSIS_MISSILE.search(event)
                    )
                    else 0
                )
            elif c == "dmz_incident":
                if _CSIS_DMZ.search(event) and not _CSIS_MISSILE.search(event):
                    value = 1 if ev["dmz_incident"] else UNKNOWN
                elif meta.get("cat") in {"missile", "nuclear_test", "nuclear_program", "cyber"}:
                    value = 0 if not ev["dmz_incident"] else UNKNOWN
        out.append(value)
    if all(v == UNKNOWN for v in out):
        return None
    return out


# ---------------------------------------------------------------------------------------------------
# Near-duplicates and the split

_WORD = re.compile(r"\w+")


def _shingles(text: str, n: int = 5, cap: int = 3000) -> set[int]:
    words = _WORD.findall(fold(text))[:cap]
    if len(words) < n:
        return {hash(" ".join(words))}
    return {hash(" ".join(words[i : i + n])) for i in range(len(words) - n + 1)}


def find_near_duplicate_groups(texts: Sequence[str], threshold: float = 0.5) -> list[int]:
    """Group ids such that texts sharing >= ``threshold`` of the smaller one's 5-word shingles match."""
    sh = [_shingles(t) for t in texts]
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index: dict[int, list[int]] = {}
    for i, s in enumerate(sh):
        counts: dict[int, int] = {}
        for h in s:
            for j in index.get(h, ()):
                counts[j] = counts.get(j, 0) + 1
        for j, c in counts.items():
            if c >= threshold * min(len(s), len(sh[j])):
                parent[find(i)] = find(j)
        for h in s:
            index.setdefault(h, []).append(i)
    return [find(i) for i in range(len(texts))]


def overlaps(texts: Sequence[str], others: Sequence[str], threshold: float = 0.5) -> list[bool]:
    """For each of ``texts``: is it a near-duplicate of one of ``others``?"""
    index: dict[int, list[int]] = {}
    other_sh = [_shingles(t) for t in others]
    for j, s in enumerate(other_sh):
        for h in s:
            index.setdefault(h, []).append(j)
    out: list[bool] = []
    for t in texts:
        s = _shingles(t)
        counts: dict[int, int] = {}
        for h in s:
            for j in index.get(h, ()):
                counts[j] = counts.get(j, 0) + 1
        out.append(any(c >= threshold * min(len(s), len(other_sh[j])) for j, c in counts.items()))
    return out


def _stable_hash(s: str) -> float:
    return int(hashlib.sha256(s.encode()).hexdigest()[:12], 16) / float(16**12)


def split_gold(
    gold: list[Example], holdout_fraction: float = 0.3, seed: int = 13
) -> tuple[list[Example], list[Example]]:
    """Split gold into (train, holdout): per gold file, the newest ``holdout_fraction`` by date.

    Near-duplicate groups (``Example.group``) stay on one side: a group goes where its newest member
    goes. Undated items (gnad) are ordered by a stable hash of their id, so they are spread at random.
    """
    by_file: dict[str, list[Example]] = {}
    for ex in gold:
        by_file.setdefault(str(ex.meta.get("gold_file", "gold")), []).append(ex)
    rng = random.Random(seed)
    train: list[Example] = []
    hold: list[Example] = []
    for fname in sorted(by_file):
        items = by_file[fname]
        dated = sorted({ex.published for ex in items if ex.published})

        def key(ex: Example, dated: list[str] = dated) -> float:
            if ex.published and dated:
                return dated.index(ex.published) / max(1, len(dated) - 1)
            return _stable_hash(f"{seed}:{ex.id}")

        groups: dict[int, list[Example]] = {}
        for ex in items:
            groups.setdefault(ex.group, []).append(ex)
        order = sorted(groups.values(), key=lambda g: (max(key(e) for e in g), rng.random()))
        n_hold = round(holdout_fraction * len(items))
        taken = 0
        for g in reversed(order):
            if taken < n_hold:
                hold.extend(g)
                taken += len(g)
            else:
                train.extend(g)
    return train, hold
