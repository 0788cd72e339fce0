"""The marker of text to translate: ``N_("Save my choices")`` is the text itself, found
by Babel's extraction (``pybabel extract -k N_``) and translated where it is shown (the
pages by ``keepfaith.web.i18n``, the banner by its own table). One home, below every
layer, so that a capability can mark its words without importing the web."""

from __future__ import annotations


def N_(text: str) -> str:
    """``text``, unchanged: marked for the catalogues."""
    return text
