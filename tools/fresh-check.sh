#!/usr/bin/env bash
# The fresh-machine check: what a new user gets from README's two commands on a Debian 12
# machine with nothing installed. For each step (default: run, then test) it builds a minimal
# Debian 12 root with mmdebstrap from this machine's own apt sources (plus make, which the
# README's commands are), copies a clean clone of this repository's HEAD into it, and in it
# (chroot, with /proc, /sys and /dev mounted) runs:
#   run:  `make run`, driven like a user: it waits for both VMs' shells, then quits QEMU
#         (Ctrl-A X);
#   test: `make test`.
# Each step gets a root of its own, so each is timed from nothing. Prints the time of each and
# exits non-zero on any failure. Too slow for make test (minutes per step); run it whenever
# dependencies change. As root.
#
# Usage: tools/fresh-check.sh [run] [test]
# Environment: FRESH_DIR (default /var/tmp/portcullis-fresh): where the roots go; each is
# removed after a step that passed and kept (with its log) after one that failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${FRESH_DIR:-/var/tmp/portcullis-fresh}
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(run test)
RUN_TIMEOUT=1200    # seconds for `make run` to reach both shells
TEST_TIMEOUT=3600   # seconds for `make test`

say() { echo "fresh-check: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (mmdebstrap, chroot, mounts): sudo $0 $*"; exit 1; }
command -v mmdebstrap >/dev/null || { say "mmdebstrap missing: run tools/deps.sh"; exit 1; }

# This machine's Debian sources (deb822 files and one-line lists), never the project's own
# additions: the new root must add those itself, as a new machine would.
debian_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    case $f in */portcullis-*) continue ;; esac
    grep -qE '^Suites:.*\bbookworm\b' "$f" && echo "$f"
  done
  if [ -f /etc/apt/sources.list ] && grep -qE '^deb .* bookworm' /etc/apt/sources.list; then
    echo /etc/apt/sources.list
  fi
}

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  mounted=()
}
trap unmount_all EXIT

mount_into() {   # $1 root: /proc, /sys, /dev and /dev/pts as a real machine has them
  local r=$1
  mount -t proc proc "$r/proc" && mounted+=("$r/proc")
  mount --rbind /sys "$r/sys" && mounted+=("$r/sys")
  mount --rbind /dev "$r/dev" && mounted+=("$r/dev")
  cp /etc/resolv.conf "$r/etc/resolv.conf"
}

new_root() {   # $1 folder: a minimal Debian 12 with make, and a clean clone in /root/portcullis
  local r=$1 sources
  mapfile -t sources < <(debian_sources)
  [ ${#sources[@]} -gt 0 ] || { say "no Debian bookworm source in /etc/apt"; exit 1; }
  rm -rf "$r"
  say "building a minimal Debian 12 root in $r (mmdebstrap, minbase + make)"
  mmdebstrap --quiet --variant=minbase --include=make bookworm "$r" "${sources[@]}" \
    >"$r.mmdebstrap.log" 2>&1 || { tail -n 20 "$r.mmdebstrap.log" >&2; say "mmdebstrap failed"; exit 1; }
  git clone --quiet "$ROOT" "$r/root/portcullis"
  say "clean clone of $(git -C "$ROOT" rev-parse --short HEAD) in $r/root/portcullis"
  mount_into "$r"
}

# `make run` in the root, on a pseudo-terminal as a user's; waits for both VMs' shells, then
# types Ctrl-A X. Exit status 0 when both shells came and QEMU quit.
drive_make_run() {   # $1 root, $2 log
  python3 - "$1" "$2" "$RUN_TIMEOUT" <<'EOF'
import os, pty, re, select, sys, time
root, log, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execvp("chroot", ["chroot", root, "/bin/sh", "-c", "cd /root/portcullis && make run"])
out, start, quit_sent = b"", time.monotonic(), None
# Each VM's shell: its marker line, then busybox's prompt, behind the VM's name. The console
# holds an unfocused VM's unfinished line (the prompt) until input moves there: as a user
# would, press Ctrl-] once linux0's shell is there and Enter for linux1's.
ready = {vm: re.compile(rb"\[%s\] PORTCULLIS-GUEST-READY" % vm.encode()) for vm in ("linux0", "linux1")}
shell = {vm: re.compile(rb"\[%s\] \S* # " % vm.encode()) for vm in ready}
seen, focus_moved = {}, False
with open(log, "wb") as f:
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            print("fresh-check: make run: no shells after %d s" % timeout, file=sys.stderr)
            os.kill(pid, 9)
            sys.exit(1)
        r = select.select([fd], [], [], min(left, 1.0))[0]
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            out += chunk
            f.write(chunk)
            f.flush()
        for vm in ready:
            m = vm not in seen and ready[vm].search(out)
            if m and shell[vm].search(out, m.end()):
                seen[vm] = time.monotonic() - start
                print("fresh-check: make run: %s's shell after %.0f s" % (vm, seen[vm]),
                      file=sys.stderr)
        if "linux0" in seen and not focus_moved and ready["linux1"].search(out):
            os.write(fd, b"\x1d")     # Ctrl-]: input to linux1
            time.sleep(0.5)
            os.write(fd, b"\r")
            focus_moved = True
        if len(seen) == 2 and quit_sent is None:
            os.write(fd, b"\x01x")   # QEMU's Ctrl-A X
            quit_sent = time.monotonic()
_, status = os.waitpid(pid, 0)
if len(seen) < 2:
    print("fresh-check: make run ended before both shells", file=sys.stderr)
    sys.exit(1)
print("%.0f" % max(seen.values()))
EOF
}

results=()
failed=0
for step in "${STEPS[@]}"; do
  r=$WORK/root-$step
  mkdir -p "$WORK"
  start=$SECONDS
  new_root "$r"
  prep=$((SECONDS - start))
  log=$WORK/$step.log
  say "make $step in the new root (log: $log)"
  start=$SECONDS
  case $step in
    run)
      if secs=$(drive_make_run "$r" "$log"); then
        results+=("make run: both VMs' shells ${secs} s after the command, QEMU quit (root built in ${prep} s)")
      else
        results+=("make run: FAILED after $((SECONDS - start)) s (log: $log, root kept: $r)")
        failed=1
      fi ;;
    test)
      if timeout "$TEST_TIMEOUT" chroot "$r" /bin/sh -c 'cd /root/portcullis && make test' \
          </dev/null >"$log" 2>&1; then
        results+=("make test: passed in $((SECONDS - start)) s (root built in ${prep} s)")
      else
        tail -n 30 "$log" >&2
        results+=("make test: FAILED after $((SECONDS - start)) s (log: $log, root kept: $r)")
        failed=1
      fi ;;
    *) say "unknown step $step (run, test)"; exit 2 ;;
  esac
  unmount_all
  [ "$failed" = 1 ] || rm -rf "$r"
  say "${results[-1]}"
done
say "summary, each step from a fresh Debian 12 root:"
for line in "${results[@]}"; do echo "  $line"; done
exit $failed
