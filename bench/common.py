"""Shared bits for the benchmark scripts: percentiles and cached stores."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

OUT = Path(tempfile.gettempdir()) / "coordtui-bench"


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"n={len(ms)} median={statistics.median(ms):.1f} ms p95={pct(ms, 95):.1f} ms "
        f"max={max(ms):.1f} ms"
    )


def demo_store() -> Path:
    from coordtui.demo import generate_demo

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "demo.db"
    generate_demo(path)
    return path


def seeded_store(patients: int, days: int = 1) -> Path:
    """Seed once per size; reuse the file on later runs (it is deterministic)."""
    from coordtui.demo import seed_store
    from coordtui.store.files import SCHEMA_VERSION, schema_version

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"seed-{patients}-{days}.db"
    marker = path.with_suffix(".done")
    current = path.exists() and marker.exists() and schema_version(path) == SCHEMA_VERSION
    if not current:  # missing, half-built, or made by an older schema: build afresh
        seed_store(path, patients, days)
        marker.write_text("ok")
    return path
