#!/usr/bin/env python3
"""Builds config/resolvers/public-resolvers.txt, the list of public
encrypted-DNS resolvers dnsleakd ships, from the public lists in
shared/data/resolvers (their facts: host names, addresses, protocols).

    scripts/build-resolver-list.py [SHARED_RESOLVERS_DIR] [OUT]

Private, shared-address (CGNAT), loopback, link-local, documentation and
multicast addresses are dropped: they say nothing about a public resolver.
"""
import base64
import ipaddress
import re
import sys
from pathlib import Path

here = Path(__file__).resolve().parent.parent
src = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "shared" / "data" / "resolvers"
out = Path(sys.argv[2]) if len(sys.argv) > 2 else here / "config" / "resolvers" / "public-resolvers.txt"

HOST = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62}\.)+[a-z0-9-]{1,63}$")
hosts = {}      # name -> set of protocols
addresses = {}  # address -> set of protocols
dropped = {}    # name -> why it is not on the list


def not_a_resolver(name, source):
    """Why a name a list gives is not a resolver, or None. A DNSCrypt stamp
    is a resolver's own description; the DoH block list casts a wider net,
    and two kinds of name on it are APIs, not resolvers."""
    if source == "stamp":
        return None
    labels = name.split(".")
    if labels[0] == "api":
        return "an API endpoint (first label 'api'), not a resolver: e.g. a VPN client's registration API"
    if len(labels) > 2 and labels[0] == "dns" and labels[1] == "api":
        return "a DNS hosting provider's zone-management API (dns.api.*), not a resolver"
    return None


def add_host(name, protocol, source):
    name = name.strip().lower().rstrip(".")
    if HOST.match(name) and not re.match(r"^[0-9.]+$", name):
        why = not_a_resolver(name, source)
        if why:
            dropped[name] = why
            return
        hosts.setdefault(name, set()).add(protocol)


def add_address(text, protocol):
    text = text.strip().strip("[]")
    if not text:
        return
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return
    if address.is_global and not address.is_multicast:
        addresses.setdefault(str(address), set()).add(protocol)


# jpgpi250/piholemanual: Adblock "||name^" lines (a name and its subdomains),
# and one address per line.
for line in (src / "piholemanual-DOHadb.txt").read_text().splitlines():
    m = re.match(r"^\|\|([^\^/]+)\^$", line.strip())
    if m:
        add_host(m.group(1), "doh", "doh-block-list")
for name in ("piholemanual-DOHipv4.txt", "piholemanual-DOHipv6.txt"):
    for line in (src / name).read_text().splitlines():
        if not line.startswith(("#", "!")):
            add_address(line, "doh")


# DNSCrypt/dnscrypt-resolvers: sdns:// stamps (protocol byte, properties,
# then length-prefixed fields; the public stamp format).
def lp(data, i):
    n = data[i]
    return data[i + 1:i + 1 + n], i + 1 + n


def vlp(data, i):
    items = []
    while True:
        n = data[i]
        items.append(data[i + 1:i + 1 + (n & 0x7F)])
        i += 1 + (n & 0x7F)
        if not n & 0x80:
            return items, i


def host_of(addr):
    addr = addr.decode(errors="replace")
    if addr.startswith("["):
        return addr[1:addr.index("]")] if "]" in addr else ""
    return addr.rsplit(":", 1)[0] if addr.count(":") == 1 else addr


PROTOCOLS = {0x01: "dnscrypt", 0x02: "doh", 0x03: "dot", 0x04: "doq"}
for stamp in re.findall(r"sdns://([A-Za-z0-9_-]+)", (src / "dnscrypt-public-resolvers.md").read_text()):
    try:
        data = base64.urlsafe_b64decode(stamp + "=" * (-len(stamp) % 4))
        protocol = PROTOCOLS.get(data[0])
        if not protocol:
            continue
        i = 9  # protocol byte and 8 bytes of properties
        addr, i = lp(data, i)
        add_address(host_of(addr), protocol)
        if protocol == "dnscrypt":
            _, i = lp(data, i)           # public key
            provider, i = lp(data, i)    # e.g. 2.dnscrypt-cert.example
            add_host(provider.decode(errors="replace"), "dnscrypt", "stamp")
        else:
            _, i = vlp(data, i)          # certificate hashes
            name, i = lp(data, i)
            add_host(host_of(name), protocol, "stamp")
    except (IndexError, ValueError):
        continue

lines = [
    "# Public encrypted-DNS resolvers (DoH, DoT, DoQ, DNSCrypt) known to dnsleakd.",
    "# Built by scripts/build-resolver-list.py from the facts (names, addresses,",
    "# protocols) in these public lists:",
    "#   jpgpi250/piholemanual DOH/DOHadb.txt, DOH/ipv4/DOHipv4.txt, DOH/ipv6/DOHipv6.txt",
    "#     at f5be433a11f2021378bdd742145213b32670ff3b (2026-08-22), CC0",
    "#   DNSCrypt/dnscrypt-resolvers v3/public-resolvers.md at",
    "#     24795a1917845084794eb23f851703df42c8197e (2026-07-24), sdns:// stamps",
    "# Private, shared (CGNAT), loopback, link-local, documentation and multicast",
    "# addresses are left out, and so are names the lists give that are not",
    "# resolvers (listed at the end with the reason).",
    "#",
    "# host NAME [PROTOCOLS]   the name and every name under it",
    "# address ADDR [PROTOCOLS] a resolver address; many are shared with ordinary",
    "#                          sites (CDNs), so an address alone marks DNS only",
    "#                          where nothing else names the server (no SNI)",
    f"# {len(hosts)} hosts, {len(addresses)} addresses",
]
for name in sorted(hosts):
    lines.append(f"host {name} {','.join(sorted(hosts[name]))}")
for address in sorted(addresses, key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a))):
    lines.append(f"address {address} {','.join(sorted(addresses[address]))}")
for name in sorted(dropped):
    lines.append(f"# dropped {name}: {dropped[name]}")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("\n".join(lines) + "\n")
print(f"{out}: {len(hosts)} hosts, {len(addresses)} addresses; dropped {len(dropped)} names that are not resolvers:")
for name in sorted(dropped):
    print(f"  {name}: {dropped[name]}")
