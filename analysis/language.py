"""Is this text Chinese? The one heuristic: for a report's language and for a text that switched language."""

import re

# Runs, not single characters: counting their lengths is several times faster on a long policy.
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")  # CJK ideographs (extension A, unified, compatibility)
_LATIN = re.compile(r"[A-Za-z]+")
# A Han character carries about a word; an English word is about five letters. Chinese is when Han
# characters make at least this share of the words: a Chinese policy full of English names (SDK, App,
# Cookie, URLs) stays Chinese, and an English policy naming a Chinese company stays English.
CHINESE_SHARE = 0.2


def is_chinese(text: str) -> bool:
    """True when Han characters make a real share of the text's words (not of its punctuation or digits)."""
    han, latin = sum(map(len, _HAN.findall(text))), sum(map(len, _LATIN.findall(text)))
    return han > 0 and han >= CHINESE_SHARE * (han + latin / 5)


def document_language(text: str) -> str:
    """``zh`` for a Chinese text, else ``en``."""
    return "zh" if is_chinese(text) else "en"
