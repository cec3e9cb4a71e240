"""Actors and regions: a multilingual gazetteer that finds the states an article involves.

The data (states, their surface forms in English, German and Korean, compounds, region rules) lives in
``models/data/gazetteer.yaml``; its header documents the matching and region rules. This module compiles
every form into one regular expression (a character trie, so the longest form wins) and scans an article
once. Adding a state or a form is a data change only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models.errors import ConfigError

__all__ = ["DEFAULT_GAZETTEER_PATH", "Actors", "Gazetteer", "RegionRule"]

DEFAULT_GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.yaml"

_ISO3 = re.compile(r"[A-Z]{3}")
_REGION_CODE = re.compile(r"[a-z][a-z0-9_]*")
_DEFAULT_TOP_STATES = 4

# Character variants folded together, both in the compiled pattern and when looking a match up.
_VARIANTS: dict[str, str] = {
    "’": "'",
    "‘": "'",
    "\u2010": "-",
    "\u2011": "-",
    "ㆍ": "·",
    "・": "·",
}
_CLASSES: dict[str, str] = {
    " ": r"\s+",
    "'": "['’‘]",
    "-": "[-\u2010\u2011]",
    "·": "[·ㆍ・]",
}
_FOLD = str.maketrans(_VARIANTS)
_SPACES = re.compile(r"\s+")

_TOP_KEYS = frozenset(
    {
        "version",
        "settings",
        "regions",
        "fallback_region",
        "region_rules",
        "states",
        "compounds",
        "not_states",
        "boilerplate",
    }
)
_CACHE_SIZE = 50_000
_STATE_KEYS = frozenset({"name", "home", "forms", "match_case"})
_RULE_KEYS = frozenset({"region", "any", "with_any"})


@dataclass(frozen=True)
class Actors:
    """The states an article involves, their pairs and the regions it belongs to."""

    states: tuple[str, ...]  # ISO 3166 alpha-3, by mention count desc, then first mention
    dyads: tuple[str, ...]  # "PRK-RUS": sorted pair of codes joined by '-', among the top states
    regions: tuple[str, ...]  # region codes, in the order the gazetteer lists them


@dataclass(frozen=True)
class RegionRule:
    """Adds ``region`` when one of ``any_of`` (and, if given, one of ``with_any``) is a main actor."""

    region: str
    any_of: frozenset[str]
    with_any: frozenset[str] | None = None

    def holds(self, present: frozenset[str]) -> bool:
        if not present & self.any_of:
            return False
        return self.with_any is None or bool(present & self.with_any)


@dataclass(frozen=True)
class _Form:
    text: str  # as written, folded, without the trailing '*'
    states: tuple[str, ...]  # empty: a not_states phrase
    prefix: bool
    match_case: bool


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    end: str | None = None  # None, "exact" or "prefix"


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (
        0xAC00 <= cp <= 0xD7A3  # Hangul syllables
        or 0x1100 <= cp <= 0x11FF  # Hangul jamo
        or 0x3130 <= cp <= 0x318F  # Hangul compatibility jamo
        or 0x3400 <= cp <= 0x4DBF  # CJK extension A
        or 0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= cp <= 0xFAFF  # CJK compatibility ideographs
    )


def _fold(text: str) -> str:
    """Normalise whitespace and character variants (case is kept)."""
    return _SPACES.sub(" ", text.translate(_FOLD))


def _char_pattern(ch: str) -> str:
    return _CLASSES.get(ch) or re.escape(ch)


def _emit(node: _Node) -> str:
    alternatives = [_char_pattern(ch) + _emit(child) for ch, child in sorted(node.children.items())]
    if node.end == "prefix":
        alternatives.append(r"\w*")
    elif node.end == "exact":
        alternatives.append(r"(?!\w)")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


class _Loader:
    """Validates the parsed YAML document; every problem raises ConfigError naming the offending value."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, detail: str) -> ConfigError:
        return ConfigError(source=self.source, detail=detail)

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be a mapping, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(f"{where}: key {key!r} must be a string")
        return value

    def string_list(self, value: object, where: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{where}: {item!r} is not a non-empty string")
        return value

    def unknown_keys(self, value: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        extra = sorted(set(value) - allowed)
        if extra:
            raise self.fail(f"{where}: unknown key(s) {extra}; allowed: {sorted(allowed)}")

    def iso(self, code: object, where: str) -> str:
        if not isinstance(code, str) or not _ISO3.fullmatch(code):
            raise self.fail(f"{where}: bad ISO 3166 alpha-3 code {code!r} (expected three capital letters)")
        return code

    def state_ref(self, code: object, states: Mapping[str, Any], where: str) -> str:
        iso = self.iso(code, where)
        if iso not in states:
            raise self.fail(f"{where}: unknown state {iso!r} (not under states:)")
        return iso

    def region_ref(self, code: object, regions: tuple[str, ...], where: str) -> str:
        if not isinstance(code, str) or code not in regions:
            raise self.fail(f"{where}: unknown region code {code!r}; known: {list(regions)}")
        return code


class Gazetteer:
    """Finds states in text. Build with :meth:`load`; :meth:`extract` is thread-safe and allocation-light."""

    def __init__(
        self,
        *,
        forms: list[_Form],
        regions: tuple[str, ...],
        rules: tuple[RegionRule, ...],
        homes: Mapping[str, str],
        fallback_region: str,
        top_states: int,
        boilerplate: list[str],
        names: Mapping[str, str],
    ) -> None:
        self.regions = regions
        self.rules = rules
        self.homes = dict(homes)
        self.fallback_region = fallback_region
        self.top_states = top_states
        self.names = dict(names)
        self._exact: dict[str, _Form] = {}
        self._prefix: dict[str, _Form] = {}
        root = _Node()
        for form in forms:
            key = form.text.lower()
            (self._prefix if form.prefix else self._exact)[key] = form
            node = root
            for ch in key:
                node = node.children.setdefault(ch, _Node())
            if node.end != "prefix":
                node.end = "prefix" if form.prefix else "exact"
        self._cache: dict[str, _Form | None] = {}  # matched span -> form; bounded, see _form
        self._max_prefix = max((len(k) for k in self._prefix), default=0)
        # One alternation, tried at each position in this order: a boilerplate span (skipped), a form
        # (group 1, the trie), or a whole other word (skipped in one step, so positions inside words are
        # never tried). The forms are lower case and the text is lower-cased before matching: plain
        # literal comparisons are much faster in `re` than case-insensitive ones.
        parts = [f"(?i:{pattern})" for pattern in boilerplate]
        trie = _emit(root) if root.children else "(?!)"
        first_chars = re.escape("".join(sorted(root.children)))
        parts.append(f"((?=[{first_chars}])(?<!\\w){trie})" if root.children else "(?!)")
        parts.append(r"\w+")
        source = "|".join(parts)
        self._pattern = re.compile(source, re.MULTILINE)
        # For the rare text whose lower-casing changes its length (offsets would not line up).
        self._pattern_icase = re.compile(source, re.MULTILINE | re.IGNORECASE)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled matcher, applied to lower-cased text (for diagnostics and benchmarks)."""
        return self._pattern

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read and validate a gazetteer file (default: the packaged ``models/data/gazetteer.yaml``)."""
        path = DEFAULT_GAZETTEER_PATH if path is None else Path(path)
        source = str(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(source=source, detail=f"cannot read gazetteer: {exc}") from exc
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(source=source, detail=f"not valid YAML: {exc}") from exc
        return cls._from_document(raw, source)

    @classmethod
    def _from_document(cls, raw: object, source: str) -> Gazetteer:
        ld = _Loader(source)
        doc = ld.mapping(raw, "gazetteer")
        ld.unknown_keys(doc, _TOP_KEYS, "gazetteer")

        settings = ld.mapping(doc.get("settings") or {}, "settings")
        top_states = settings.get("top_states", _DEFAULT_TOP_STATES)
        if isinstance(top_states, bool) or not isinstance(top_states, int) or top_states < 2:
            raise ld.fail(f"settings.top_states must be an integer >= 2, got {top_states!r}")

        region_map = ld.mapping(doc.get("regions"), "regions")
        for code in region_map:
            if not _REGION_CODE.fullmatch(code):
                raise ld.fail(f"regions: bad region code {code!r} (lower case letters, digits, '_')")
        regions = tuple(region_map)
        if not regions:
            raise ld.fail("regions: at least one region is required")
        fallback = ld.region_ref(doc.get("fallback_region", "other"), regions, "fallback_region")

        states = ld.mapping(doc.get("states"), "states")
        if not states:
            raise ld.fail("states: at least one state is required")
        owner: dict[str, tuple[tuple[str, ...], str]] = {}  # folded lower-case form -> (states, as written)
        forms: list[_Form] = []
        boilerplate: list[str] = []

        def add(written: str, codes: tuple[str, ...], match_case: bool, where: str) -> None:
            text = _fold(written.strip())
            prefix = text.endswith("*")
            if prefix:
                text = text[:-1].rstrip()
            if not text or "*" in text:
                raise ld.fail(f"{where}: bad form {written!r} ('*' is allowed only at the end)")
            if _is_cjk(text[-1]):
                prefix = True
            key = text.lower()
            seen = owner.get(key)
            if seen is not None and seen[0] != codes:
                what = "/".join(seen[0]) or "not_states"
                now = "/".join(codes) or "not_states"
                raise ld.fail(
                    f"{where}: duplicate form {written!r} maps to {now}, but {seen[1]!r} maps to {what}"
                )
            owner[key] = (codes, written)
            forms.append(_Form(text=text, states=codes, prefix=prefix, match_case=match_case))

        names: dict[str, str] = {}
        homes: dict[str, str] = {}
        for code, spec in states.items():
            ld.iso(code, "states")
            where = f"states.{code}"
            entry = ld.mapping(spec, where)
            ld.unknown_keys(entry, _STATE_KEYS, where)
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ld.fail(f"{where}.name must be a non-empty string, got {name!r}")
            names[code] = name
            if entry.get("home") is not None:
                homes[code] = ld.region_ref(entry["home"], regions, f"{where}.home")
            groups = ld.mapping(entry.get("forms") or {}, f"{where}.forms")
            for group, values in groups.items():
                for written in ld.string_list(values, f"{where}.forms.{group}"):
                    add(written, (code,), False, f"{where}.forms.{group}")
            for written in ld.string_list(entry.get("match_case"), f"{where}.match_case"):
                add(written, (code,), True, f"{where}.match_case")

        compounds = doc.get("compounds") or []
        if not isinstance(compounds, list):
            raise ld.fail("compounds must be a list")
        for i, item in enumerate(compounds):
            where = f"compounds[{i}]"
            entry = ld.mapping(item, where)
            ld.unknown_keys(entry, frozenset({"form", "states"}), where)
            compound = entry.get("form")
            if not isinstance(compound, str) or not compound.strip():
                raise ld.fail(f"{where}.form must be a non-empty string, got {compound!r}")
            codes = entry.get("states")
            if not isinstance(codes, list) or len(codes) < 2:
                raise ld.fail(f"{where}.states must list at least two states, got {codes!r}")
            refs = tuple(ld.state_ref(c, states, f"{where}.states") for c in codes)
            add(compound, tuple(dict.fromkeys(refs)), False, where)

        for written in ld.string_list(doc.get("not_states"), "not_states"):
            add(written, (), False, "not_states")

        for pattern in ld.string_list(doc.get("boilerplate"), "boilerplate"):
            try:
                compiled = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
            except re.error as exc:
                raise ld.fail(f"boilerplate: invalid regular expression {pattern!r}: {exc}") from exc
            if compiled.groups:
                raise ld.fail(f"boilerplate: {pattern!r} has capturing groups; use (?:...)")
            if compiled.match(""):
                raise ld.fail(f"boilerplate: {pattern!r} matches the empty string")
            boilerplate.append(pattern)

        raw_rules = doc.get("region_rules") or []
        if not isinstance(raw_rules, list):
            raise ld.fail("region_rules must be a list")
        rules: list[RegionRule] = []
        for i, item in enumerate(raw_rules):
            where = f"region_rules[{i}]"
            entry = ld.mapping(item, where)
            ld.unknown_keys(entry, _RULE_KEYS, where)
            region = ld.region_ref(entry.get("region"), regions, f"{where}.region")
            any_of = ld.string_list(entry.get("any"), f"{where}.any")
            if not any_of:
                raise ld.fail(f"{where}.any must list at least one state")
            with_any = entry.get("with_any")
            rules.append(
                RegionRule(
                    region=region,
                    any_of=frozenset(ld.state_ref(c, states, f"{where}.any") for c in any_of),
                    with_any=None
                    if with_any is None
                    else frozenset(
                        ld.state_ref(c, states, f"{where}.with_any")
                        for c in ld.string_list(with_any, f"{where}.with_any")
                    ),
                )
            )

        return cls(
            forms=forms,
            regions=regions,
            rules=tuple(rules),
            homes=homes,
            fallback_region=fallback,
            top_states=top_states,
            boilerplate=boilerplate,
            names=names,
        )

    def _form(self, matched: str) -> _Form | None:
        """The form a matched (lower-cased) span is: an exact form, else the longest prefix form."""
        try:
            return self._cache[matched]
        except KeyError:
            pass
        key = _fold(matched).lower()
        form = self._exact.get(key)
        if form is None:
            for end in range(min(len(key), self._max_prefix), 0, -1):
                form = self._prefix.get(key[:end])
                if form is not None:
                    break
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[matched] = form
        return form

    def _resolve(self, matched: str, original: str) -> tuple[str, ...]:
        """The states a matched span names (empty for not_states and case mismatches).

        ``matched`` is the span as matched (lower-cased), ``original`` the same span as written.
        """
        form = self._form(matched)
        if form is None:
            return ()
        if form.match_case:
            written = _fold(original)
            if not (written.startswith(form.text) if form.prefix else written == form.text):
                return ()
        return form.states

    def extract(self, text: str) -> Actors:
        """The states ``text`` mentions, their dyads and regions. One regex pass over the text."""
        subject = text.lower()
        pattern = self._pattern
        if len(subject) != len(text):
            subject, pattern = text, self._pattern_icase
        counts: dict[str, int] = {}  # insertion order = first mention
        for match in pattern.finditer(subject):
            if match.lastindex is None:  # boilerplate or an ordinary word
                continue
            start, end = match.span(1)
            for code in self._resolve(subject[start:end], text[start:end]):
                counts[code] = counts.get(code, 0) + 1
        if not counts:
            return Actors(states=(), dyads=(), regions=())
        order = {code: i for i, code in enumerate(counts)}
        states = tuple(sorted(counts, key=lambda c: (-counts[c], order[c])))
        top = states[: self.top_states]
        dyads = tuple("-".join(sorted((a, b))) for i, a in enumerate(top) for b in top[i + 1 :])
        return Actors(states=states, dyads=dyads, regions=self._regions(top))

    def _regions(self, top: tuple[str, ...]) -> tuple[str, ...]:
        present = frozenset(top)
        found = {rule.region for rule in self.rules if rule.holds(present)}
        if not found:
            found = {self.homes.get(code, self.fallback_region) for code in top}
            if len(found) > 1:
                found.discard(self.fallback_region)
        return tuple(region for region in self.regions if region in found)
