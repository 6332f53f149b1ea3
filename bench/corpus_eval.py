#!/usr/bin/env python3
"""Runs `dnsleakd --read` (bundled config) over every capture in the shared
corpus and compares with tshark's counts (TSHARK_TRUTH.tsv) and the nDPI
manifest's categories. One row per capture, then a summary.

    bench/corpus_eval.py [BUILD_DIR] [CORPUS_DIR]

Columns: DNS messages (UDP+TCP, tshark's dns_msgs), distinct query names,
mDNS/LLMNR/NBNS messages (tshark frames), encrypted-DNS flows we report
(DoT/DoH/DoQ/DNSCrypt) against the manifest's category. A '*' marks a
disagreement; docs/corpus.md says who is right for each known one.
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
build = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "build"
corpus = Path(sys.argv[2]) if len(sys.argv) > 2 else root.parent / "shared" / "corpus"
dnsleakd = build / "dnsleakd"
config = root / "config" / "dnsleakd.yaml"
if not (corpus / "TSHARK_TRUTH.tsv").exists():
    sys.exit(f"no corpus at {corpus} (pass CORPUS_DIR)")

categories = {}
flows_expected = {}  # nDPI's count of DNS-related flows, for encrypted-DNS captures
with open(corpus / "ndpi" / "MANIFEST.tsv") as f:
    for row in csv.DictReader(f, delimiter="\t"):
        categories["ndpi/pcap/" + row["file"]] = row["category"]
        flows_expected["ndpi/pcap/" + row["file"]] = int(row["flows_dns_related"] or 0)

ENCRYPTED = {"TRANSPORT_DOT", "TRANSPORT_DOH", "TRANSPORT_DOQ", "TRANSPORT_DNSCRYPT"}
POSITIVE = {"doh", "dot", "doq", "dnscrypt", "doh-by-ip(no-sni)"}

rows = []
with open(corpus / "TSHARK_TRUTH.tsv") as f:
    truth_rows = list(csv.DictReader(f, delimiter="\t"))
for t in truth_rows:
    path = corpus / t["file"]
    run = subprocess.run([str(dnsleakd), "--read", str(path), "--config", str(config), "--json"],
                         capture_output=True, text=True)
    if run.returncode not in (0, 3):
        rows.append((t["file"], None, run.stderr.strip().splitlines()[-1] if run.stderr else "failed"))
        continue
    lines = [json.loads(l) for l in run.stdout.splitlines() if l.strip()]
    summary = lines[-1]["summary"]
    events = lines[:-1]
    # DNS-format messages: plain DNS, and DNSCrypt's plaintext certificate
    # queries (tshark counts those as DNS too). Findings about them (a
    # tunnel, exfiltration) are not messages.
    messages_kinds = ("MESSAGE_KIND_QUERY", "MESSAGE_KIND_RESPONSE")
    dns = [e for e in events if e["kind"] in messages_kinds and e["transport"] in (
        "TRANSPORT_DNS_UDP", "TRANSPORT_DNS_TCP", "TRANSPORT_DNS_HTTP", "TRANSPORT_DNSCRYPT")]
    local = [e for e in events if e["transport"] in ("TRANSPORT_MDNS", "TRANSPORT_LLMNR", "TRANSPORT_NBNS")]
    encrypted = [e for e in events if e["transport"] in ENCRYPTED]
    # Connections: the two ends, whichever way a packet went.
    connections = {tuple(sorted([(e["source"]["address"], e["source"]["port"]),
                                 (e["destination"]["address"], e["destination"]["port"])])) for e in encrypted}
    # One event per exchange: an answered query stands for two messages, and
    # a query seen again while it waited (a retry, or a capture that holds
    # each packet twice) is counted in the summary, not reported.
    repeated = next((int(x["count"]) for x in summary.get("exchanges", []) if x["name"] == "query_repeated"), 0)
    messages = repeated + sum(2 if e.get("exchange", {}).get("answered") else 1 for e in dns)
    ours = {
        "connections": len(connections),
        "dns": messages,
        "qnames": len({e["dns"]["qname"].lower() for e in dns if e["dns"]["qname"]}),
        "local": len(local),
        "encrypted": len(encrypted),
    }
    theirs = {
        "dns": int(t["dns_msgs"] or 0),
        "qnames": int(t["distinct_qnames"] or 0),
        "local": int(t["mdns_frames"] or 0) + int(t["llmnr_frames"] or 0) + int(t["nbns_frames"] or 0),
    }
    rows.append((t["file"], ours, theirs, categories.get(t["file"], ""),
                 sorted({e["sni"] or e["resolver"]["address"] for e in encrypted})))

print(f"{'capture':58} {'dns ours/tshark':>16} {'qnames':>9} {'local-link':>11}  encrypted-DNS flows")
agree_dns = agree_qnames = agree_local = total = 0
positives = found = negatives = false_positives = 0
connections_expected = connections_found = 0
for row in rows:
    if row[1] is None:
        print(f"{row[0]:58} not read: {row[2]}")
        continue
    name, ours, theirs, category, names = row
    total += 1
    mark = lambda k: " " if ours[k] == theirs[k] else "*"
    agree_dns += ours["dns"] == theirs["dns"]
    agree_qnames += ours["qnames"] == theirs["qnames"]
    agree_local += ours["local"] == theirs["local"]
    verdict = ""
    if category in POSITIVE:
        positives += 1
        found += ours["encrypted"] > 0
        expected = flows_expected.get(name, 0)
        connections_expected += expected
        connections_found += min(ours["connections"], expected)
        verdict = (f"{category}: {'found' if ours['encrypted'] else 'MISSED'},"
                   f" connections {ours['connections']}/{expected}")
    elif category in ("negative", "plain-dns", "local-name-resolution", "quic"):
        negatives += 1
        false_positives += ours["encrypted"] > 0
        verdict = f"{category}: {'FALSE POSITIVE' if ours['encrypted'] else 'clean'}"
    elif ours["encrypted"]:
        verdict = "encrypted DNS"
    print(f"{name[:58]:58} {ours['dns']:>7}/{theirs['dns']:<7}{mark('dns')} {ours['qnames']:>4}/{theirs['qnames']:<3}{mark('qnames')}"
          f" {ours['local']:>5}/{theirs['local']:<4}{mark('local')} {ours['encrypted']} {verdict} {' '.join(names)[:60]}")

print()
print(f"captures read: {total} of {len(rows)}")
print(f"DNS message counts agree with tshark: {agree_dns}/{total} ({100 * agree_dns / total:.1f}%)")
print(f"distinct query names agree:           {agree_qnames}/{total} ({100 * agree_qnames / total:.1f}%)")
print(f"mDNS/LLMNR/NBNS counts agree:         {agree_local}/{total} ({100 * agree_local / total:.1f}%)")
print(f"encrypted-DNS positives found:        {found}/{positives} (nDPI manifest: doh, dot, doq, dnscrypt)")
print(f"encrypted-DNS connections found:      {connections_found}/{connections_expected}"
      f" (nDPI's DNS-related flows in those captures)")
print(f"negatives called encrypted DNS:       {false_positives}/{negatives} (manifest: negative, plain-dns, local, quic)")
