"""Every page's visible words go through the catalogues: a template's text outside
``_()``/``{% trans %}`` is found here, so a new page or sentence cannot stay English only;
and ``babel.cfg`` reads every template folder, so what is marked is also extracted."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import ROOT

TEMPLATES = ROOT / "src/keepfaith/web/templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
WORD = re.compile(r"[^\W\d_]{2,}")
NOT_WORDS = frozenset({"keepfaith", "CSV", "OpenAPI", "YAML"})
"""Names, not words: the same in every language."""
SHOWN_ATTRIBUTES = frozenset({"aria-label", "title", "placeholder", "alt", "aria-description"})
CODE = frozenset({"code", "pre", "kbd", "samp", "script", "style"})


class _Text(HTMLParser):
    """The text a person sees in a template's literal HTML (Jinja blanked out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.inside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"br", "input", "meta", "link", "img", "hr"}:
            self.inside.append(tag)
        self.found.extend(v for k, v in attrs if k in SHOWN_ATTRIBUTES and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.inside:
            while self.inside.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not CODE & set(self.inside):
            self.found.append(data)


def unmarked(source: str) -> list[str]:
    """The words of ``source`` (a template) that are not marked for translation."""
    parser = _Text()
    parser.feed(JINJA.sub(" ", source))
    return [w for text in parser.found for w in WORD.findall(text) if w not in NOT_WORDS]


PAGES = sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_visible_word_of_a_page_is_marked(path: Path) -> None:
    assert unmarked(path.read_text("utf-8")) == []


def test_the_scan_finds_an_unmarked_word() -> None:
    assert unmarked('<p>{{ _("Marked") }} Forgotten <code>kept</code></p>') == ["Forgotten"]
    assert unmarked('<nav aria-label="Staff">{{ x }}</nav>') == ["Staff"]
    assert unmarked("{% if x %}<b>{{ _('Yes') }}</b>{% endif %}") == []


def test_babel_cfg_covers_every_template_folder() -> None:
    patterns = [
        line.strip()[1:-1].partition(":")[2].strip()
        for line in (ROOT / "babel.cfg").read_text("utf-8").splitlines()
        if line.startswith("[jinja2:")
    ]
    for path in PAGES:
        relative = path.relative_to(ROOT).as_posix()
        assert any(Path(relative).match(p) or _glob(p, relative) for p in patterns), relative


def _glob(pattern: str, path: str) -> bool:
    """Babel's ``**`` matches across folders."""
    expression = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(expression, path) is not None
