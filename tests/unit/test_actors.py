"""Unit tests for the actors/regions gazetteer (models/actors.py, models/data/gazetteer.yaml).

All sentences here were written by the team for these tests.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.actors import DEFAULT_GAZETTEER_PATH, Actors, Gazetteer
from models.errors import ConfigError


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def states(gaz: Gazetteer, text: str) -> tuple[str, ...]:
    return gaz.extract(text).states


# --- the packaged file ------------------------------------------------------------------------------


def test_default_file_loads_and_is_consistent() -> None:
    gaz = Gazetteer.load()
    assert Gazetteer.load(DEFAULT_GAZETTEER_PATH).regions == gaz.regions
    assert set(gaz.regions) == {
        "korean_peninsula",
        "russia_ukraine",
        "middle_east",
        "east_asia",
        "europe",
        "other",
    }
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in gaz.names)
    assert {"PRK", "KOR", "USA", "RUS", "UKR", "CHN", "JPN", "IRN"} <= set(gaz.names)
    assert gaz.top_states == 4


def test_empty_and_stateless_text(gaz: Gazetteer) -> None:
    assert gaz.extract("") == Actors(states=(), dyads=(), regions=())
    assert gaz.extract("The weather was mild and the harvest was good.") == Actors((), (), ())


# --- English ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("North Korea fired two ballistic missiles on Tuesday.", "PRK"),
        ("The DPRK said the launch was a routine test.", "PRK"),
        ("Officials in Pyongyang denied the report.", "PRK"),
        ("A North Korean soldier crossed the line.", "PRK"),
        ("The Korean People's Army moved artillery forward.", "PRK"),
        ("Kim Jong Un inspected the factory.", "PRK"),
        ("Kim Jong-un inspected the factory.", "PRK"),
        ("Kim Yo-jong issued a statement.", "PRK"),
        ("The KPA warned of consequences.", "PRK"),
        ("South Korea's Joint Chiefs said the JCS tracked the launch.", "KOR"),
        ("The ROK navy fired warning shots.", "KOR"),
        ("Seoul summoned the ambassador.", "KOR"),
        ("Yoon Suk Yeol called for calm.", "KOR"),
        ("Lee Jae-myung proposed talks.", "KOR"),
        ("The Kremlin declined to comment.", "RUS"),
        ("Moscow denied buying shells.", "RUS"),
        ("Russian troops advanced.", "RUS"),
        ("Sergei Shoigu met his counterpart.", "RUS"),
        ("The Pentagon confirmed the deployment.", "USA"),
        ("A White House spokesman spoke.", "USA"),
        ("The U.S. sent a carrier group.", "USA"),
        ("US officials expressed concern.", "USA"),
        ("Kyiv said it shot down the drones.", "UKR"),
        ("Zelenskyy thanked his allies.", "UKR"),
        ("Beijing urged restraint.", "CHN"),
        ("Xi Jinping spoke by phone.", "CHN"),
        ("Tokyo lodged a protest.", "JPN"),
        ("Tehran rejected the accusation.", "IRN"),
        ("Iranian drones were shot down.", "IRN"),
        ("Hezbollah fired rockets.", "LBN"),
        ("The Houthis attacked a ship.", "YEM"),
    ],
)
def test_english_forms(gaz: Gazetteer, text: str, expected: str) -> None:
    assert states(gaz, text) == (expected,)


def test_pronoun_us_is_not_the_united_states(gaz: Gazetteer) -> None:
    assert states(gaz, "Let us hope the talks help us all; tell us more.") == ()
    assert states(gaz, "Us and them.") == ()
    assert states(gaz, "None of us expected the US to respond.") == ("USA",)


def test_case_sensitive_words(gaz: Gazetteer) -> None:
    assert states(gaz, "They ate turkey and went to polish the car.") == ()
    assert states(gaz, "Turkey and Polish officials met.") == ("TUR", "POL")
    assert states(gaz, "The uk hostel.") == ()
    assert states(gaz, "The UK sanctioned the firms.") == ("GBR",)


def test_word_boundaries_avoid_false_hits(gaz: Gazetteer) -> None:
    # Oman is not a form and must not hit inside Romania; Iran not inside Tirana; India not inside Indiana.
    assert states(gaz, "Romania, Tirana and Indiana hosted the games.") == ()
    assert states(gaz, "A Latin American delegation flew in.") == ()
    assert states(gaz, "Agence France-Presse reported the talks.") == ()
    assert states(gaz, "The Washington Post ran the story.") == ()
    assert states(gaz, "Iran and Iranian and Irans") == ("IRN",)
    assert states(gaz, "Prices kept raising concerns.") == ()  # not Raisi
    assert states(gaz, "Die Israelitische Kultusgemeinde lud ein.") == ()
    assert states(gaz, "Das Deutschlandticket wird teurer.") == ()


def test_longest_match_wins(gaz: Gazetteer) -> None:
    # "Republic of Korea" is inside the DPRK's full name: only North Korea must be counted.
    actors = gaz.extract("The Democratic People's Republic of Korea issued a statement.")
    assert actors.states == ("PRK",)


def test_whitespace_and_apostrophe_variants(gaz: Gazetteer) -> None:
    assert states(gaz, "Kim  Jong\nUn spoke.") == ("PRK",)
    assert states(gaz, "The Korean People’s Army drilled.") == ("PRK",)


# --- German -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nordkorea testete eine Rakete.", "PRK"),
        ("Nordkoreas Führung schwieg.", "PRK"),
        ("Die nordkoreanische Armee übte.", "PRK"),
        ("Mit nordkoreanischen Granaten.", "PRK"),
        ("Ein nordkoreanischer Soldat floh.", "PRK"),
        ("Das nordkoreanisches Regime.", "PRK"),
        ("Ankunft in Pjöngjang am Abend.", "PRK"),
        ("Die Koreanische Volksarmee verlegte Truppen.", "PRK"),
        ("Russland bestreitet das.", "RUS"),
        ("Russlands Präsident reiste ab.", "RUS"),
        ("Die russischen Streitkräfte rückten vor.", "RUS"),
        ("Moskau reagierte gelassen.", "RUS"),
        ("Der Kreml-Chef lobte den Partner.", "RUS"),
        ("Ein Sprecher des Kremls sagte nichts.", "RUS"),
        ("Wladimir Putin reiste ab.", "RUS"),
        ("Putins Besuch dauerte zwei Tage.", "RUS"),
        ("Südkorea protestierte.", "KOR"),
        ("Südkoreas Militär meldete Schüsse.", "KOR"),
        ("Südkoreanische Grenzer feuerten.", "KOR"),
        ("Die Vereinigten Staaten warnten.", "USA"),
        ("Vor dem US-amerikanischen Kongress.", "USA"),
        ("Der US-Verteidigungsminister sprach.", "USA"),
        ("Die USA sind besorgt.", "USA"),
        ("Im Weißen Haus wurde beraten.", "USA"),
        ("Im Ukraine-Krieg gab es Verluste.", "UKR"),
        ("Ukrainische Stellungen wurden getroffen.", "UKR"),
        ("Kiew meldete Angriffe.", "UKR"),
        ("Selenskyj bat um Hilfe.", "UKR"),
        ("Peking rief zur Mäßigung auf.", "CHN"),
        ("Tokio protestierte.", "JPN"),
        ("Teheran wies das zurück.", "IRN"),
        ("Iranische Drohnen trafen Ziele.", "IRN"),
        ("Weißrussland stellte Truppen bereit.", "BLR"),
        ("Die Bundeswehr beteiligte sich.", "DEU"),
    ],
)
def test_german_forms_and_inflections(gaz: Gazetteer, text: str, expected: str) -> None:
    assert states(gaz, text) == (expected,)


def test_german_compound_names_both_koreas(gaz: Gazetteer) -> None:
    assert set(states(gaz, "Die Spannungen zwischen Nord- und Südkorea wachsen.")) == {"PRK", "KOR"}
    assert set(states(gaz, "Spannungen zwischen Süd- und Nordkorea.")) == {"PRK", "KOR"}


# --- Korean -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("북한은 탄도미사일을 발사했다.", "PRK"),
        ("북한이 오물 풍선을 보냈다.", "PRK"),
        ("북한군 병사가 군사분계선을 넘었다.", "PRK"),
        ("김정은 국무위원장이 참관했다.", "PRK"),
        ("러시아가 이를 부인했다.", "RUS"),
        ("한국의 합참은 경고사격을 했다고 밝혔다.", "KOR"),
        ("미국과의 협의가 이어졌다.", "USA"),
        ("중국은 자제를 촉구했다.", "CHN"),
        ("일본 정부가 항의했다.", "JPN"),
        ("우크라이나 전쟁이 길어지고 있다.", "UKR"),
    ],
)
def test_korean_forms_with_particles(gaz: Gazetteer, text: str, expected: str) -> None:
    assert states(gaz, text) == (expected,)


def test_korean_compounds(gaz: Gazetteer) -> None:
    assert set(states(gaz, "북러 정상회담이 열렸다.")) == {"PRK", "RUS"}
    assert set(states(gaz, "한미 연합훈련이 시작됐다.")) == {"KOR", "USA"}
    assert set(states(gaz, "남북 관계가 악화됐다.")) == {"KOR", "PRK"}


def test_korean_forms_need_a_word_start(gaz: Gazetteer) -> None:
    # "이란" is Iran at a word start, but "-이란" attached to a noun is a particle ("what is called").
    assert states(gaz, "이란이 드론을 보냈다.") == ("IRN",)
    assert states(gaz, "평화란 무엇인가, 전쟁이란 무엇인가.") == ()


# --- counting, ordering, dyads ------------------------------------------------------------------------


def test_states_ordered_by_count_then_first_mention(gaz: Gazetteer) -> None:
    text = "Japan spoke first. China and Russia followed. Russia again, and Russia once more. China too."
    assert gaz.extract(text).states == ("RUS", "CHN", "JPN")
    # Ties keep the order of first mention.
    assert gaz.extract("Iran and Israel traded threats.").states == ("IRN", "ISR")
    assert gaz.extract("Israel and Iran traded threats.").states == ("ISR", "IRN")


def test_a_single_state_has_no_dyad(gaz: Gazetteer) -> None:
    actors = gaz.extract("North Korea and Pyongyang and the DPRK.")
    assert actors.states == ("PRK",)
    assert actors.dyads == ()


def test_dyads_are_sorted_pairs_and_capped_at_top_four(gaz: Gazetteer) -> None:
    text = (
        "Russia, Russia, Russia and Russia. North Korea, North Korea and North Korea. "
        "China and China. The United States. Japan was mentioned once, after the others."
    )
    actors = gaz.extract(text)
    assert actors.states == ("RUS", "PRK", "CHN", "USA", "JPN")
    assert len(actors.dyads) == 6  # C(4, 2): JPN, the fifth state, is left out
    assert all("JPN" not in dyad for dyad in actors.dyads)
    for dyad in actors.dyads:
        a, b = dyad.split("-")
        assert a < b
    assert actors.dyads[0] == "PRK-RUS"  # the two most mentioned states come first
    assert set(actors.dyads) == {"PRK-RUS", "CHN-RUS", "RUS-USA", "CHN-PRK", "PRK-USA", "CHN-USA"}


# --- regions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("North Korea launched a missile.", ("korean_peninsula",)),
        ("South Korea and Japan held talks.", ("korean_peninsula", "east_asia")),
        ("Ukraine said Russia attacked overnight.", ("russia_ukraine",)),
        ("Russia moved nuclear weapons to Belarus.", ("russia_ukraine",)),
        ("Russia tested a new rocket.", ("russia_ukraine",)),  # no rule: home region
        ("Israel struck targets in Syria.", ("middle_east",)),
        ("China sent ships near Taiwan.", ("east_asia",)),
        ("Poland accused Russia of sabotage.", ("europe",)),
        ("Germany and France agreed on a tank project.", ("europe",)),  # no rule: home regions
        ("India and Pakistan exchanged fire.", ("other",)),
        ("Washington and Berlin talked.", ("europe",)),  # 'other' is dropped when a home region exists
    ],
)
def test_regions(gaz: Gazetteer, text: str, regions: tuple[str, ...]) -> None:
    assert gaz.extract(text).regions == regions


def test_regions_use_only_the_top_states(gaz: Gazetteer) -> None:
    text = (
        "North Korea and South Korea. North Korea again, South Korea again. "
        "Russia and Russia. The US and the US. Once, in passing: Iran."
    )
    actors = gaz.extract(text)
    assert actors.states[-1] == "IRN"
    assert actors.regions == ("korean_peninsula",)


# --- boilerplate --------------------------------------------------------------------------------------


def test_agency_dateline_and_credits_are_ignored(gaz: Gazetteer) -> None:
    text = (
        "SEOUL, June 3 (Reuters) - North Korea flew more trash balloons across the border overnight.\n"
        "(Reporting by A. Writer in Seoul; Editing by B. Editor)"
    )
    assert gaz.extract(text).states == ("PRK",)
    assert states(gaz, "Berlin/Kiew (dpa) - Nordkorea schickte Ballons.") == ("PRK",)
    assert states(gaz, "(서울=연합뉴스) 북한이 미사일을 쐈다.") == ("PRK",)
    # The same city outside a dateline is a mention.
    assert set(states(gaz, "North Korea protested to Seoul.")) == {"PRK", "KOR"}


# --- the reference-article style (team-written) --------------------------------------------------------


def test_reference_style_article() -> None:
    gaz = Gazetteer.load()
    text = (
        "Putin reist nach Pjöngjang\n\n"
        "Pjöngjang – Der russische Präsident Wladimir Putin besucht Nordkorea und trifft dort Kim Jong-un. "
        "Nach Angaben aus Seoul hat Nordkorea Russland Millionen Artilleriegranaten geliefert; "
        "nordkoreanische Raketen sollen gegen ukrainische Städte eingesetzt worden sein. "
        "Der Kreml bestreitet die Lieferungen. Südkorea und die USA verstärken ihre Zusammenarbeit, "
        "während Nordkoreas Soldaten an der Grenze zu Südkorea Minen verlegen. Russlands Präsident "
        "lobte Pjöngjang für die Unterstützung."
    )
    actors = gaz.extract(text)
    assert actors.states[:2] == ("PRK", "RUS")
    assert "KOR" in actors.states
    assert actors.dyads[0] == "PRK-RUS"
    assert "korean_peninsula" in actors.regions
    assert len(actors.dyads) <= 6


def test_reference_style_article_in_english() -> None:
    gaz = Gazetteer.load()
    text = (
        "Putin lands in Pyongyang. The Russian leader will meet Kim Jong Un. North Korea is accused of "
        "shipping artillery shells to Russia for its war in Ukraine; the Kremlin denies it."
    )
    actors = gaz.extract(text)
    assert actors.states == ("RUS", "PRK", "UKR")  # RUS 4 mentions, PRK 3, UKR 1
    assert "PRK-RUS" in actors.dyads
    assert "korean_peninsula" in actors.regions


SEED_ARTICLE = Path(__file__).resolve().parents[3] / "shared" / "seed" / "article-de-putin-kim.txt"


@pytest.mark.shared
@pytest.mark.skipif(not SEED_ARTICLE.exists(), reason="../shared is absent")
def test_seed_article() -> None:
    actors = Gazetteer.load().extract(SEED_ARTICLE.read_text(encoding="utf-8"))
    assert set(actors.states[:4]) == {"PRK", "RUS", "KOR", "USA"}
    assert "PRK-RUS" in actors.dyads
    assert actors.dyads[0] == "PRK-RUS"
    assert actors.regions == ("korean_peninsula",)


# --- data-driven: a custom file -------------------------------------------------------------------------


def minimal_doc() -> dict[str, Any]:
    return {
        "version": 1,
        "settings": {"top_states": 3},
        "regions": {"north": "North", "south": "South", "other": "Other"},
        "fallback_region": "other",
        "region_rules": [
            {"region": "north", "any": ["AAA"]},
            {"region": "south", "any": ["BBB"], "with_any": ["CCC"]},
        ],
        "states": {
            "AAA": {
                "name": "Aland",
                "home": "north",
                "forms": {"en": ["Aland*", "Alandia"]},
                "match_case": ["AL"],
            },
            "BBB": {"name": "Bland", "home": "south", "forms": {"en": ["Bland"], "ko": ["블랜드"]}},
            "CCC": {"name": "Cland", "forms": {"de": ["Cland"]}},
        },
        "compounds": [{"form": "Aland-Bland", "states": ["AAA", "BBB"]}],
        "not_states": ["Bland Street"],
        "boilerplate": [r"\(Wire\)"],
    }


def write(tmp_path: Path, doc: object, name: str = "gaz.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_custom_file_adds_states_without_code_changes(tmp_path: Path) -> None:
    gaz = Gazetteer.load(write(tmp_path, minimal_doc()))
    assert gaz.extract("Alandian troops met Bland envoys (Wire) in Cland.").states == ("AAA", "BBB", "CCC")
    assert gaz.extract("AL and al").states == ("AAA",)
    assert gaz.extract("He lives on Bland Street.").states == ()
    assert gaz.extract("블랜드는 말했다").states == ("BBB",)
    assert gaz.extract("The Aland-Bland pact.").states == ("AAA", "BBB")
    assert gaz.extract("Bland and Cland").regions == ("south",)
    assert gaz.extract("Cland only").regions == ("other",)


def config_error(tmp_path: Path, doc: object) -> ConfigError:
    path = write(tmp_path, doc)
    with pytest.raises(ConfigError) as info:
        Gazetteer.load(path)
    assert info.value.source == str(path)
    return info.value


def test_error_unknown_region_in_rule(tmp_path: Path) -> None:
    doc = minimal_doc()
    doc["region_rules"][0]["region"] = "atlantis"
    err = config_error(tmp_path, doc)
    assert "unknown region code" in err.detail
    assert "'atlantis'" in err.detail


def test_error_unknown_home_region(tmp_path: Path) -> None:
    doc = minimal_doc()
    doc["states"]["BBB"]["home"] = "narnia"
    err = config_error(tmp_path, doc)
    assert "narnia" in err.detail
    assert "states.BBB.home" in err.detail


def test_error_duplicate_form_in_two_states(tmp_path: Path) -> None:
    doc = minimal_doc()
    doc["states"]["CCC"]["forms"]["en"] = ["alandia"]  # case-insensitively the same as AAA's "Alandia"
    err = config_error(tmp_path, doc)
    assert "duplicate form" in err.detail
    assert "alandia" in err.detail
    assert "AAA" in err.detail
    assert "CCC" in err.detail


def test_error_compound_clashing_with_a_state_form(tmp_path: Path) -> None:
    doc = minimal_doc()
    doc["compounds"][0]["form"] = "Bland"
    err = config_error(tmp_path, doc)
    assert "duplicate form" in err.detail


@pytest.mark.parametrize("code", ["RU", "rus", "RUSS", "R1S"])
def test_error_bad_iso_code(tmp_path: Path, code: str) -> None:
    doc = minimal_doc()
    doc["states"][code] = copy.deepcopy(doc["states"].pop("CCC"))
    doc["region_rules"][1]["with_any"] = ["AAA"]
    err = config_error(tmp_path, doc)
    assert "ISO 3166 alpha-3" in err.detail
    assert repr(code) in err.detail


def test_error_rule_names_undefined_state(tmp_path: Path) -> None:
    doc = minimal_doc()
    doc["region_rules"][0]["any"] = ["ZZZ"]
    err = config_error(tmp_path, doc)
    assert "unknown state" in err.detail
    assert "ZZZ" in err.detail


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["states"]["AAA"]["forms"].update(en=["Al*and"]), "Al*and"),
        (lambda d: d["states"]["AAA"]["forms"].update(en=[True]), "True"),
        (lambda d: d.update(boilerplate=["(unclosed"]), "(unclosed"),
        (lambda d: d.update(boilerplate=["(Wire)"]), "capturing"),
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d["settings"].update(top_states=1), "top_states"),
        (lambda d: d["compounds"][0].update(states=["AAA"]), "at least two"),
    ],
)
def test_error_other_invalid_values(tmp_path: Path, mutate: Any, needle: str) -> None:
    doc = minimal_doc()
    mutate(doc)
    assert needle in config_error(tmp_path, doc).detail


def test_error_not_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("states: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Gazetteer.load(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        Gazetteer.load(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="must be a mapping"):
        Gazetteer.load(write(tmp_path, ["a", "list"], "list.yaml"))
