"""Text to translate and its catalogues, below every layer that shows text.

``N_("Save my choices")`` marks a text: it is the text itself, found by Babel's
extraction (``pybabel extract -k N_``) and translated where it is shown (the pages by
``keepfaith.web.i18n``, the statement page and the emails' opt-out line by a ``lookup``
handed to ``keepfaith.statement.words``, the banner by its own table). The catalogues
are the ``.po`` files under ``locale/<language>/LC_MESSAGES/messages.po``, read with
Babel once per process: no compiled ``.mo`` files, no build step. English is the
source text. One home, so that a capability can mark and translate its words without
importing the web.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).parent / "locale"
SOURCE = "en"


def N_(text: str) -> str:
    """``text``, unchanged: marked for the catalogues."""
    return text


@functools.cache
def catalogue(language: str) -> dict[str, str | tuple[str, ...]]:
    """The translations of ``language`` (empty for English or a language without one)."""
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE or not path.is_file():
        return {}
    with path.open("rb") as po:
        read = read_po(po, locale=language)
    found: dict[str, str | tuple[str, ...]] = {}
    for message in read:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if isinstance(message.string, tuple | list):
            if all(message.string):
                found[key] = tuple(message.string)
        elif message.string:
            found[key] = message.string
    return found


def available() -> set[str]:
    """The languages with a catalogue, English included."""
    return {SOURCE} | {p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/messages.po")}


def lookup(language: str | None) -> Callable[[str], str] | None:
    """``language``'s catalogue as one lookup, for the statement page's and the emails'
    own words (``keepfaith.statement.words``); ``None`` for English, no language or a
    language without a catalogue."""
    found = catalogue(language) if language else {}
    if not found:
        return None

    def translate(message: str) -> str:
        text = found.get(message)
        return text if isinstance(text, str) else message

    return translate
