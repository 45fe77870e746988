"""The question rule (backends without a learned question head, and the shipped model's max with its head)."""

from __future__ import annotations

import pytest

from humas.sentiment.questions import question_score


@pytest.mark.parametrize(("text", "score"), [
    ("Kapan pendaftaran dibuka?", 1.0),
    ("infonya min", 1.0),
    ("mohon info syaratnya", 1.0),
    ("kapan dibuka", 0.6),
    ("terima kasih infonya", 0.0),  # thanks for the information, not a request for it
    ("makasih min infonya", 0.0),
    ("mantap infonya", 0.0),
    ("Terima kasih, sangat bermanfaat!", 0.0),
])
def test_question_rule(text: str, score: float) -> None:
    assert question_score(text) == score
