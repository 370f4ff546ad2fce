import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from qemu import Qemu, image_path  # noqa: E402


def pytest_sessionstart(session):
    if not image_path().exists():
        raise pytest.UsageError(f"{image_path()} missing: run `make` first (make test does)")


@pytest.fixture
def qemu():
    """Factory: qemu(args, extra) starts a QEMU; every one is killed when the test ends."""
    started = []

    def start(args, extra=(), image=None):
        q = Qemu(args, extra, image)
        started.append(q)
        return q

    yield start
    for q in started:
        q.kill()


@pytest.fixture
def dtc(tmp_path):
    """dtc(dtb_in, edit) -> path of a DTB rebuilt after edit(dts_text) -> dts_text."""
    def rebuild(dtb, edit, name="edited.dtb"):
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(dtb)],
                             check=True, capture_output=True, text=True).stdout
        out = tmp_path / name
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(out)],
                       input=edit(dts), check=True, text=True)
        return out
    return rebuild
