#!/usr/bin/python3
"""dnsleak's benchmarks in one command: each figure beside a baseline
measured in the same run, and the ratio between them (a ratio compares
across machines; a rate alone does not).

    sudo bench/run.py [--build DIR] [--only offline,store,live,idle,watch]
                      [--packets N] [--json OUT] [--config YAML]

Sections (the live ones need root: network namespaces, veth, tcpreplay):
  offline  on two captures, bench_mix (dnsleak-testgen) and an independent
           mix written by Scapy (bench/make_mix.py): a bare libpcap read loop
           (the baseline); `dnsleakd --read --summary-only` with the bundled
           config; `--read --json` (cost per printed event); the daemon's own
           path, `--replay` at once into the store, against --read;
           tcpdump -nn port 53 as a peer. Best of 3 runs each.
  store    RSS of a daemon holding 10k and 100k distinct leaks (against the
           same daemon with an empty store), a report grouped by name over
           100k, and 100k events streamed to one watcher from sequence 1
           (batched, as dnsleakctl asks, against one event a message).
  live     a veth pair, dnsleakd capturing one end inside a namespace (the
           bundled config: attribution on), tcpreplay sending the Scapy mix
           into the other end at top speed and at fixed rates: packets the
           kernel dropped and events the daemon lost, against a bare libpcap
           loop on the same interface at the same rates; and at top speed
           again with 50 watchers that never read (also with
           capture.immediate_when_watched).
  idle     CPU and RSS of the daemon over 20 s fully idle and 20 s at 200
           packets/s (attribution on).
  watch    packet-to-watcher delay, p50 and p99, with 1, 10 and 100 watchers
           while 200 leaking DNS exchanges a second arrive live; then 1 and
           100 again with capture.immediate_when_watched (each packet
           handed over as it comes while someone watches). The baseline
           for each count: a bare gRPC server (bench/fanout_baseline.cc)
           writing one of the daemon's own events 200 times a second to the
           same watchers, its delay counted from the moment it stamps it:
           the fan-out alone, the least any gRPC server does here.
Runs in about 10 minutes on 2 cores.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser()
parser.add_argument("--build", default=str(root / "build"))
parser.add_argument("--only", default="offline,store,live,idle,watch")
parser.add_argument("--packets", type=int, default=1_000_000)
parser.add_argument("--json", help="also write the results here")
parser.add_argument("--config", default=str(root / "config" / "dnsleakd.yaml"),
                    help="the config the runs start from (the bundled one)")
args = parser.parse_args()
build = Path(args.build).resolve()
sections = set(args.only.split(","))
dnsleakd, dnsleakctl = build / "dnsleakd", build / "dnsleakctl"
baseline_bin, watch_bench = build / "pcap_read_baseline", build / "watch_bench"
fanout_baseline = build / "fanout_baseline"
testgen = build / "tests" / "dnsleak-testgen"
config = Path(args.config).resolve()
work = Path(tempfile.mkdtemp(prefix="dnsleak-bench-"))
results = {}
rows = []


def row(section, what, value, unit, baseline=None, base_what="", ratio=None):
    if ratio is None and baseline:
        ratio = value / baseline if baseline else None
    rows.append((section, what, value, unit, base_what, baseline, ratio))
    text = f"{what:<52} {value:>12.3f} {unit:<8}"
    if baseline is not None:
        text += f" vs {base_what} {baseline:.3f}"
    if ratio is not None:
        text += f"  ratio {ratio:.2f}"
    print(f"[{section}] {text}", flush=True)
    results.setdefault(section, {})[what] = {"value": value, "unit": unit, "baseline": baseline, "ratio": ratio}


def best_seconds(cmd, runs=3, **kw):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, **kw)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def write_config(path, **changes):
    """The bundled config with some top-level keys' lines replaced."""
    text = config.read_text()
    text = text.replace("list: resolvers/", f"list: {config.parent}/resolvers/")
    for needle, replacement in changes.items():
        assert needle in text, needle
        text = text.replace(needle, replacement)
    path.write_text(text)
    return path


