"""Passive collection: web-server logs in, anonymous visit statistics out.

Addresses and user agents are read only while a day's logs are processed: what is kept
per tenant and day are counts (pages without their query strings, referrer domains,
browser families, systems, device classes, status classes, hours, page sequences and
time on page) and a sketch of salted visitor keys whose salt is never stored.

    from keepfaith.collect.logs import ingest, report
    ingest(ledger, "acme", ["access.log.gz"])
    with ledger.transaction() as tx:
        print(report(tx, "acme", days=7).visitors)
"""

from keepfaith.collect.logs.export import export
from keepfaith.collect.logs.ingest import IngestResult, ingest
from keepfaith.collect.logs.partial import Partial, merge, read_partial
from keepfaith.collect.logs.report import Day, Report, counts, report
from keepfaith.collect.logs.retention import (
    apply_retention,
    campaign_parameters,
    prune,
    retention_days,
)
from keepfaith.collect.logs.visitors import Memory

__all__ = [
    "Day",
    "IngestResult",
    "Memory",
    "Partial",
    "Report",
    "apply_retention",
    "campaign_parameters",
    "counts",
    "export",
    "ingest",
    "merge",
    "prune",
    "read_partial",
    "report",
    "retention_days",
]
