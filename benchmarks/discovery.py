"""Benchmark of discovery: keepfaith's scanner against Presidio on pagila and chinook.

    python -m benchmarks.discovery               # 20 timed runs of each
    python -m benchmarks.discovery --runs 3      # a smoke run

(as a module from the repository's root: it reads the labels of ``tests/connectors``, and
``benchmarks/http.py`` would shadow the standard library's ``http`` for a script run).

pagila is loaded into a fresh PostgreSQL database (psql), chinook copied to a temporary
SQLite file, both read in place from ``../shared/data/databases``. Then, in one run:

- keepfaith: ``keepfaith.connectors.scan`` of every column of both databases (reflection,
  sampling 50 rows a table, validators, the proposed map), timed three ways: warm, over a
  pooled connection as the admin console's process scans (``--runs`` scans after two
  untimed ones; the ratios use these); with a new connection per scan; and cold, the first
  scan of the process, which also loads the validators' name, postal-code and country
  lists. Its F1 against the hand labels of ``tests/connectors/labels.py``;
- Presidio (presidio-analyzer) on the same sampled values: no spaCy model can be
  downloaded here, so it runs on a blank English pipeline and only its pattern
  recognizers work (email, phone, card, IBAN, IP, URL, US ids; no names or places).
  It runs two ways, each value analysed alone (``AnalyzerEngine.analyze``) and each
  column's values as one batch (``BatchAnalyzerEngine``), and the faster (by its median)
  is compared (the fairest peer). A column gets the entity most of its values show,
  mapped to a fideslang key (``ENTITIES``); ``DATE_TIME`` maps to nothing, which only
  helps it. Only its analysis is timed, not the sampling.

The warm scans and Presidio's analyses are **interleaved** so that both see the same load
on the shared machine: ``--runs // 2`` rounds of (keepfaith scan, Presidio value by value,
keepfaith scan, Presidio in batches). Two ratios are printed: the ratio of the medians
(Presidio's faster way over all of keepfaith's scans) and the median of the per-pair
ratios (each Presidio analysis over the keepfaith scan right before it; for both
databases, the sums of a round's pairs), which a change of load between pairs cannot
move.

Both F1 are over (column, category) pairs, every column of both databases counted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from keepfaith.connectors import scan, validators
from keepfaith.connectors.reflect import open_database, reflect
from keepfaith.connectors.sample import sample_all
from keepfaith.connectors.scan import to_sample
from tests.connectors import databases, labels
from tests.connectors.score import Score, proposed, score

SAMPLE = 50
WARM_UP = 2
"""Untimed keepfaith scans over a fresh engine before the timed ones."""
ENTITIES = {
    "EMAIL_ADDRESS": "user.contact.email",
    "PHONE_NUMBER": "user.contact.phone_number",
    "CREDIT_CARD": "user.financial.credit_card",
    "IBAN_CODE": "user.financial.bank_account",
    "US_BANK_NUMBER": "user.financial.bank_account",
    "IP_ADDRESS": "user.device.ip_address",
    "URL": "user.contact.url",
    "US_SSN": "user.government_id.national_identification_number",
    "US_ITIN": "user.government_id.national_identification_number",
    "US_PASSPORT": "user.government_id.passport_number",
    "US_DRIVER_LICENSE": "user.government_id.drivers_license_number",
    "PERSON": "user.name",
    "LOCATION": "user.contact.address",
}
"""Presidio's entities as fideslang keys (PERSON and LOCATION need NER, absent here)."""


def presidio() -> Any:
    """Presidio's analyzer on a blank spaCy pipeline, with no network use."""
    import spacy
    import tldextract.tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # The email recognizer asks tldextract, which would fetch the public-suffix list;
    # its bundled snapshot is enough.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    path = Path(tempfile.mkdtemp()) / "blank_en"
    spacy.blank("en").to_disk(path)
    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(path)}])
    nlp.load()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    analyzer.analyze(text="warm up ann@example.com", language="en")
    return analyzer


