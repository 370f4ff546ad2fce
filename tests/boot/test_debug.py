"""`make debug` (tools/debug.sh, docs/debugging.md): QEMU halted at the first instruction,
gdb-multiarch attached with the hypervisor's symbols at the image's load address. Driven in
batch mode with docs/debugging.md's worked example: break in boot_main, then on the first
virtio-iommu MAP our test guest sends, and print the request and the VM's state there."""
import re
import socket
import subprocess

from qemu import ROOT, image_path, machine_args
from test_dma import edu

DEBUG = ROOT / "tools" / "debug.sh"
EXAMPLE = """\
break boot_main
continue
print/x load_addr
break viommu_prepare if in[0] == 3
continue
print/x *(struct virtio_iommu_req_map *)in
print vms[0].cfg->name
print vms[0].state
bt
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gdb_breaks_in_boot_main_and_on_a_virtio_iommu_map(tmp_path):
    script = tmp_path / "example.gdb"
    script.write_text(EXAMPLE)
    image_dir = image_path("viommu").parent
    done = subprocess.run(
        [str(DEBUG), str(image_dir), "--", *machine_args(), *edu("2.0"), *edu("3.0")],
        env={"PATH": "/usr/bin:/bin", "GDB_PORT": str(free_port()), "GDB_BATCH": str(script),
             "DEBUG_CONSOLE": str(tmp_path / "console.log")},
        text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = done.stdout
    print(out)
    assert done.returncode == 0, out
    # Symbols at the load address QEMU reported, the same the hypervisor was handed in x1.
    base = re.search(r"portcullis: symbols of \S+ at (0x[0-9a-f]+)", out).group(1)
    assert re.search(r"Breakpoint 1, boot_main \(dtb_addr=\d+, load_addr=\d+\)", out), out
    assert re.search(rf"^\$1 = {base}$", out, re.M), out
    # The guest's first MAP, decoded: a MAP request (head.type 3) of the VM "viommu".
    assert re.search(r"Breakpoint 2, .*viommu_prepare", out), out
    assert re.search(r"\$2 = \{head = \{type = 0x3,", out), out
    assert re.search(r'^\$3 = "viommu\\000', out, re.M), out
    assert re.search(r"^\$4 = VM_RUNNING", out, re.M), out
    # And the console shows the hypervisor was really running up to there.
    assert "Portcullis hypervisor" in (tmp_path / "console.log").read_text()
