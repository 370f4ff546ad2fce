"""gdb helpers for Portcullis (docs/debugging.md), loaded by tools/debug.sh.

Portcullis is linked at address 0 and runs where the loader put it (arch/arm64/head.S
relocates it in place, and its EL2 stage 1 maps it at that same address), so its symbols
belong at the load address. QEMU knows it before the first instruction runs: its monitor's
`info roms` lists the image it loaded and where.

    portcullis-symbols ELF   load ELF's symbols at the address QEMU loaded the image to
"""
import re

import gdb


def load_address(image_name):
    """Where QEMU put the -kernel image whose file name ends with image_name."""
    roms = gdb.execute("monitor info roms", to_string=True)
    for line in roms.splitlines():
        m = re.search(r"addr=([0-9a-fA-F]+)\s.*name=\"?([^\"\s]+)", line)
        if m and m.group(2).endswith(image_name):
            return int(m.group(1), 16)
    raise gdb.GdbError(f"QEMU's `info roms` lists no {image_name}:\n{roms}")


class PortcullisSymbols(gdb.Command):
    """portcullis-symbols ELF: load the hypervisor's symbols where QEMU loaded its image
    (the .bin beside ELF)."""

    def __init__(self):
        super().__init__("portcullis-symbols", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        elf = arg.strip()
        if not elf.endswith(".elf"):
            raise gdb.GdbError("usage: portcullis-symbols path/to/portcullis.elf")
        base = load_address(elf[:-len(".elf")].rsplit("/", 1)[-1] + ".bin")
        gdb.execute(f"symbol-file -o {base:#x} {elf}", to_string=True)
        print(f"portcullis: symbols of {elf} at {base:#x} (the image's load address)")


PortcullisSymbols()
