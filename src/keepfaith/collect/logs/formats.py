"""Access-log line formats: a batch of lines in, a table of raw fields out (polars).

A batch is whole lines of bytes. Its lines become one string column (split where the
newlines are, without copying); a line of Apache/nginx ``combined``, ``vhost_combined``
or ``common`` format that the full pattern matches and that has no escaped quote is then
cut on its quotes and at fixed places, for the whole column at once. The few other lines
go through the pattern's capture groups, which is exact but slower. Lines that fail
that too are *bad*: only their line numbers are kept, never their content, which may
hold an address. JSON lines are read one by one (``json``), then join the same table.
"""

from __future__ import annotations

import json
import re

import numpy
import polars as pl
import pyarrow

from keepfaith.exceptions import ConfigurationError

FORMATS = ("auto", "combined", "vhost_combined", "common", "json")
"""Formats ``keepfaith logs ingest --format`` accepts; ``auto`` looks at the first lines."""
FIELDS = ("host", "ip", "day", "time", "request", "status", "size", "referrer", "agent")
"""The table's columns besides ``line`` (the 0-based line number in the batch). ``host``
is empty when the format has none; ``day`` is as written (``17/May/2015`` or
``2015-05-17``) and ``time`` ``HH:MM:SS``, in the log's own time zone."""

MONTHS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
    "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip

_STAMP = r"([0-9]{2}/[A-Za-z0-9_]{3}/[0-9]{4}):([0-9]{2}:[0-9]{2}:[0-9]{2})[^\]]*"
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_PATTERNS = {
    "combined": rf"^()(\S+) \S+ \S+ \[{_STAMP}\] {_QUOTED} ([0-9]{{3}}) ([0-9]+|-)"
    rf" {_QUOTED} {_QUOTED}",
    "vhost_combined": rf"^(\S+) (\S+) \S+ \S+ \[{_STAMP}\] {_QUOTED} ([0-9]{{3}}) ([0-9]+|-)"
    rf" {_QUOTED} {_QUOTED}",
    "common": rf"^()(\S+) \S+ \S+ \[{_STAMP}\] {_QUOTED} ([0-9]{{3}}) ([0-9]+|-)()()\s*$",
}
_QUOTES = {"combined": 6, "vhost_combined": 6, "common": 2}
"""Quotes in a line of each format that has no escaped quote."""
_REGEXES = {name: re.compile(pattern.encode()) for name, pattern in _PATTERNS.items()}


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


def lines(batch: bytes) -> pl.Series:
    """The lines of ``batch`` (whole lines, each ending in a newline) as one string
    column, without their line ends. Bytes that are not UTF-8 become U+FFFD."""
    try:
        batch.decode("utf-8")
    except UnicodeDecodeError:
        batch = batch.decode("utf-8", "replace").encode("utf-8")
    ends = numpy.flatnonzero(numpy.frombuffer(batch, dtype=numpy.uint8) == 10)
    offsets = numpy.zeros(len(ends) + 1, dtype=numpy.int64)
    offsets[1:] = ends + 1
    column = pyarrow.LargeStringArray.from_buffers(
        len(ends), pyarrow.py_buffer(offsets), pyarrow.py_buffer(batch)
    )
    series = pl.Series("text", column)
    return series.str.strip_suffix("\n").str.strip_suffix("\r")


def parse(text: pl.Series, fmt: str) -> tuple[pl.DataFrame, list[int]]:
    """The fields of the good lines of ``text`` in format ``fmt``, and the 0-based
    numbers of the bad ones. Blank lines are neither."""
    if fmt == "json":
        return _json(text)
    if fmt not in _PATTERNS:
        raise ConfigurationError(f"unknown log format {fmt!r}; choose one of {FORMATS}")
    frame = pl.DataFrame(
        {"line": pl.int_range(len(text), dtype=pl.UInt32, eager=True), "text": text}
    )
    frame = frame.filter(pl.col("text").str.strip_chars() != "")
    plain = pl.col("text").str.contains(_PATTERNS[fmt]) & (
        pl.col("text").str.count_matches('"', literal=True) == _QUOTES[fmt]
    )
    frame = frame.with_columns(plain=plain)
    fast, odd = _cut(frame.filter("plain"), fmt)
    rest = pl.concat([frame.filter(~pl.col("plain")), odd])
    if rest.is_empty():
        return fast, []
    slow = _captured(rest, fmt)
    bad = rest.join(slow.select("line"), on="line", how="anti")["line"].to_list()
    table = pl.concat([fast, slow]).sort("line") if not slow.is_empty() else fast
    return table, sorted(bad)


