"""Is a comment a question? A rule for backends without a learned question head (the transformers backend).

A question mark, or an Indonesian interrogative (also in chat spelling: kpn, gmn, brp) among the first words, or
"mohon info" style requests ("infonya" only without thanks or praise: "terima kasih infonya" thanks the admin for
information, "infonya min" asks for it). Returns a probability-like score so it fits
:func:`humas.sentiment.base.triage`.
"""

from __future__ import annotations

import re

_INTERROGATIVES = frozenset((
    "apa", "apakah", "apkh", "kapan", "kpn", "kapankah", "bagaimana", "gimana", "gmn", "gmna", "bgmn", "gimn",
    "dimana", "dmn", "dmana", "kemana", "kmn", "berapa", "brp", "brapa", "kenapa", "knp", "napa", "mengapa", "siapa",
    "sapa", "mana", "boleh", "bisakah", "bolehkah", "adakah",
))
_REQUESTS = ("mohon info", "minta info", "info dong", "tanya min", "mau tanya", "numpang tanya", "lapor ke mana",
             "syaratnya apa")
_THANKS = ("terima kasih", "terimakasih", "makasih", "mksh", "trims", "thanks", "thx", "mantap", "keren", "bagus",
           "bermanfaat", "sip")
_WORD = re.compile(r"[a-z]+")


def question_score(text: str) -> float:
    """1.0 for a clear question, 0.6 for an interrogative without a question mark, else 0.0."""
    low = text.lower()
    if "?" in low or any(r in low for r in _REQUESTS):
        return 1.0
    if "infonya" in low and not any(t in low for t in _THANKS):
        return 1.0
    words = _WORD.findall(low)[:6]
    return 0.6 if any(w in _INTERROGATIVES for w in words) else 0.0
