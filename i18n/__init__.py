"""The words of the interface in Chinese and English: one catalogue (i18n/words/*.toml), one ``say``.

``say(language, "bot.welcome")``, ``say(language, "admin.checked", count=n)`` (plural forms by ``count``),
``translator(language)`` for templates, ``kind_name(language, kind)`` for document kinds.
"""

from i18n.catalogue import (
    CATALOGUE,
    LANGUAGES,
    PLURAL_FORMS,
    kind_name,
    kind_namer,
    language_of,
    plural_form,
    say,
    translator,
)

__all__ = [
    "CATALOGUE",
    "LANGUAGES",
    "PLURAL_FORMS",
    "kind_name",
    "kind_namer",
    "language_of",
    "plural_form",
    "say",
    "translator",
]
