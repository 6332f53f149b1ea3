#!/usr/bin/env bash
# Installs the Debian 12 packages dnsleak needs to build, run and test.
# Only packages that are missing are installed; nothing is downloaded from
# anywhere but the configured Debian archive.
set -euo pipefail

packages=(
  # build; clang and its runtime for the libFuzzer targets
  build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
  # libraries
  libpcap-dev libsystemd-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # Abseil (gRPC's own dependency): Swiss tables for the store's fold keys
  libabsl-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev libssl-dev
  # dropping to the daemon's user with only its capabilities
  libcap-dev
  # HPACK, to read the headers of cleartext DNS over HTTP/2
  libnghttp2-dev
  # the Public Suffix List, for privacy: redacted (registrable domains)
  libpsl-dev publicsuffix
  # GeoIP and ASN of remote resolvers from MaxMind DB files; the tests write
  # a small one with MaxMind's own writer
  libmaxminddb-dev libmaxmind-db-writer-perl
  # eBPF process attribution at send time: libbpf, and bpftool to turn the
  # BPF object (built with clang -target bpf) into a skeleton
  libbpf-dev bpftool
  libgtest-dev libgmock-dev
  # live end-to-end tests: namespaces, a real resolver, real clients;
  # setpriv (util-linux) runs the client as another user; openssl plays a
  # DNS-over-TLS server and client
  iproute2 dnsmasq-base bind9-dnsutils util-linux openssl
  # real DNS tunnels for the tunnel detector's tests and benchmark: iodine
  # (client and server); tcpdump records what they send
  iodine
  # a DNS-over-HTTPS server and client of the tests' own (HTTP/2 over TLS), on a name
  # and port no list has
  python3-h2 curl
  # nft masquerades a test container's traffic as Docker does
  nftables
  # the package and what it installs: debhelper builds the .deb; scdoc
  # the man pages (man and groff check them); bash-completion runs the
  # completion's test; systemd-analyze checks the unit; systemd-sysusers
  # makes the daemon's user
  debhelper dpkg-dev scdoc man-db groff-base bash-completion systemd
  # strace lists the system calls the daemon makes, against the unit's filter
  strace
  # tshark, text2pcap and mergecap make a multi-interface pcapng for a test
  tshark wireshark-common
  # the resolver-list build script (libpsl through ctypes), run by a test
  python3
  # the HTML report is opened in a headless browser by a test
  chromium
  # the API's example client in Python runs in a test; node_exporter reads
  # the metrics textfile in another
  python3-grpcio python3-grpc-tools prometheus-node-exporter
  # the benchmarks (bench/run.py): scapy writes an independent traffic mix,
  # tcpreplay sends captures into a veth at fixed rates and top speed,
  # tcpdump is a peer to compare with
  python3-scapy tcpreplay tcpdump
  # the Windows build: cross-compiled with mingw-w64 (posix threads), its
  # tests linked with GoogleTest built from Debian's source and run under Wine
  g++-mingw-w64-x86-64-posix mingw-w64-x86-64-dev googletest wine wine64
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
