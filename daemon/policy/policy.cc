#include "policy/policy.h"

#include <fnmatch.h>

namespace dnsleak::policy {
namespace {

constexpr std::string_view kRemediationFullTunnel =
    "send all DNS through the tunnel: with systemd-resolved, set the tunnel link's DNS server and "
    "`resolvectl domain <tunnel> '~.'` (DNSDefaultRoute on the tunnel only); otherwise point "
    "/etc/resolv.conf at the tunnel's resolver, and check applications with their own resolver settings";

std::string describeQuestion(const core::Event& e) {
  if (!e.dns.parse_error.empty() && e.dns.qname.empty() && e.dns.qtype == 0) {
    return "a malformed question (" + e.dns.parse_error + ")";
  }
  std::string out = e.dns.qname.empty() ? std::string("(no question)") : e.dns.qname;
  auto type = core::qtypeName(e.dns.qtype, e.transport);
  out += " (";
  out += type.empty() ? "TYPE" + std::to_string(e.dns.qtype) : std::string(type);
  if (e.kind == core::MessageKind::kResponse) {
    auto rcode = core::rcodeName(e.dns.rcode);
    out += ", ";
    out += rcode.empty() ? "RCODE" + std::to_string(e.dns.rcode) : std::string(rcode);
  }
  out += ")";
  return out;
}

std::string describeEndpoint(const core::Endpoint& ep) {
  if (ep.address.isV6()) return "[" + ep.address.toString() + "]:" + std::to_string(ep.port);
  return ep.address.toString() + ":" + std::to_string(ep.port);
}

std::string describeInterface(const core::InterfaceInfo& iface) {
  if (!iface.name.empty()) return iface.name;
  if (iface.index != 0) return "interface #" + std::to_string(iface.index);
  return "an unknown interface";
}

bool encrypted(core::Transport t) {
  return t == core::Transport::kDot || t == core::Transport::kDoh || t == core::Transport::kDoq ||
         t == core::Transport::kDnsCrypt;
}

std::string_view encryptedName(core::Transport t) {
  switch (t) {
    case core::Transport::kDot: return "DNS over TLS";
    case core::Transport::kDoh: return "DNS over HTTPS";
    case core::Transport::kDoq: return "DNS over QUIC";
    case core::Transport::kDnsCrypt: return "DNSCrypt";
    default: return "";
  }
}

constexpr std::string_view kRemediationEncrypted =
    "if this encrypted resolver is meant to be used, send it through the tunnel or list it in safe_path.resolvers "
    "(address:port); otherwise turn off the application's or system's own encrypted DNS (Android Private DNS, "
    "systemd-resolved DNSOverTLS=, a browser's secure DNS setting)";

std::string_view localLinkName(core::Transport t) {
  switch (t) {
    case core::Transport::kMdns: return "mDNS";
    case core::Transport::kLlmnr: return "LLMNR";
    case core::Transport::kNbns: return "NetBIOS-NS";
    default: return "";
  }
}

constexpr std::string_view kRemediationLocalLink =
    "if names must not be announced on this network: systemd-resolved MulticastDNS=no and LLMNR=no "
    "(resolved.conf or per link), avahi-daemon off, NetBIOS off in Samba (disable netbios = yes)";

}  // namespace

Policy::Policy(std::shared_ptr<const config::Config> config) : config_(std::move(config)) {
  safe_path_summary_ = safePathSummary();
}

std::string Policy::safePathSummary() const {
  std::string interfaces;
  for (const auto& i : config_->safe_path.interfaces) interfaces += (interfaces.empty() ? "" : ", ") + i;
  std::string resolvers;
  for (const auto& r : config_->safe_path.resolvers) resolvers += (resolvers.empty() ? "" : ", ") + r.text;
  return "safe interfaces: " + (interfaces.empty() ? std::string("none") : interfaces) +
         "; safe resolvers: " + (resolvers.empty() ? std::string("none") : resolvers);
}

bool Policy::safeInterface(const std::string& name) const {
  if (name.empty()) return false;
  for (const auto& pattern : config_->safe_path.interfaces) {
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

const config::ResolverSpec* Policy::safeResolver(const core::Endpoint& resolver) const {
  for (const auto& spec : config_->safe_path.resolvers) {
    if ((spec.port == 0 || spec.port == resolver.port) && spec.prefix.contains(resolver.address)) return &spec;
  }
  return nullptr;
}

namespace {

std::string plaintextName(core::Transport t) {
  return t == core::Transport::kDnsHttp ? "plaintext DNS over HTTP" : "plaintext DNS";
}

// "plaintext DNS query for NAME (A) to 192.0.2.1:53 travelled", "DNS over TLS to ... travelled"
std::string describeSubject(const core::Event& e, bool query, bool from_client) {
  if (encrypted(e.transport)) {
    return std::string(encryptedName(e.transport)) + (from_client ? " to " : " from ") +
           describeEndpoint(e.resolver) + (e.sni.empty() ? std::string() : " (server name " + e.sni + ")") +
           " travelled";
  }
  return plaintextName(e.transport) + (query ? " query for " : " response for ") + describeQuestion(e) +
         (query ? " to " : " from ") + describeEndpoint(e.resolver) + " travelled";
}

}  // namespace

void Policy::judge(core::Event& e) const {
  e.profile = config::profileName(config_->profile);
  e.leak_type = core::LeakType::kNone;
  e.remediation.clear();
  const bool query = e.kind == core::MessageKind::kQuery;
  // Sent by the client (the resolver's peer): a query, or the client's
  // side of a connection. Decides which direction makes this host the server.
  const bool from_client = !(e.source.address == e.resolver.address && e.source.port == e.resolver.port);

  // Local-link name protocols announce names to everyone on the link. They
  // are reported, not judged as leaks, until the profile's local-link rule
  // (off/info/leak) exists.
  if (auto protocol = localLinkName(e.transport); !protocol.empty()) {
    e.verdict = core::Verdict::kInfo;
    e.rule = kRuleLocalLink;
    e.reason = std::string(protocol) + (query ? " query for " : " response for ") + describeQuestion(e) +
               (query ? " announced on the local link via " : " seen on the local link via ") +
               describeInterface(e.interface) + " (" + describeEndpoint(query ? e.source : e.destination) +
               (query ? " asking" : " answered") + ")";
    e.remediation = kRemediationLocalLink;
    return;
  }

  // This host answering as a server is not its own resolution leaking.
  if ((from_client && e.direction == core::Direction::kInbound) ||
      (!from_client && e.direction == core::Direction::kOutbound)) {
    e.verdict = core::Verdict::kInfo;
    e.rule = kRuleInboundServer;
    if (e.kind == core::MessageKind::kQuery || e.kind == core::MessageKind::kResponse) {
      e.reason = query ? "query received by this host, which answers it as a server"
                       : "response sent by this host as a server";
    } else {
      e.reason = from_client ? "connection to this host, which serves DNS here" : "sent by this host as a DNS server";
    }
    return;
  }
  if (e.resolver.address.isLoopback() || e.interface.name == "lo") {
    e.verdict = core::Verdict::kOk;
    e.rule = kRuleLocal;
    e.reason = "stays on this host (loopback resolver " + describeEndpoint(e.resolver) + ")";
    return;
  }
  if (safeInterface(e.interface.name)) {
    e.verdict = core::Verdict::kOk;
    e.rule = kRuleSafeInterface;
    e.reason = (from_client ? "left via safe interface " : "arrived via safe interface ") + e.interface.name;
    return;
  }
  if (const auto* spec = safeResolver(e.resolver)) {
    e.verdict = core::Verdict::kOk;
    e.rule = kRuleSafeResolver;
    e.reason = "resolver " + describeEndpoint(e.resolver) + " is a safe resolver (" + spec->text + ")";
    return;
  }
  // Decapsulated from a tunnel seen on an outer link: it left this host
  // through the tunnel's own device, which the outer capture does not name.
  // Until tunnels are matched to the safe path it is reported, not judged;
  // where the tunnel's device is captured too, that copy is judged.
  if (!e.tunnel.empty()) {
    e.verdict = core::Verdict::kInfo;
    e.rule = kRuleInsideTunnel;
    e.reason = describeSubject(e, query, from_client) + " inside a tunnel (" + e.tunnel + ") on " +
               describeInterface(e.interface) + "; the tunnel's own interface decides whether it is safe";
    return;
  }
  if (encrypted(e.transport)) {
    e.verdict = core::Verdict::kLeak;
    e.leak_type = core::LeakType::kC;
    e.rule = kRuleEncryptedOutside;
    e.reason = std::string(encryptedName(e.transport)) + " to " + describeEndpoint(e.resolver) +
               (e.sni.empty() ? std::string() : " (server name " + e.sni + ")") +
               (from_client ? " left via " : " arrived via ") + describeInterface(e.interface) +
               ", outside the safe path (" + safe_path_summary_ + ")";
    e.remediation = kRemediationEncrypted;
    return;
  }
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kA;
  e.rule = kRulePlaintextOutside;
  e.reason = plaintextName(e.transport) + (query ? " query for " : " response for ") + describeQuestion(e) +
             (query ? " to " : " from ") + describeEndpoint(e.resolver) + (query ? " left via " : " arrived via ") +
             describeInterface(e.interface) + ", outside the safe path (" + safe_path_summary_ + ")";
  e.remediation = kRemediationFullTunnel;
}

PolicyHolder::PolicyHolder(std::shared_ptr<const Policy> initial) : policy_(std::move(initial)) {}

void PolicyHolder::publish(std::shared_ptr<const Policy> next) {
  {
    std::lock_guard lock(mutex_);
    policy_ = std::move(next);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const Policy> PolicyHolder::current() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

const Policy& PolicyView::get() {
  std::uint64_t generation = holder_.generation();
  if (!cached_ || generation != generation_) {
    cached_ = holder_.current();
    generation_ = generation;
  }
  return *cached_;
}

}  // namespace dnsleak::policy
