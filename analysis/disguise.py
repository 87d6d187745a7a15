"""Invisible characters that can disguise text: removed from policy text and from model answers alike."""

import re

# The Unicode bidi controls (embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, the marks
# U+200E, U+200F and U+061C) reorder what a reader sees; the tag characters (U+E0000–U+E007F) hide
# text. Either can make a policy or a report read differently from what it says.
_DISGUISING = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")


def strip_disguises(text: str) -> str:
    """``text`` without bidi controls and tag characters."""
    return _DISGUISING.sub("", text)


def strip_disguises_in(value: object) -> object:
    """A JSON-like value (strings, lists, dicts, scalars) with every string in it stripped."""
    if isinstance(value, str):
        return strip_disguises(value)
    if isinstance(value, list):
        return [strip_disguises_in(item) for item in value]
    if isinstance(value, dict):
        return {strip_disguises_in(key): strip_disguises_in(item) for key, item in value.items()}
    return value
