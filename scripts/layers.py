#!/usr/bin/env python3
"""The layering check: imports in src/ point down the layers, and no two modules import each other.

    cli (main.rs, cli/) -> runtime (runtime/, config.rs, bench/)
      -> stages (ingest/, classify/, detect/, escalate/, notify/) and adapters (sources/, web/)
      -> store/ -> core/

It reads every `crate::` path in src/ (in `use` lines, groups included, and inline paths) and
knows the layer of each top-level module. It fails on:
  - an import from a higher layer;
  - an import between two stages (stages meet in the database, never by calling each other);
  - an adapter and a stage, or any two top-level modules, importing each other;
  - two files importing each other, where neither is the other's parent module.
Usage: python3 scripts/layers.py [SRC]   (exit 1 with the offending lines listed)
"""

import os
import re
import sys

LAYERS = {
    "main": 5, "cli": 5,
    "runtime": 4, "config": 4, "bench": 4,
    "ingest": 3, "classify": 3, "detect": 3, "escalate": 3, "notify": 3,
    "sources": 3, "web": 3,
    "store": 2,
    "core": 1,
    "lib": 6,  # the crate root declares modules; it imports nothing
}
STAGES = {"ingest", "classify", "detect", "escalate", "notify"}

PATH = re.compile(r"crate::((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*|\{)")


def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return "\n".join(line.split("//")[0] for line in src.splitlines())


def expand_groups(text):
    """`crate::{a::b, c::{d, e}}` -> ['a::b', 'c::d', 'c::e'] (prefixes only matter)."""
    out = []
    i = 0
    while True:
        j = text.find("crate::", i)
        if j < 0:
            return out
        k = j + len("crate::")
        m = re.match(r"((?:[A-Za-z_][A-Za-z0-9_]*::)*)(\{|[A-Za-z_][A-Za-z0-9_]*)", text[k:])
        if not m:
            i = k
            continue
        prefix, head = m.group(1), m.group(2)
        if head != "{":
            out.append(prefix + head)
            i = k + m.end()
            continue
        depth, p = 1, k + m.end()
        start = p
        while p < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[p], 0)
            p += 1
        inner = text[start : p - 1]
        for part in split_top(inner):
            part = part.strip()
            if part:
                out.extend(expand_groups("crate::" + prefix + part))
        i = p


def split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def module_of(rel):
    """src-relative file path -> module path list, e.g. 'store/mentions.rs' -> ['store', 'mentions']."""
    parts = rel[:-3].split("/")
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    src = os.path.normpath(src)
    files = {}
    for root, _, names in os.walk(src):
        for n in names:
            if n.endswith(".rs"):
                p = os.path.join(root, n)
                files[os.path.relpath(p, src)] = p
    known = {tuple(module_of(r)) for r in files}
    problems = []
    top_edges = {}
    file_edges = {}
    for rel, p in sorted(files.items()):
        me = module_of(rel)
        top = me[0]
        if top not in LAYERS:
            problems.append(f"{rel}: module `{top}` has no layer in scripts/layers.py")
            continue
        text = strip_comments(open(p, encoding="utf-8").read())
        for path in expand_groups(text):
            segs = path.split("::")
            other = segs[0]
            if other in ("self", "super") or other == top:
                if other == top:
                    target = longest_module(segs, known)
                    if target and target != tuple(me):
                        file_edges.setdefault(tuple(me), set()).add(target)
                continue
            if other not in LAYERS:
                continue
            top_edges.setdefault(top, set()).add(other)
            if LAYERS[other] > LAYERS[top]:
                problems.append(f"{rel}: imports crate::{path} from a higher layer ({other} above {top})")
            elif top in STAGES and other in STAGES:
                problems.append(f"{rel}: stage `{top}` imports stage `{other}` (crate::{path}); stages meet in the database")
    for a, bs in top_edges.items():
        for b in bs:
            if a < b and a in top_edges.get(b, set()):
                problems.append(f"modules `{a}` and `{b}` import each other")
    for a, bs in file_edges.items():
        for b in bs:
            if a < b and a in file_edges.get(b, set()):
                if a[: len(b)] == b or b[: len(a)] == a:
                    continue  # a parent and its child module
                problems.append(f"files {'::'.join(a)} and {'::'.join(b)} import each other")
    for p in sorted(set(problems)):
        print(p)
    if problems:
        print(f"layering check: {len(set(problems))} problem(s)")
        sys.exit(1)
    print(f"layering check: {len(files)} files, imports point down the layers")


def longest_module(segs, known):
    for n in range(len(segs), 0, -1):
        if tuple(segs[:n]) in known:
            return tuple(segs[:n])
    return None


if __name__ == "__main__":
    main()
