"""Reading log lines: the fast path agrees with a per-line reading, bad lines are named."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from keepfaith.collect.logs import formats
from keepfaith.collect.logs.pages import page_of, referrer_domain
from keepfaith.exceptions import ConfigurationError
from tests.logs.support import REAL_LOG

COMBINED = (
    '203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "GET /a?utm_source=x&q=1 HTTP/1.1" 200 512'
    ' "https://www.example.org/x?y" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101'
    ' Firefox/120.0"'
)


def parsed(text: str | bytes, fmt: str) -> tuple[list[dict[str, object]], list[int]]:
    data = text.encode() if isinstance(text, str) else text
    table, bad = formats.parse(data, fmt)
    return table.to_dicts(), bad


def test_cutting_reads_the_real_log_like_the_capture_groups() -> None:
    text = formats.lines(REAL_LOG.read_bytes())
    cut, bad = formats.parse(REAL_LOG.read_bytes(), "combined")
    frame = pl.DataFrame(
        {"line": pl.int_range(len(text), dtype=pl.UInt32, eager=True), "text": text}
    )
    captured = formats._captured(frame, "combined")
    assert len(cut) == len(captured) == 9999 and bad == [8898]  # 0-based: line 8899
    assert cut.equals(captured)


@pytest.mark.parametrize("slow", [1, 7, 200])  # placed one by one, and sorted
def test_lines_the_capture_groups_read_keep_their_places_among_the_cut_ones(slow: int) -> None:
    lines = REAL_LOG.read_bytes().splitlines(keepends=True)[:3000]
    for n in range(0, len(lines), len(lines) // slow)[:slow]:  # the first, then spread
        lines[n] = lines[n].replace(b" - - [", b" - alice [", 1)
    data = b"".join(lines)
    cut, bad = formats.parse(data, "combined")
    text = formats.lines(data)
    frame = pl.DataFrame({"line": pl.int_range(len(text), dtype=pl.UInt32, eager=True),
                          "text": text})  # fmt: skip
    assert text.str.contains(" - alice [", literal=True).sum() == slow and bad == []
    assert cut.equals(formats._captured(frame, "combined"))
    assert cut["line"].to_list() == list(range(len(lines)))


def test_a_line_with_a_user_name_is_read_by_the_capture_groups() -> None:
    line = COMBINED.replace("- - [", "- alice [")
    rows, bad = parsed(f"{COMBINED}\n{line}\n", "combined")
    assert len(rows) == 2 and bad == [] and rows[1]["ip"] == "203.0.113.9"


def test_escaped_quotes_in_a_user_agent() -> None:
    line = COMBINED.replace('Firefox/120.0"', 'Firefox/120.0 \\"quoted\\""')
    rows, _ = parsed(f"{line}\n", "combined")
    assert str(rows[0]["agent"]).endswith('"quoted"')


def test_non_ascii_crlf_and_bytes_that_are_not_utf8() -> None:
    accented = COMBINED.replace("- - [", "- jos\u00e9 [")
    broken = COMBINED.encode().replace(b"/a?", b"/\xff?")
    data = f"{accented}\r\n\n".encode() + broken + b"\n"
    rows, bad = parsed(data, "combined")
    assert bad == [] and [row["line"] for row in rows] == [0, 2]
    assert rows[0]["date"] == dt.date(2024, 3, 2) and rows[0]["agent"] == rows[1]["agent"]
    assert rows[1]["request"] == "GET /\ufffd?utm_source=x&q=1 HTTP/1.1"


def test_virtual_host_common_and_json_formats() -> None:
    rows, _ = parsed(f"www.example.com:443 {COMBINED}\n" * 3, "vhost_combined")
    assert [row["host"] for row in rows] == ["www.example.com:443"] * 3
    assert rows[0]["ip"] == "203.0.113.9"
    common = COMBINED.split(' "https')[0] + "\n"
    rows, _ = parsed(common, "common")
    assert (rows[0]["status"], rows[0]["size"], rows[0]["referrer"]) == (200, 512, "-")
    record = {
        "remote_addr": "203.0.113.9",
        "time_iso8601": "2024-03-02T10:00:00+00:00",
        "request": "GET / HTTP/1.1",
        "status": 200,
        "body_bytes_sent": 10,
        "http_user_agent": "curl/8.0",
    }
    rows, bad = parsed(json.dumps(record) + "\n{broken\n", "json")
    assert [(row["date"], row["second"]) for row in rows] == [(dt.date(2024, 3, 2), 36000)]
    assert bad == [1]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (COMBINED, "combined"),
        (f"example.com:80 {COMBINED}", "vhost_combined"),
        (COMBINED.split(' "https')[0], "common"),
        ('{"remote_addr": "203.0.113.9"}', "json"),
    ],
)
def test_detect(sample: str, expected: str) -> None:
    assert formats.detect(f"{sample}\n".encode()) == expected


def test_an_unknown_format_is_refused_without_quoting_the_line() -> None:
    with pytest.raises(ConfigurationError) as error:
        formats.detect(b"203.0.113.9 was here\n")
    assert "203.0.113.9" not in str(error.value)


@pytest.mark.parametrize(
    ("referrer", "domain"),
    [
        ("-", "(direct)"),
        ("https://www.example.org/search?q=me", "www.example.org"),
        ("http://203.0.113.5:8080/x", "(address)"),
        ("http://[2001:db8::1]/", "(address)"),
        ("http://[broken/", "(unknown)"),
    ],
)
def test_referrers_keep_their_domain_only(referrer: str, domain: str) -> None:
    assert referrer_domain(referrer) == domain


@pytest.mark.parametrize(
    ("request_line", "page"),
    [
        ("GET /pricing?utm_source=x HTTP/1.1", "/pricing"),
        ("GET /style.css HTTP/1.1", ""),
        ("POST /form HTTP/1.1", ""),
        ("GET /robots.txt HTTP/1.1", ""),
        ("GET /Sitemap.xml HTTP/1.1", ""),
        ("GET /.well-known/security.txt HTTP/1.1", ""),
        ("GET /notes.txt HTTP/1.1", "/notes.txt"),
    ],
)
def test_what_is_a_page_view(request_line: str, page: str) -> None:
    assert page_of(request_line) == page


ODD_LINES = [
    COMBINED.replace("- - [", "-\t- ["),  # a tab is not a field separator
    COMBINED.replace("- - [", "-  - ["),  # two spaces
    COMBINED.replace(" 512 ", " 1234567890123 "),  # more digits than the cut reads
    COMBINED.replace(" 200 ", " 2x0 "),
    COMBINED.replace(" 512 ", " - "),
    COMBINED.replace(":10:00:00 ", ":1O:00:00 "),
    COMBINED.replace("+0000]", "+0000] ]"),
    COMBINED.replace('"https', ' "https'),
    COMBINED.replace("[02/Mar/2024", "[2/Mar/2024"),
    "[02/Mar/2024:10:00:00 +0000]" + COMBINED[13:],
    COMBINED.replace("[02/Mar/2024", "[31/Feb/2024"),  # no such day: a null date
    COMBINED.replace("[02/Mar/2024", "[29/Feb/2023"),
    COMBINED.replace("[02/Mar/2024", "[02/mar/2024"),  # months as written, capitalised
    COMBINED.replace("[02/Mar/2024", "[00/Mar/2024"),
    COMBINED.replace("[02/Mar/2024", "[02/Mar/0000"),
]


@pytest.mark.parametrize("odd", ODD_LINES, ids=range(len(ODD_LINES)))
def test_the_cut_agrees_with_the_capture_groups_on_odd_lines(odd: str) -> None:
    data = f"{COMBINED}\n{odd}\n{COMBINED}\n".encode()
    cut, bad = formats.parse(data, "combined")
    text = formats.lines(data)
    frame = pl.DataFrame({"line": pl.int_range(3, dtype=pl.UInt32, eager=True), "text": text})
    captured = formats._captured(frame, "combined")
    assert cut.equals(captured)
    assert bad == ([] if len(captured) == 3 else [1])


@pytest.mark.parametrize(
    ("day", "date"),
    [
        ("02/Mar/2024", dt.date(2024, 3, 2)),
        ("29/Feb/2024", dt.date(2024, 2, 29)),
        ("31/Dec/1969", dt.date(1969, 12, 31)),
        ("01/Jan/9999", dt.date(9999, 1, 1)),
        ("31/Jan/2024", dt.date(2024, 1, 31)),
        ("30/Sep/2015", dt.date(2015, 9, 30)),
        ("31/Sep/2015", None),
        ("29/Feb/2023", None),
        ("02/Mai/2024", None),
        ("02/MAR/2024", None),
        ("00/Mar/2024", None),
        ("02/Mar/0000", None),
    ],
)
def test_the_date_is_read_from_the_time_stamp_bytes(day: str, date: dt.date | None) -> None:
    rows, bad = parsed(COMBINED.replace("02/Mar/2024", day) + "\n", "combined")
    assert bad == [] and [row["date"] for row in rows] == [date]
    assert formats.parse_day(day) == date


@pytest.mark.parametrize("broken", [False, True], ids=["utf-8", "not utf-8"])
def test_chunks_are_parsed_as_one_batch_and_their_lines_counted(broken: bool) -> None:
    other = COMBINED.encode().replace(b"/a?", b"/\xff?" if broken else b"/b?")
    chunks = [f"{COMBINED}\n\n".encode(), b"not a line\n" + other + b"\n", f"{COMBINED}\n".encode()]
    table, bad, lines = formats.parse_chunks(chunks, "combined")
    whole, whole_bad = formats.parse(b"".join(chunks), "combined")
    assert lines == [2, 2, 1] and bad == whole_bad == [2]
    assert table.equals(whole) and table["line"].to_list() == [0, 3, 4]
