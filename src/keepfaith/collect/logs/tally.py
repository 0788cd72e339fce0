"""Count batches of parsed lines into per-day statistics, as integer arrays.

Each string a statistic depends on (a user agent, a request line, a referrer) is
numbered: the column is cast to an enum of the values met so far (one polars call for
the three columns and the visitor hash together), and only a value never met before is
reduced, once, in Python (classified, cut to its page, to its domain), to numbers of
what statistics keep (a browser, a page, a domain). Everything per line is then numpy
over those numbers: which lines are page views, the visitors' keys, visits and time on
page. The numbers of each dimension are gathered per day across batches and counted
once per flush (``drain``), so Python's counters see each value once per flush, not
once per line or batch. Addresses and user agents leave only as salted visitor keys,
which go into the day's sketch and the day's open visits in memory, and as the reduced
fields the statistics keep (browser family, OS, device class, country).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy
import polars as pl

from keepfaith.collect.logs.agents import Agents
from keepfaith.collect.logs.countries import Countries
from keepfaith.collect.logs.pages import OK_STATUSES, page_of, referrer_domain
from keepfaith.collect.logs.visitors import Memory, Names, Views, keys
from keepfaith.ledger.statistics import DayStats

SESSION_GAP = 30 * 60
"""Seconds without a page view after which a visitor's next view starts a new visit."""
TIME_ON_PAGE = ((10, "0-10s"), (30, "10-30s"), (60, "30-60s"), (180, "1-3m"), (600, "3-10m"))
"""Upper bounds of the time-on-page buckets; longer gaps, up to ``SESSION_GAP``, are
``10-30m``."""
BUCKETS = (*(label for _, label in TIME_ON_PAGE), "10-30m")
"""Time-on-page bucket labels, shortest first."""

_CACHE_LIMIT = 200_000
"""Distinct values of a column numbered before the numbering starts again."""
_NEW = 0xFFFFFFFF
"""The enum code of a value not numbered yet."""
_OK = numpy.zeros(1000, dtype=bool)
_OK[sorted(int(status) for status in OK_STATUSES)] = True
_BOUNDS = numpy.array([bound for bound, _ in TIME_ON_PAGE])
_PAIR = 1 << 32
"""A move between pages is numbered ``before * _PAIR + page``."""
_EPOCH = dt.date(1970, 1, 1)
_AGENT = ("bot", "browser", "os", "device", "robot")
"""The columns of what a user agent comes down to, as numbers."""


@dataclass
class _Day:
    """What the batches since the last ``drain`` say about one day."""

    totals: numpy.ndarray = field(default_factory=lambda: numpy.zeros(5, numpy.int64))
    """Requests, robots' requests, page views, bytes, visits."""
    statuses: numpy.ndarray = field(default_factory=lambda: numpy.zeros(10, numpy.int64))
    """Requests per status class (``status // 100``)."""
    numbers: dict[str, list[numpy.ndarray]] = field(default_factory=dict)
    """Per dimension, the numbers of its values, one per line counted."""
    keys: list[numpy.ndarray] = field(default_factory=list)
    """The keys of visitors met for the first time."""

    def add(self, dimension: str, numbers: numpy.ndarray) -> None:
        if len(numbers):
            self.numbers.setdefault(dimension, []).append(numbers)


class _Numbered:
    """The distinct values of one column, numbered in the order first met (the codes of
    an enum of them), each with the numbers of what it comes down to (``reduce``)."""

    def __init__(self, column: str, reduce: Callable[[list[str]], numpy.ndarray]) -> None:
        self.column = column
        self.reduce = reduce
        self.clear()

    def clear(self) -> None:
        self.cleared = getattr(self, "cleared", -1) + 1
        """How many times the numbering started again."""
        self.values: list[str] = []
        self.enum = pl.Enum([])
        self.reduced: numpy.ndarray | None = None

    def expression(self) -> pl.Expr:
        """Each line's number, ``_NEW`` where the value was never met."""
        return pl.col(self.column).cast(self.enum, strict=False).to_physical().fill_null(_NEW)

    def numbers(self, column: pl.Series, found: pl.Series) -> numpy.ndarray:
        """The numbers of ``column``'s values, ``found`` by ``expression``; values never
        met are numbered now."""
        numbers: numpy.ndarray = found.to_numpy()
        new = numbers == _NEW
        if not new.any():
            return numbers
        fresh = column.filter(pl.Series(new)).unique(maintain_order=True).to_list()
        if len(self.values) + len(fresh) > _CACHE_LIMIT:
            self.clear()
            fresh = column.unique(maintain_order=True).to_list()
        reduced = self.reduce(fresh)
        self.reduced = (
            reduced if self.reduced is None else numpy.concatenate([self.reduced, reduced])
        )
        self.values += fresh
        self.enum = pl.Enum(self.values)
        numbers = column.cast(self.enum).to_physical().to_numpy()
        return numbers


