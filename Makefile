# Portcullis: `make` builds the hypervisor for BOARD (default qemu-virt); `make run` boots it
# in QEMU; `make test` runs every test. See README.md.

BOARD ?= qemu-virt
include board/$(BOARD)/board.mk

CROSS ?= aarch64-linux-gnu-
CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
SIZE := $(CROSS)size
HOSTCC ?= gcc
QEMU ?= qemu-system-aarch64
PYTHON ?= /usr/bin/python3

BUILD := build/$(BOARD)
# One short line per compiled file; V=1 prints the whole commands.
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
SYSROOT := build/sysroot-arm64
LIBFDT_A := $(SYSROOT)/usr/lib/aarch64-linux-gnu/libfdt.a
DEPS_STAMP := build/.deps-ok

# Everything in these folders is hypervisor code; drivers are chosen at run time from the
# device tree, so every board builds every driver.
# (docs/architecture.md: each folder one idea, the folders are the layers.)
SRC_DIRS := arch/arm64/ arch/common/ $(sort $(dir $(wildcard core/*/ drivers/*/ iommu/*/)))
SRCS := $(foreach d,$(SRC_DIRS),$(wildcard $(d)*.c $(d)*.S))
OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(SRCS)))

# The cross compiler's own headers (stdbool.h, stdint.h). tools/deps.sh may install that
# compiler during this very run (a fresh machine), so this is asked of it when a recipe first
# needs it, after $(DEPS_STAMP), not when the Makefile is read; then kept.
CC_INCLUDE = $(eval CC_INCLUDE := $$(shell $(CC) -print-file-name=include))$(CC_INCLUDE)

LOG_LEVEL ?= 2
CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -nostdinc -isystem $(CC_INCLUDE) \
	-fpie -fno-plt -fno-common -fstack-protector-strong \
	-fno-tree-loop-distribute-patterns \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -march=armv8-a \
	-I. -Iarch/include -Iarch/arm64/include -Icore/lib/include -I$(SYSROOT)/usr/include -DLOG_LEVEL=$(LOG_LEVEL) \
	-DBOARD_NAME='"$(BOARD)"' -DBOARD_EARLY_UART_BASE=$(BOARD_EARLY_UART_BASE) \
	-DBOARD_EARLY_UART_COMPAT='"$(BOARD_EARLY_UART_COMPAT)\0"' \
	-MMD -MP
ASFLAGS = $(filter-out -std=gnu11,$(CFLAGS)) -D__ASSEMBLER__
LDFLAGS := -nostdlib -Wl,-pie -Wl,--no-dynamic-linker -Wl,-z,norelro -Wl,-z,noexecstack \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,linker/portcullis.ld

.PHONY: all deps run test unit boot-test test-images linux-test clean
all: $(BUILD)/portcullis.bin

deps:
	tools/deps.sh

# Install anything missing before the first build (cheap when all is present).
$(DEPS_STAMP): tools/deps.sh
	tools/deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.S | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(ASFLAGS) -c $< -o $@

$(BUILD)/portcullis.elf: $(OBJS) linker/portcullis.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBFDT_A) -lgcc
	@$(SIZE) $@

$(BUILD)/portcullis.bin: $(BUILD)/portcullis.elf
	$(OBJCOPY) -O binary $< $@

# ---- a bootable image: the hypervisor, a VM config and the guests' images in one file ----
# make image CONFIG=board/qemu-virt/default.dts VM0_KERNEL=... [VM0_INITRD=...] [VM1_...]
#   [CONFIG_DEFS=-DNAME...: more cpp definitions for the config]
# The config is preprocessed with cpp, so it names images as /incbin/(VM0_KERNEL).
IMAGE_NAME ?= default
IMAGE_DIR := $(BUILD)/images/$(IMAGE_NAME)
IMAGE_VARS := $(foreach i,0 1 2 3 4 5 6 7,VM$(i)_KERNEL VM$(i)_INITRD VM$(i)_DTB)
IMAGE_DEFS := $(foreach v,$(IMAGE_VARS),$(if $($(v)),-D$(v)='"$(abspath $($(v)))"'))
IMAGE_OBJS := $(filter-out $(BUILD)/obj/core/vm/vmconfig_blob.o,$(OBJS)) $(IMAGE_DIR)/vmconfig_blob.o

.PHONY: image FORCE
image: $(IMAGE_DIR)/portcullis.bin
	@echo "image: $<"

$(IMAGE_DIR)/vmconfig.dtb: FORCE | $(DEPS_STAMP)
	@test -n "$(CONFIG)" || { echo "make image: set CONFIG=<config .dts>"; exit 1; }
	@mkdir -p $(@D)
	cpp -nostdinc -undef -x assembler-with-cpp -P -I board/$(BOARD) $(IMAGE_DEFS) \
		$(CONFIG_DEFS) $(CONFIG) \
		| dtc -q -I dts -O dtb -o $@ -

$(IMAGE_DIR)/vmconfig_blob.o: core/vm/vmconfig_blob.S $(IMAGE_DIR)/vmconfig.dtb
	$(CC) $(ASFLAGS) -DVMCONFIG_DTB='"$(IMAGE_DIR)/vmconfig.dtb"' -c $< -o $@

$(IMAGE_DIR)/portcullis.elf: $(IMAGE_OBJS) linker/portcullis.ld
	$(CC) $(LDFLAGS) -o $@ $(IMAGE_OBJS) $(LIBFDT_A) -lgcc

$(IMAGE_DIR)/portcullis.bin: $(IMAGE_DIR)/portcullis.elf
	$(OBJCOPY) -O binary $< $@

# ---- Linux guests (tests/linux/guest.sh): Debian's own prebuilt 7.3 and 6.12 kernels with
# their modules in a busybox initramfs; 6.1 built from linux-source-6.1 and guest.config ----
# Kept in $${PORTCULLIS_CACHE:-~/.cache/portcullis}, keyed by the package or the inputs.
LINUX ?= 7.3
LINUX_VERSIONS ?= 7.3 6.12 6.1
.PHONY: linux linux-images
linux: | $(DEPS_STAMP)
	@tests/linux/guest.sh $(LINUX)

# The Linux guests in the board's default config (what `make run` boots), and in each
# config of tests/linux (e.g. passthrough-linux-6.12).
LINUX_CONFIGS ?= board/$(BOARD)/default.dts $(wildcard tests/linux/*.dts)
linux-images: | $(DEPS_STAMP)
	@set -e; for v in $(LINUX_VERSIONS); do \
		set -- $$(tests/linux/guest.sh $$v); \
		echo "linux-images: Linux $$v into $(words $(LINUX_CONFIGS)) image(s)"; \
		for c in $(LINUX_CONFIGS); do \
		$(MAKE) --no-print-directory -s image IMAGE_NAME=$$(basename $$c .dts)-linux-$$v \
			CONFIG=$$c VM0_KERNEL=$$1 VM0_INITRD=$$2 VM1_KERNEL=$$1 VM1_INITRD=$$2; \
		done; done

QEMU_MACHINE_ARGS := -machine $(QEMU_MACHINE) -cpu $(QEMU_CPU) -smp $(QEMU_SMP) -m $(QEMU_MEM)
QEMU_RUN_ARGS = $(QEMU_MACHINE_ARGS) $(QEMU_RUN_DEVICES) \
	$(foreach d,$(RUN_DISKS),-drive if=none,id=$(d),file=build/run/$(d).img,format=raw)
.PHONY: run-image debug
run-image: | $(DEPS_STAMP)
	@$(MAKE) --no-print-directory linux-images LINUX_VERSIONS=$(LINUX) \
		LINUX_CONFIGS=board/$(BOARD)/default.dts
	@mkdir -p build/run
	@for d in $(RUN_DISKS); do [ -f build/run/$$d.img ] || truncate -s 64M build/run/$$d.img; done

run: run-image
	@echo "Starting QEMU: Ctrl-] moves console input between the VMs and the hypervisor"
	@echo "prompt; quit with Ctrl-A then X."
	$(QEMU) $(QEMU_RUN_ARGS) -nographic -nic none \
		-kernel $(BUILD)/images/default-linux-$(LINUX)/portcullis.bin

# make debug: what make run boots, halted at the first instruction under gdb-multiarch with
# the hypervisor's symbols loaded (tools/debug.sh, docs/debugging.md).
debug: run-image
	tools/debug.sh $(BUILD)/images/default-linux-$(LINUX) -- $(QEMU_RUN_ARGS)

# ---- host unit tests (cmocka, with AddressSanitizer and UBSan) ----
UNIT_BUILD := build/unit
# Everything above arch builds on the host, arch/fake standing in for arch/arm64 and
# arch/fake/fake_log.c for core/log; the boot flow (the board's early UART, the linker's
# symbols) is the machine's. Each test takes from the archive what it uses.
UNIT_DIRS := $(filter-out core/log/ core/boot/,$(patsubst arch/arm64/,arch/fake/,$(SRC_DIRS)))
UNIT_SRCS := $(wildcard $(addsuffix *.c,$(UNIT_DIRS)))
# The virtio-iommu's pure request model and replay, without the device and its SMMU backend
# (the fuzzer's build).
VIOMMU_PURE_SRCS := $(filter-out iommu/viommu/viommu_dev.c iommu/viommu/viommu_smmu.c,\
	$(wildcard iommu/viommu/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(UNIT_BUILD)/%,$(wildcard tests/unit/test_*.c))
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. \
	-Iarch/include -Iarch/fake/include \
	-DLIB_HOST_PREFIX -DUNIT_TEST -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -pthread

# The code under test is compiled once into an archive; each test program takes from it
# what it uses (the VM model's test brings doubles of the images, the GIC and the SMMU). (Kept:
# make would otherwise delete the objects as intermediate files after each run. Remade when
# the Makefile changes: make does not remake a kept object that is missing, such as one of
# a source just added to UNIT_SRCS, for an archive newer than its source.)
UNIT_OBJS := $(patsubst %.c,$(UNIT_BUILD)/obj/%.o,$(UNIT_SRCS))
UNIT_LIB := $(UNIT_BUILD)/libunit.a
.SECONDARY: $(UNIT_OBJS)

$(UNIT_LIB): $(UNIT_OBJS) Makefile
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $(UNIT_OBJS)

$(UNIT_BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_BUILD)/%: tests/unit/%.c $(UNIT_LIB) $(wildcard tests/unit/*.h) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(UNIT_LIB) -lcmocka -lfdt

include tests/unit/dtbs.mk
include tests/unit/vmconfig.mk
include tests/unit/boards.mk

unit: $(UNIT_TESTS) $(UNIT_DTBS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; UNIT_DTB_DIR=$(UNIT_DTB_DIR) $$t; done

# ---- QEMU boot tests (pytest) ----
include tests/guest/guest.mk
# Images the boot tests start: the test guest under each config of tests/guest.
TEST_IMAGES := $(basename $(notdir $(wildcard tests/guest/*.dts)))
test-images: $(GUEST_BUILD)/test-guest.bin
	@set -e; for n in $(TEST_IMAGES); do \
		$(MAKE) --no-print-directory image IMAGE_NAME=$$n CONFIG=tests/guest/$$n.dts \
			VM0_KERNEL=$(GUEST_BUILD)/test-guest.bin; done

boot-test: all test-images
	BOARD=$(BOARD) $(PYTHON) -m pytest -v tests/boot

# The livelock issue's two cases (tests/linux/livelock, tests/linux/test_livelock.py): Linux
# 7.3 and 6.12 side by side, and Linux 7.3 beside our test guest's fault flood.
.PHONY: livelock-images
livelock-images: $(GUEST_BUILD)/test-guest.bin | $(DEPS_STAMP)
	@set -e; set -- $$(tests/linux/guest.sh 7.3) $$(tests/linux/guest.sh 6.12); \
	$(MAKE) --no-print-directory -s image IMAGE_NAME=livelock-viommu \
		CONFIG=tests/linux/livelock/viommu.dts \
		VM0_KERNEL=$$1 VM0_INITRD=$$2 VM1_KERNEL=$$3 VM1_INITRD=$$4; \
	$(MAKE) --no-print-directory -s image IMAGE_NAME=livelock-flood \
		CONFIG=tests/linux/livelock/flood.dts \
		VM0_KERNEL=$(GUEST_BUILD)/test-guest.bin VM1_KERNEL=$$1 VM1_INITRD=$$2; \
	$(MAKE) --no-print-directory -s image IMAGE_NAME=livelock-spin \
		CONFIG=tests/linux/livelock/flood.dts CONFIG_DEFS=-DFLOOD_SPIN \
		VM0_KERNEL=$(GUEST_BUILD)/test-guest.bin VM1_KERNEL=$$1 VM1_INITRD=$$2

# The soak (tests/soak/soak.py, not part of make test): a Linux VM checksumming its disks
# beside a guest flooding SMMU faults and one resetting itself, for SOAK_TIME seconds, while
# the livelock issue's two configurations boot again and again beside it.
.PHONY: soak soak-images
SOAK_TIME ?= 600
soak-images: all livelock-images $(GUEST_BUILD)/test-guest.bin | $(DEPS_STAMP)
	@set -e; set -- $$(tests/linux/guest.sh 7.3); \
	$(MAKE) --no-print-directory -s image IMAGE_NAME=soak-linux-7.3 \
		CONFIG=tests/soak/soak.dts VM0_KERNEL=$(GUEST_BUILD)/test-guest.bin \
		VM1_KERNEL=$$1 VM1_INITRD=$$2
soak: soak-images
	BOARD=$(BOARD) SOAK_TIME=$(SOAK_TIME) $(PYTHON) tests/soak/soak.py

# The livelock issue's reproduction (docs/livelock.md): every case, six boots each.
.PHONY: livelock-repro
livelock-repro: all livelock-images
	BOARD=$(BOARD) LIVELOCK_CASES="viommu flood flood-vblk" LIVELOCK_BOOTS=$${LIVELOCK_BOOTS:-6} \
		$(PYTHON) -m pytest -v tests/linux/test_livelock.py

# Linux guests: directly on QEMU, and under Portcullis with the default config.
# -rP: what each passing test printed (figures: the longest exits, the flood's cost).
linux-test: all linux-images livelock-images
	BOARD=$(BOARD) $(PYTHON) -m pytest -v -rP tests/linux

test: unit boot-test linux-test

# ---- real boards (docs/boards.md, docs/uboot.md) ----
# tests/boot/test_uboot.py boots the default config from U-Boot, with the 6.1 guests (the
# smallest image: what it tests is the boot flow).
.PHONY: uboot-image boards-test
boot-test: uboot-image
uboot-image: | $(DEPS_STAMP)
	@$(MAKE) --no-print-directory linux-images LINUX_VERSIONS=6.1 \
		LINUX_CONFIGS=board/$(BOARD)/default.dts

# Only boards with QEMU_* settings in their board.mk run in QEMU; the others build only.
ifeq ($(QEMU_MACHINE),)
ifneq ($(filter run boot-test linux-test uboot-image test,$(MAKECMDGOALS)),)
$(error board $(BOARD) has no QEMU model (no QEMU_MACHINE in board/$(BOARD)/board.mk): \
	it builds only; `make BOARD=$(BOARD)`, `make unit` and `make boards-test` apply)
endif
endif

# Every board must build (part of `make test`).
BUILD_ONLY_BOARDS := fvp-base-revc ti-j721e
boards-test: | $(DEPS_STAMP)
	@set -e; for b in $(BUILD_ONLY_BOARDS); do \
		$(MAKE) --no-print-directory BOARD=$$b all; done
test: boards-test

# ---- fuzzing (libFuzzer: Debian's clang with libclang-rt-14-dev) ----
FUZZ_BUILD := build/fuzz
FUZZ_CC ?= clang
FUZZ_TIME ?= 300
FUZZ_SHORT_TIME ?= 15
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. \
	-Iarch/include -Iarch/fake/include \
	-DLIB_HOST_PREFIX -DUNIT_TEST -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# FUZZ_MAX_LEN: the longest input libFuzzer makes (its default is 4096 bytes, about 400
# requests each). 512 (about 50 requests, as many as a long Linux batch) runs about 20
# times as many inputs a second for nearly the same coverage: the 10^7-execution runs.
FUZZ_MAX_LEN ?=
FUZZ_ARGS := -artifact_prefix=$(FUZZ_BUILD)/ -print_final_stats=1 \
	$(if $(FUZZ_MAX_LEN),-max_len=$(FUZZ_MAX_LEN)) $(FUZZ_BUILD)/corpus-viommu
# ---- make bench (tests/bench, docs/performance.md) ----
# One Linux VM per config, the bench's tools in its initramfs (tests/bench/tools.sh); each
# config once with one vCPU (-icount) and once with two (-smp2: wall-clock figures). The
# kernel is built from source (Debian's lack dma_map_benchmark): 6.12 for make bench; the
# smoke run in make test takes the 6.1 that the Linux tests build anyway.
BENCH_LINUX ?= 6.12-src
BENCH_CONFIGS := $(wildcard tests/bench/*.dts)
.PHONY: bench bench-images bench-test
bench-images: all test-images $(GUEST_BUILD)/test-guest-qemu.bin | $(DEPS_STAMP)
	@$(MAKE) --no-print-directory linux-images LINUX_VERSIONS=$(LINUX) \
		LINUX_CONFIGS=board/$(BOARD)/default.dts
	@set -e; set -- $$(tests/linux/guest.sh $(BENCH_LINUX) $$(tests/bench/tools.sh)); \
	echo "bench-images: Linux $(BENCH_LINUX) into $(words $(BENCH_CONFIGS)) config(s)"; \
	for c in $(BENCH_CONFIGS); do \
		$(MAKE) --no-print-directory -s image \
			IMAGE_NAME=$$(basename $$c .dts)-linux-$(BENCH_LINUX) \
			CONFIG=$$c VM0_KERNEL=$$1 VM0_INITRD=$$2; \
		$(MAKE) --no-print-directory -s image \
			IMAGE_NAME=$$(basename $$c .dts)-smp2-linux-$(BENCH_LINUX) \
			CONFIG=$$c CONFIG_DEFS=-DBENCH_SMP2 VM0_KERNEL=$$1 VM0_INITRD=$$2; \
	done
bench: bench-images
	BENCH_LINUX=$(BENCH_LINUX) $(PYTHON) tests/bench/bench.py
# The smoke variant in make test: the bench runs and its table parses.
bench-test: BENCH_LINUX := 6.1
bench-test: bench-images
	BOARD=$(BOARD) BENCH_LINUX=$(BENCH_LINUX) $(PYTHON) -m pytest -v tests/bench
test: bench-test

.PHONY: fuzz fuzz-short
FUZZ_SRCS := $(VIOMMU_PURE_SRCS) iommu/pgtable/pgtable.c arch/fake/fake.c
$(FUZZ_BUILD)/fuzz_viommu: tests/fuzz/fuzz_viommu.c $(FUZZ_SRCS) \
		$(wildcard iommu/*/*.h tests/unit/test_viommu_hw.h) | $(DEPS_STAMP)
	@mkdir -p $(@D) $(FUZZ_BUILD)/corpus-viommu
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_viommu.c $(FUZZ_SRCS)
# make fuzz [FUZZ_TIME=seconds] [FUZZ_MAX_LEN=bytes]: the corpus grows in
# build/fuzz/corpus-viommu.
fuzz: $(FUZZ_BUILD)/fuzz_viommu
	$< -max_total_time=$(FUZZ_TIME) $(FUZZ_ARGS)
# Inputs that once failed (tests/fuzz/regress/) run first, every time.
fuzz-short: $(FUZZ_BUILD)/fuzz_viommu
	$< tests/fuzz/regress/*
	$< -seed=1 -max_total_time=$(FUZZ_SHORT_TIME) $(FUZZ_ARGS)
test: fuzz-short

# ---- the layer order (docs/layers.txt): no include may point up ----
.PHONY: layers
layers:
	@$(PYTHON) tools/layers.py
test: layers

clean:
	rm -rf build/$(BOARD) build/unit build/guest

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
