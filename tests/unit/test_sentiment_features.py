"""Feature extraction: negation scope, cues, and the fast inference path equal to the training path."""

from __future__ import annotations

import numpy as np

from humas.sentiment.features import CueMatcher, FeatureConfig, Vectorizer, default_cues, extract, word_terms
from humas.sentiment.normalize import default_normalizer

NEG = frozenset({"tidak", "belum"})


def test_negation_scope_marks_the_next_words_until_punctuation() -> None:
    terms = word_terms(["tidak", "buruk", "kok", "!", "bagus"], NEG, 2)
    assert "neg_buruk" in terms and "neg_kok" in terms and "neg_bagus" not in terms
    assert "tidak buruk" in terms and "buruk" in terms
    assert not [t for t in word_terms(["tidak", "buruk"], NEG, 0) if t.startswith("neg_")]
    replaced = word_terms(["tidak", "buruk"], NEG, 2, replace=True)
    assert "neg_buruk" in replaced and "buruk" not in replaced and "tidak buruk" in replaced


def test_slang_negation_reaches_the_scope() -> None:
    tokens = default_normalizer().tokens("gak bagus blas")
    assert tokens[:2] == ["tidak", "bagus"]
    assert "neg_bagus" in word_terms(tokens, CueMatcher(default_cues()).negators, 2)


def test_cues_negated_complaint_and_sarcasm() -> None:
    cues = CueMatcher(default_cues())
    norm = default_normalizer()
    assert cues(norm.tokens("pelayanannya tidak terlalu buruk"))["negated_complaint"] == 1
    assert cues(norm.tokens("kurang bagus"))["negated_praise"] == 1
    assert cues(norm.tokens("kurang bagus"))["praise"] == 0
    sarcasm = cues(norm.tokens("mantap pak, jalannya rusak lagi 👍"))
    assert sarcasm["praise_with_problem"] == 1 and sarcasm["sarcasm_emoji"] == 1


def test_cue_words_match_with_the_enclitic_nya_only_when_the_model_asks() -> None:
    cues = CueMatcher(default_cues())
    tokens = default_normalizer().tokens("mantap pak, lubangnya bisa buat mancing")
    assert cues(tokens, stems=True)["problem"] == 1 and cues(tokens, stems=True)["praise_with_problem"] == 1
    assert cues(tokens)["problem"] == 0  # artifacts trained before cue_stems see what they were trained on
    assert cues(["ramahnya", "petugas"], stems=True)["praise"] == 1
    # negators and words that only start a phrase keep their "-nya" form: "kurangnya" is "the lack of"
    assert cues(["kurangnya", "bagus"], stems=True)["negated_praise"] == 0
    assert cues(["bukannya", "ramah"], stems=True)["praise"] == 1


def test_fast_transform_equals_training_transform() -> None:
    norm = default_normalizer()
    cues = CueMatcher(default_cues())
    texts = ["jalan rusak parah sudah 2 tahun!!", "terima kasih pak 👍", "", "tidak buruk kok, mantap",
             "gak bagus blas pelayanannya", "jalan rusak parah", "sampahnya numpuk, baunya parah"]
    tokens = [norm.tokens(t) for t in texts]
    config = FeatureConfig(negation_replace=True, cue_stems=True)
    docs = [extract(t, cues, config) for t in tokens]
    assert docs[-1]["cue"]["problem"] == 3  # sampah, numpuk, bau
    vec = Vectorizer.fit(docs, min_df={"word": 1, "char": 1, "cue": 1}, max_features={},
                         weights={"word": 1.0, "char": 0.7, "cue": 0.5}, config=config)
    slow = vec.transform(docs).toarray()
    fast = vec.transform_tokens(tokens, cues).toarray()
    np.testing.assert_allclose(slow, fast, rtol=1e-6)
    assert np.all(slow[2] == 0)
    norms = np.linalg.norm(slow[0, : len(vec.blocks["word"].vocab)])
    assert abs(norms - 1.0) < 1e-5
