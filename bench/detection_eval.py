#!/usr/bin/env python3
"""Precision and recall of the behaviour detectors: DNS tunnelling per
(registrable domain, client), and DNS over HTTPS to servers no list names
per connection. Runs `dnsleakd --read --json` (bundled config, privacy
redacted so every name is cut to its registrable domain, as the detector
groups them) over

  - every capture of the shared corpus (nDPI, suricata-verify, tcpdump);
  - the captures in tests/data;
  - captures made by real tools if a directory of them is given
    (scripts/make-tunnel-captures.sh: iodine, dig exfiltration, ordinary
    dig) and testgen's bench_mix (random ordinary names);

and compares the findings with the labels below. A domain is a (capture,
client, domain) triple asked in a query; a connection is a TLS/QUIC flow.

    bench/detection_eval.py [BUILD_DIR] [CORPUS_DIR] [GENERATED_DIR]
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
build = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else root / "build"
corpus = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else root.parent / "shared" / "corpus"
generated = Path(sys.argv[3]).resolve() if len(sys.argv) > 3 else None
dnsleakd = build / "dnsleakd"

# Tunnels: (capture file name, registrable domain). Every other domain asked
# in these captures is ordinary.
TUNNELS = {
    ("dns-exf.pcap", "test.txt"),            # nDPI: a gzip file, base64, in one name
    ("input.pcap", "tunnel.com"),            # suricata-verify bug-1158: dns2tcp-style TXT tunnel
    ("iodine.pcap", "tunnel.test"),          # iodine, NULL records, 64 KiB up
    ("dig-exfil.pcap", "exfil.test"),        # dnscat2-style hex labels, TXT/CNAME/MX
    # the same captures as copied into tests/data
    ("ndpi-dns-exf.pcap", "test.txt"),
    ("suricata-dns-tunnel.pcap", "tunnel.com"),
    ("iodine-tunnel.pcap", "tunnel.test"),
}
# DoH to unlisted servers: capture names holding one (per connection).
DOH_UNLISTED = {"doh-unlisted.pcap", "doh-unlisted-h2.pcap"}

config_text = (root / "config" / "dnsleakd.yaml").read_text()
tmp = tempfile.TemporaryDirectory()
config = Path(tmp.name) / "eval.yaml"
# The bundled config with names cut to their registrable domain; the list
# file resolves beside the original.
lines = [l for l in config_text.splitlines() if not l.startswith("privacy:")]
config.write_text("\n".join(lines) + "\nprivacy: redacted\n")
list_dir = root / "config"

captures = []
if corpus.exists():
    for pattern in ("ndpi/pcap/*", "suricata-verify/*/*.pcap", "suricata-verify/*/*.pcapng", "tcpdump/pcap/*"):
        captures += sorted(corpus.glob(pattern))
captures += sorted(p for p in (root / "tests" / "data").glob("*.pcap*"))
if generated and generated.exists():
    captures += sorted(generated.glob("*.pcap*"))
mix = Path(tmp.name) / "bench_mix.pcap"
if (build / "tests" / "dnsleak-testgen").exists():
    subprocess.run([str(build / "tests" / "dnsleak-testgen"), "bench_mix", str(mix), "200000", "7"], check=True,
                   capture_output=True)
    captures.append(mix)

tp = fp = fn = negatives = ordinary_queries = ordinary_data_names = 0
doh_tp = doh_fp = doh_fn = connections = h2_followed = 0
flagged_ordinary = []
groups = {}  # source: [TLS/QUIC connections, HTTP/2 followed, flagged]
missed = []
for path in captures:
    run = subprocess.run([str(dnsleakd), "--read", str(path), "--config", str(config), "--json"],
                         capture_output=True, text=True, cwd=list_dir)
    if run.returncode not in (0, 3):
        continue
    events = []
    followed = data_names = 0
    for line in run.stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if "summary" in item:
            counts = {c["name"]: int(c["count"]) for c in item["summary"].get("detectors", [])}
            followed = counts.get("doh_followed", 0)
            data_names = counts.get("tunnel_data_names", 0)
        else:
            events.append(item)
    asked = set()
    found = set()
    flows = set()
    doh_found = set()
    for e in events:
        client = e["source"]["address"]
        name = e["dns"]["qname"]
        if e["kind"] == "MESSAGE_KIND_FINDING":
            found.add((client, name))
        elif e["kind"] == "MESSAGE_KIND_QUERY" and name and e["transport"] in (
                "TRANSPORT_DNS_UDP", "TRANSPORT_DNS_TCP", "TRANSPORT_DNS_HTTP"):
            asked.add((client, name))
        if e["kind"] in ("MESSAGE_KIND_HANDSHAKE", "MESSAGE_KIND_CONNECTION") and (e["sni"] or e["alpn"]):
            flow = (client, e["source"]["port"], e["destination"]["address"], e["destination"]["port"])
            flows.add(flow)
            if e["recognition"]["method"] == "RECOGNITION_METHOD_BEHAVIOUR":
                doh_found.add(flow)
    asked |= found
    if not any(name == path.name for name, _ in TUNNELS):
        ordinary_queries += sum(1 for e in events if e["kind"] == "MESSAGE_KIND_QUERY" and e["dns"]["qname"])
        ordinary_data_names += data_names
    for client, domain in asked:
        tunnel = (path.name, domain) in TUNNELS
        hit = (client, domain) in found
        if tunnel and hit:
            tp += 1
        elif tunnel:
            fn += 1
            missed.append(f"{path.name}: {domain} from {client}")
        elif hit:
            fp += 1
            flagged_ordinary.append(f"{path.name}: {domain} from {client}")
        if not tunnel:
            negatives += 1
    connections += len(flows)
    h2_followed += followed if path.name not in DOH_UNLISTED else 0
    group = ("corpus" if corpus in path.parents else "tests/data" if (root / "tests" / "data") in path.parents
             else "bench_mix" if path == mix else "generated")
    g = groups.setdefault(group, [0, 0, 0])
    if path.name not in DOH_UNLISTED:
        g[0] += len(flows)
        g[1] += followed
        g[2] += len(doh_found)
    if path.name in DOH_UNLISTED:
        doh_tp += len(doh_found)
        doh_fn += 0 if doh_found else 1
    else:
        doh_fp += len(doh_found)

def ratio(a, b):
    return f"{a / b:.3f}" if b else "n/a"

print(f"captures: {len(captures)}")
print(f"tunnelling, per (client, domain): {tp} found, {fn} missed, {fp} ordinary flagged of {negatives} ordinary")
print(f"  precision {ratio(tp, tp + fp)}  recall {ratio(tp, tp + fn)}  false-positive rate {ratio(fp, negatives)}")
print(f"  in captures without a tunnel, {ordinary_data_names} of {ordinary_queries} queries had a name that looked "
      f"like data (the detector's per-name margin)")
for m in missed:
    print(f"  missed: {m}")
for f in flagged_ordinary:
    print(f"  flagged ordinary: {f}")
print(f"unlisted DoH, per TLS/QUIC connection: {doh_tp} found, {doh_fn} captures missed, "
      f"{doh_fp} ordinary connections flagged of {connections} with a server name or ALPN "
      f"({h2_followed} of them HTTP/2 to unlisted servers, whose shape was followed)")
print(f"  precision {ratio(doh_tp, doh_tp + doh_fp)}  false-positive rate {ratio(doh_fp, connections)}")
for group, (flows, followed, flagged) in sorted(groups.items()):
    print(f"  {group}: {flows} ordinary TLS/QUIC connections, {followed} HTTP/2 followed, {flagged} flagged")
