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

import datetime as dt
import json
import re

import numpy
import polars as pl
import pyarrow

from keepfaith.exceptions import ConfigurationError

FORMATS = ("auto", "combined", "vhost_combined", "common", "json")
"""Formats ``keepfaith logs ingest --format`` accepts; ``auto`` looks at the first lines."""
FIELDS = ("host", "ip", "day", "time", "request", "status", "size", "referrer", "agent")
"""The fields a line's pattern captures. The table ``parse`` returns has ``line`` (the
0-based line number in the batch), then these with ``day`` as ``date`` (a date, in the
log's own time zone; null when the day written, ``17/May/2015`` or ``2015-05-17``, is
no date), ``time`` as ``second`` (of the day), and ``status``, ``size`` (``-`` is 0)
and ``second`` as numbers. ``host`` is empty when the format has none."""

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


_WIDTH = 64
"""Bytes of the widest ``_Buffer.window``: the fast cut looks at most this far from a
place it knows (a line's start, a quote)."""
PADDING = bytes(_WIDTH)
"""What a batch given to ``parse`` or ``lines`` may end with (after its last line end),
so that every window is inside the bytes without copying them: ``ingest`` joins its
chunks with it."""
_OTHER_SPACE = b"\t\r\x0b\x0c"
"""White space other than the plain space and the line end, which a pattern's ``\\S``
refuses: rare, so looked for only in a batch that has any."""


class _Buffer:
    """A batch's bytes (made valid UTF-8) and where its lines are, from which string
    columns are made as views into the bytes (Arrow string views), never copies."""

    def __init__(self, batch: bytes) -> None:
        padded = batch.endswith(PADDING)  # a batch of lines ends in a line end, else
        self.recoded = not batch.isascii()
        """Whether bytes that are not UTF-8 were replaced (which moves the others)."""
        if self.recoded:
            batch = batch.decode("utf-8", "replace").encode("utf-8")
        self.size = len(batch) - _WIDTH if padded else len(batch)
        self.data = batch if padded else batch + PADDING  # every window inside the bytes
        self.bytes = numpy.frombuffer(self.data, dtype=numpy.uint8)
        self.ends = numpy.flatnonzero(self.bytes[: self.size] == 10)
        self.starts = numpy.concatenate([[0], self.ends[:-1] + 1]).astype(numpy.int64)
        self._windows: dict[int, numpy.ndarray] = {}
        self.twelves = self.items(12)
        self._positions: dict[bytes, numpy.ndarray] = {}

    def positions(self, marks: bytes) -> numpy.ndarray:
        """Where any of the bytes ``marks`` is, in order (cached per ``marks``). One
        comparison per byte over the batch, no table look-up: most are rare."""
        found = self._positions.get(marks)
        if found is None:
            text = self.bytes[: self.size]
            hits = text == marks[0]
            for mark in marks[1:]:
                hits |= text == mark
            found = self._positions[marks] = numpy.flatnonzero(hits)
        return found

    def has(self, mark: bytes) -> bool:
        """Whether the batch holds the byte ``mark`` at all (cheaper than where)."""
        return bool(numpy.count_nonzero(self.bytes[: self.size] == mark[0]))

    def has_other_space(self) -> bool:
        """Whether the batch holds white space other than spaces and line ends: any
        control byte that is not a line end."""
        controls = numpy.count_nonzero(self.bytes[: self.size] < 32)
        return bool(controls != len(self.ends))

    def per_line(self, positions: numpy.ndarray) -> numpy.ndarray:
        """How many of ``positions`` fall in each line."""
        return numpy.searchsorted(positions, self.ends) - numpy.searchsorted(positions, self.starts)

    def items(self, width: int) -> numpy.ndarray:
        """Item ``i``: the ``width`` (at most ``_WIDTH``) bytes from byte ``i`` on, as one
        item (a view, not a copy; picking items copies ``width`` bytes at once, faster
        than picking rows of bytes)."""
        found = self._windows.get(width)
        if found is None:
            found = self._windows[width] = numpy.ndarray(
                (self.size + 1,), f"V{width}", self.data, strides=(1,)
            )
        return found

    def window(self, starts: numpy.ndarray, width: int) -> numpy.ndarray:
        """The ``width`` (at most ``_WIDTH``) bytes from each of ``starts``, one row each
        (past the batch: zeros)."""
        picked = self.items(width)[numpy.minimum(starts, self.size)]
        rows: numpy.ndarray = picked.view(numpy.uint8).reshape(len(starts), width)
        return rows

    def column(self, starts: numpy.ndarray, ends: numpy.ndarray, empty: bytes = b"") -> pl.Series:
        """The strings ``bytes[start:end]`` (``empty``, at most 4 bytes, where that is
        empty), as one column of views (16 bytes each: the length, then the string itself
        if it fits in 12 bytes, else its first 4 bytes, buffer 0 and its offset)."""
        count = len(starts)
        lengths = (ends - starts).astype(numpy.int32)
        views = numpy.empty((count, 4), dtype=numpy.uint32)
        inline = self.twelves[starts].view(numpy.uint32).reshape(count, 3)
        views[:, 1:] = inline & _MASKS[numpy.minimum(lengths, 12)]  # a long one keeps all
        # 12, its first 4 (the prefix) first
        views[:, 0] = lengths
        long = numpy.flatnonzero(lengths > 12)
        views[long, 2] = 0
        views[long, 3] = starts[long]
        if empty:
            blank = numpy.flatnonzero(lengths == 0)
            views[blank, 0] = len(empty)
            views[blank, 1] = int.from_bytes(empty, "little")
        buffers = [None, pyarrow.py_buffer(views), pyarrow.py_buffer(self.data)]
        return pl.Series(pyarrow.Array.from_buffers(pyarrow.string_view(), count, buffers))

    def lines(self, which: numpy.ndarray | None = None) -> pl.Series:
        """The lines (all, or those numbered ``which``), each with its line end."""
        starts = self.starts if which is None else self.starts[which]
        ends = self.ends if which is None else self.ends[which]
        return self.column(starts, ends + 1).alias("text")


