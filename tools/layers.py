#!/usr/bin/env python3
"""make layers: every #include of the hypervisor's sources checked against the layer order
of docs/layers.txt. Prints each include that points up (file:line, the two layers), each
include of a private folder from outside its owner (an arch implementation, which code
above arch reaches only through arch/include/arch/), and each pair of folders that include
each other (one of them, file:line, each way), then the counts; fails when the upward
includes are over the file's allowed-violations, on any private include, when two folders
include each other, or when a source file belongs to no layer."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["arch", "core", "drivers", "iommu"]
INCLUDE = re.compile(r'^\s*#\s*include\s+["<]([^">]+)[">]')
# Where the hypervisor's build looks for an include (the Makefile's -I, in its order).
SEARCH = ["", "arch/include/", "arch/arm64/include/"]


def read_layers():
    layers, allowed, private = [], 0, []
    for line in (ROOT / "docs" / "layers.txt").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "allowed-violations":
            allowed = int(words[1])
        elif words[0] == "private":
            private.append((words[1], words[2:]))
        else:
            layers.append((words[0], words[1:]))
    return layers, allowed, private


def resolve(name):
    """The source path an include names, found as the build finds it, or None (a system
    or libfdt header)."""
    for d in SEARCH:
        if (ROOT / (d + name)).is_file():
            return d + name
    return None


def private_owner(path, private):
    """The folder that alone may include path, when path is private."""
    for owner, paths in private:
        if any(path.startswith(p) for p in paths):
            return owner
    return None


def layer_of(path, layers):
    """(index, name) of the layer whose longest matching path holds path, or None."""
    best = None
    for i, (name, prefixes) in enumerate(layers):
        for p in prefixes:
            if path.startswith(p) and (best is None or len(p) > best[2]):
                best = (i, name, len(p))
    return best[:2] if best else None


def main():
    layers, allowed, private = read_layers()
    files = sorted(p for d in SOURCES for p in (ROOT / d).rglob("*")
                   if p.suffix in (".c", ".h", ".S"))
    violations, homeless, leaks = [], [], []
    folder_edges = {}  # (from folder, to folder): the first include that makes the edge
    for f in files:
        rel = f.relative_to(ROOT).as_posix()
        mine = layer_of(rel, layers)
        if mine is None:
            homeless.append(rel)
            continue
        for n, line in enumerate(f.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            target = resolve(m.group(1)) if m else None
            if not target:
                continue
            owner = private_owner(target, private)
            if owner and not rel.startswith(owner):
                leaks.append(f"{rel}:{n}: includes {m.group(1)} ({target}), private to "
                             f"{owner}: include its interface instead")
            edge = (str(Path(rel).parent), str(Path(target).parent))
            if edge[0] != edge[1]:
                folder_edges.setdefault(edge, f"{rel}:{n}")
            theirs = layer_of(target, layers)
            if theirs and theirs[0] > mine[0]:
                violations.append(f"{rel}:{n}: includes {m.group(1)} "
                                  f"({mine[1]} -> {theirs[1]}, up)")
    for v in violations + leaks:
        print(v)
    cycles = sorted((a, b) for (a, b) in folder_edges if a < b and (b, a) in folder_edges)
    for a, b in cycles:
        print(f"{a}/ and {b}/ include each other: {folder_edges[(a, b)]} and "
              f"{folder_edges[(b, a)]}")
    for h in homeless:
        print(f"{h}: in no layer of docs/layers.txt")
    print(f"layers: {len(violations)} upward include(s) (allowed {allowed}), "
          f"{len(leaks)} include(s) of a private folder, "
          f"{len(cycles)} pair(s) of folders that include each other, "
          f"{len(homeless)} file(s) in no layer")
    return 1 if len(violations) > allowed or leaks or cycles or homeless else 0


if __name__ == "__main__":
    sys.exit(main())
