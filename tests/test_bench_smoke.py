"""The benchmark runner still works: ``bench/run.py --smoke`` at 200 papers, one run each.

Benchmarks are not timed tests; this only checks that the code that produces
``BENCHMARKS.md`` runs end to end (no pubs, fzf or TUI) and writes its report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runner_smoke(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--quiet",
         "--work", str(tmp_path / "work"), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = out.read_text(encoding="utf-8")
    for heading in ("## Machine", "## Reproduce", "## Targets", "## Headless commands, whole process",
                    "## In process"):
        assert heading in report
    assert "bench/run.py --smoke" in report
    results = json.loads((tmp_path / "work" / "results.json").read_text())
    size = results["sizes"]["200"]
    for command in ("import", "list", "list, index cache emptied", "list --json (every paper)",
                    "tag add", "note", "export", "export --format json",
                    "export --format markdown"):
        assert size[command]["error"] is None, (command, size[command]["error"])
        assert size[command]["median_s"] > 0
    assert results["search"]["queries"] and results["toggle"]["p95_ms"] > 0