_MASKS = numpy.array(
    [[sum(0xFF << (8 * b) for b in range(max(0, min(4, n - 4 * w)))) for w in range(3)]
     for n in range(13)],
    dtype=numpy.uint32,
)  # fmt: skip
"""Row ``n``: the three little-endian 4-byte words that keep the first ``n`` of 12 bytes."""


def lines(batch: bytes) -> pl.Series:
    """The lines of ``batch`` (whole lines, each ending in a newline) as one string
    column, each with its line end. Bytes that are not UTF-8 become U+FFFD."""
    return _Buffer(batch).lines()


def parse(batch: bytes, fmt: str) -> tuple[pl.DataFrame, list[int]]:
    """The fields of the good lines of ``batch`` (whole lines, then perhaps ``PADDING``)
    in format ``fmt``, and the 0-based numbers of the bad ones. Blank lines are neither."""
    return _parse(_Buffer(batch), fmt)


def parse_chunks(chunks: list[bytes], fmt: str) -> tuple[pl.DataFrame, list[int], list[int]]:
    """``parse`` of ``chunks`` (whole lines each) as one batch, and the number of lines of
    each chunk (from the line ends the batch's cut finds anyway)."""
    buffer = _Buffer(b"".join([*chunks, PADDING]))
    table, bad = _parse(buffer, fmt)
    if buffer.recoded:
        return table, bad, [chunk.count(b"\n") for chunk in chunks]
    bounds = numpy.cumsum([len(chunk) for chunk in chunks])
    lines = numpy.diff(numpy.searchsorted(buffer.ends, bounds), prepend=0)
    return table, bad, lines.tolist()


def _parse(buffer: _Buffer, fmt: str) -> tuple[pl.DataFrame, list[int]]:
    if fmt == "json":
        return _json(buffer.lines())
    if fmt not in _PATTERNS:
        raise ConfigurationError(f"unknown log format {fmt!r}; choose one of {FORMATS}")
    quotes = buffer.positions(b'"')
    plain = buffer.per_line(quotes) == _QUOTES[fmt]
    escapes = buffer.positions(b"\\")
    if len(escapes):
        plain &= buffer.per_line(escapes) == 0
    fast, odd = _cut(buffer, numpy.flatnonzero(plain), quotes, fmt)
    numbers = numpy.sort(numpy.concatenate([numpy.flatnonzero(~plain), odd]))
    rest = pl.DataFrame({"line": numbers.astype(numpy.uint32), "text": buffer.lines(numbers)})
    rest = rest.filter(pl.col("text").str.strip_chars() != "")  # blank lines are not bad
    if rest.is_empty():
        return fast, []
    slow = _captured(rest, fmt)
    bad = rest.join(slow.select("line"), on="line", how="anti")["line"].to_list()
    return _merged(fast, slow), sorted(bad)


