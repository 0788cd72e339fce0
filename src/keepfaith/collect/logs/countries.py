"""The visitor's country, from a GeoIP database the deployment provides (optional).

Only the two-letter country code of a page view is counted, never the address it came
from: the address is looked up in memory while its batch is counted (once per distinct
address), as everything else about it. The database is any MaxMind DB file with a
``country.iso_code`` (GeoLite2 or GeoIP2 Country or City, DB-IP's lite databases), read
with MaxMind's own reader.
"""

from __future__ import annotations

from pathlib import Path

import maxminddb

from keepfaith.exceptions import ConfigurationError

UNKNOWN = "(unknown)"
"""Counted for an address the database does not place, or one that is not an address."""

_CACHE_LIMIT = 200_000


class Countries:
    """Country codes of addresses, with a bounded cache (visitors come back)."""

    def __init__(self, database: Path | str) -> None:
        try:
            self.reader = maxminddb.open_database(str(database))
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
            raise ConfigurationError(
                f"cannot read the GeoIP database {database}: {error}"
            ) from None
        self.cache: dict[str, str] = {}

    def of(self, address: str) -> str:
        """The ISO 3166 code for ``address`` (``NL``), or ``(unknown)``."""
        found = self.cache.get(address)
        if found is None:
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            found = self.cache[address] = self._look_up(address)
        return found

    def _look_up(self, address: str) -> str:
        try:
            record = self.reader.get(address)
        except ValueError:
            return UNKNOWN
        country = record.get("country") if isinstance(record, dict) else None
        code = country.get("iso_code") if isinstance(country, dict) else None
        return code if isinstance(code, str) else UNKNOWN
