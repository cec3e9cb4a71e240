"""The feature function: German compounds, bilingual concepts, datelines, position insensitivity."""

from __future__ import annotations

import math

import numpy as np
import pytest

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


def test_other_scripts_and_odd_input_do_not_break_features() -> None:
    assert isinstance(extract_features("북한이 탄도미사일을 발사했다. 군은 경계를 강화했다."), dict)
    assert extract_features("...!!!   ") == {}
    f = extract_features("Kim Jong-un’s regime fired 2 missiles—again…")
    assert "c:nkorea" in f and "c:missile" in f


def test_evidence_names_are_readable() -> None:
    from models.scoring import pretty_feature

    assert pretty_feature("p:balloon+border") == "balloon+border"
    assert pretty_feature("w:border+cross") == "border~cross"
    assert pretty_feature("t:ballons") == '"ballons"'
    assert pretty_feature("g:border_incident@korea>=3") == "border_incident@korea x3"
    assert pretty_feature("l:arms_transfer>=2") == "lead: arms_transfer x2"
    assert pretty_feature("o:nkorea+soldier") == "nkorea's soldier"


def test_origin_features_tell_whose_soldiers_and_weapons() -> None:
    # the same concepts in one sentence; the origin features tell the two stories apart
    troops = extract_features("North Korean soldiers are fighting near Kursk alongside Russian units.")
    shells = extract_features("Soldiers near Kursk said North Korean shells often fail to explode.")
    assert troops["o:nkorea+soldier"] > 0 and "o:nkorea+soldier" not in shells
    assert shells["o:nkorea+ammo"] > 0 and "o:nkorea+ammo" not in troops
    # German adjectives, "aus"/"from" after the item, and the count over sentences
    german = extract_features("Nordkoreanische Soldaten sind in Kursk. Weitere Truppen aus Nordkorea folgen.")
    assert german["o:nkorea+soldier"] == pytest.approx(math.log1p(2))
    assert extract_features("Drones from Iran hit Kyiv.")["o:iran+drone"] > 0
    # an actor far from the item, or after it without a linking word, is not its origin
    assert not any(
        k.startswith("o:") for k in extract_features("North Korea said on Monday that troops moved.")
    )
    assert not any(k.startswith("o:") for k in extract_features("The soldiers fought Russia."))


def test_origin_frame_north_korean_troops_abroad() -> None:
    # North Korean soldiers in Russia's war: military cooperation under LABELS.md
    abroad = extract_features("North Korean troops were seen near Kursk. Russia did not comment.")
    assert abroad["x:nk_troops_abroad"] > 0
    assert extract_features("Nordkoreanische Soldaten kämpfen für Russland.")["x:nk_troops_abroad"] > 0
    # North Korean soldiers at the inter-Korean border, or Ukrainian soldiers with North Korean shells: not it
    border = extract_features("North Korean soldiers crossed the military demarcation line on Tuesday.")
    shells = extract_features(
        "Ukrainian soldiers near Bakhmut said North Korean shells often fail in Russia."
    )
    assert "x:nk_troops_abroad" not in border and "x:nk_troops_abroad" not in shells


def test_lead_features_mark_the_subject_not_a_passing_mention() -> None:
    filler = "Die Regierung stellte am Dienstag ihren Haushalt vor. " * 6
    event = "Die Bundesregierung liefert weitere Kampfpanzer an die Ukraine. "
    subject = extract_features("Berlin liefert Panzer an Kiew\n\n" + event + filler)
    passing = extract_features("Haushalt vorgestellt\n\n" + filler + event)
    # the same evidence anywhere in the text ...
    assert subject["g:arms_transfer>=2"] == passing["g:arms_transfer>=2"] == 1.0
    # ... but only the article that leads with it has it in the lead
    assert subject["l:arms_transfer>=2"] == 1.0
    assert not any(k.startswith("l:arms_transfer") for k in passing)


def test_transform_agrees_with_the_feature_function() -> None:
    import math

    texts = [
        "Nordkorea schickte Müllballons über die Grenze. Südkorea schaltete Lautsprecher ein.",
        "North Korea fired a ballistic missile into the sea, Seoul said. Müll und Ballons.",
        "Der Trainer lobte die Mannschaft nach dem Sieg über Bayern.",
        "Die Grenze blieb geschlossen; Ballons flogen nach Süden.",
    ]
    f = ConceptFeaturizer(min_df=1, word_min_df=1, word_max_df=1.0, word_weight=2.0).fit(texts)
    X = f.transform(texts).toarray()
    for row, text in zip(X, texts, strict=True):
        feats = extract_features(text)
        words = {
            k: v * f.idf_[f.vocabulary_[k]]
            for k, v in feats.items()
            if k.startswith("t:") and k in f.vocabulary_
        }
        norm = math.sqrt(sum(v * v for v in words.values()))
        for name, value in feats.items():
            j = f.vocabulary_.get(name)
            if j is None:
                continue
            expected = 2.0 * words[name] / norm if name.startswith("t:") else value
            assert math.isclose(row[j], expected, rel_tol=1e-9), name
        assert np.count_nonzero(row) == sum(1 for n in feats if n in f.vocabulary_)