_FEW = 64
"""Slow rows up to which ``_merged`` puts each in its place rather than sorting."""


def _merged(fast: pl.DataFrame, slow: pl.DataFrame) -> pl.DataFrame:
    """``fast`` and ``slow`` (each in line order, no line in both) as one table in line
    order: the few slow rows put in their places between slices of the fast ones, which
    costs a fifth of sorting the whole batch by line (many slow rows are sorted)."""
    if slow.is_empty():
        return fast
    if len(slow) > _FEW:
        return pl.concat([fast, slow]).sort("line")
    places = numpy.searchsorted(fast["line"].to_numpy(), slow["line"].to_numpy()).tolist()
    parts, done = [], 0
    for row, place in enumerate(places):
        parts += [fast.slice(done, place - done), slow.slice(row, 1)]
        done = place
    return pl.concat([*parts, fast.slice(done)])


_DIGITS = numpy.array([1 if c in "0123456789" else 0 for c in map(chr, range(256))], bool)
_WORDS = numpy.array([c.isascii() and (c.isalnum() or c == "_") for c in map(chr, range(256))])
_STAMP_SHAPE = "00/www/0000:00:00:00"
"""The time stamp after its ``[``: 0 a digit, w a letter, digit or _, else itself."""
_STAMP_DIGITS = [n + 1 for n, shape in enumerate(_STAMP_SHAPE) if shape == "0"]
_STAMP_WORDS = [n + 1 for n, shape in enumerate(_STAMP_SHAPE) if shape == "w"]
_STAMP_MARKS = [n + 1 for n, shape in enumerate(_STAMP_SHAPE) if shape not in "0w"]
_STAMP_MARK_BYTES = numpy.array([ord(_STAMP_SHAPE[n - 1]) for n in _STAMP_MARKS], numpy.uint8)
_STAMP_WIDTH = 32
"""Bytes of the time stamp's window from its ``[``: one whose ``]`` is further (a long
time zone) goes the slow way."""


