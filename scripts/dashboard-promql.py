#!/usr/bin/env python3
"""Checks the PromQL of the Grafana dashboard with promtool: every panel query and query
variable, with the dashboard's variables filled in, written as recording rules to a
temporary file for `promtool check rules` (the metric names are checked against a real
scrape by tests/monitoring.rs; this checks the syntax).

Usage: python3 scripts/dashboard-promql.py [DASHBOARD.json]; exit 1 if promtool refuses one.
"""

import json
import os
import subprocess
import sys
import tempfile

VARIABLES = {"$job": "vigie", "$instance": ".*", "$source": ".*"}


def queries(panels):
    for p in panels:
        for t in p.get("targets", []):
            yield p.get("title", "?"), t["expr"]
        yield from queries(p.get("panels", []))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "packaging", "grafana", "vigie-dashboard.json")
    dash = json.load(open(path, encoding="utf-8"))
    found = list(queries(dash["panels"]))
    for v in dash["templating"]["list"]:
        q = v.get("definition", "")
        # label_values(SELECTOR, label) is Grafana's, not PromQL: check its selector.
        if q.startswith("label_values(") and "," in q:
            found.append((f"variable {v['name']}", q[len("label_values("):q.rindex(",")]))
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n")
        for i, (title, expr) in enumerate(found):
            for k, val in VARIABLES.items():
                expr = expr.replace(k, val)
            f.write(f"      # {title}\n      - record: dashboard:query{i}\n        expr: {json.dumps(expr)}\n")
    try:
        r = subprocess.run(["promtool", "check", "rules", f.name])
    finally:
        os.unlink(f.name)
    print(f"{len(found)} dashboard queries checked")
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
