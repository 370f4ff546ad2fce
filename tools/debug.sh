#!/usr/bin/env bash
# `make debug`: Portcullis in QEMU, halted at its first instruction with the gdbstub on a
# loopback port, and gdb-multiarch attached with the hypervisor's symbols at the address the
# image was loaded to (tools/gdb/portcullis.py). docs/debugging.md has a worked example.
#
# Usage: tools/debug.sh IMAGE_DIR [-- QEMU_ARGS...]
#   IMAGE_DIR holds portcullis.bin and portcullis.elf (build/<board>/images/<name>, or
#   build/<board> for the hypervisor alone).
# Environment:
#   GDB_PORT      the gdbstub's port on 127.0.0.1 (default 1234)
#   GDB_BATCH     a file of gdb commands: run gdb -batch with it instead of interactively
#   DEBUG_CONSOLE where the serial console goes (default IMAGE_DIR/console.log)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:?usage: $0 IMAGE_DIR [-- QEMU_ARGS...]}
shift
[ "${1:-}" != -- ] || shift
BIN=$DIR/portcullis.bin ELF=$DIR/portcullis.elf
[ -f "$BIN" ] && [ -f "$ELF" ] || { echo "debug.sh: no $BIN and $ELF: build them first" >&2; exit 1; }
PORT=${GDB_PORT:-1234}
CONSOLE=${DEBUG_CONSOLE:-$DIR/console.log}
QEMU=${QEMU:-qemu-system-aarch64}

# -S: halted before the first instruction. The gdbstub listens on loopback only.
"$QEMU" "$@" -display none -nic none -monitor none -serial "file:$CONSOLE" \
  -kernel "$BIN" -gdb "tcp:127.0.0.1:$PORT" -S &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
echo "debug.sh: QEMU halted at the first instruction, gdbstub on 127.0.0.1:$PORT;" \
  "console in $CONSOLE (tail -f it)" >&2

gdb_args=(-q -ex "set confirm off" -ex "set pagination off"
  -x "$ROOT/tools/gdb/portcullis.py"
  -ex "target remote 127.0.0.1:$PORT" -ex "portcullis-symbols $ELF")
# The stub listens within a moment of QEMU's start (state 0A in /proc/net/tcp is LISTEN). Not
# probed by connecting: the stub takes one client, and gdb is to be it.
listening() { awk -v p="$(printf ':%04X' "$PORT")" '$2 ~ p"$" && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp; }
for _ in $(seq 100); do
  listening && break
  kill -0 $qemu 2>/dev/null || { echo "debug.sh: QEMU exited" >&2; exit 1; }
  sleep 0.1
done
if [ -n "${GDB_BATCH:-}" ]; then
  gdb-multiarch -batch "${gdb_args[@]}" -x "$GDB_BATCH"
else
  echo "debug.sh: try: break boot_main, continue; quitting gdb ends QEMU" >&2
  gdb-multiarch "${gdb_args[@]}"
fi