def _cut(
    buffer: _Buffer, plain: numpy.ndarray, quotes: numpy.ndarray, fmt: str
) -> tuple[pl.DataFrame, numpy.ndarray]:
    """Fields of the ``plain`` lines (the format's number of quotes, no backslash), cut
    at their quotes, spaces and the fixed places of the time stamp, and checked byte by
    byte against what the format's pattern requires, all as array operations; and the
    numbers of those that fail a check, left for the capture groups."""
    data = buffer.bytes
    start, end = buffer.starts[plain], buffer.ends[plain]
    first = numpy.searchsorted(quotes, start)
    q = [quotes[first + n] for n in range(_QUOTES[fmt])]  # each plain line has them all
    words = 4 if fmt == "vhost_combined" else 3
    gaps, ok = _first_spaces(buffer, start, words)  # [host ]ip ident user [
    bracket = gaps[-1] + 1
    ok &= (data[bracket] == ord("[")) & (bracket < q[0])
    for before, after in zip([start - 1, *gaps], gaps, strict=False):
        ok &= after > before + 1  # every word has a byte
    if buffer.has_other_space():
        ok &= _no_other_space(buffer, start, q[0])
    stamp = buffer.window(bracket, _STAMP_WIDTH)  # [00/www/0000:00:00:00 ...] "
    ok &= ((stamp[:, _STAMP_DIGITS] - 48) < 10).all(axis=1)  # bytes: below "0" wraps
    ok &= _WORDS[stamp[:, _STAMP_WORDS]].all(axis=1)
    ok &= (stamp[:, _STAMP_MARKS] == _STAMP_MARK_BYTES).all(axis=1)
    closing = numpy.argmax(stamp == ord("]"), axis=1)  # the first, if any in the window
    ok &= (bracket + closing == q[0] - 2) & (closing >= len(_STAMP_SHAPE) + 1)
    ok &= data[q[0] - 1] == ord(" ")
    stamp = stamp[:, 1:]
    status = buffer.window(q[1] + 1, 5)
    ok &= (status[:, 0] == ord(" ")) & (status[:, 4] == ord(" "))
    ok &= _DIGITS[status[:, 1]] & _DIGITS[status[:, 2]] & _DIGITS[status[:, 3]]
    size_end = q[2] - 1 if fmt != "common" else end - (data[end - 1] == ord("\r"))
    if fmt != "common":
        ok &= (data[q[2] - 1] == ord(" ")) & (q[4] == q[3] + 2) & (data[q[3] + 1] == ord(" "))
    size, sized = _sizes(buffer, q[1] + 6, size_end)
    ok &= sized
    keep = numpy.flatnonzero(ok)
    column = buffer.column
    clock = stamp[:, 12:20].astype(numpy.int32) - 48
    second = (clock[:, 0] * 10 + clock[:, 1]) * 3600 + (clock[:, 3] * 10 + clock[:, 4]) * 60
    second += clock[:, 6] * 10 + clock[:, 7]
    code = status[:, 1:4].astype(numpy.int16) - 48
    columns = {
        "line": pl.Series(plain[keep].astype(numpy.uint32)),
        "host": column(start[keep], gaps[0][keep]) if words == 4 else _constant("", len(keep)),
        "ip": column(gaps[words - 4][keep] + 1, gaps[words - 3][keep])
        if words == 4
        else column(start[keep], gaps[0][keep]),
        "date": _dates(stamp, keep),
        "second": pl.Series(second[keep]),
        "request": column(q[0][keep] + 1, q[1][keep]),
        "status": pl.Series((code[:, 0] * 100 + code[:, 1] * 10 + code[:, 2])[keep]),
        "size": pl.Series(size[keep]),
        "referrer": column(q[2][keep] + 1, q[3][keep], b"-")
        if fmt != "common"
        else _constant("-", len(keep)),
        "agent": column(q[4][keep] + 1, q[5][keep])
        if fmt != "common"
        else _constant("", len(keep)),
    }
    return pl.DataFrame(columns), plain[~ok]


_MONTH_CODES = numpy.array(
    sorted((ord(name[0]) << 16) | (ord(name[1]) << 8) | ord(name[2]) for name in MONTHS)
)
_MONTH_NUMBERS = numpy.array(
    [MONTHS[chr(code >> 16) + chr((code >> 8) & 255) + chr(code & 255)] for code in _MONTH_CODES]
)


def _dates(stamp: numpy.ndarray, keep: numpy.ndarray) -> pl.Series:
    """The dates of the time stamps ``00/www/0000...`` numbered ``keep`` (digits checked;
    the month is one of ``MONTHS`` as written, else the date is null, as is a day the
    month does not have), read from the bytes as numbers."""
    digits = stamp[:, [0, 1, 7, 8, 9, 10]].astype(numpy.int32) - 48
    day = digits[:, 0] * 10 + digits[:, 1]
    year = digits[:, 2] * 1000 + digits[:, 3] * 100 + digits[:, 4] * 10 + digits[:, 5]
    code = (
        (stamp[:, 3].astype(numpy.int32) << 16)
        | (stamp[:, 4].astype(numpy.int32) << 8)
        | stamp[:, 5]
    )
    found = numpy.minimum(numpy.searchsorted(_MONTH_CODES, code), 11)
    month = (year - 1970) * 12 + _MONTH_NUMBERS[found] - 1
    first = month.astype("datetime64[M]").astype("datetime64[D]").astype(numpy.int32)
    length = (month + 1).astype("datetime64[M]").astype("datetime64[D]").astype(numpy.int32) - first
    valid = ((_MONTH_CODES[found] == code) & (day >= 1) & (day <= length) & (year >= 1))[keep]
    dates = pl.Series("date", (first + day - 1)[keep], dtype=pl.Int32).cast(pl.Date)
    if not valid.all():
        dates = dates.scatter(numpy.flatnonzero(~valid), None)
    return dates


