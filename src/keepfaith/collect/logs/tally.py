"""Count a batch of parsed lines into per-day statistics, as group-bys over columns.

What costs per distinct value (classifying a user agent, reducing a request to its page
or a referrer to its domain, placing an address in a country, hashing a visitor) runs
once per distinct value of the batch, in Python, and is joined back; everything per line
is polars. Addresses and user agents leave only as salted visitor keys, which go into
the day's sketch and the day's open visits in memory, and as the reduced fields the
statistics keep (browser family, OS, device class, country).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from keepfaith.collect.logs.agents import Agents
from keepfaith.collect.logs.countries import Countries
from keepfaith.collect.logs.formats import MONTHS
from keepfaith.collect.logs.pages import OK_STATUSES, page_of, referrer_domain
from keepfaith.collect.logs.visitors import Memory, keys
from keepfaith.ledger.statistics import DayStats

SESSION_GAP = 30 * 60
"""Seconds without a page view after which a visitor's next view starts a new visit."""
TIME_ON_PAGE = ((10, "0-10s"), (30, "10-30s"), (60, "30-60s"), (180, "1-3m"), (600, "3-10m"))
"""Upper bounds of the time-on-page buckets; longer gaps, up to ``SESSION_GAP``, are
``10-30m``."""
BUCKETS = (*(label for _, label in TIME_ON_PAGE), "10-30m")
"""Time-on-page bucket labels, shortest first."""

_CACHE_LIMIT = 200_000
_OK = sorted(int(status) for status in OK_STATUSES)
_PERSON = ["date", "site", "ip", "agent"]
Frame = pl.DataFrame | pl.LazyFrame


@dataclass
class Tally:
    """What one batch says, per day."""

    days: dict[dt.date, DayStats] = field(default_factory=dict)
    undated: int = 0
    """Lines whose date could not be read (counted as bad, by number unknown)."""


