#!/usr/bin/env python3
"""Size check: no source file in src/ over 500 lines, no function over 100 lines.

Data tables and templates are not code: files under templates/ and files whose name ends
in `_data.rs` are left out. Usage: python3 scripts/sizes.py [SRC]; exit 1 listing what is over.
"""

import os
import re
import sys

MAX_FILE = 500
MAX_FN = 100
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)")


def functions(lines):
    """Yields (name, first line, length) for each fn, by brace counting from its line."""
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            code = lines[j].split("//")[0]
            code = re.sub(r'"(\\.|[^"\\])*"', '""', code)
            code = re.sub(r"'(\\.|[^'\\])'", "''", code)
            depth += code.count("{") - code.count("}")
            if "{" in code:
                started = True
            if started and depth <= 0:
                break
            if not started and code.rstrip().endswith(";"):
                break  # a declaration without a body
            j += 1
        if started:
            yield m.group(6), i + 1, j - i + 1
        i += 1


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    problems = []
    for root, _, names in os.walk(src):
        if "templates" in root.split(os.sep):
            continue
        for n in sorted(names):
            if not n.endswith(".rs") or n.endswith("_data.rs"):
                continue
            p = os.path.join(root, n)
            lines = open(p, encoding="utf-8").read().splitlines()
            rel = os.path.relpath(p, src)
            if len(lines) > MAX_FILE:
                problems.append(f"{rel}: {len(lines)} lines (at most {MAX_FILE})")
            for name, line, length in functions(lines):
                if length > MAX_FN:
                    problems.append(f"{rel}:{line}: fn {name} is {length} lines (at most {MAX_FN})")
    for p in problems:
        print(p)
    if problems:
        print(f"size check: {len(problems)} problem(s)")
        sys.exit(1)
    print("size check: every file and function within bounds")


if __name__ == "__main__":
    main()
