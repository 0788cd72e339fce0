"""``keepfaith render``: the statement people read, every section from the declaration."""

from __future__ import annotations

import re
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.statement import Statement, load, loads, schema
from keepfaith.statement.render import SECTIONS, render_html, render_markdown
from keepfaith.statement.wording import TABLES
from tests.conftest import EXAMPLES, FIXTURES

MINIMAL = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
EXTRA = """
scope:
  covers: [The acme.example website]
  excludes: [Sites we link to]
  clauses: [ES-05]
notices:
  - id: links
    title: Links to other sites
    text: "Other sites have their own statements.\\n\\nRead them too."
    clauses: [PA-11]
"""
ES01_SECTIONS = ("collected", "who", "use", "sharing", "choices", "security", "access")
VOID = {"meta", "br", "link", "img", "hr", "input"}


def statement(text: str = MINIMAL + EXTRA) -> Statement:
    return loads(text)


def changed(old: str, new: str) -> Statement:
    text = MINIMAL + EXTRA
    assert text.count(old) == 1
    return statement(text.replace(old, new))


class Outline(HTMLParser):
    """Collects heading levels, tags, attributes and checks that tags nest."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.levels: list[int] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    assert parser.stack == [], f"unclosed {parser.stack}"
    return parser


def test_every_section_is_an_h2_with_its_id_in_page_order() -> None:
    html = render_html(statement())
    h2_ids = re.findall(r'<h2 id="([a-z]+)">', html)
    assert h2_ids == [section_id for section_id, _ in SECTIONS]
    assert set(ES01_SECTIONS) <= set(h2_ids)


def test_optional_sections_are_left_out_when_not_declared() -> None:
    html = render_html(statement(MINIMAL))
    h2_ids = re.findall(r'<h2 id="([a-z]+)">', html)
    assert "scope" not in h2_ids and "notices" not in h2_ids
    assert set(ES01_SECTIONS) <= set(h2_ids)
    assert 'href="#notices"' not in html


def test_html_is_well_formed_accessible_and_script_free() -> None:
    html = render_html(statement())
    page = outline(html)
    assert html.startswith('<!doctype html>\n<html lang="en">')
    assert "<script" not in html.lower()
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    assert page.levels[0] == 1 and page.levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(page.levels, page.levels[1:], strict=False))
    assert all("scope" in attrs for tag, attrs in page.tags if tag == "th")
    skip = next(attrs for tag, attrs in page.tags if tag == "a")
    assert skip["href"] == "#content" and "content" in page.ids
    assert len(page.ids) == len(set(page.ids)), "ids are unique"
    for tag, attrs in page.tags:
        if tag == "a" and str(attrs.get("href", "")).startswith("#"):
            assert str(attrs["href"])[1:] in page.ids


def test_values_from_the_declaration_appear() -> None:
    html = render_html(statement())
    for text in [
        "Acme, Inc.",
        "Version 2024-01".lower(),
        "15 January 2024",
        "Payment card",
        "Sign-up form",
        "Send the newsletter",
        "Email delivery provider",
        "Encrypted card numbers",
        "under 13",
        "15 days after we email you",
        "30 days after we post it here",
        "90 days after your account is closed",
        "TRUSTe",
        "privacy@acme.example",
        "<code>session</code>",
        "The acme.example website",
        "Links to other sites",
        "<p>Read them too.</p>",
    ]:
        assert text in html, text


def test_bases_and_kinds_read_as_words() -> None:
    html = render_html(statement())
    assert "Only with your consent" in html
    assert "Needed to provide the service" in html
    assert "A service provider working on our behalf" in html
    assert "replying with &#34;unsubscribe&#34; in the subject" in html
    assert "opt_in" not in html and "processor" not in html


def test_opt_out_choice_says_how_to_opt_out() -> None:
    html = render_html(changed("    basis: opt_in\n", "    basis: opt_out\n"))
    assert "Send the newsletter: unless you opt out" in html
    assert "To opt out: the unsubscribe link in every message" in html


def test_clause_ids_are_carried_on_their_elements() -> None:
    s = changed(
        "    name: Send the newsletter\n",
        "    name: Send the newsletter\n    clauses: [ES-15, ES-16]\n",
    )
    html = render_html(s)
    assert '<tr id="purpose-newsletter" data-clauses="ES-15 ES-16">' in html
    assert '<dt id="choice-newsletter" data-clauses="ES-15 ES-16">' in html
    assert '<div id="notice-links" data-clauses="PA-11">' in html
    traced = set(" ".join(re.findall(r'data-clauses="([^"]*)"', html)).split())
    assert traced == s.declared_clauses()


def test_html_escapes_declared_text() -> None:
    s = changed("  name: Acme, Inc.\n", '  name: "Acme <script>alert(1)</script> & Co"\n')
    html = render_html(s)
    assert "<script" not in html
    assert "Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_only_web_addresses_become_links() -> None:
    s = changed("  website: https://acme.example\n", "  website: javascript:alert(1)\n")
    html = render_html(s)
    assert 'href="javascript' not in html
    assert 'href="#"' in html


def test_markdown_has_the_same_sections() -> None:
    md = render_markdown(statement())
    assert md.startswith("# Acme privacy statement\n")
    ids = re.findall(r"^## .+ \{#([a-z]+)\}", md, re.MULTILINE)
    assert ids == [section_id for section_id, _ in SECTIONS]
    for text in ["Send the newsletter", "Only with your consent", "<privacy@acme.example>"]:
        assert text in md
    assert "### Links to other sites <!-- PA-11 -->" in md


def test_markdown_tables_keep_their_shape_and_text_stays_inert() -> None:
    s = changed("    name: Payment card\n", '    name: "Card | <b>number</b> *x*"\n')
    md = render_markdown(s)
    row = next(line for line in md.splitlines() if "Card" in line and "Sign-up" in line)
    assert row.count(" | ") == 2, row
    assert r"Card \| \<b\>number\</b\> \*x\*" in row


def test_every_enum_value_has_words() -> None:
    enums = [
        value
        for value in vars(schema).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    ]
    assert set(enums) == set(TABLES)
    for enum, table in TABLES.items():
        assert set(table) == set(enum), enum.__name__


@pytest.mark.parametrize("name", ["digium", "estara", "eztalks", "parature", "starclicks"])
def test_example_page_traces_every_declared_clause(name: str) -> None:
    s = load(EXAMPLES / name / "statement.yaml")
    html = render_html(s)
    outline(html)
    traced = set(" ".join(re.findall(r'data-clauses="([^"]*)"', html)).split())
    assert sorted(s.declared_clauses() - traced) == []
    assert re.findall(r"^## .+ \{#([a-z]+)\}", render_markdown(s), re.MULTILINE) == re.findall(
        r'<h2 id="([a-z]+)">', html
    )


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


@pytest.mark.parametrize(("fmt", "start"), [("html", "<!doctype html>"), ("markdown", "# ")])
def test_cli_renders_to_stdout(minimal_statement_path: Path, fmt: str, start: str) -> None:
    result = runner.invoke(app, ["render", str(minimal_statement_path), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(start)


def test_cli_writes_output_file(minimal_statement_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "privacy.html"
    result = runner.invoke(app, ["render", str(minimal_statement_path), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == render_html(statement(MINIMAL))


def test_cli_broken_statement_exits_2_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(MINIMAL.replace("  minimum_age: 13\n", "  minimum_age: young\n"))
    result = runner.invoke(app, ["render", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    line = MINIMAL.splitlines().index("  minimum_age: 13") + 1
    assert result.stderr.startswith(f"{path}:{line}:")


# --------------------------------------------------------------------------- issue 15

MODERN = EXAMPLES / "modern" / "statement.yaml"


def _both(text: str) -> list[str]:
    declared = loads(text)
    return [render_html(declared), render_markdown(declared)]


def test_no_deadline_is_promised_where_none_is_declared() -> None:
    text = MINIMAL.replace("  response_days: 30\n", "", 1).replace("  acknowledge_days: 10\n", "")
    for page in _both(text):
        assert "We answer within" not in page and "days." not in page.split("Complaints")[-1]
        assert "acknowledge every complaint" not in page
    for page in _both(MINIMAL):
        assert "We answer within 30 days" in page and "within 10 days" in page


def test_children_without_a_minimum_age_promise_only_what_is_declared() -> None:
    text = MINIMAL.replace(
        "children:\n  minimum_age: 13\n", "children:\n  on_actual_knowledge: delete\n"
    )
    for page in _both(text):
        assert "not for children under" not in page
        assert "If we learn that we hold information about a child, we delete" in page


def test_selling_and_sharing_are_three_facts_said_only_as_declared() -> None:
    for page in _both(MINIMAL):  # declares no sharing section: the engine's defaults
        assert "We do not sell personal information." in page
        assert "cross-context" not in page  # not declared either way: not said
    html, markdown = _both(MODERN.read_text(encoding="utf-8"))
    for page in (html, markdown):
        assert "We share personal information for cross-context behavioural advertising." in page
        assert "We may disclose it to third parties for their own purposes" in page
        assert "for their own commercial purposes" not in page


@pytest.mark.parametrize(
    "words",
    [
        "Our data protection officer",
        "Our representative in the European Union is Larkspur EU Representative Ltd",
        "our legitimate interest is detecting account takeovers",
        "in The European Economic Area: only with your consent",
        "To opt out of selling and sharing (offered to people in California)",
        "rest on the standard contractual clauses",
        "rest on the EU-U.S. Data Privacy Framework",
        "We honour a Global Privacy Control signal",
        "We do not respond to Do Not Track signals",
        "pixel (web beacon)",
        "only on app.larkspur.example",
        "then in backups for 35 days",
        "72 hours after we collect it",
        "30 days after you delete it (to the trash)",
        "kept at Our advertising measurement partner",
        "For people under 16, we sell or share their information only if they opt in",
        "You may also complain to The Irish Data Protection Commission",
        "Someone you authorise in writing may make a request for you",
        "we may take up to 60 more days",
        "Up to 2 requests in 365 days are free of charge",
        "we pass the deletion on to everyone we gave it to",
        "We tell you when we disclose your information without your consent",
        "We decide by automated means alone: Screening new accounts for abuse",
        "Hashed email address: made from Email address",
        "only against a document we keep a reference of",
        "To object: a form on our website",
        "The organisation that provides your account",
        "social media",
    ],
)
def test_each_new_element_reads_in_plain_words_on_both_pages(words: str) -> None:
    for page in _both(MODERN.read_text(encoding="utf-8")):
        assert words in page.replace("\\_", "_").replace("&#39;", "'")
