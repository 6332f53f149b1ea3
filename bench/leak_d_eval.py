#!/usr/bin/env python3
"""Leak-D's false positives on the shared corpus: runs `dnsleakd --read`
over every capture, once with the bundled config and once with the warm-up
switched off (the worst case: every name resolved before the capture began
looks hidden), and counts the connections put beside the answers and the
Leak-D events found. The corpus holds no hidden resolution and no traffic
that bypasses a tunnel, so every Leak-D here is a false positive.

    bench/leak_d_eval.py [BUILD_DIR] [CORPUS_DIR]
"""
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
build = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "build"
corpus = Path(sys.argv[2]) if len(sys.argv) > 2 else root.parent / "shared" / "corpus"
dnsleakd = build / "dnsleakd"
bundled = root / "config" / "dnsleakd.yaml"
if not (corpus / "TSHARK_TRUTH.tsv").exists():
    sys.exit(f"no corpus at {corpus} (pass CORPUS_DIR)")

no_warmup = Path(tempfile.mkdtemp()) / "no-warmup.yaml"
no_warmup.write_text(bundled.read_text().replace("warmup_seconds: 300", "warmup_seconds: 0")
                     .replace("list: resolvers/public-resolvers.txt",
                              f"list: {root / 'config' / 'resolvers' / 'public-resolvers.txt'}"))


def run(path, config):
    out = subprocess.run([str(dnsleakd), "--read", str(path), "--config", str(config), "--json"],
                         capture_output=True, text=True)
    if out.returncode not in (0, 3):
        return None
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    summary = lines[-1]["summary"]
    leak_d = [e for e in lines[:-1] if e.get("leakType") == "LEAK_TYPE_D"]
    return int(summary.get("connections", 0)), leak_d


with open(corpus / "TSHARK_TRUTH.tsv") as f:
    files = [row["file"] for row in csv.DictReader(f, delimiter="\t")]

totals = {"bundled": [0, 0], "no warm-up": [0, 0]}
by_rule = {}
print(f"{'capture':58} {'conns':>6} {'Leak-D':>7} {'no warm-up':>11}")
for name in files:
    a = run(corpus / name, bundled)
    b = run(corpus / name, no_warmup)
    if a is None or b is None:
        continue
    for key, (conns, leaks) in (("bundled", a), ("no warm-up", b)):
        totals[key][0] += conns
        totals[key][1] += len(leaks)
    for e in b[1]:
        by_rule[e["rule"]] = by_rule.get(e["rule"], 0) + 1
    if a[1] or b[1]:
        print(f"{name[:58]:58} {a[0]:>6} {len(a[1]):>7} {len(b[1]):>11}")

print()
for key, (conns, leaks) in totals.items():
    rate = 100.0 * leaks / conns if conns else 0.0
    print(f"{key:11} connections judged {conns:6}, Leak-D {leaks:5} ({rate:.2f}% of connections)")
print("without warm-up, by rule:", ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())) or "none")
