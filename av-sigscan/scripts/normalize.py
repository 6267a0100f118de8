#!/usr/bin/env python3
"""normalize.py < scanner-output > rows

Turns clamscan-style output ("path: Name FOUND", "path: OK",
"path: Empty file", "path: Symbolic link") into sorted, unique
"path<TAB>result" rows: the ".UNOFFICIAL" suffix is dropped, an empty
file counts as OK, and OK is dropped for a path that has a detection.
Works for both `rampart scan` and `clamscan` output.
"""
import sys

found, clean, other = set(), set(), set()
for raw in sys.stdin.read().splitlines():
    if raw.endswith(" FOUND"):
        path, name = raw[: -len(" FOUND")].rsplit(": ", 1)
        found.add((path, name.removesuffix(".UNOFFICIAL")))
    elif raw.endswith(": OK") or raw.endswith(": Empty file"):
        clean.add(raw.rsplit(": ", 1)[0])
    elif raw.endswith(": Symbolic link"):
        other.add((raw.rsplit(": ", 1)[0], "SKIPPED symlink"))
hit = {p for p, _ in found}
rows = found | other | {(p, "OK") for p in clean if p not in hit}
for p, n in sorted(rows):
    print(f"{p}\t{n}")