def process_cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Daemon:
    def __init__(self, cfg, *extra, netns=None):
        self.socket = str(work / f"d{time.monotonic_ns()}.sock")
        self.log = open(work / "daemon.log", "a+")
        cmd = [str(dnsleakd), "--config", str(cfg), "--socket", self.socket, "--user", "", *extra]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not os.path.exists(self.socket) or not self.status(quiet=True):
            if self.proc.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                sys.exit("dnsleakd did not start:\n" + self.log.read()[-3000:])
            time.sleep(0.02)

    def status(self, quiet=False):
        r = subprocess.run([str(dnsleakctl), "--socket", self.socket, "status", "--json"], capture_output=True,
                           text=True)
        if r.returncode != 0:
            if quiet:
                return None
            raise RuntimeError(r.stderr)
        return json.loads(r.stdout)

    def wait_watchers(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if counter(self.status(), "watchers") >= n:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{n} watchers did not connect")

    def pid(self):
        # With `ip netns exec` the daemon is exec'd in place: same pid.
        return self.proc.pid

    def rss_kib(self):
        for line in open(f"/proc/{self.pid()}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def private_kib(self):
        """Memory of this process alone: RSS less the shared libraries' pages
        and the kernel's capture ring (Pss_Anon of smaps_rollup)."""
        for line in open(f"/proc/{self.pid()}/smaps_rollup"):
            if line.startswith("Pss_Anon:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        fields = open(f"/proc/{self.pid()}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def replay_done(self, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.log.seek(0)
            if "finished; still serving" in self.log.read():
                return time.perf_counter()
            time.sleep(0.005)
        raise RuntimeError("replay did not finish")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.truncate(0)


def counter(status, *path):
    node = status
    for p in path:
        if not isinstance(node, dict) or p not in node:
            return 0
        node = node[p]
    return int(node)


# ------------------------------------------------------------------ captures
mix_bench = work / "bench_mix.pcap"
mix_scapy = work / "scapy_mix.pcap"
subprocess.run([str(testgen), "bench_mix", str(mix_bench), str(args.packets), "1"], check=True,
               stdout=subprocess.DEVNULL)
subprocess.run(["/usr/bin/python3", str(root / "bench" / "make_mix.py"), str(mix_scapy), str(args.packets), "7"],
               check=True, stdout=subprocess.DEVNULL)
print(f"captures: bench_mix and scapy_mix, {args.packets} packets each, in {work}", flush=True)


# ------------------------------------------------------------------ offline
def offline():
    for name, capture in (("bench_mix", mix_bench), ("scapy_mix", mix_scapy)):
        subprocess.run(["cat", str(capture)], stdout=subprocess.DEVNULL)
        bare = best_seconds([str(baseline_bin), str(capture)])
        read = best_seconds([str(dnsleakd), "--read", str(capture), "--config", str(config), "--summary-only"])
        row("offline", f"{name}: --read --summary-only, Mpkt/s", args.packets / read / 1e6, "Mpkt/s",
            args.packets / bare / 1e6, "bare libpcap loop")
        # The same loop reading the file as dnsleakd does (1 MiB at a time):
        # what is left is the processing alone.
        buffered = best_seconds([str(baseline_bin), "--buffered", str(capture)])
        row("offline", f"{name}: --read, against a loop reading as it does", args.packets / read / 1e6, "Mpkt/s",
            args.packets / buffered / 1e6, "bare loop, 1 MiB reads")
        summary = subprocess.run([str(dnsleakd), "--read", str(capture), "--config", str(config), "--summary-only",
                                  "--json"], capture_output=True, text=True, check=True).stdout
        messages = int(json.loads(summary.strip().splitlines()[-1]).get("dnsMessages", 0))
        # The printing's cost is a difference of two near times: they take
        # turns, best of three each, so that the machine's drift between
        # them (which once made it negative) moves both alike.
        read_cmd = [str(dnsleakd), "--read", str(capture), "--config", str(config), "--summary-only"]
        json_cmd = [str(dnsleakd), "--read", str(capture), "--config", str(config), "--json"]
        turns = [(best_seconds(read_cmd, runs=1), best_seconds(json_cmd, runs=1)) for _ in range(3)]
        quiet, as_json = (min(t[i] for t in turns) for i in range(2))
        # Events printed: one line each, the summary last.
        lines = int(subprocess.run(f"'{dnsleakd}' --read '{capture}' --config '{config}' --json | wc -l", shell=True,
                                   capture_output=True, text=True).stdout) - 1
        row("offline", f"{name}: --read --json, us per printed event", (as_json - quiet) / max(lines, 1) * 1e6, "us",
            None)
        results["offline"][f"{name}: printed events"] = lines
        if shutil.which("tcpdump"):
            peer = best_seconds(["tcpdump", "-nn", "-r", str(capture), "port", "53"])
            row("offline", f"{name}: tcpdump -nn port 53 (peer), Mpkt/s", args.packets / peer / 1e6, "Mpkt/s",
                args.packets / read / 1e6, "--read")
        # The daemon's path: the same packets through the store, at once.
        cfg = write_config(work / "replay.yaml")

        def replay_seconds(path):
            d = Daemon(cfg, "--replay", str(path), "--replay-speed", "0")
            took = d.replay_done() - d.started
            d.stop()
            return took

        # Start-up (socket, policy, API) is in the replay's time too; it is
        # measured alone on an empty capture and taken out. The replay, its
        # start-up and --read take turns, best of four each, so that the
        # machine's drift moves all three alike.
        empty = work / "empty.pcap"
        subprocess.run(["editcap", "-r", str(capture), str(empty), "0"], check=True, stdout=subprocess.DEVNULL)
        rounds = [(replay_seconds(capture), replay_seconds(empty),
                   best_seconds([str(dnsleakd), "--read", str(capture), "--config", str(config), "--summary-only"],
                                runs=1)) for _ in range(4)]
        best, startup, beside = (min(r[i] for r in rounds) for i in range(3))
        row("offline", f"{name}: --replay into the store, s", best - startup, "s", beside, "--read, taking turns",
            (best - startup) / beside)
        results["offline"][f"{name}: DNS messages"] = messages


# ------------------------------------------------------------------ store
def store():
    for n in (10_000, 100_000):
        capture = work / f"names{n}.pcap"
        subprocess.run([str(testgen), "many_names", str(capture), str(n)], check=True, stdout=subprocess.DEVNULL)
        cfg = write_config(work / "store.yaml", **{"capacity: 10000": f"capacity: {n}", "fold_seconds: 60":
                                                   "fold_seconds: 0", "enabled: true\n  ebpf": "enabled: false\n  ebpf"})
        empty = Daemon(cfg)
        empty_rss, empty_private = empty.rss_kib(), empty.private_kib()
        empty.stop()
        d = Daemon(cfg, "--replay", str(capture), "--replay-speed", "0")
        d.replay_done()
        st = d.status()
        stored = counter(st, "store", "size")
        row("store", f"RSS holding {stored} events, MB", d.rss_kib() / 1024, "MB", empty_rss / 1024, "empty store")
        row("store", f"private memory (Pss_Anon) holding {stored} events, MB", d.private_kib() / 1024, "MB",
            empty_private / 1024, "empty store")
        if n == 100_000:
            start = time.perf_counter()
            r = subprocess.run([str(dnsleakctl), "--socket", d.socket, "report", "--group-by", "qname", "--format",
                                "json"], capture_output=True, text=True)
            took = time.perf_counter() - start
            ok = r.returncode == 0 and len(json.loads(r.stdout).get("rows", [])) >= stored
            row("store", f"report --group-by qname over {stored} events, s", took, "s", None)
            results["store"]["report ok"] = ok
            print(f"[store] report {'complete' if ok else 'FAILED: ' + r.stderr.strip()[:200]}")
            # As dnsleakctl asks (up to 256 events a message), beside one
            # event a message (a client that does not set max_batch); in
            # turns, best of two each.
            def drain(batch):
                r = subprocess.run([str(watch_bench), d.socket, "drain", str(stored), str(batch)],
                                   capture_output=True, text=True)
                return json.loads(r.stdout.strip().splitlines()[-1])
            runs = [(drain(256), drain(1)) for _ in range(2)]
            batched = min((r[0] for r in runs), key=lambda x: x["seconds"])
            single = min(r[1]["seconds"] for r in runs)
            row("store", f"watch from seq 1: {batched['events']} events streamed, s", batched["seconds"], "s", single,
                "one event a message")
        d.stop()


# ------------------------------------------------------------------ live
NS = "dlbench"


def veth_up():
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "link", "del", "dlb-out"], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "link", "add", "dlb-out", "type", "veth", "peer", "name", "dlb-in"], check=True)
    subprocess.run(["ip", "link", "set", "dlb-in", "netns", NS], check=True)
    subprocess.run(["ip", "link", "set", "dlb-out", "up"], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "dlb-in", "up"], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)


