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
METRICS = ["map4k", "unmap4k", "map64k", "unmap64k", "map1m", "unmap1m", "seq", "rand",
           "map4k_wall", "unmap4k_wall", "map4k_mt", "unmap4k_mt", "nvme_seq", "nvme_rand",
           "nvme_msi_s"]
WALL_METRICS = ["seq", "rand", "map4k_wall", "unmap4k_wall", "map4k_mt", "unmap4k_mt",
                "nvme_seq", "nvme_rand", "nvme_msi_s"]


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
        # nvme on MSI-X in both (issue 16): it read, and its MSIs were counted.
        assert float(row["nvme_seq"]) > 0 and float(row["nvme_msi_s"]) > 0, row
        assert row["intx_storm"] == "0", row
        # Each wall-clock figure comes with its runs' min and max around it.
        for m in WALL_METRICS:
            assert float(row[f"{m}_min"]) <= float(row[m]) <= float(row[f"{m}_max"]), (m, row)
    # The hypervisor's own counters came back from the prompt: linux0's DMA went through it.
    p = rows["P-viommu"]
    assert int(p["maps"]) > 0 and int(p["unmaps"]) > 0
    # Its split of the work came from the PMU counter it keeps at EL2, which QEMU's -icount
    # makes count instructions; every part of a MAP's and an UNMAP's path cost some.
    assert p["el2_unit"] == "EL2 instructions", p
    for part in ("map_validate", "map_table", "unmap_validate", "unmap_table", "unmap_tlbi",
                 "sync", "trap", "handler"):
        assert int(p[f"el2_{part}"]) > 0, (part, p)
    text = (OUT / "results.md").read_text()
    assert "| ratio to Q-none |" in text and "| P-viommu |" in text, text
