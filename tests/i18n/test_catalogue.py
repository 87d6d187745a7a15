"""The one catalogue of words: both languages everywhere, the same fields, the plural forms each language
needs, every word once, and every key the code and the templates use exists (and is used)."""

import re
import string
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

import i18n
from i18n import CATALOGUE, LANGUAGES, PLURAL_FORMS, kind_name, plural_form, say, translator
from i18n.catalogue import WORDS, load
from kinds import Severity
from storage.models import CheckOutcome, FailureKind

ROOT = Path(i18n.__file__).resolve().parent.parent
PACKAGES = ["app", "bot", "alerts", "scraping", "web", "storage", "analysis", "i18n"]
NAMESPACES = sorted({key.split(".")[0] for key in CATALOGUE})
_NAMESPACED = "(?:" + "|".join(NAMESPACES) + r")\."
# A key written whole ("bot.welcome"), and the start of one the code completes (f"severity.{value}",
# 'severity.' ~ value in a template).
WHOLE_KEY = re.compile(r"""(?<![\w.])["'](""" + _NAMESPACED + r"""[a-z0-9_]+)["']""")
KEY_PREFIX = re.compile(r"""(?<![\w.])f?["'](""" + _NAMESPACED + r"""[a-z0-9_]*)(?:\{|["']\s*~)""")


def _sources() -> dict[str, str]:
    files = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    files += [path for path in (ROOT / "web" / "templates").iterdir() if path.is_file()]
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in files}


SOURCES = _sources()
USED = {key for text in SOURCES.values() for key in WHOLE_KEY.findall(text)}
PREFIXES = {prefix for text in SOURCES.values() for prefix in KEY_PREFIX.findall(text)}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_key_is_namespaced_and_has_every_language():
    assert len(CATALOGUE) > 100
    for key, entry in CATALOGUE.items():
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", key), key
        assert sorted(entry) == sorted(LANGUAGES), key
        assert all(text.strip() for forms in entry.values() for text in forms.values()), key


def test_every_text_of_a_key_has_the_same_fields():
    for key, entry in CATALOGUE.items():
        found = {(lang, form): fields(text) for lang, forms in entry.items() for form, text in forms.items()}
        assert len(set(map(frozenset, found.values()))) == 1, (key, found)
        say("zh", key, **{**dict.fromkeys(next(iter(found.values())), 1), "count": 1})  # each one formats


def test_plural_entries_have_the_forms_each_language_needs():
    plural = {key for key, entry in CATALOGUE.items() if any(set(f) != {"other"} for f in entry.values())}
    assert {"admin.checked", "report.headline"} <= plural
    for key in plural:
        for language, forms in CATALOGUE[key].items():
            assert sorted(forms) == sorted(PLURAL_FORMS[language]), (key, language)


def test_every_word_is_written_once():
    keys_of: dict[str, list[str]] = {}
    for key, entry in CATALOGUE.items():
        texts = repr(sorted((language, sorted(forms.items())) for language, forms in entry.items()))
        keys_of.setdefault(texts, []).append(key)
    assert [keys for keys in keys_of.values() if len(keys) > 1] == []


def test_every_key_the_code_and_the_templates_use_exists():
    assert "bot.welcome" in USED and "web.site" in USED  # the scan sees Python and templates
    assert sorted(USED - set(CATALOGUE)) == []
    assert [prefix for prefix in PREFIXES if not any(key.startswith(prefix) for key in CATALOGUE)] == []


def test_every_key_is_used():
    unused = [key for key in CATALOGUE if key not in USED and not key.startswith(tuple(PREFIXES))]
    assert unused == []


def test_keys_made_from_values_exist_for_every_value():
    for severity in Severity:
        assert f"severity.{severity.value}" in CATALOGUE
    for outcome in CheckOutcome:
        if outcome is not CheckOutcome.FAILED:
            assert f"admin.outcome_{outcome.value}" in CATALOGUE
    assert "admin.outcome_baseline" in CATALOGUE and "admin.outcome_failed" in CATALOGUE
    for kind in FailureKind:
        assert f"admin.failure_{kind.value}" in CATALOGUE


@pytest.mark.parametrize(
    ("language", "count", "form"),
    [("en", 1, "one"), ("en", 0, "other"), ("en", 2, "other"), ("zh", 1, "other")],
)
def test_plural_form(language, count, form):
    assert plural_form(language, count) == form


def test_say_picks_the_plural_form_by_count():
    assert say("en", "admin.checked", count=1) == "Checked 1 document:"
    assert say("en", "admin.checked", count=3) == "Checked 3 documents:"
    assert say("zh", "admin.checked", count=1) == say("zh", "admin.checked", count=3).replace("3", "1")
    with pytest.raises(TypeError, match="count"):
        say("en", "admin.checked")


def test_say_fills_in_values():
    assert say("en", "bot.too_long", limit=200).startswith("That is too long (at most 200 characters)")
    assert translator("zh")("web.site") == "隐私政策观察"
    assert (say("en", "language.zh"), say("zh", "language.en")) == ("中文", "English")  # a namespace's zh, en
    assert kind_name("en", "terms") == "Terms of service"
    assert kind_name("zh", "something_new") == "something_new"


def test_a_key_defined_in_two_files_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('[x.y]\nzh = "一"\nen = "one"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('[x.y]\nzh = "二"\nen = "two"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.y"):
        load(tmp_path)
    (tmp_path / "b.toml").write_text('[x.y]\nzh = "二"\nzh = "两"\nen = "two"\n', encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError):  # TOML itself refuses a key written twice in one file
        load(tmp_path)


def test_the_wheel_carries_the_words():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["i18n"]
    words = [path.relative_to(WORDS.parent).as_posix() for path in WORDS.iterdir()]
    assert words and [name for name in words if not any(fnmatch(name, pattern) for pattern in patterns)] == []
