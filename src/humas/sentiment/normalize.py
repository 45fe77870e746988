"""Normalisation of informal Indonesian comments (with Javanese and Sundanese mixing).

Comment text is untrusted: :meth:`Normalizer.tokens` accepts any ``str`` (control characters, HTML, zero-width
characters, lone surrogates, megabytes of text) and never raises. The output is lower-case word tokens with
placeholders for things whose identity carries no sentiment (``url``, ``mention``, ``email``, ``num``), emoji
mapped to a few sentiment-bearing tokens (``emoji_pos`` ...), and slang mapped through ``lexicon/slang_id.tsv``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

#: Texts are cut to this many characters before any work; public comments are far shorter.
MAX_CHARS = 4000

# Emoji → token. Only emoji common in Indonesian comments; everything else of category "So" becomes emoji_other.
_EMOJI: dict[str, str] = {}
for _chars, _token in (
    ("😀😁😃😄😆😊☺🙂😇🥰😍😘😗😙😚🤗🤩🥳😎👍👌👏🙌💪✨🎉🎊🏆🥇💯❤♥💖💕💗💓💞💙💚💛🧡💜🤍🌹💐⭐🌟👑", "emoji_pos"),
    ("🙏🤲", "emoji_pray"),
    ("😂🤣😅😹", "emoji_laugh"),
    ("😢😭😞😔😟😥😰😓😩😫🥺🥹💔😿", "emoji_sad"),
    ("😡🤬😠😤💢👿🖕👊", "emoji_angry"),
    ("👎🙄😒😑😐😶😏🤦🤨😬🥱😪💩🤡🐀🐁🤮🤢", "emoji_neg"),
    ("🤔🧐❓❔", "emoji_question"),
    ("🔥", "emoji_fire"),
    ("😱😨😧😦🙀⚠🚨", "emoji_alarm"),
):
    for _c in _chars:
        _EMOJI[_c] = _token

_EMOTICONS = {
    ":)": "emoji_pos", ":-)": "emoji_pos", ":d": "emoji_pos", ":-d": "emoji_pos", "=)": "emoji_pos", ";)": "emoji_pos",
    ":p": "emoji_laugh", ":(": "emoji_sad", ":-(": "emoji_sad", ":'(": "emoji_sad", "-_-": "emoji_neg",
    "<3": "emoji_pos", ":/": "emoji_neg", ":@": "emoji_angry",
}
_EMOTICON_RE = re.compile("|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True)), re.IGNORECASE)

# Zero-width, bidi controls and the BOM are deleted outright (they hide inside words to dodge filters).
_INVISIBLE_RE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufe00-\ufe0f]")
_SKIN_TONE_RE = re.compile("[\U0001f3fb-\U0001f3ff]")
_TAG_RE = re.compile(r"<[^<>]{0,300}>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|id|co\.id|go\.id|net|org|ly|me|info|xyz)(?:/\S*)?\b",
                     re.IGNORECASE)
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_MENTION_RE = re.compile(r"(?<!\w)@[\w.]+")
_HASHTAG_RE = re.compile(r"(?<!\w)#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_LEET_SYMBOL_RE = re.compile(r"(?<=[a-z])[@$](?=[a-z])")
_REDUP_RE = re.compile(r"\b([a-z]{2,})2\b")
_NUMBER_RE = re.compile(r"\b\d+(?:[.,:/-]\d+)*\b")
_TOKEN_RE = re.compile(r"[a-z0-9_]+|!+|\?+")
_ELONGATION_RE = re.compile(r"([a-z])\1{2,}")
# Cheap pre-checks: a URL match always contains one of these; an emoticon always one of : ; = < -
_URL_HINT_RE = re.compile(r"https?://|www\.|\.(?:com|id|co|go|net|org|ly|me|info|xyz)\b", re.IGNORECASE)
_EMOTICON_HINT_RE = re.compile(r"[:;=<-]")


def _collapse_elongation(token: str) -> str:
    """``bagusss`` → ``bagus``, ``mantaaap`` → ``mantap``; a doubled letter (``maaf``) is kept."""
    return _ELONGATION_RE.sub(r"\1", token)


# ASCII control characters become spaces; everything else ASCII is kept as is.
_ASCII_TABLE = {c: " " for c in [*range(0x20), 0x7F]}
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=8192)
def _map_char(ch: str) -> str:
    """What one non-ASCII character becomes: an emoji token, a space (controls, separators) or itself."""
    token = _EMOJI.get(ch)
    if token is not None:
        return f" {token} "
    cat = unicodedata.category(ch)
    if cat == "So":
        return " emoji_other "
    if cat[0] in "CZ":
        return " "
    return ch


def _clean(text: str) -> str:
    """Cut, unescape HTML, drop tags, invisible and control characters; map emoji. Never raises."""
    text = text[:MAX_CHARS]
    if not text.isascii():
        # Lone surrogates cannot be encoded anywhere downstream.
        text = text.encode("utf-8", "ignore").decode("utf-8")
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if text.isascii():
        return text.translate(_ASCII_TABLE)
    text = unicodedata.normalize("NFKC", text)[:MAX_CHARS]
    text = _INVISIBLE_RE.sub("", text)
    text = _SKIN_TONE_RE.sub("", text)
    return _NON_ASCII_RE.sub(lambda m: _map_char(m.group(0)), text.translate(_ASCII_TABLE))


class Normalizer:
    """Turns a raw comment into normalised tokens. ``slang`` maps a token to its replacement (may be several words)."""

    def __init__(self, slang: Mapping[str, str] | None = None) -> None:
        self.slang: dict[str, tuple[str, ...]] = {k: tuple(v.split()) for k, v in (slang or {}).items()}

    def raw_tokens(self, text: str) -> list[str]:
        """Tokens after cleaning, placeholders, elongation collapse; before slang mapping."""
        if not isinstance(text, str):
            text = str(text)
        text = _clean(text)
        # Each pass is skipped when the character it needs is absent (most comments have no @, # or URL).
        if "@" in text:
            text = _EMAIL_RE.sub(" email ", text)
        if _URL_HINT_RE.search(text):
            text = _URL_RE.sub(" url ", text)
        if "@" in text:
            text = _MENTION_RE.sub(" mention ", text)
        if "#" in text:
            text = _HASHTAG_RE.sub(lambda m: " hashtag " + _CAMEL_RE.sub(" ", m.group(1)) + " ", text)
        if _EMOTICON_HINT_RE.search(text):
            text = _EMOTICON_RE.sub(lambda m: f" {_EMOTICONS[m.group(0).lower()]} ", text)
        text = text.lower()
        if "@" in text or "$" in text:
            text = _LEET_SYMBOL_RE.sub(lambda m: "a" if m.group(0) == "@" else "s", text)
        if "2" in text:
            text = _REDUP_RE.sub(r"\1 \1", text)
        text = _NUMBER_RE.sub(" num ", text)
        # Collapsing elongation on the whole text equals collapsing each token: letters in a row are one token.
        text = _ELONGATION_RE.sub(r"\1", text)
        tokens: list[str] = []
        for tok in _TOKEN_RE.findall(text):
            if tok[0] == "!":
                tokens.append("!!" if len(tok) > 1 else "!")
            elif tok[0] == "?":
                tokens.append("?")
            else:
                tokens.append(tok)
        return tokens

    def tokens(self, text: str) -> list[str]:
        """Normalised tokens: :meth:`raw_tokens` with slang, Javanese and Sundanese words mapped."""
        return self.map_tokens(self.raw_tokens(text))

    def map_tokens(self, raw: list[str]) -> list[str]:
        """Map slang in a :meth:`raw_tokens` list (split out so the abusive filter can share the raw tokens)."""
        slang = self.slang
        out: list[str] = []
        for tok in raw:
            mapped = slang.get(tok)
            if mapped is None:
                out.append(tok)
            else:
                out.extend(mapped)
        return out

    def __call__(self, text: str) -> str:
        """The normalised text: :meth:`tokens` joined by single spaces."""
        return " ".join(self.tokens(text))


def load_word_map(path: Path | str) -> dict[str, str]:
    """Read a ``FROM<TAB>TO`` file (``#`` comments, blank lines ignored); later entries win."""
    mapping: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition("\t")
        if key.strip() and value.strip():
            mapping[key.strip().lower()] = value.strip().lower()
    return mapping


@lru_cache(maxsize=1)
def default_normalizer() -> Normalizer:
    """The normaliser with the shipped slang lexicon (read once; the lexicon is read-only data)."""
    ref = resources.files("humas.sentiment") / "lexicon" / "slang_id.tsv"
    with resources.as_file(ref) as path:
        return Normalizer(load_word_map(path))


def normalize(text: str) -> str:
    """Normalise one comment with the shipped lexicon; see :class:`Normalizer`."""
    return default_normalizer()(text)
