"""Reading log lines: the fast path agrees with a per-line reading, bad lines are named."""

from __future__ import annotations

import json

import pytest

from keepfaith.collect.logs import formats
from keepfaith.collect.logs.tally import referrer_domain
from keepfaith.exceptions import ConfigurationError
from tests.logs.support import REAL_LOG

COMBINED = (
    '203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "GET /a?utm_source=x&q=1 HTTP/1.1" 200 512'
    ' "https://www.example.org/x?y" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101'
    ' Firefox/120.0"'
)


def rows(columns: formats.Columns) -> list[tuple[bytes, ...]]:
    return sorted(
        zip(
            columns.ips,
            columns.days,
            columns.times,
            columns.requests,
            columns.statuses,
            columns.sizes,
            columns.referrers,
            columns.agents,
            strict=True,
        )
    )


def test_fast_path_reads_the_real_log_like_the_line_by_line_reading() -> None:
    data = REAL_LOG.read_bytes()
    fast = formats.parse(data, "combined")
    lines = data.split(b"\n")
    slow = formats._slow(lines, range(len(lines)), formats._regex_line("combined"))
    assert len(fast) == len(slow) == 9999
    assert rows(fast) == rows(slow)


def test_the_truncated_line_is_bad_and_named_by_number() -> None:
    columns = formats.parse(REAL_LOG.read_bytes(), "combined")
    assert columns.bad == [8898]  # 0-based: line 8899


def test_a_line_with_a_user_name_is_read_by_the_slower_path() -> None:
    line = COMBINED.replace("- - [", "- alice [")
    columns = formats.parse(f"{COMBINED}\n{line}\n".encode(), "combined")
    assert len(columns) == 2 and columns.bad == []


def test_escaped_quotes_in_a_user_agent() -> None:
    line = COMBINED.replace('Firefox/120.0"', 'Firefox/120.0 \\"quoted\\""')
    columns = formats.parse(f"{line}\n".encode(), "combined")
    assert columns.agents[0].endswith(b'"quoted"')


def test_virtual_host_common_and_json_formats() -> None:
    vhost = f"www.example.com:443 {COMBINED}\n".encode()
    columns = formats.parse(vhost * 3, "vhost_combined")
    assert columns.hosts == [b"www.example.com:443"] * 3 and columns.ips[0] == b"203.0.113.9"
    common = COMBINED.split(' "https')[0] + "\n"
    columns = formats.parse(common.encode(), "common")
    assert (columns.statuses, columns.referrers) == ([b"200"], [b"-"])
    record = {
        "remote_addr": "203.0.113.9",
        "time_iso8601": "2024-03-02T10:00:00+00:00",
        "request": "GET / HTTP/1.1",
        "status": 200,
        "body_bytes_sent": 10,
        "http_user_agent": "curl/8.0",
    }
    columns = formats.parse((json.dumps(record) + "\n{broken\n").encode(), "json")
    assert (columns.days, columns.times, columns.bad) == ([b"2024-03-02"], [b"10:00:00"], [1])


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
        (b"-", "(direct)"),
        (b"https://www.example.org/search?q=me", "www.example.org"),
        (b"http://203.0.113.5:8080/x", "(address)"),
        (b"http://[2001:db8::1]/", "(address)"),
        (b"http://[broken/", "(unknown)"),
    ],
)
def test_referrers_keep_their_domain_only(referrer: bytes, domain: str) -> None:
    assert referrer_domain(referrer) == domain