def veth_down():
    subprocess.run(["ip", "link", "del", "dlb-out"], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)


def tcpreplay(capture, rate=None, limit=None):
    cmd = ["tcpreplay", "-q", "-i", "dlb-out"]
    cmd += ["--topspeed"] if rate is None else ["--pps", str(rate)]
    if rate is not None and rate <= 10_000:
        # tcpreplay's default timer spins between packets: a whole core of
        # the two, which the daemon and its watchers then lack. A sleep per
        # packet keeps a slow rate as exactly (400.19 pkt/s for 400 asked)
        # on 1% of a core; past some thousands a second it would fall behind.
        cmd += ["--timer", "nano"]
    if limit:
        cmd += ["--limit", str(limit)]
    r = subprocess.run(cmd + [str(capture)], capture_output=True, text=True)
    sent, pps = 0, 0.0
    for line in r.stdout.splitlines():
        if "Actual:" in line:
            sent = int(line.split()[1])
        if "Rated:" in line and "pps" in line:
            pps = float(line.split(",")[-1].split()[0])
    tcpreplay.last_pps = pps
    return sent


def live_cfg(**extra):
    return write_config(work / "live.yaml", **{"interfaces: [any]": "interfaces: [dlb-in]", **extra})


def daemon_drops(status):
    captures = status.get("capture", [])
    kernel = sum(int(c.get("kernelDrops", 0)) + int(c.get("interfaceDrops", 0)) for c in captures)
    received = sum(int(c.get("packetsReceived", 0)) for c in captures)
    internal = counter(status, "attribution", "overflow") + counter(status, "attribution", "ebpfLost")
    return received, kernel, internal