def _cut(frame: pl.DataFrame, fmt: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fields of lines the pattern matched and that hold no escaped quote, cut on their
    quotes and at the fixed places of the time stamp; and the lines left for the capture
    groups (those whose text before the request is not ASCII, where characters and
    bytes differ)."""
    quoted = _QUOTES[fmt]
    ascii_head = pl.col("text").str.split_exact('"', 1).struct.field("field_0")
    ascii_head = ascii_head.str.len_bytes() == ascii_head.str.len_chars()
    frame = frame.with_columns(ascii=ascii_head)
    odd = frame.filter(~pl.col("ascii")).drop("ascii")
    frame = frame.filter("ascii").drop("ascii")
    parts = frame["text"].str.split_exact('"', quoted).struct.unnest()
    head, request, after = parts["field_0"], parts["field_1"], parts["field_2"]
    bracket = head.str.find("[", literal=True)
    who = head.str.slice(0, bracket - 1)  # "[host ]ip ident user"
    if fmt == "vhost_combined":
        space = who.str.find(" ", literal=True)
        host, who = who.str.slice(0, space), who.str.slice(space + 1)
    else:
        host = pl.Series([""] * len(frame), dtype=pl.String)
    address = who.str.slice(0, who.str.find(" ", literal=True))
    status = after.str.slice(1, 3)
    size = after.str.slice(5).str.strip_chars_end()
    if quoted == 6:
        referrer, agent = parts["field_3"], parts["field_5"]
    else:
        referrer = pl.Series(["-"] * len(frame), dtype=pl.String)
        agent = pl.Series([""] * len(frame), dtype=pl.String)
    table = pl.DataFrame(
        {
            "line": frame["line"],
            "host": host,
            "ip": address,
            "day": head.str.slice(bracket + 1, 11),
            "time": head.str.slice(bracket + 13, 8),
            "request": request,
            "status": status,
            "size": size,
            "referrer": referrer.replace("", "-"),
            "agent": agent,
        }
    )
    return table, odd


def _captured(frame: pl.DataFrame, fmt: str) -> pl.DataFrame:
    """Fields of the other lines, through the pattern's capture groups."""
    groups = frame["text"].str.extract_groups(_PATTERNS[fmt]).struct.unnest()
    groups.columns = list(FIELDS)
    table = pl.concat([frame.select("line"), groups], how="horizontal").filter(
        pl.col("ip").is_not_null()
    )
    return table.with_columns(
        pl.col("referrer").replace("", "-"),
        pl.col("agent").str.replace_all('\\"', '"', literal=True),
    )


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
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})", re.ASCII)
_CLF = re.compile(r"(\d{2}/\w{3}/\d{4}):(\d{2}:\d{2}:\d{2})", re.ASCII)


def _json(text: pl.Series) -> tuple[pl.DataFrame, list[int]]:
    """One JSON object per line, with nginx-style or plain field names."""
    rows: list[tuple[object, ...]] = []
    bad: list[int] = []
    for number, line in enumerate(text.to_list()):
        if not line.strip():
            continue
        fields = _json_line(line)
        if fields is None:
            bad.append(number)
        else:
            rows.append((number, *fields))
    schema = {"line": pl.UInt32, **dict.fromkeys(FIELDS, pl.String)}
    return pl.DataFrame(rows, schema=schema, orient="row"), bad


def _pick(record: dict[str, object], role: str) -> str:
    for key in _JSON_KEYS[role]:
        value = record.get(key)
        if value is not None and value != "":
            return str(value)
    return ""


def _json_line(line: str) -> tuple[str, ...] | None:
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
        request = f"{_pick(record, 'method') or 'GET'} {path} HTTP/1.1" if path else ""
    status = _pick(record, "status")
    if (
        when is None
        or not ip
        or not request
        or not (len(status) == 3 and status.isascii() and status.isdigit())
    ):
        return None
    size = _pick(record, "size") or "-"
    return (
        _pick(record, "host"),
        ip,
        when.group(1),
        when.group(2),
        request,
        status,
        size if size.isascii() and size.isdigit() else "-",
        _pick(record, "referrer") or "-",
        _pick(record, "agent") or "-",
    )