def samples(url: str) -> dict[tuple[str, str], list[str]]:
    """The values keepfaith's scanner samples, per text column (kept in this process)."""
    engine = open_database(url)
    found: dict[tuple[str, str], list[str]] = {}
    with engine.connect() as connection:
        schema = reflect(connection)
        wanted = [(table, to_sample(table)) for table in schema.tables.values()]
        sampled = sample_all(connection, wanted, SAMPLE, max_chars=validators.MAX_CHARS)
    engine.dispose()
    for table, columns in sampled.items():
        for name, values in columns.items():
            found[(table, name)] = [str(v) for v in values]
    return found


def classify_time(url: str, values: dict[tuple[str, str], list[str]]) -> float:
    """keepfaith's validators and proposal alone over the same sampled values."""
    from keepfaith.connectors.scan import propose, weigh_sample

    engine = open_database(url)
    schema = reflect(engine)
    engine.dispose()
    started = time.perf_counter()
    evidence: dict[str, dict[str, Any]] = {name: {} for name in schema.tables}
    for (table, column), texts in values.items():
        info = schema.tables[table].column(column)
        evidence[table][column] = weigh_sample(info, list(texts))  # type: ignore[arg-type]
    propose(schema, evidence, "bench")
    return time.perf_counter() - started


def presidio_map(
    analyzer: Any, values: dict[tuple[str, str], list[str]], *, batch: bool
) -> tuple[dict[tuple[str, str], frozenset[str]], float]:
    """Presidio's proposal for every column and the time its analysis took: each value
    analysed alone (``AnalyzerEngine.analyze``), or a column's values as one batch
    through ``BatchAnalyzerEngine`` (spaCy's ``nlp.pipe``)."""
    from presidio_analyzer import BatchAnalyzerEngine

    batcher = BatchAnalyzerEngine(analyzer)
    started = time.perf_counter()
    found: dict[tuple[str, str], frozenset[str]] = {}
    for column, texts in values.items():
        if batch:
            analysed = batcher.analyze_iterator(texts, language="en", batch_size=max(1, len(texts)))
        else:
            analysed = [analyzer.analyze(text=text, language="en") for text in texts]
        votes: Counter[str] = Counter()
        for results in analysed:
            if results:
                votes[max(results, key=lambda r: r.score).entity_type] += 1
        if votes:
            entity, count = votes.most_common(1)[0]
            if count * 2 >= len(texts) and entity in ENTITIES:
                found[column] = frozenset({ENTITIES[entity]})
    return found, time.perf_counter() - started