def live():
    veth_up()
    no_ebpf = {"ebpf: true": "ebpf: false"}
    try:
        for rate, changes in ((None, {}), (500_000, {}), (300_000, {}), (None, no_ebpf), (300_000, no_ebpf)):
            label = "top speed" if rate is None else f"{rate // 1000}k pkt/s"
            if changes:
                label += ", attribution without eBPF (immediate mode)"
            bare = subprocess.Popen(["ip", "netns", "exec", NS, str(baseline_bin), "--live", "dlb-in", "1000"],
                                    stdout=subprocess.PIPE, text=True)
            bare.stdout.readline()
            sent = tcpreplay(mix_scapy, rate)
            time.sleep(0.5)
            bare.send_signal(signal.SIGTERM)
            out = bare.communicate()[0].split()
            bare_rx, bare_drop = (int(out[0]), int(out[3])) if len(out) == 4 else (0, -1)
            d = Daemon(live_cfg(**changes), netns=NS)
            time.sleep(1)
            sent = tcpreplay(mix_scapy, rate)
            time.sleep(1)
            received, kernel, internal = daemon_drops(d.status())
            d.stop()
            row("live", f"{label}: share dropped (kernel), sent {sent}", kernel / max(sent, 1), "share",
                bare_drop / max(sent, 1), "bare loop")
            print(f"[live] {label}: sent at {tcpreplay.last_pps:.0f} pkt/s; daemon received {received} "
                  f"(after its filter), lost inside {internal}; bare loop received {bare_rx}", flush=True)
            results["live"][f"{label}: received"] = received
            results["live"][f"{label}: internal losses"] = internal
        # The price of capture.immediate_when_watched: the flood starts
        # while someone watches, into the immediate ring's few hundred slots.
        for label, changes in (("", {}),
                               (", immediate_when_watched",
                                {"immediate_when_watched: false": "immediate_when_watched: true"})):
            d = Daemon(live_cfg(**changes), netns=NS)
            stalled = subprocess.Popen([str(watch_bench), d.socket, "stall", "50", "60"], stdout=subprocess.PIPE,
                                       text=True)
            stalled.stdout.readline()
            d.wait_watchers(50)
            sent = tcpreplay(mix_scapy)
            time.sleep(1)
            _, kernel, internal = daemon_drops(d.status())
            stalled.kill()
            d.stop()
            row("live", f"top speed with 50 stalled watchers{label}: share dropped", kernel / max(sent, 1), "share",
                None)
    finally:
        veth_down()