def _first_spaces(
    buffer: _Buffer, starts: numpy.ndarray, count: int
) -> tuple[list[numpy.ndarray], numpy.ndarray]:
    """Where the first ``count`` spaces after each of ``starts`` are, looking no further
    than ``_WIDTH`` bytes, and whether each has them all there (else the places are
    meaningless)."""
    rows = len(starts)
    found = numpy.flatnonzero(buffer.window(starts, _WIDTH) == ord(" "))
    if not len(found):
        return [starts] * count, numpy.zeros(rows, dtype=bool)
    first = numpy.searchsorted(found, numpy.arange(rows + 1) * _WIDTH)
    ok: numpy.ndarray = first[1:] - first[:-1] >= count
    row = numpy.arange(rows) * _WIDTH - starts
    last = len(found) - 1
    return [found[numpy.minimum(first[:-1] + n, last)] - row for n in range(count)], ok


def _no_other_space(buffer: _Buffer, starts: numpy.ndarray, ends: numpy.ndarray) -> numpy.ndarray:
    """Whether ``bytes[start:end]`` holds no white space but the plain space (tabs and the
    like break a pattern's ``\\S``)."""
    found = buffer.positions(_OTHER_SPACE)
    clean: numpy.ndarray = numpy.searchsorted(found, ends) == numpy.searchsorted(found, starts)
    return clean


def _sizes(
    buffer: _Buffer, starts: numpy.ndarray, ends: numpy.ndarray
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The byte counts written at ``bytes[start:end]`` (``-`` is 0), and whether each is
    one (12 digits at most; a longer one goes the slow way): read digit by digit, as
    many steps as the longest has digits."""
    lengths = ends - starts
    window = buffer.window(starts, 12)
    dash = (lengths == 1) & (window[:, 0] == ord("-"))
    sized = (lengths >= 1) & (lengths <= 12)
    values = numpy.zeros(len(starts), dtype=numpy.int64)
    for n in range(int(numpy.clip(lengths, 0, 12).max(initial=0))):
        digit = window[:, n] - 48  # bytes: below "0" wraps
        inside = n < lengths
        sized &= (digit < 10) | ~inside
        values = numpy.where(inside, values * 10 + digit, values)
    return numpy.where(dash, 0, values), sized | dash


def _constant(value: str, count: int) -> pl.Series:
    return (
        pl.Series([value], dtype=pl.String).extend_constant(value, count - 1)
        if count
        else pl.Series([], dtype=pl.String)
    )


def _captured(frame: pl.DataFrame, fmt: str) -> pl.DataFrame:
    """Fields of the other lines, through the pattern's capture groups."""
    groups = frame["text"].str.extract_groups(_PATTERNS[fmt]).struct.unnest()
    groups.columns = list(FIELDS)
    table = pl.concat([frame.select("line"), groups], how="horizontal").filter(
        pl.col("ip").is_not_null()
    )
    return _typed(
        table.with_columns(
            pl.col("referrer").replace("", "-"),
            pl.col("agent").str.replace_all('\\"', '"', literal=True),
        )
    )


def _typed(table: pl.DataFrame) -> pl.DataFrame:
    """``day`` as a date, ``time``, ``status`` and ``size`` as the numbers the cut lines
    have."""
    hms = [pl.col("time").str.slice(n, 2).cast(pl.Int32) for n in (0, 3, 6)]
    days = table["day"].unique()
    dates = pl.Series([parse_day(day) for day in days.to_list()], dtype=pl.Date)
    return table.select(
        "line", "host", "ip",
        date=pl.col("day").replace_strict(days, dates, return_dtype=pl.Date),
        second=hms[0] * 3600 + hms[1] * 60 + hms[2],
        request="request",
        status=pl.col("status").cast(pl.Int16),
        size=pl.col("size").cast(pl.Int64, strict=False).fill_null(0),
        referrer="referrer",
        agent="agent",
    )  # fmt: skip


def parse_day(token: str) -> dt.date | None:
    """The date of a day as written, ``17/May/2015`` or ``2015-05-17``, or ``None``."""
    try:
        if token[2:3] == "/":
            month = MONTHS.get(token[3:6])
            return dt.date(int(token[7:11]), month, int(token[:2])) if month else None
        return dt.date.fromisoformat(token)
    except ValueError:
        return None


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
    return _typed(pl.DataFrame(rows, schema=schema, orient="row")), bad


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
