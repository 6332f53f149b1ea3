#!/usr/bin/env python3
"""Builds config/resolvers/public-resolvers.txt, the list of public
encrypted-DNS resolvers dnsleakd ships, from the public lists in
shared/data/resolvers (their facts: host names, addresses, protocols).

    scripts/build-resolver-list.py [SHARED_RESOLVERS_DIR] [OUT]

Private, shared-address (CGNAT), loopback, link-local, documentation and
multicast addresses are dropped: they say nothing about a public resolver.

Names are audited: a name is kept only as far as a source says it serves
DNS.
- A DNSCrypt stamp is a resolver's own description: its host name is kept,
  with the names under it ("host").
- The DoH block list casts a wider net. Its names are kept with the names
  under them when a stamp names the same server, or when a label of the
  name's own part (not its public suffix) says DNS (dns, doh, dot, doq,
  resolver, ...) and the name is below its registrable domain. A whole
  registrable domain that says DNS, and a server the list is the only word
  on, are kept as that one name ("exact"): the names under them are other
  services (the organisation's site, its APIs). A whole registrable domain
  with nothing saying DNS is dropped, and so are API endpoints.
What was dropped or narrowed, and why, is printed and kept at the end of
the list. libpsl (libpsl5, through ctypes) gives registrable domains.
"""
import base64
import ctypes
import ipaddress
import re
import sys
from pathlib import Path

here = Path(__file__).resolve().parent.parent
src = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "shared" / "data" / "resolvers"
out = Path(sys.argv[2]) if len(sys.argv) > 2 else here / "config" / "resolvers" / "public-resolvers.txt"

HOST = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62}\.)+[a-z0-9-]{1,63}$")
hosts = {}      # name -> set of protocols: the name and the names under it
exact = {}      # name -> set of protocols: that name only
addresses = {}  # address -> set of protocols
dropped = {}    # name -> why it is not on the list
block_list = {}  # name -> protocols, from the DoH block list, audited once the stamps are read

_psl = ctypes.CDLL("libpsl.so.5")
_psl.psl_builtin.restype = ctypes.c_void_p
_psl.psl_registrable_domain.restype = ctypes.c_char_p
_psl.psl_registrable_domain.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_psl_context = _psl.psl_builtin()


def registrable_domain(name):
    found = _psl.psl_registrable_domain(_psl_context, name.encode())
    return found.decode() if found else None


# Words that name a DNS service when a label is split at digits, '-' and '_'.
DNS_WORDS = {"doh", "dot", "doq", "resolver", "resolvers", "resolve", "dnscrypt", "adguard", "quad9", "nextdns",
             "cleanbrowsing"}


def says_dns(name):
    """Whether a label of the name's own part (not its public suffix: the
    'duckdns' of a dynamic-DNS home server says nothing) names DNS."""
    registrable = registrable_domain(name)
    own = name[:-len(registrable.split(".", 1)[1]) - 1] if registrable else ""
    for label in own.split("."):
        for word in re.split(r"[-_0-9]+", label):
            if "dns" in word or word in DNS_WORDS or word.startswith("doh") or word.endswith("doh"):
                return True
    return False


def api_endpoint(name):
    labels = name.split(".")
    if labels[0] == "api":
        return "an API endpoint (first label 'api'), not a resolver: e.g. a VPN client's registration API"
    if len(labels) > 2 and labels[0] == "dns" and labels[1] == "api":
        return "a DNS hosting provider's zone-management API (dns.api.*), not a resolver"
    return None


def clean(name):
    name = name.strip().lower().rstrip(".")
    return name if HOST.match(name) and not re.match(r"^[0-9.]+$", name) else None


def add_host(name, protocol, source):
    name = clean(name)
    if not name:
        return
    if source == "stamp":
        hosts.setdefault(name, set()).add(protocol)
    else:
        block_list.setdefault(name, set()).add(protocol)


def audit_block_list():
    narrowed = 0
    for name, protocols in block_list.items():
        whole_domain = registrable_domain(name) in (name, None)
        why = api_endpoint(name)
        if why:
            dropped[name] = why
        elif name in stamp_hosts or (says_dns(name) and not whole_domain):
            hosts.setdefault(name, set()).update(protocols)
        elif whole_domain and not says_dns(name):
            dropped[name] = ("a whole registrable domain (its site, its other services) that only the DoH block "
                             "list names, and nothing in the name says DNS")
        else:
            # A DNS name that is a whole domain (its web site is under it
            # too), or a server only the block list speaks for.
            exact.setdefault(name, set()).update(protocols)
            narrowed += 1
    return narrowed


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

stamp_hosts = set(hosts)
narrowed = audit_block_list()

lines = [
    "# Public encrypted-DNS resolvers (DoH, DoT, DoQ, DNSCrypt) known to dnsleakd.",
    "# Built by scripts/build-resolver-list.py from the facts (names, addresses,",
    "# protocols) in these public lists:",
    "#   jpgpi250/piholemanual DOH/DOHadb.txt, DOH/ipv4/DOHipv4.txt, DOH/ipv6/DOHipv6.txt",
    "#     at f5be433a11f2021378bdd742145213b32670ff3b (2026-08-22), CC0",
    "#   DNSCrypt/dnscrypt-resolvers v3/public-resolvers.md at",
    "#     24795a1917845084794eb23f851703df42c8197e (2026-07-24), sdns:// stamps",
    "# Private, shared (CGNAT), loopback, link-local, documentation and multicast",
    "# addresses are left out. Names are kept as far as a source says they serve",
    "# DNS: a DNSCrypt stamp's, or a block-list name below its registrable domain",
    "# that says DNS itself, with the names under it; a whole domain that says DNS",
    "# and a server only the block list names, as that one name; a whole domain",
    "# that only the block list names, and API endpoints, not at all (listed at",
    "# the end with the reason).",
    "#",
    "# host NAME [PROTOCOLS]   the name and every name under it",
    "# exact NAME [PROTOCOLS]  that name only",
    "# address ADDR [PROTOCOLS] a resolver address; many are shared with ordinary",
    "#                          sites (CDNs), so an address alone marks DNS only",
    "#                          where nothing else names the server (no SNI)",
    f"# {len(hosts)} hosts, {len(exact)} exact hosts, {len(addresses)} addresses",
]
for name in sorted(hosts):
    lines.append(f"host {name} {','.join(sorted(hosts[name]))}")
for name in sorted(exact):
    lines.append(f"exact {name} {','.join(sorted(exact[name]))}")
for address in sorted(addresses, key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a))):
    lines.append(f"address {address} {','.join(sorted(addresses[address]))}")
for name in sorted(dropped):
    lines.append(f"# dropped {name}: {dropped[name]}")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("\n".join(lines) + "\n")
print(f"{out}: {len(hosts)} hosts with the names under them, {len(exact)} exact hosts, {len(addresses)} addresses")
print(f"  {narrowed} block-list names are kept as that server only (exact): whole domains that say DNS,"
      " and servers only the block list names")
reasons = {}
for name, why in dropped.items():
    reasons.setdefault(why, []).append(name)
print(f"  dropped {len(dropped)} names that are not resolvers:")
for why, names in sorted(reasons.items()):
    print(f"    {len(names)}: {why}: {', '.join(sorted(names)[:8])}{', ...' if len(names) > 8 else ''}")