# ------------------------------------------------------------------ idle
def idle():
    veth_up()
    try:
        d = Daemon(live_cfg(), netns=NS)
        time.sleep(2)
        c0, t0 = d.cpu_seconds(), time.perf_counter()
        time.sleep(20)
        row("idle", "fully idle: CPU share of one core", (d.cpu_seconds() - c0) / (time.perf_counter() - t0), "share",
            None)
        row("idle", "fully idle: RSS, MB", d.rss_kib() / 1024, "MB", None)
        row("idle", "fully idle: private memory (Pss_Anon), MB", d.private_kib() / 1024, "MB", None)
        # The floor, measured over the same seconds and packets: a bare
        # libpcap loop on the same interface, woken as often as the bundled
        # capture.delivery_ms asks. The machine's drift, which moves both
        # figures by half between runs minutes apart, moves them together.
        delivery_ms = re.search(r"^\s*delivery_ms: (\d+)", config.read_text(), re.M).group(1)

        def at_200_pps(daemon):
            bare = subprocess.Popen(["ip", "netns", "exec", NS, str(baseline_bin), "--live", "dlb-in", "60",
                                     delivery_ms], stdout=subprocess.PIPE, text=True)
            bare.stdout.readline()
            c0, b0, t0 = daemon.cpu_seconds(), process_cpu_seconds(bare.pid), time.perf_counter()
            tcpreplay(mix_scapy, 200, 4000)
            took = time.perf_counter() - t0
            shares = (daemon.cpu_seconds() - c0) / took, (process_cpu_seconds(bare.pid) - b0) / took
            bare.send_signal(signal.SIGTERM)
            bare.communicate()
            return shares

        # Nobody watches: capture reads quietly (capture.quiet_delivery_ms).
        daemon_share, bare_share = at_200_pps(d)
        row("idle", "200 pkt/s: RSS, MB", d.rss_kib() / 1024, "MB", None)
        row("idle", "200 pkt/s: private memory (Pss_Anon), MB", d.private_kib() / 1024, "MB", None)
        d.stop()
        row("idle", "200 pkt/s: CPU share of one core", daemon_share, "share", bare_share,
            f"bare loop woken every {delivery_ms} ms")
        # The same with capture always prompt, as while someone watches (a
        # config from before quiet capture has nothing to turn off).
        quiet = re.search(r"^\s*quiet_delivery_ms: \d+", config.read_text(), re.M)
        if quiet:
            prompt = Daemon(live_cfg(**{quiet.group(0).strip(): "quiet_delivery_ms: 0"}), netns=NS)
            time.sleep(2)
            daemon_share, bare_share = at_200_pps(prompt)
            prompt.stop()
            row("idle", "200 pkt/s, prompt (quiet_delivery_ms: 0): CPU share", daemon_share, "share", bare_share,
                f"bare loop woken every {delivery_ms} ms")
    finally:
        veth_down()


# ------------------------------------------------------------------ watch
def bare_fanout(sample, streams):
    """The same client against fanout_baseline sending `sample` 200 times a
    second: its delays, the mean message size and both sides' CPU shares."""
    socket = str(work / f"fanout{time.monotonic_ns()}.sock")
    server = subprocess.Popen([str(fanout_baseline), socket, str(sample), str(streams), "200"],
                              stdout=subprocess.PIPE, text=True)
    try:
        if not server.stdout.readline():  # listening
            raise RuntimeError(f"fanout_baseline did not start (exit {server.wait()}): see its stderr")
        w = subprocess.Popen([str(watch_bench), socket, "latency", str(streams), "7"], stdout=subprocess.PIPE,
                             text=True)
        w.stdout.readline()  # started
        # As for the daemon: the shares over 5 s of events.
        time.sleep(1)
        s0, c0, t0 = process_cpu_seconds(server.pid), process_cpu_seconds(w.pid), time.perf_counter()
        time.sleep(5)
        took = time.perf_counter() - t0
        server_cpu = (process_cpu_seconds(server.pid) - s0) / took
        clients_cpu = (process_cpu_seconds(w.pid) - c0) / took  # the client runs 7 s: still there
        out = json.loads(w.communicate()[0].strip().splitlines()[-1])
        out["server_cpu"], out["clients_cpu"] = server_cpu, clients_cpu
    finally:
        server.kill()
        server.wait()
    return out


