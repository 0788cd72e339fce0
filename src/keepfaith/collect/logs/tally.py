"""Count a batch of parsed lines into per-day statistics, as group-bys over columns.

What costs per distinct value (classifying a user agent, reducing a request to its page,
placing an address in a country, hashing a visitor) runs once per distinct value of the
batch, in Python, and is joined back; everything per line is polars. Lines are counted
by the values they hold as written (a status, an agent's number, a referrer, an hour),
one group-by each, run together; the reduced value (a status class, a browser, a
referring domain) is then found once per group, never per line. Addresses and user
agents leave only as salted visitor keys, which go into the day's sketch and the day's
open visits in memory, and as the reduced fields the statistics keep (browser family,
OS, device class, country).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
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
        """Count ``table`` (from ``formats.parse``, lines in log order).

        Lines are grouped by what they hold as written (a status, an agent, a
        referrer, an hour), one group-by each, all run together; what a value comes
        down to (a status class, a browser, a referring domain) is then looked up once
        per group, not per line."""
        table = table.with_columns(date=self._mapped(table["day"], _parse_day, pl.Date))
        undated = table["date"].null_count()
        table = table.filter(pl.col("date").is_not_null())
        agents = self.agents.table(table["agent"].unique().to_list())
        codes = pl.int_range(len(agents), dtype=pl.UInt32, eager=True)
        index = table["agent"].replace_strict(agents["agent"], codes, return_dtype=pl.UInt32)
        table = table.with_columns(
            code=index,
            bot=agents["bot"].gather(index),
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
        lazy, seen = table.lazy(), views.lazy()
        grouped = [
            lazy.group_by("date", "status").agg(
                requests=pl.len(),
                bot_requests=pl.col("bot").sum(),
                pageviews=pl.col("viewed").sum(),
                bytes=pl.col("size").sum(),
            ),
            lazy.filter("bot").group_by("date", "code").len(),
            seen.group_by("date", "code").len(),
            seen.group_by("date", "referrer").len(),
            seen.group_by("date", hour=pl.col("second") // 3600).len(),
            _grouped(seen, "page", "page"),
        ]
        if self.countries is not None:
            countries = views.select(
                "date", country=self._mapped(views["ip"], self.countries.of)
            ).lazy()
            grouped.append(_grouped(countries, "country", "country"))
        statuses, robots, by_agent, referrers, hours, *rest = pl.collect_all(grouped)
        tally = Tally(undated=undated)
        for date, status, requests, bots, pageviews, size in statuses.iter_rows():
            stats = tally.days.get(date)
            if stats is None:
                stats = tally.days[date] = DayStats()
            stats.totals.update(
                requests=requests, bot_requests=bots, pageviews=pageviews, bytes=size
            )
            stats.counts["status", f"{status // 100}xx"] += requests
        about = agents.select("browser", "os", "device", "robot").rows()
        for date, code, n in robots.iter_rows():
            tally.days[date].counts["bot", about[code][3]] += n
        for date, code, n in by_agent.iter_rows():
            counts = tally.days[date].counts
            browser, os, device, _ = about[code]
            counts["browser", browser] += n
            counts["os", os] += n
            counts["device", device] += n
        domains = self._mapped(referrers["referrer"], referrer_domain)
        for (date, _, n), domain in zip(referrers.iter_rows(), domains, strict=True):
            tally.days[date].counts["referrer", domain] += n
        for date, hour, n in hours.iter_rows():
            tally.days[date].counts["hour", f"{hour:02d}"] += n
        self._visits(views, tally)
        for date, dimension, value, n in pl.concat(rest).iter_rows():
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
        found = (
            table.filter(~pl.col("bot"))
            .unique("person")
            .select(
                "person",
                "date",
                person_bytes=pl.concat_str("ip", "agent", "site", separator="\0").cast(pl.Binary),
            )
        )
        parts = []
        for (date,), day in found.partition_by("date", as_dict=True).items():
            found_keys = keys(self.memory.salt(date), day["person_bytes"].to_list())
            parts.append(day.select("person", "date", key=pl.Series(found_keys, dtype=pl.Int64)))
        schema: dict[str, Any] = {"person": pl.UInt64, "date": pl.Date, "key": pl.Int64}
        return pl.concat(parts) if parts else pl.DataFrame(schema=schema)

    def _visits(self, views: pl.DataFrame, tally: Tally) -> None:
        """Visits, entry pages, moves between pages and time on page, judging each view
        against the same visitor's previous one (in this batch, or remembered from
        earlier ones), in log order: a stable sort by visitor keeps each visitor's views
        in log order, and each view's previous one is the row above (or, for the first,
        the remembered one)."""
        for (date,), day in views.partition_by("date", as_dict=True).items():
            self._visit_day(date, day, tally.days[date].counts)

    def _visit_day(self, date: dt.date, day: pl.DataFrame, counts: Counter[Any]) -> None:
        """``_visits`` of one day."""
        ordered = day.lazy().select("key", "page", "second").sort("key", maintain_order=True)
        key = pl.col("key")
        seen = (
            ordered.with_columns(
                first=(key != key.shift(1)).fill_null(True),
                last=(key != key.shift(-1)).fill_null(True),
            )
            .join(self.memory.last_views(date).lazy(), on="key", how="left", maintain_order="left")
            .with_columns(
                before=pl.when("first").then("last_page").otherwise(pl.col("page").shift(1)),
                then=pl.when("first").then("last_second").otherwise(pl.col("second").shift(1)),
            )
            .with_columns(gap=pl.col("second") - pl.col("then"))
            .with_columns(start=pl.col("then").is_null() | (pl.col("gap") > SESSION_GAP))
            .collect()
            .lazy()
        )
        inside = seen.filter(~pl.col("start"))
        bucket = pl.sum_horizontal(
            [(pl.col("gap") >= bound).cast(pl.UInt8) for bound, _ in TIME_ON_PAGE]
        )
        entries, buckets, moves, lasts = pl.collect_all(
            [
                seen.filter("start").group_by("page").len(),
                inside.group_by(bucket=bucket).len(),
                inside.filter(pl.col("page") != pl.col("before")).group_by("before", "page").len(),
                seen.filter("last").select("key", last_page="page", last_second="second"),
            ]
        )
        for page, n in entries.iter_rows():
            counts["entry", page] += n
            counts["visits", ""] += n
        for index, n in buckets.iter_rows():
            counts["time_on_page", BUCKETS[index]] += n
        for before, page, n in moves.iter_rows():
            counts["transition", f"{before} → {page}"] += n
        self.memory.remember(date, lasts)


def _grouped(table: Frame, dimension: str, column: str) -> Any:
    """``date, dimension, value, n``: the rows of ``table`` counted by ``column``."""
    counted = table.group_by("date", column).agg(n=pl.len())
    return counted.select(
        "date", pl.lit(dimension).alias("dimension"), pl.col(column).alias("value"), "n"
    ).cast({"n": pl.Int64})


def _parse_day(token: str) -> dt.date | None:
    try:
        if token[2:3] == "/":
            month = MONTHS.get(token[3:6])
            return dt.date(int(token[7:11]), month, int(token[:2])) if month else None
        return dt.date.fromisoformat(token)
    except ValueError:
        return None
