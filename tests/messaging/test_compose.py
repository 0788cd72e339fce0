"""Composing: the direct path writes the very bytes the ``email`` package would."""

from __future__ import annotations

import re

import pytest

from keepfaith.messaging import compose
from keepfaith.messaging.templates import Rendered

HEADERS = [
    ("From", "Privacy Office <privacy@keepfaith.test>"),
    ("To", "ann@example.org"),
    ("Subject", "Our spring news"),
    ("List-Unsubscribe-Post", compose.ONE_CLICK),
]
BOUNDARY = re.compile(rb"={15}\d{19}==")


@pytest.mark.parametrize(
    "rendered",
    [
        Rendered("s", "Dear Ann,\n\nThree new features.\n", None),
        Rendered("s", "no final newline", None),
        Rendered("s", ".a line with a dot\n\n\n", None),
        Rendered("s", "Dear Ann,\n", "<p>Dear Ann,</p>\n<p>news</p>"),
        Rendered("s", "text", "<html><body>x</body></html>\n"),
    ],
)
def test_the_direct_path_writes_what_the_email_package_writes(rendered: Rendered) -> None:
    direct = compose._plain(HEADERS, rendered)
    assert direct is not None
    assert BOUNDARY.sub(b"B", direct) == BOUNDARY.sub(b"B", compose._mime(HEADERS, rendered))


@pytest.mark.parametrize(
    ("headers", "rendered"),
    [
        (HEADERS, Rendered("s", "Chère Ann\n", None)),  # not ASCII: 8bit, encoded by email
        (HEADERS, Rendered("s", "a\rb\n", None)),  # a lone CR: email's own line breaks
        (HEADERS, Rendered("s", "x" * 999, None)),  # a line too long for 7bit
        (HEADERS, Rendered("s", "", None)),
        (HEADERS, Rendered("s", "ok\n", "<p>é</p>")),
        ([("Subject", "Nouvelles de l'été")], Rendered("s", "ok\n", None)),
    ],
)
def test_anything_else_is_left_to_the_email_package(
    headers: list[tuple[str, str]], rendered: Rendered
) -> None:
    assert compose._plain(headers, rendered) is None
    assert compose._mime(headers, rendered)
