"""The one catalogue of the interface's words: ``say(language, "bot.welcome", **values)``.

The words live in ``i18n/words/*.toml``, one table per key, its full name in the table's header so that
a key found in the code is found in the words by searching for it::

    [admin.checked]
    zh = "已检查 {count} 个文件:"
    en.one = "Checked {count} document:"
    en.other = "Checked {count} documents:"

A key is ``namespace.name`` (``bot``, ``admin``, ``alert``, ``button``, ``web``, ``report``, ``severity``,
``kind``, ``common``). A text is a ``str.format`` template; callers escape the values for HTML. An entry
whose count matters gives a language its plural forms (CLDR's categories: English ``one`` and ``other``,
Chinese a single form), and ``say`` picks one by the ``count`` value. Everything is read once, at import,
with the standard library: no compile step, and TOML refuses a key defined twice.
"""

import tomllib
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

WORDS = Path(__file__).resolve().parent / "words"
LANGUAGES = ("zh", "en")
# The plural forms (CLDR categories) each language needs; a text with one form is its "other".
PLURAL_FORMS: dict[str, tuple[str, ...]] = {"zh": ("other",), "en": ("one", "other")}

CATEGORIES = {"zero", "one", "two", "few", "many", "other"}  # CLDR's plural categories
Forms = dict[str, str]  # plural category -> text
Entry = dict[str, Forms]  # language -> its forms


def plural_form(language: str, count: int) -> str:
    """The CLDR plural category of ``count`` in ``language``: English "one" for 1, else "other"."""
    if language == "en" and count == 1:
        return "one"
    return "other"


def _is_text(value: object) -> bool:
    """A string, or a table of plural forms."""
    return isinstance(value, str) or (isinstance(value, dict) and set(value) <= CATEGORIES)


def _is_entry(table: Mapping[str, object]) -> bool:
    """A table of texts by language (a namespace may hold keys named zh or en: their values are tables)."""
    return bool(table) and all(language in LANGUAGES and _is_text(text) for language, text in table.items())


def _entries(table: Mapping[str, object], prefix: str = "") -> dict[str, Entry]:
    """The entries of a parsed words file (tables of texts by language), by their dotted names."""
    if _is_entry(table):
        entry: Entry = {}
        for language, text in table.items():
            forms: dict[str, object] = text if isinstance(text, dict) else {"other": text}
            if not all(isinstance(form, str) for form in forms.values()):
                raise ValueError(f"{prefix}.{language}: a text is a string or a table of plural forms")
            entry[language] = {category: str(form) for category, form in forms.items()}
        return {prefix: entry}
    found: dict[str, Entry] = {}
    for name, inner in table.items():
        if not isinstance(inner, dict):
            raise ValueError(f"{prefix}.{name}: expected a table of languages (zh, en)")
        found.update(_entries(inner, f"{prefix}.{name}" if prefix else name))
    return found


def load(folder: Path = WORDS) -> dict[str, Entry]:
    """Every entry of every words file, merged; a key in two files is an error."""
    catalogue: dict[str, Entry] = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as file:
            entries = _entries(tomllib.load(file))
        twice = sorted(set(entries) & set(catalogue))
        if twice:
            raise ValueError(f"{path.name} defines {', '.join(twice)} again")
        catalogue.update(entries)
    return catalogue


CATALOGUE: dict[str, Entry] = load()


def say(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language`` with ``values`` filled in; plural entries pick a form by ``count``."""
    forms = CATALOGUE[key][language]
    if len(forms) == 1:
        (text,) = forms.values()
    else:
        count = values.get("count")
        if not isinstance(count, int):
            raise TypeError(f"{key} has plural forms: say it with an integer count=")
        text = forms[plural_form(language, count)]
    return text.format(**values) if values else text


def translator(language: str) -> Callable[..., str]:
    """``t(key, **values)``: ``say`` in one language (the templates' ``t``)."""
    return partial(say, language)


def kind_name(language: str, kind: str) -> str:
    """A document kind in words (``privacy_policy``: 隐私政策), or as it is written when unknown."""
    key = f"kind.{kind}"
    return say(language, key) if key in CATALOGUE else kind


def kind_namer(language: str) -> Callable[[str], str]:
    """``kind_name`` in one language (the templates' ``kind_name``)."""
    return partial(kind_name, language)


def language_of(code: str | None) -> str:
    """The interface language for a Telegram language code: zh for any zh-*, else en."""
    return "zh" if (code or "").lower().startswith("zh") else "en"
