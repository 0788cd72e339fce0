"""Access-log line formats: turn a chunk of lines into columns of raw fields.

A chunk is whole lines of bytes. The common case, Apache/nginx ``combined`` (with or
without a leading virtual host), is split in a handful of C-level passes over the whole
chunk instead of one regular expression per line, which is what makes ingestion fast.
Lines the fast path cannot vouch for go through a per-line regular expression; lines
that fail that too are *bad*: only their line numbers are kept, never their content,
which may hold an address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import itemgetter

from keepfaith.exceptions import ConfigurationError

FORMATS = ("auto", "combined", "vhost_combined", "common", "json")
"""Formats ``keepfaith logs ingest --format`` accepts; ``auto`` looks at the first lines."""

MONTHS = {
    b"Jan": 1, b"Feb": 2, b"Mar": 3, b"Apr": 4, b"May": 5, b"Jun": 6,
    b"Jul": 7, b"Aug": 8, b"Sep": 9, b"Oct": 10, b"Nov": 11, b"Dec": 12,
}  # fmt: skip

# `` - - [17/May/2015:10:05:03 +0000] ``: what follows the address when ident and user
# are empty, which is nearly always; its fixed width lets the fast path slice.
_TAIL = 34
_STAMP = "(\\d{2}/\\w{3}/\\d{4}):(\\d{2}:\\d{2}:\\d{2})[^\\]]*"
_QUOTED = '"((?:[^"\\\\]|\\\\.)*)"'
_PATTERNS = {
    "combined": f"()(\\S+) \\S+ \\S+ \\[{_STAMP}\\] {_QUOTED} (\\d{{3}}) (\\d+|-)"
    f" {_QUOTED} {_QUOTED}",
    "vhost_combined": f"(\\S+) (\\S+) \\S+ \\S+ \\[{_STAMP}\\] {_QUOTED} (\\d{{3}}) (\\d+|-)"
    f" {_QUOTED} {_QUOTED}",
    "common": f"()(\\S+) \\S+ \\S+ \\[{_STAMP}\\] {_QUOTED} (\\d{{3}}) (\\d+|-)()()\\s*$",
}
_REGEXES = {name: re.compile(pattern.encode()) for name, pattern in _PATTERNS.items()}


_LineReader = Callable[[bytes], "tuple[bytes, ...] | None"]


@dataclass
class Columns:
    """The fields of a chunk's good lines, one list per field, all the same length.

    ``hosts`` is empty when the format has no virtual host. ``days`` hold the day as
    written (``17/May/2015`` or ``2015-05-17``) and ``times`` ``HH:MM:SS``; the time zone
    of the log is kept, so a day is the server's day.
    """

    hosts: list[bytes] = field(default_factory=list)
    ips: list[bytes] = field(default_factory=list)
    days: list[bytes] = field(default_factory=list)
    times: list[bytes] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)
    statuses: list[bytes] = field(default_factory=list)
    sizes: list[bytes] = field(default_factory=list)
    referrers: list[bytes] = field(default_factory=list)
    agents: list[bytes] = field(default_factory=list)
    bad: list[int] = field(default_factory=list)
    """0-based line numbers, within the chunk, of lines that could not be read."""

    def __len__(self) -> int:
        return len(self.ips)

    def extend(self, other: Columns) -> None:
        for name in ("hosts", "ips", "days", "times", "requests", "statuses", "sizes"):
            getattr(self, name).extend(getattr(other, name))
        self.referrers.extend(other.referrers)
        self.agents.extend(other.agents)


def detect(sample: bytes) -> str:
    """The format of the first non-empty lines of ``sample``, or ``ConfigurationError``."""
    lines = [line for line in sample.split(b"\n")[:20] if line.strip()]
    if not lines:
        return "combined"
    if lines[0].lstrip().startswith(b"{"):
        return "json"
    for name in ("combined", "vhost_combined", "common"):
        if sum(1 for line in lines if _REGEXES[name].match(line)) * 2 > len(lines):
            return name
    raise ConfigurationError("cannot tell the log format; give --format")


def parse(chunk: bytes, fmt: str) -> Columns:
    """Columns of the good lines of ``chunk`` (whole lines) in format ``fmt``."""
    if fmt == "json":
        return _slow(chunk.split(b"\n"), range(chunk.count(b"\n")), _json_line)
    if fmt not in _REGEXES:
        raise ConfigurationError(f"unknown log format {fmt!r}; choose one of {FORMATS}")
    if fmt in ("combined", "vhost_combined"):
        columns = _fast(chunk, fmt == "vhost_combined")
        if columns is not None:
            return columns
        return _mixed(chunk, fmt)
    return _slow(chunk.split(b"\n"), range(chunk.count(b"\n")), _regex_line(fmt))


def _fast(chunk: bytes, vhost: bool) -> Columns | None:
    """Split a chunk of well-formed combined lines on quotes, or ``None`` if any is not.

    Each line has exactly six quotes, so splitting the whole chunk on them gives every
    field at a fixed stride; a few whole-column checks vouch for every line at once.
    """
    count = chunk.count(b"\n")
    if not count or chunk.count(b'"') != 6 * count:
        return None
    parts = chunk.split(b'"')
    heads = parts[0:-1:6]
    if parts[-1] != b"\n" or parts[4::6].count(b" ") != count:
        return None
    heads[0] = b"\n" + heads[0]
    if list(map(itemgetter(slice(-_TAIL, -28)), heads)).count(b" - - [") != count:
        return None
    middles = parts[2::6]
    statuses = list(map(itemgetter(slice(1, 4)), middles))
    sizes = list(map(itemgetter(slice(5, -1)), middles))
    times = list(map(itemgetter(slice(-16, -8)), heads))
    addresses = list(map(itemgetter(slice(1, -_TAIL)), heads))
    checks = b"".join(statuses) + b"".join(sizes).replace(b"-", b"0")
    checks += b"".join(times).replace(b":", b"0")
    if (
        not checks.isdigit()
        or b"".join(heads).count(b"\n") != count
        or b"\n" in b"".join(addresses)
    ):
        # Every newline must start a head: then no line hides inside another's fields.
        return None
    columns = Columns(
        days=list(map(itemgetter(slice(-28, -17)), heads)),
        times=times,
        requests=parts[1::6],
        statuses=statuses,
        sizes=sizes,
        referrers=parts[3::6],
        agents=parts[5::6],
    )
    if vhost:
        split = list(map(bytes.split, addresses, repeat(b" "), repeat(1)))
        if list(map(len, split)).count(2) != count:
            return None
        columns.hosts = list(map(itemgetter(0), split))
        columns.ips = list(map(itemgetter(1), split))
    else:
        if b" " in b"".join(addresses):
            return None
        columns.ips = addresses
    return columns


def _mixed(chunk: bytes, fmt: str) -> Columns:
    """Fast path for the lines with six quotes, per-line parsing for the others."""
    lines = chunk.split(b"\n")[:-1]
    quotes = list(map(bytes.count, lines, repeat(b'"')))
    odd = list(compress(range(len(lines)), map((6).__ne__, quotes)))
    if len(odd) == len(lines) or not odd:
        return _slow(lines, range(len(lines)), _regex_line(fmt))
    plain = b"\n".join(compress(lines, map((6).__eq__, quotes))) + b"\n"
    columns = _fast(plain, fmt == "vhost_combined")
    if columns is None:
        return _slow(lines, range(len(lines)), _regex_line(fmt))
    slow = _slow(lines, odd, _regex_line(fmt))
    columns.extend(slow)
    columns.bad = slow.bad
    return columns


def _slow(lines: list[bytes], numbers: range | list[int], read: _LineReader) -> Columns:
    """Parse the lines at ``numbers`` one by one; record those that fail as bad."""
    columns = Columns()
    fields = (
        columns.hosts,
        columns.ips,
        columns.days,
        columns.times,
        columns.requests,
        columns.statuses,
        columns.sizes,
        columns.referrers,
        columns.agents,
    )
    for number in numbers:
        line = lines[number]
        if not line.strip():
            continue
        values = read(line)
        if values is None:
            columns.bad.append(number)
            continue
        for column, value in zip(fields, values, strict=True):
            column.append(value)
    if not any(columns.hosts):
        columns.hosts = []
    return columns


def _regex_line(fmt: str) -> _LineReader:
    regex = _REGEXES[fmt]

    def read(line: bytes) -> tuple[bytes, ...] | None:
        match = regex.match(line)
        if match is None:
            return None
        host, ip, day, time, request, status, size, referrer, agent = match.groups()
        return (
            host,
            ip,
            day,
            time,
            request,
            status,
            size,
            referrer or b"-",
            agent.replace(b'\\"', b'"'),
        )

    return read


_JSON_KEYS = {
    "host": ("vhost", "host", "server_name", "site"),
    "ip": ("remote_addr", "ip", "client_ip", "clientip", "remote_ip", "client"),
    "time": ("time_local", "time", "timestamp", "@timestamp", "time_iso8601", "date"),
    "request": ("request",),
    "method": ("method", "request_method", "verb"),
    "path": ("request_uri", "uri", "path", "url"),
    "status": ("status", "status_code", "response"),
    "size": ("body_bytes_sent", "bytes_sent", "bytes", "size"),
    "referrer": ("http_referer", "referrer", "referer"),
    "agent": ("http_user_agent", "user_agent", "agent", "useragent"),
}
_ISO = re.compile(rb"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})")
_CLF = re.compile(rb"(\d{2}/\w{3}/\d{4}):(\d{2}:\d{2}:\d{2})")


def _pick(record: dict[str, object], role: str) -> bytes:
    for key in _JSON_KEYS[role]:
        value = record.get(key)
        if value is not None and value != "":
            return str(value).encode()
    return b""


def _json_line(line: bytes) -> tuple[bytes, ...] | None:
    """One JSON object per line, with nginx-style or plain field names."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    stamp = _pick(record, "time")
    when = _ISO.search(stamp) or _CLF.search(stamp)
    ip = _pick(record, "ip")
    request = _pick(record, "request")
    if not request:
        path = _pick(record, "path")
        request = (_pick(record, "method") or b"GET") + b" " + path + b" HTTP/1.1" if path else b""
    status = _pick(record, "status")
    if when is None or not ip or not request or not (len(status) == 3 and status.isdigit()):
        return None
    size = _pick(record, "size") or b"-"
    return (
        _pick(record, "host"),
        ip,
        when.group(1),
        when.group(2),
        request,
        status,
        size if size.isdigit() else b"-",
        _pick(record, "referrer") or b"-",
        _pick(record, "agent") or b"-",
    )
