"""Device-tree shapes of real boards, at run time on QEMU (issue: real boards; docs/porting.md).

QEMU's tree wires its PL011 straight to the GIC. Arm's FVP and Versatile Express put the
console behind an interrupt-map nexus (tests/unit/test_boards.c checks discovery on the FVP's
own tree); here QEMU's tree is edited that way, and typing on the console proves that the
interrupt discovery found through the nexus is the one the UART raises.
"""
import re

from qemu import dump_dtb, focus_next, machine_args

READY = r"Portcullis ready: (\d+) CPUs online"

# The PL011 at 0x09000000 described again, as the FVP's v2m_serial0 is: behind a bus whose
# interrupt-map sends its <5> to GIC_SPI 1 (INTID 33, the PL011's wire on QEMU virt).
NEXUS = """
	motherboard@9000000 {
		compatible = "simple-bus";
		#address-cells = <2>;
		#size-cells = <1>;
		ranges = <0 0 0x0 0x9000000 0x100000>;
		#interrupt-cells = <1>;
		interrupt-map-mask = <0 0 63>;
		interrupt-map = <0 0 5 GIC 0 0 0 1 4>;

		serial@0 {
			compatible = "arm,pl011", "arm,primecell";
			reg = <0 0 0x1000>;
			interrupts = <5>;
			clocks = <CLK CLK>;
			clock-names = "uartclk", "apb_pclk";
		};
	};
"""


def behind_nexus(dts):
    gic = re.search(r"intc@8000000 \{\s*phandle = <(0x[0-9a-f]+)>", dts).group(1)
    clk = re.search(r"pl011@9000000 \{.*?clocks = <(0x[0-9a-f]+) ", dts, re.S).group(1)
    node = NEXUS.replace("GIC", f"{gic}").replace("CLK", clk)
    # the old node goes, the new one is the console
    dts, n = re.subn(r"\tpl011@9000000 \{.*?\n\t\};\n", "", dts, count=1, flags=re.S)
    assert n == 1 and 'stdout-path = "/pl011@9000000"' in dts and "\tchosen {" in dts
    dts = dts.replace('stdout-path = "/pl011@9000000"',
                      'stdout-path = "/motherboard@9000000/serial@0"')
    return dts.replace("\tchosen {", node + "\n\tchosen {", 1)


def test_console_interrupt_through_interrupt_map(qemu, dtc, tmp_path):
    """The two test-guest VMs of tests/guest/two-vms.dts; input moves between them."""
    dtb = dtc(dump_dtb(tmp_path / "virt.dtb"), behind_nexus, "nexus.dtb")
    q = qemu(machine_args(), ["-dtb", str(dtb)], image="two-vms")
    q.wait_for(READY)
    assert "UART      arm,pl011 at 9000000" in q.output
    assert "no input" not in q.output and "WARN: device tree" not in q.output, q.output
    q.wait_for(r"^vm '\S+': ")
    focus_next(q)
    assert "ERROR" not in q.output