def interleaved(
    engine: Any, analyzer: Any, values: dict[tuple[str, str], list[str]], rounds: int
) -> tuple[dict[tuple[str, str], frozenset[str]], Any, dict[str, list[tuple[float, float]]]]:
    """keepfaith's warm scans and Presidio's analyses taken in turn, so that both are
    measured under the same load: each round is a keepfaith scan, Presidio value by
    value, a keepfaith scan, Presidio through ``BatchAnalyzerEngine``. Gives Presidio's
    map, keepfaith's last result and, per way, the (keepfaith s, Presidio s) pairs."""
    pairs: dict[str, list[tuple[float, float]]] = {"analyze": [], "batch": []}
    maps = {}
    result = None
    for _ in range(rounds):
        for way, batch in (("analyze", False), ("batch", True)):
            result = scan(engine, "bench", sample_size=SAMPLE)
            maps[way], seconds = presidio_map(analyzer, values, batch=batch)
            pairs[way].append((result.seconds, seconds))
    assert maps["analyze"] == maps["batch"], "both ways find the same"
    return maps["analyze"], result, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=20, help="timed keepfaith scans of each database (even)"
    )
    rounds = max(1, parser.parse_args().runs // 2)
    with ExitStack() as stack:
        pagila = stack.enter_context(databases.pagila())
        chinook = stack.enter_context(databases.chinook_sqlite(Path(tempfile.mkdtemp())))
        targets = [
            ("pagila (PostgreSQL)", pagila, labels.PAGILA),
            ("chinook (SQLite)", chinook, labels.CHINOOK),
        ]
        cold_started = time.perf_counter()
        for _, url, _ in targets:
            scan(url, "cold", sample_size=SAMPLE)
        cold = time.perf_counter() - cold_started
        analyzer = presidio()
        rows = []
        ours_all: list[Score] = []
        theirs_all: list[Score] = []
        fresh_total = classify_total = 0.0
        presidio_ways: dict[str, float] = {}
        chosen: list[list[tuple[float, float]]] = []
        for name, url, truth in targets:
            sampled = samples(url)
            engine = open_database(url)
            for _ in range(WARM_UP):
                scan(engine, "warm-up", sample_size=SAMPLE)
            found, result, pairs = interleaved(engine, analyzer, sampled, rounds)
            engine.dispose()
            fresh_total += statistics.median(
                scan(url, "bench", sample_size=SAMPLE).seconds for _ in range(max(3, rounds // 2))
            )
            ours = score(proposed(result.map), truth)
            medians = {way: statistics.median(p for _, p in runs) for way, runs in pairs.items()}
            for way, seconds in medians.items():
                presidio_ways[way] = presidio_ways.get(way, 0.0) + seconds
            best = min(medians, key=lambda way: medians[way])
            chosen.append(pairs[best])
            classify_total += statistics.median(
                classify_time(url, sampled) for _ in range(2 * rounds)
            )
            theirs = score(found, truth)
            columns = sum(len(c) for c in truth.values())
            ours_time = statistics.median(k for runs in pairs.values() for k, _ in runs)
            pair_ratio = statistics.median(p / k for k, p in pairs[best])
            ours_all.append(ours)
            theirs_all.append(theirs)
            rows.append((name, columns, ours_time, ours.f1, medians[best], theirs.f1, pair_ratio))
    both = [sum(p for _, p in pair) / sum(k for k, _ in pair) for pair in zip(*chosen, strict=True)]
    rows.append(
        (
            "both",
            sum(r[1] for r in rows),
            sum(r[2] for r in rows),
            _pooled(ours_all),
            sum(r[4] for r in rows),
            _pooled(theirs_all),
            statistics.median(both),
        )
    )
    print(
        f"{'database':<22}{'columns':>8}{'keepfaith s':>13}{'F1':>7}"
        f"{'Presidio s':>12}{'F1':>7}{'ratio':>8}{'pair ratio':>12}"
    )
    for name, columns, ours_time, ours_f1, theirs_time, theirs_f1, pair_ratio in rows:
        print(
            f"{name:<22}{columns:>8}{ours_time:>13.3f}{ours_f1:>7.3f}"
            f"{theirs_time:>12.3f}{theirs_f1:>7.3f}{theirs_time / ours_time:>7.0f}x"
            f"{pair_ratio:>11.0f}x"
        )
    theirs_total = rows[-1][4]
    print(
        f"ratio: the median of Presidio's times over the median of keepfaith's; pair ratio: "
        f"the median of the {rounds} per-pair ratios (a keepfaith scan and the Presidio "
        f"analysis right after it; for both, the pair's sums)"
    )
    print(f"keepfaith, a new connection per scan (median): {fresh_total:.3f} s for both")
    print(
        f"keepfaith's validators and proposal alone on the same sampled values: "
        f"{classify_total:.4f} s for both, {theirs_total / classify_total:.0f}x Presidio's time"
    )
    print(f"keepfaith cold (first scan of both in a fresh process): {cold:.3f} s")
    print(
        f"Presidio, both databases: {presidio_ways['analyze']:.3f} s value by value, "
        f"{presidio_ways['batch']:.3f} s through BatchAnalyzerEngine (medians of "
        f"{rounds}, interleaved with {2 * rounds} keepfaith scans; the faster per database "
        f"is the one compared)"
    )
    print(
        "Presidio: blank spaCy pipeline, pattern recognizers only (no model can be downloaded here)"
    )


def _pooled(scores: list[Score]) -> float:
    return score_of(
        sum(s.true_positives for s in scores),
        sum(s.false_positives for s in scores),
        sum(s.false_negatives for s in scores),
    )


def score_of(tp: int, fp: int, fn: int) -> float:
    return Score(tp, fp, fn, ()).f1


if __name__ == "__main__":
    main()