def watch():
    exchanges = work / "exchanges.pcap"
    sample, bare = work / "event.bin", {}
    subprocess.run(["/usr/bin/python3", str(root / "bench" / "make_mix.py"), "--exchanges", str(exchanges), "1000"],
                   check=True, stdout=subprocess.DEVNULL)
    veth_up()
    try:
        changes = {"enabled: true\n  ebpf": "enabled: false\n  ebpf", "fold_seconds: 60": "fold_seconds: 0"}
        cfg = live_cfg(**changes)
        immediate_cfg = write_config(work / "live-immediate.yaml", **{
            "interfaces: [any]": "interfaces: [dlb-in]", "immediate_when_watched: false": "immediate_when_watched: true",
            **changes})
        for streams, immediate in ((1, False), (10, False), (100, False), (1, True), (100, True)):
            label = f"{streams} watchers" + (", immediate_when_watched" if immediate else "")
            d = Daemon(immediate_cfg if immediate else cfg, netns=NS)
            # The first run keeps one of the daemon's events for the baseline.
            keep = [] if sample.exists() else ["0", str(sample)]
            w = subprocess.Popen([str(watch_bench), d.socket, "latency", str(streams), "7", *keep],
                                 stdout=subprocess.PIPE, text=True)
            started = w.stdout.readline().strip()
            try:
                d.wait_watchers(streams)
            except RuntimeError:
                # Neither is left running past the bench, and what each
                # said is shown.
                w.kill()
                status = d.status(quiet=True)
                d.log.seek(0)
                print(f"[watch] {label}: {counter(status, 'watchers')} connected; the client said "
                      f"{started or 'nothing'} and exited {w.wait()} (a stream that failed is named on its stderr); "
                      f"daemon log: {d.log.read()[-1500:]}", flush=True)
                d.stop()
                raise
            # Who had the cores: the daemon, and the clients reading (both
            # share this machine's).
            d0, c0, t0 = d.cpu_seconds(), process_cpu_seconds(w.pid), time.perf_counter()
            tcpreplay(exchanges, 400)  # 200 exchanges a second, 5 s
            took = time.perf_counter() - t0
            daemon_cpu, clients_cpu = (d.cpu_seconds() - d0) / took, (process_cpu_seconds(w.pid) - c0) / took
            out = json.loads(w.communicate()[0].strip().splitlines()[-1])
            d.stop()
            if streams not in bare:
                bare[streams] = bare_fanout(sample, streams)
            b = bare[streams]
            row("watch", f"{label}: delay p50, ms", out["p50_us"] / 1000, "ms", b["p50_us"] / 1000, "bare fan-out")
            row("watch", f"{label}: delay p99, ms", out["p99_us"] / 1000, "ms", b["p99_us"] / 1000, "bare fan-out")
            row("watch", f"{label}: CPU share, daemon", daemon_cpu, "share", b["server_cpu"], "bare fan-out")
            row("watch", f"{label}: CPU share, the clients", clients_cpu, "share", b["clients_cpu"], "bare fan-out")
            results["watch"][f"{label}: events per stream"] = [out["events_min"], out["events_max"]]
            results["watch"][f"{label}: mean message bytes"] = [out["message_bytes"], b["message_bytes"]]
    finally:
        veth_down()


try:
    for name, fn in (("offline", offline), ("store", store), ("live", live), ("idle", idle), ("watch", watch)):
        if name not in sections:
            continue
        if name in ("live", "idle", "watch") and os.geteuid() != 0:
            print(f"[{name}] skipped: needs root (network namespaces, tcpreplay)")
            continue
        fn()
finally:
    shutil.rmtree(work, ignore_errors=True)
if args.json:
    Path(args.json).write_text(json.dumps(results, indent=1))
