"""The sharing benchmark runs (a small size) and agrees with itself."""

from __future__ import annotations

from pathlib import Path

from benchmarks.sharing import bench_escalation


def test_the_escalation_benchmark_finds_exactly_the_overdue(tmp_path: Path) -> None:
    ours, loop, escalated = bench_escalation(tmp_path, 300)
    assert escalated == 300 // 100 + 1 and ours > 0 and loop > 0