class Tallier:
    """Counts batches for one site, with caches of what costs per distinct value."""

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
        self.caches: dict[str, dict[str, Any]] = {}

    def tally(self, table: pl.DataFrame) -> Tally:
        """Count ``table`` (from ``formats.parse``, lines in log order)."""
        table = table.with_columns(date=self._mapped(table["day"], _parse_day, pl.Date))
        undated = table["date"].null_count()
        table = table.filter(pl.col("date").is_not_null())
        agents = self.agents.table(table["agent"].unique().to_list())
        index = table["agent"].replace_strict(
            agents["agent"], pl.int_range(len(agents), eager=True)
        )
        table = table.with_columns(
            *(agents[name].gather(index) for name in ("browser", "os", "device", "bot", "robot")),
            page=self._mapped(table["request"], self._page),
            site=pl.when(pl.col("host") == "").then(pl.lit(self.site)).otherwise("host"),
        ).with_columns(
            viewed=~pl.col("bot") & (pl.col("page") != "") & pl.col("status").is_in(_OK),
            person=pl.struct("date", "site", "ip", "agent").hash(),
        )
        people = self._people(table)
        views = table.filter("viewed")
        views = views.with_columns(
            key=views["person"].replace_strict(people["person"], people["key"])
        )
        tally = Tally(undated=undated)
        for row in _totals(table).iter_rows(named=True):
            stats = tally.days[row.pop("date")] = DayStats()
            stats.totals.update(row)
        counts = [_by_status_and_robot(table), *self._by_view(views), *self._visits(views)]
        for date, dimension, value, n in pl.concat(counts).iter_rows():
            tally.days[date].counts[dimension, value] += n
        for stats in tally.days.values():
            stats.totals["sessions"] = stats.counts.pop(("visits", ""), 0)
        for (date,), day in people.partition_by("date", as_dict=True).items():
            update = tally.days[date].sketch.update
            for key in day["key"]:
                update(key)
        return tally

    def _mapped(
        self, values: pl.Series, compute: Callable[[str], Any], dtype: Any = pl.String
    ) -> pl.Series:
        """What ``compute`` makes of each of ``values``, computed once per distinct value
        and cached (bounded) across batches."""
        cache = self.caches.setdefault(compute.__name__, {})
        distinct = values.unique()
        if len(cache) + len(distinct) > _CACHE_LIMIT:
            cache.clear()
        results = []
        for value in distinct.to_list():
            result = cache.get(value, cache)
            if result is cache:
                result = cache[value] = compute(value)
            results.append(result)
        return values.replace_strict(distinct, pl.Series(results, dtype=dtype), return_dtype=dtype)

    def _page(self, request: str) -> str:
        return page_of(request, self.campaign)

    def _people(self, table: pl.DataFrame) -> pl.DataFrame:
        """The batch's people (not robots) by ``person`` (a hash of date, site, address
        and agent, no more likely to collide than the keys themselves), each with their
        key under the day's salt."""
        found = table.filter(~pl.col("bot")).select("person", *_PERSON).unique("person")
        parts = []
        for (date,), day in found.partition_by("date", as_dict=True).items():
            salt = self.memory.salt(date)
            rows = day.select("ip", "agent", "site").iter_rows()
            parts.append(day.with_columns(key=pl.Series(keys(salt, rows), dtype=pl.Int64)))
        schema: dict[str, Any] = {**found.schema, "key": pl.Int64}
        return pl.concat(parts) if parts else pl.DataFrame(schema=schema)

    def _by_view(self, views: pl.DataFrame) -> list[pl.DataFrame]:
        """Page views by page, referrer domain, browser, OS, device, hour and country."""
        views = views.with_columns(
            domain=self._mapped(views["referrer"], referrer_domain),
            hour=(pl.col("second") // 3600).cast(pl.String).str.zfill(2),
        )
        columns = {"page": "page", "referrer": "domain", "browser": "browser", "os": "os"}
        columns |= {"device": "device", "hour": "hour"}
        if self.countries is not None:
            views = views.with_columns(country=self._mapped(views["ip"], self.countries.of))
            columns["country"] = "country"
        lazy = views.lazy()
        grouped = [_grouped(lazy, dimension, column) for dimension, column in columns.items()]
        return pl.collect_all(grouped)

    def _visits(self, views: pl.DataFrame) -> list[pl.DataFrame]:
        """Visits, entry pages, moves between pages and time on page, judging each view
        against the same visitor's previous one (in this batch, or remembered from
        earlier ones), in log order."""
        found = []
        for (date,), day in views.partition_by("date", as_dict=True).items():
            day = day.select("key", "line", "page", "second")
            seen = day.join(self.memory.last_views(date), on="key", how="left")
            seen = seen.sort("key", "line").with_columns(
                first=(pl.col("key") != pl.col("key").shift(1)).fill_null(True),
            )
            seen = seen.with_columns(
                before=pl.when("first").then("last_page").otherwise(pl.col("page").shift(1)),
                then=pl.when("first").then("last_second").otherwise(pl.col("second").shift(1)),
            ).with_columns(gap=pl.col("second") - pl.col("then"), date=pl.lit(date))
            found += pl.collect_all(_steps(seen.lazy()))
            lasts = seen.group_by("key").agg(
                last_page=pl.col("page").last(), last_second=pl.col("second").last()
            )
            self.memory.remember(date, lasts)
        return found


def _totals(table: pl.DataFrame) -> pl.DataFrame:
    return table.group_by("date").agg(
        requests=pl.len(),
        bot_requests=pl.col("bot").sum(),
        pageviews=pl.col("viewed").sum(),
        bytes=pl.col("size").sum(),
    )


def _by_status_and_robot(table: pl.DataFrame) -> pl.DataFrame:
    """Requests by status class (``2xx``), and robots' requests by robot family."""
    classes = table.with_columns(status_class=(pl.col("status") // 100).cast(pl.String) + "xx")
    robots = table.filter("bot")
    counted: pl.DataFrame = pl.concat(
        [_grouped(classes, "status", "status_class"), _grouped(robots, "bot", "robot")]
    )
    return counted


def _grouped(table: Frame, dimension: str, column: str) -> Any:
    """``date, dimension, value, n``: the rows of ``table`` counted by ``column``."""
    counted = table.group_by("date", column).agg(n=pl.len())
    return counted.select(
        "date", pl.lit(dimension).alias("dimension"), pl.col(column).alias("value"), "n"
    ).cast({"n": pl.Int64})


def _steps(seen: pl.LazyFrame) -> list[pl.LazyFrame]:
    """Count each view after the visitor's previous one (``before`` at second ``then``):
    a visit starts when there is none or the gap is over ``SESSION_GAP``; otherwise the
    gap is time on the previous page, and a different page is a move."""
    starts = pl.col("then").is_null() | (pl.col("gap") > SESSION_GAP)
    seen = seen.with_columns(start=starts)
    entries = seen.filter("start")
    inside = seen.filter(~pl.col("start"))
    bucket = pl.lit(BUCKETS[-1])
    for bound, label in reversed(TIME_ON_PAGE):
        bucket = pl.when(pl.col("gap") < bound).then(pl.lit(label)).otherwise(bucket)
    inside = inside.with_columns(
        bucket=bucket, move=pl.col("before") + " → " + pl.col("page"), visit=pl.lit("")
    )
    moves = inside.filter(pl.col("page") != pl.col("before"))
    return [
        _grouped(entries.with_columns(visit=pl.lit("")), "visits", "visit"),
        _grouped(entries, "entry", "page"),
        _grouped(inside, "time_on_page", "bucket"),
        _grouped(moves, "transition", "move"),
    ]


def _parse_day(token: str) -> dt.date | None:
    try:
        if token[2:3] == "/":
            month = MONTHS.get(token[3:6])
            return dt.date(int(token[7:11]), month, int(token[:2])) if month else None
        return dt.date.fromisoformat(token)
    except ValueError:
        return None