class Tallier:
    """Counts batches for one site, with the numbers of what costs per distinct value."""

    def __init__(
        self,
        memory: Memory,
        site: str,
        campaign: frozenset[str] = frozenset(),
        geoip: str | None = None,
    ) -> None:
        self.memory = memory
        self.site = site
        self.campaign = campaign
        self.agents = Agents.shared()
        self.countries = Countries(geoip) if geoip else None
        self.names = {name: Names() for name in ("browser", "os", "device", "bot", "referrer")}
        self.names["country"] = Names()
        self.agent = _Numbered("agent", self._about_agents)
        self.request = _Numbered("request", self._pages)
        self.referrer = _Numbered("referrer", self._domains)
        self.generation = memory.generation
        self.agents_cleared = self.agent.cleared
        self.people = numpy.empty(0, numpy.uint64)
        """The visitors met (``_person`` hashes of day, site, address and agent, kept only
        in memory while their day is read), in order, with their ``people_keys`` and
        ``people_days``: each visitor's keyed hash is computed once a day."""
        self.people_keys = numpy.empty(0, numpy.int64)
        self.people_days = numpy.empty(0, numpy.int32)
        self.days: dict[int, _Day] = {}
        """What is counted but not drained, by day (days since 1970)."""

    def tally(self, table: pl.DataFrame) -> int:
        """Count ``table`` (from ``formats.parse``, lines in log order) into what the
        next ``drain`` returns; the number of lines without a date (bad lines)."""
        if self.generation != self.memory.generation:
            self.request.clear()  # the page numbers changed
            self.generation = self.memory.generation
        undated = table["date"].null_count()
        if undated:
            table = table.filter(pl.col("date").is_not_null())
        if table.is_empty():
            return undated
        numbered = (self.agent, self.request, self.referrer)
        found = table.select(
            pl.col("date").to_physical().alias("day"),
            pl.col("ip").hash().alias("ip"),
            pl.col("host").hash().alias("host"),
            *[column.expression() for column in numbered],
        )
        agent, request, referrer = [
            column.numbers(table[column.column], found[column.column]) for column in numbered
        ]
        if self.agent.cleared != self.agents_cleared:  # the people's hashes change
            self.agents_cleared = self.agent.cleared
            self.people = self.people[:0]
            self.people_keys = self.people_keys[:0]
            self.people_days = self.people_days[:0]
        assert self.agent.reduced is not None and self.request.reduced is not None
        assert self.referrer.reduced is not None
        about = self.agent.reduced[agent]
        bot = about[:, 0].astype(bool)
        page = self.request.reduced[request]
        day = found["day"].to_numpy()
        second = table["second"].to_numpy()
        viewed = ~bot & (page >= 0) & _OK[table["status"].to_numpy()]
        people = numpy.flatnonzero(~bot)
        key = numpy.zeros(len(table), dtype=numpy.int64)
        person = _person(found["ip"].to_numpy(), found["host"].to_numpy(), agent, day)
        key[people] = self._keys(table, person[people], people, day)
        size = table["size"].to_numpy()
        status = table["status"].to_numpy() // 100
        country = self._countries(table, viewed) if self.countries is not None else None
        numbers = numpy.unique(day)
        for number in numbers.tolist():
            rows = None if len(numbers) == 1 else day == number
            counted = self.days.get(number)
            if counted is None:
                counted = self.days[number] = _Day()

            def of(values: numpy.ndarray, rows: numpy.ndarray | None = rows) -> numpy.ndarray:
                return values if rows is None else values[rows]

            robot, seen = of(bot), of(viewed)
            counted.totals[:4] += (
                len(robot),
                numpy.count_nonzero(robot),
                numpy.count_nonzero(seen),
                int(of(size).sum()),
            )
            counted.statuses += numpy.bincount(of(status), minlength=10)[:10]
            counted.add("bot", of(about[:, 4])[robot])
            views = of(numpy.arange(len(table)))[seen]
            for name, column in zip(("browser", "os", "device"), (1, 2, 3), strict=True):
                counted.add(name, about[views, column])
            counted.add("referrer", self.referrer.reduced[referrer[views]])
            counted.add("hour", second[views] // 3600)
            counted.add("page", page[views])
            if country is not None:
                counted.add("country", country[views])
            self._visits(number, counted, key[views], page[views], second[views])
        return undated

    def drain(self) -> dict[dt.date, DayStats]:
        """The statistics of the batches counted since the last ``drain``, per day."""
        days: dict[dt.date, DayStats] = {}
        pages = self.memory.pages.names
        names: dict[str, Callable[[int], str]] = {
            name: table.names.__getitem__ for name, table in self.names.items()
        }
        names.update(
            page=pages.__getitem__,
            entry=pages.__getitem__,
            hour="{:02d}".format,
            time_on_page=BUCKETS.__getitem__,
            transition=lambda pair: f"{pages[pair // _PAIR]} → {pages[pair % _PAIR]}",
        )
        for number, counted in sorted(self.days.items()):
            stats = days[_EPOCH + dt.timedelta(days=number)] = DayStats()
            requests, bots, pageviews, size, visits = counted.totals.tolist()
            stats.totals.update(
                requests=requests, bot_requests=bots, pageviews=pageviews, bytes=size
            )
            stats.totals["sessions"] = visits
            counts = stats.counts
            for status, n in enumerate(counted.statuses.tolist()):
                if n:
                    counts["status", f"{status}xx"] += n
            for dimension, parts in counted.numbers.items():
                name = names[dimension]
                values, found = numpy.unique(numpy.concatenate(parts), return_counts=True)
                for value, n in zip(values.tolist(), found.tolist(), strict=True):
                    counts[dimension, name(value)] += n
            update = stats.sketch.update
            for key in numpy.concatenate(counted.keys).tolist() if counted.keys else ():
                update(key)
        self.days = {}
        if len(self.people_days):
            recent = self.people_days >= self.people_days.max() - 1
            if not recent.all():
                self.people = self.people[recent]
                self.people_keys = self.people_keys[recent]
                self.people_days = self.people_days[recent]
        self.memory.compact()
        if len(self.names["referrer"]) > _CACHE_LIMIT:  # nothing refers to them now
            self.names["referrer"] = Names()
            self.referrer.clear()
        if max(len(self.names[name]) for name in ("browser", "os", "device", "bot")) > _CACHE_LIMIT:
            self.names.update({name: Names() for name in ("browser", "os", "device", "bot")})
            self.agent.clear()
        return days

    def _about_agents(self, agents: list[str]) -> numpy.ndarray:
        """Per agent: bot or not, and the numbers of its browser, OS, device and robot
        family (-1 for a person)."""
        rows = []
        names = self.names
        for raw in agents:
            agent = self.agents.of(raw)
            robot = names["bot"].number(agent.browser.rsplit(" ", 1)[0]) if agent.bot else -1
            rows.append(
                (
                    agent.bot,
                    names["browser"].number(agent.browser),
                    names["os"].number(agent.os),
                    names["device"].number(agent.device),
                    robot,
                )
            )
        return numpy.array(rows, dtype=numpy.int64).reshape(len(rows), len(_AGENT))

    def _pages(self, requests: list[str]) -> numpy.ndarray:
        """Per request line, the number of the page it views, -1 if none."""
        pages = self.memory.pages
        found = [page_of(request, self.campaign) for request in requests]
        return numpy.array([pages.number(page) if page else -1 for page in found], numpy.int64)

    def _domains(self, referrers: list[str]) -> numpy.ndarray:
        """Per referrer, the number of its domain."""
        domains = self.names["referrer"]
        return numpy.array([domains.number(referrer_domain(r)) for r in referrers], numpy.int64)

    def _countries(self, table: pl.DataFrame, viewed: numpy.ndarray) -> numpy.ndarray:
        """Per line, the number of the country of its address (page views only; -1
        for the others)."""
        assert self.countries is not None
        where = numpy.flatnonzero(viewed)
        addresses = table["ip"].gather(where)
        distinct = addresses.unique()
        countries = self.names["country"]
        numbers = [countries.number(self.countries.of(ip)) for ip in distinct.to_list()]
        found = numpy.full(len(table), -1, dtype=numpy.int64)
        found[where] = addresses.replace_strict(
            distinct, pl.Series(numbers, dtype=pl.Int64), return_dtype=pl.Int64
        ).to_numpy()
        return found

    def _keys(
        self,
        table: pl.DataFrame,
        hashes: numpy.ndarray,
        rows: numpy.ndarray,
        day: numpy.ndarray,
    ) -> numpy.ndarray:
        """The visitor key of each of ``rows`` (their ``person`` ``hashes``): the keyed
        hash under the day's salt, computed only for visitors not met before that day,
        whose keys also go into the day's sketch."""
        distinct, first, inverse = numpy.unique(hashes, return_index=True, return_inverse=True)
        known = self.people
        place = numpy.searchsorted(known, distinct)
        if len(known):
            hit = known[numpy.minimum(place, len(known) - 1)] == distinct
            found = numpy.where(hit, self.people_keys[numpy.minimum(place, len(known) - 1)], 0)
        else:
            hit = numpy.zeros(len(distinct), dtype=bool)
            found = numpy.zeros(len(distinct), dtype=numpy.int64)
        missing = numpy.flatnonzero(~hit)
        if len(missing):
            where = rows[first[missing]]
            ip, agent, host = (pl.col(name).gather(where) for name in ("ip", "agent", "host"))
            site = pl.when(host == "").then(pl.lit(self.site)).otherwise(host)
            people = (
                table.select(pl.concat_str(ip, agent, site, separator="\0").cast(pl.Binary))
                .to_series()
                .to_list()
            )
            days = day[where]
            made = numpy.empty(len(missing), dtype=numpy.int64)
            for number in numpy.unique(days).tolist():
                which = numpy.flatnonzero(days == number).tolist()
                salt = self.memory.salt(_EPOCH + dt.timedelta(days=number))
                made[which] = keys(salt, [people[i] for i in which])
                self.days.setdefault(number, _Day()).keys.append(made[which])
            found[missing] = made
            at = place[missing]
            self.people = numpy.insert(known, at, distinct[missing])
            self.people_keys = numpy.insert(self.people_keys, at, made)
            self.people_days = numpy.insert(self.people_days, at, days)
        keyed: numpy.ndarray = found[inverse]
        return keyed

    def _visits(
        self,
        number: int,
        counted: _Day,
        key: numpy.ndarray,
        page: numpy.ndarray,
        second: numpy.ndarray,
    ) -> None:
        """Visits, entry pages, moves between pages and time on page of one day's page
        views (in log order), judging each view against the same visitor's previous
        one (in this batch, or remembered from earlier ones): a stable sort by visitor
        keeps each visitor's views in log order, and each view's previous one is the
        one before it (or, for the first, the remembered one)."""
        if not len(key):
            return
        order = numpy.argsort(key, kind="stable")
        key, page, second = key[order], page[order], second[order].astype(numpy.int64)
        change = key[1:] != key[:-1]
        first = numpy.flatnonzero(numpy.concatenate([[True], change]))
        last = numpy.concatenate([change, [True]])
        before = numpy.empty_like(page)
        before[1:] = page[:-1]
        then = numpy.empty_like(second)
        then[1:] = second[:-1]
        date = _EPOCH + dt.timedelta(days=number)
        remembered = self.memory.last_views(date)
        known = numpy.ones(len(key), dtype=bool)
        if len(remembered.keys):
            place = numpy.minimum(
                numpy.searchsorted(remembered.keys, key[first]), len(remembered.keys) - 1
            )
            known[first] = remembered.keys[place] == key[first]
            before[first] = remembered.pages[place]
            then[first] = remembered.seconds[place]
        else:
            known[first] = False
        gap = second - then
        start = ~known | (gap > SESSION_GAP)
        inside = ~start
        counted.totals[4] += numpy.count_nonzero(start)
        counted.add("entry", page[start])
        counted.add("time_on_page", numpy.searchsorted(_BOUNDS, gap[inside], side="right"))
        moved = inside & (page != before)
        counted.add("transition", before[moved] * _PAIR + page[moved])
        self.memory.remember(date, Views(key[last], page[last], second[last]))


_MIX = (numpy.uint64(0xBF58476D1CE4E5B9), numpy.uint64(0x94D049BB133111EB))


def _mixed(value: numpy.ndarray) -> numpy.ndarray:
    """SplitMix64's finaliser: a bijection of 64-bit numbers that spreads every bit."""
    value = (value ^ (value >> numpy.uint64(30))) * _MIX[0]
    value = (value ^ (value >> numpy.uint64(27))) * _MIX[1]
    mixed: numpy.ndarray = value ^ (value >> numpy.uint64(31))
    return mixed


def _person(
    address: numpy.ndarray, host: numpy.ndarray, agent: numpy.ndarray, day: numpy.ndarray
) -> numpy.ndarray:
    """A hash of each line's day, site, address and agent (hashes of the address and
    host, the agent's number), no more likely to collide than visitor keys: only while
    a batch is counted, to find its distinct people."""
    known = (agent.astype(numpy.uint64) << numpy.uint64(23)) | (
        day.astype(numpy.int64) + (1 << 22)
    ).astype(numpy.uint64)  # both fit, apart: one number per agent and day
    return _mixed(address ^ _mixed(host ^ known))
