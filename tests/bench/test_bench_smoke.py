"""`make bench` in brief, in make test: bench.py --smoke runs two configurations (Q-none and
P-viommu) through every workload and writes its table; this checks that it ran and that
what it wrote parses (every figure a number, the ratio table present), not how fast
anything is."""
import csv
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "build" / "bench"
METRICS = ["map4k", "unmap4k", "map64k", "unmap64k", "seq", "rand"]


def test_bench_smoke_runs_and_parses():
    done = subprocess.run([sys.executable, str(HERE / "bench.py"), "--smoke"], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    assert done.returncode == 0, done.stdout
    rows = {r["configuration"]: r for r in csv.DictReader(open(OUT / "results.csv"))}
    assert set(rows) == {"Q-none", "P-viommu"}, rows
    for name, row in rows.items():
        for m in METRICS:
            float(row[m])  # a number, whatever its value
        assert float(row["seq"]) > 0 and float(row["rand"]) > 0, row
    # The hypervisor's own counters came back from the prompt: linux0's DMA went through it.
    assert int(rows["P-viommu"]["maps"]) > 0 and int(rows["P-viommu"]["unmaps"]) > 0
    text = (OUT / "results.md").read_text()
    assert "| ratio to Q-none |" in text and "| P-viommu |" in text, text
