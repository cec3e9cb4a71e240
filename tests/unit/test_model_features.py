"""The feature function: German compounds, bilingual concepts, datelines, position insensitivity."""

from __future__ import annotations

import numpy as np

from models.features import ConceptFeaturizer, concepts_of_token, extract_features, strip_boilerplate
from models.language import detect_language


def test_german_compounds_split_into_concepts() -> None:
    assert {"deliver", "weapon"} <= set(concepts_of_token("waffenlieferungen"))
    assert {"balloon", "trash"} <= set(concepts_of_token("müllballons"))
    assert "warning_shot" in concepts_of_token("warnschüsse")
    assert {"pact", "mutual_defense"} <= set(concepts_of_token("beistandspakt"))
    assert "ammo" in concepts_of_token("artilleriegranaten")
    assert "nuclear_test" in concepts_of_token("atomtest")
    assert "loudspeaker" in concepts_of_token("lautsprecheranlagen")


def test_vetoes() -> None:
    assert "border" not in concepts_of_token("begrenzt")
    assert "weapon" not in concepts_of_token("waffenstillstand")
    assert "enrich" not in concepts_of_token("restaurant")


def test_german_and_english_meet() -> None:
    de = extract_features("Nordkorea schickte Müllballons über die Grenze.")
    en = extract_features("North Korea sent trash balloons across the border.")
    shared = {k for k in de if k.startswith("p:")} & {k for k in en if k.startswith("p:")}
    assert "p:balloon+border" in shared
    assert "p:border+nkorea" in shared


def test_umlaut_spellings_agree() -> None:
    assert extract_features("Warnschüsse an der Grenze") == extract_features(
        "Warnschuesse an der Grenze".replace("ue", "ü")
    )


def test_position_insensitive_pairs() -> None:
    filler = "Das Wetter war schön. " * 30
    early = extract_features("Nordkorea schickte Ballons über die Grenze. " + filler)
    late = extract_features(filler + "Nordkorea schickte Ballons über die Grenze.")
    assert early["p:balloon+border"] == late["p:balloon+border"]


def test_datelines_and_bylines_are_stripped() -> None:
    assert "Yonhap" not in strip_boilerplate("SEOUL, June 19 (Yonhap) -- North Korea fired")
    assert strip_boilerplate("By Jane Doe, CNN\nThe text").strip() == "The text"


def test_featurizer_fit_transform_and_roundtrip_state() -> None:
    texts = ["Nordkorea feuert Raketen ab.", "North Korea fires missiles.", "Das Spiel endete 2:1."]
    f = ConceptFeaturizer(min_df=1).fit(texts)
    X = f.transform(texts)
    assert X.shape == (3, len(f.feature_names_))
    assert "c:missile" in f.vocabulary_
    state = f.__getstate__()
    assert "vocabulary_" not in state
    g = ConceptFeaturizer.__new__(ConceptFeaturizer)
    g.__setstate__(state)
    assert g.vocabulary_ == f.vocabulary_
    assert np.allclose(g.transform(texts).toarray(), X.toarray())


def test_detect_language() -> None:
    assert detect_language("Nordkorea hat erneut Ballons über die Grenze geschickt.") == "de"
    assert detect_language("North Korea fired a ballistic missile on Tuesday.") == "en"
    assert detect_language("북한이 탄도미사일을 발사했다") == "ko"
    assert detect_language("12345 !!!") == "und"
