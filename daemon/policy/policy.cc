#include "policy/policy.h"

#include <algorithm>
#include <set>

#include "core/glob.h"
#include "core/names.h"

#include "policy/privacy.h"

namespace dnsleak::policy {
namespace {

constexpr std::string_view kRemediationFullTunnel =
    "send all DNS through the tunnel: with systemd-resolved, set the tunnel link's DNS server and "
    "`resolvectl domain <tunnel> '~.'` (DNSDefaultRoute on the tunnel only); otherwise point "
    "/etc/resolv.conf at the tunnel's resolver, and check applications with their own resolver settings";

void appendQuestion(std::string& out, const core::Event& e) {
  if (!e.dns.parse_error.empty() && e.dns.qname.empty() && e.dns.qtype == 0) {
    out += "a malformed question (";
    out += e.dns.parse_error;
    out += ')';
    return;
  }
  // A name the privacy mode took away is said to be withheld, not absent.
  out += !e.dns.qname.empty()         ? std::string_view(e.dns.qname)
         : e.dns.question_count > 0 ? std::string_view("a name withheld by the privacy mode")
                                    : std::string_view("(no question)");
  auto type = core::qtypeName(e.dns.qtype, e.transport);
  out += " (";
  if (type.empty()) {
    out += "TYPE";
    out += std::to_string(e.dns.qtype);
  } else {
    out += type;
  }
  if (e.kind == core::MessageKind::kResponse) {
    auto rcode = core::rcodeName(e.dns.rcode);
    out += ", ";
    if (rcode.empty()) {
      out += "RCODE";
      out += std::to_string(e.dns.rcode);
    } else {
      out += rcode;
    }
  }
  out += ')';
}

std::string describeQuestion(const core::Event& e) {
  std::string out;
  appendQuestion(out, e);
  return out;
}

// The names an announcement carries: the first with its type, then how
// many other distinct names (after the privacy mode: the answers are gone
// when it keeps no names).
std::string describeAnnounced(const core::Event& e) {
  std::string out = e.dns.qname.empty() ? std::string("its names") : e.dns.qname;
  auto type = core::qtypeName(e.dns.qtype, e.transport);
  if (!e.dns.qname.empty()) out += " (" + (type.empty() ? "TYPE" + std::to_string(e.dns.qtype) : std::string(type)) + ")";
  std::set<std::string> others;
  for (const auto& a : e.dns.answers) {
    if (!core::equalsIgnoringCase(a.name, e.dns.qname)) others.insert(a.name);
  }
  if (!others.empty()) {
    out += " and " + std::to_string(others.size()) + " other name" + (others.size() == 1 ? "" : "s") + " (" +
           *others.begin() + (others.size() > 1 ? ", ..." : "") + ")";
  }
  return out;
}

using core::describeEndpoint;

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

constexpr std::string_view kRemediationBypass =
    "send this program's DNS to the stub: /etc/resolv.conf pointing at 127.0.0.53 (or the local proxy), the "
    "program's own DNS or secure-DNS setting off (Firefox network.trr.mode=5, Chrome \"Use secure DNS\" off); "
    "to enforce it, allow port 53/853 off-host only for the stub's user (nftables: meta skuid != <stub user> "
    "udp dport 53 drop)";

constexpr std::string_view kRemediationStubUpstream =
    "give the stub a safe upstream: the tunnel's resolver (systemd-resolved: DNS= and DNSDefaultRoute=yes on the "
    "tunnel link only), or DNS over TLS to an approved resolver (DNSOverTLS=yes, listed in approved_resolvers)";

constexpr std::string_view kRemediationSplit =
    "resolve this domain through the tunnel: systemd-resolved `resolvectl domain <tunnel> ~DOMAIN` with the "
    "tunnel's DNS server; dnsmasq `server=/DOMAIN/<tunnel resolver>`; or list it in split.allow_direct if it may "
    "resolve directly";

constexpr std::string_view kRemediationNotApproved =
    "use an approved encrypted resolver (approved_resolvers) or approve this one; otherwise turn off the "
    "program's own encrypted DNS (Firefox network.trr.mode=5 or network.trr.uri, Chrome \"Use secure DNS\", "
    "Android Private DNS, systemd-resolved DNSOverTLS=)";

std::string_view plaintextName(core::Transport t) {
  return t == core::Transport::kDnsHttp ? "plaintext DNS over HTTP" : "plaintext DNS";
}

// "plaintext DNS query for NAME (A) to 192.0.2.1:53", "DNS over TLS to ... (server name ...)".
// Written into one buffer with room for what the reason adds to it: built
// for every judged event.
std::string describeSubject(const core::Event& e, bool query, bool from_client) {
  std::string out;
  out.reserve(256);
  if (encrypted(e.transport)) {
    out += encryptedName(e.transport);
    out += from_client ? " to " : " from ";
    core::appendEndpoint(out, e.resolver);
    if (!e.sni.empty()) {
      out += " (server name ";
      out += e.sni;
      out += ')';
    }
    return out;
  }
  out += plaintextName(e.transport);
  out += query ? " query for " : " response for ";
  appendQuestion(out, e);
  out += query ? " to " : " from ";
  core::appendEndpoint(out, e.resolver);
  return out;
}

}  // namespace

Policy::Policy(std::shared_ptr<const config::Config> config) : config_(std::move(config)) {
  safe_path_summary_ = safePathSummary();
  correlation_.warmup = std::chrono::seconds(config_->correlation.warmup_seconds);
  correlation_.grace = std::chrono::seconds(config_->correlation.grace_seconds);
  correlation_.max_answers = config_->correlation.max_answers;
  std::string profile(config::profileName(config_->profile));
  for (std::string_view suffix :
       {rule::kSafeInterface, rule::kSafeResolver, rule::kSafeProcess, rule::kInsideTunnel, rule::kPlaintextOutside,
        rule::kEncryptedOutside, rule::kNotApproved, rule::kApproved, rule::kToStub, rule::kBypassesStub,
        rule::kProxyRequiredOutside, rule::kProxyRequiredInside, rule::kAllowDirect, rule::kDefaultDirect,
        rule::kAnsweredInsideConnectedOutside, rule::kAnsweredOutsideConnectedInside, rule::kHiddenResolution}) {
    rule_ids_.emplace_back(suffix, profile + "/" + std::string(suffix));
  }
}

void Policy::judgeCorrelation(core::Event& e, Finding finding) const {
  e.profile = config::profileName(config_->profile);
  e.recognition = core::RecognitionMethod::kCorrelation;
  std::string resolver = e.resolver.port != 0 ? " (answered by " + describeEndpoint(e.resolver) + ")" : std::string();
  applyPrivacy(config_->privacy, e);
  std::string name = e.dns.qname.empty() ? std::string("a name") : e.dns.qname;
  std::string what = (e.sni.empty() ? "connection to " : "TLS/QUIC connection to ") + describeEndpoint(e.destination);
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kD;
  e.recognition_confidence = core::Confidence::kMedium;
  switch (finding) {
    case Finding::kAnsweredSafeConnectedOutside:
      e.rule = ruleId(rule::kAnsweredInsideConnectedOutside);
      e.reason = what + " left via " + describeInterface(e.interface) + ", outside the safe path, though " + name +
                 " was resolved through it" + resolver;
      e.remediation =
          "this traffic bypasses the tunnel that resolved its name: route everything through the tunnel "
          "(WireGuard AllowedIPs = 0.0.0.0/0, ::/0; no split-tunnel exclusion for this address), and check for "
          "programs bound to the physical interface";
      return;
    case Finding::kAnsweredOutsideConnectedSafe:
      e.rule = ruleId(rule::kAnsweredOutsideConnectedInside);
      e.reason = what + " went through the safe path, but " + name + " was resolved outside it" + resolver +
                 ": the name leaked before the connection";
      e.remediation = std::string(kRemediationFullTunnel);
      return;
    case Finding::kHiddenResolution:
    case Finding::kHiddenDuringWarmup:  // reported only for capture files (Pipeline::setOffline)
      e.rule = ruleId(rule::kHiddenResolution);
      e.reason = what + " for " + (e.sni.empty() ? name : e.sni) + " via " + describeInterface(e.interface) +
                 ": no DNS this host sent resolved that name (its own encrypted DNS, a hard-coded address, or a "
                 "cache older than what dnsleakd saw)";
      e.remediation =
          "turn off the program's own resolver (Firefox network.trr.mode=5, Chrome \"Use secure DNS\" off) or "
          "send it through the tunnel; if the name was cached before dnsleakd started, this goes away";
      if (finding == Finding::kHiddenDuringWarmup) {
        e.recognition_confidence = core::Confidence::kLow;
        e.reason += "; this was within the first " + std::to_string(correlation_.warmup.count()) +
                    " s of the capture, so the name may have been resolved before it began";
      }
      return;
    case Finding::kNone:
    case Finding::kCount:
      break;
  }
}

void Policy::judgeTunnel(core::Event& e, const TunnelFinding& f) const {
  e.profile = config::profileName(config_->profile);
  const Path path = pathOf(e);
  applyPrivacy(config_->privacy, e);
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kTunnel;
  e.kind = core::MessageKind::kFinding;
  e.recognition = core::RecognitionMethod::kBehaviour;
  e.recognition_confidence = f.confidence;
  e.evidence = f.evidence;
  auto figure = [&](std::string_view name) {
    for (const auto& x : f.evidence) {
      if (x.name == name) return x.value;
    }
    return 0.0;
  };
  auto text = [&](std::string_view name) {
    for (const auto& x : f.evidence) {
      if (x.name == name) return x.text;
    }
    return std::string();
  };
  auto whole = [](double v) { return std::to_string(static_cast<std::uint64_t>(v)); };
  const std::string domain = e.dns.qname.empty() ? std::string("a domain") : e.dns.qname;
  const std::string client = e.source.address.toString();
  const std::string via = path.safe() ? " (through the safe path: the tunnel carries the data past it)"
                                      : " via " + describeInterface(e.interface);
  if (f.kind == TunnelFinding::Kind::kExfiltration) {
    e.rule = kRuleExfiltration;
    e.reason = "a DNS query from " + client + " for a name under " + domain + " carries " + whole(figure("data_chars")) +
               " characters of encoded data (" + text("alphabet") +
               ", longest label " + whole(figure("longest_label")) + ")" + via + ": data leaving in the name";
  } else {
    e.rule = kRuleTunnel;
    e.reason = "names under " + domain + " from " + client + " carry data: " + whole(figure("queries")) +
               " queries, " + whole(figure("distinct_names")) + " distinct names, " + whole(figure("data_chars")) +
               " characters up";
    if (double down = figure("bytes_down"); down > 0) e.reason += ", " + whole(down) + " bytes down";
    e.reason += " in " + whole(figure("span_seconds")) + " s" + via + ": a DNS tunnel or exfiltration";
  }
  e.remediation =
      "find the program (process above) and stop it; block the domain at the resolver (unbound local-zone, an RPZ); "
      "if its lookups carry data by design (anti-virus, reputation services), add it to tunnel.ignore_domains";
}

void explainBehaviour(core::Event& e) {
  double exchanges = 0, followed = 0;
  bool name = false, same_process = false;
  for (const auto& x : e.evidence) {
    if (x.name == "exchanges") exchanges = x.value;
    if (x.name == "hidden_resolutions_after_responses") {
      followed = x.value;
      same_process = x.text.find("same process") != std::string::npos;
    }
    if (x.name == "resolver_like_name") name = true;
  }
  std::string why = "; no list names this server: recognised by its behaviour, " +
                    std::to_string(static_cast<int>(exchanges)) + " DNS-sized request/response exchanges over HTTP/2";
  if (followed > 0) {
    why += ", and " + std::to_string(static_cast<int>(followed)) + " connections " +
           (same_process ? "by the same process" : "from this host") +
           " to names no DNS resolved right after its responses";
  }
  if (name) why += ", a server name like a resolver's";
  why += e.recognition_confidence == core::Confidence::kMedium
             ? " (medium confidence)"
             : " (low confidence: an API polled over HTTP/2 looks the same, and a name proves nothing)";
  e.reason += why;
}

std::string Policy::safePathSummary() const {
  std::string interfaces;
  for (const auto& i : config_->safe_path.interfaces) interfaces += (interfaces.empty() ? "" : ", ") + i;
  std::string resolvers;
  for (const auto& r : config_->safe_path.resolvers) resolvers += (resolvers.empty() ? "" : ", ") + r.text;
  return "safe interfaces: " + (interfaces.empty() ? std::string("none") : interfaces) +
         "; safe resolvers: " + (resolvers.empty() ? std::string("none") : resolvers);
}

const std::string& Policy::ruleId(std::string_view suffix) const {
  for (const auto& [key, id] : rule_ids_) {
    if (key == suffix) return id;
  }
  // Every suffix is one of the rule:: constants, all built in the constructor.
  static const std::string unknown = "unknown";
  return unknown;
}

bool Policy::safeInterface(const core::InterfaceInfo& iface) const {
  for (const auto& pattern : config_->safe_path.interfaces) {
    if (pattern.rfind("kind:", 0) == 0) {
      if (!iface.kind.empty() && iface.kind == std::string_view(pattern).substr(5)) return true;
    } else if (!iface.name.empty() && core::globMatch(pattern, iface.name)) {
      return true;
    }
  }
  return false;
}

const config::ResolverSpec* Policy::safeResolver(const core::Endpoint& resolver) const {
  for (const auto& spec : config_->safe_path.resolvers) {
    if ((spec.port == 0 || spec.port == resolver.port) && spec.prefix.contains(resolver.address)) return &spec;
  }
  return nullptr;
}

const std::string* Policy::matchProcess(const std::vector<std::string>& selectors, const core::ProcessInfo& p) const {
  if (p.pid == 0 && p.name.empty()) return nullptr;  // not attributed
  for (const auto& s : selectors) {
    if (s.rfind("user:", 0) == 0) {
      if (!p.user.empty() && p.user == std::string_view(s).substr(5)) return &s;
    } else if (s.rfind("unit:", 0) == 0) {
      if (!p.unit.empty() && p.unit == std::string_view(s).substr(5)) return &s;
    } else if (!s.empty() && s.front() == '/') {
      if (p.exe == s) return &s;
    } else if (p.name == s) {
      return &s;
    }
  }
  return nullptr;
}

bool Policy::approvedResolver(const core::Event& e) const {
  const auto& approved = config_->approved_resolvers;
  if (!e.sni.empty()) {
    for (const auto& host : approved.hosts) {
      if (core::isSameOrUnder(e.sni, host)) return true;
    }
  }
  for (const auto& spec : approved.addresses) {
    if ((spec.port == 0 || spec.port == e.resolver.port) && spec.prefix.contains(e.resolver.address)) return true;
  }
  return false;
}

bool Policy::toStub(const core::Endpoint& resolver) const {
  if (resolver.address.isLoopback()) return true;
  for (const auto& spec : config_->proxy_stub.stubs) {
    if ((spec.port == 0 || spec.port == resolver.port) && spec.prefix.contains(resolver.address)) return true;
  }
  return false;
}

Policy::Route Policy::splitRoute(std::string_view name, std::string* domain) const {
  std::size_t best = 0;
  Route route = config_->split.default_route == config::SplitDefault::kTunnel ? Route::kDefaultTunnel
                                                                               : Route::kDefaultDirect;
  for (const auto& d : config_->split.allow_direct) {
    if (d.size() > best && core::isSameOrUnder(name, d)) {
      best = d.size();
      route = Route::kDirect;
    }
  }
  for (const auto& d : config_->split.proxy_required) {
    if (d.size() >= best && core::isSameOrUnder(name, d)) {  // a tie goes to the tunnel
      best = d.size();
      route = Route::kTunnel;
      if (domain) *domain = d;
    }
  }
  return route;
}

Policy::Path Policy::pathOf(const core::Event& e) const {
  Path path;
  path.loopback = e.resolver.address.isLoopback() || e.interface.name == "lo";
  path.safe_interface = safeInterface(e.interface);
  path.safe_resolver = safeResolver(e.resolver);
  path.safe_process = matchProcess(config_->safe_path.processes, e.process);
  path.decapsulated = !e.tunnel.empty();
  return path;
}

namespace {

// Sent by the client (the resolver's peer): a query, or the client's side
// of a connection. Decides which direction makes this host the server.
bool fromClient(const core::Event& e) {
  return e.source != e.resolver;
}

// On loopback the host is both ends, and libpcap's "any" shows only the
// arriving copy of a loopback packet: its direction says nothing there.
bool hostIsServer(const core::Event& e, bool loopback, bool from_client) {
  return !loopback && ((from_client && e.direction == core::Direction::kInbound) ||
                       (!from_client && e.direction == core::Direction::kOutbound));
}

}  // namespace

void Policy::recordAnswers(const core::Event& e, Correlator& correlator) const {
  const bool message = e.kind == core::MessageKind::kQuery || e.kind == core::MessageKind::kResponse;
  if (!message || !config_->correlation.enabled) return;
  if (e.transport != core::Transport::kDnsUdp && e.transport != core::Transport::kDnsTcp &&
      e.transport != core::Transport::kDnsHttp) {
    return;
  }
  const Path path = pathOf(e);
  if (path.decapsulated || hostIsServer(e, path.loopback, fromClient(e))) return;
  correlator.addMessage(e, path.loopback ? AnswerPath::kLocal : path.safe() ? AnswerPath::kSafe : AnswerPath::kOutside,
                        correlation_);
}

void Policy::judge(core::Event& e) const {
  e.profile = config::profileName(config_->profile);
  e.leak_type = core::LeakType::kNone;
  e.remediation.clear();
  const bool query = e.kind == core::MessageKind::kQuery;
  const bool from_client = fromClient(e);
  // What depends on names is decided before the privacy mode cuts them.
  const bool approved = encrypted(e.transport) && approvedResolver(e);
  const bool message = e.kind == core::MessageKind::kQuery || e.kind == core::MessageKind::kResponse;
  Route route = Route::kDefaultTunnel;
  std::string split_domain;  // a config entry, not the name: it outlives the privacy mode
  if (config_->profile == config::Profile::kSplit && message) route = splitRoute(e.dns.qname, &split_domain);
  const Path path = pathOf(e);
  const bool server = hostIsServer(e, path.loopback, from_client);
  applyPrivacy(config_->privacy, e);

  // Local-link name protocols announce names to everyone on the link: on
  // an untrusted one that is what the local_link setting says it is.
  if (auto protocol = localLinkName(e.transport); !protocol.empty()) {
    // An announcement (a response without a question) is its sender's
    // own names, told to the whole link, as a query is the asker's.
    const bool announcement = std::find(e.signals.begin(), e.signals.end(), "announcement") != e.signals.end();
    std::string what;
    if (announcement) {
      what = std::string(protocol) + " announcement of " + describeAnnounced(e) + " on the local link via " +
             describeInterface(e.interface) + " (by " + describeEndpoint(e.source) + ")";
    } else {
      what = std::string(protocol) + (query ? " query for " : " response for ") + describeQuestion(e) +
             (query ? " announced on the local link via " : " seen on the local link via ") +
             describeInterface(e.interface) + " (" + describeEndpoint(query ? e.source : e.destination) +
             (query ? " asking" : " answered") + ")";
    }
    if (path.safe_interface) {
      e.verdict = core::Verdict::kOk;
      e.rule = kRuleLocalLinkSafe;
      e.reason = what + ", a safe interface";
      return;
    }
    switch (config_->local_link) {
      case config::LocalLinkRule::kOff:
        e.verdict = core::Verdict::kOk;
        e.rule = kRuleLocalLinkOff;
        e.reason = what + "; local_link is off";
        return;
      case config::LocalLinkRule::kInfo:
        e.verdict = core::Verdict::kInfo;
        break;
      case config::LocalLinkRule::kLeak:
        // The asking or announcing host is the one telling its names; an
        // answer to a question is someone else's.
        e.verdict = query || announcement ? core::Verdict::kLeak : core::Verdict::kInfo;
        if (e.verdict == core::Verdict::kLeak) e.leak_type = core::LeakType::kA;
        break;
    }
    e.rule = kRuleLocalLink;
    e.reason = what;
    e.remediation = kRemediationLocalLink;
    return;
  }

  // This host answering as a server is not its own resolution leaking.
  if (server) {
    e.verdict = core::Verdict::kInfo;
    e.rule = kRuleInboundServer;
    if (message) {
      e.reason = query ? "query received by this host, which answers it as a server"
                       : "response sent by this host as a server";
    } else {
      e.reason = from_client ? "connection to this host, which serves DNS here" : "sent by this host as a DNS server";
    }
    return;
  }

  switch (config_->profile) {
    case config::Profile::kFullTunnel: judgeFullTunnel(e, path, query, from_client, approved); break;
    case config::Profile::kProxyStub: judgeProxyStub(e, path, query, from_client, approved); break;
    case config::Profile::kSplit: judgeSplit(e, path, query, from_client, approved, route, split_domain); break;
  }
}

bool Policy::judgeSafePath(core::Event& e, const Path& path, bool from_client) const {
  if (path.loopback) {
    e.verdict = core::Verdict::kOk;
    e.rule = kRuleLocal;
    e.reason = "stays on this host (loopback resolver " + describeEndpoint(e.resolver) + ")";
    return true;
  }
  if (path.safe_interface) {
    e.verdict = core::Verdict::kOk;
    e.rule = ruleId(rule::kSafeInterface);
    e.reason = (from_client ? "left via safe interface " : "arrived via safe interface ") + e.interface.name +
               (e.interface.kind.empty() ? std::string() : " (" + e.interface.kind + ")");
    return true;
  }
  if (path.safe_resolver) {
    e.verdict = core::Verdict::kOk;
    e.rule = ruleId(rule::kSafeResolver);
    e.reason = "resolver " + describeEndpoint(e.resolver) + " is a safe resolver (" + path.safe_resolver->text + ")";
    return true;
  }
  if (path.safe_process) {
    e.verdict = core::Verdict::kOk;
    e.rule = ruleId(rule::kSafeProcess);
    e.reason = "sent by " + e.process.name + ", a safe process (" + *path.safe_process + ")";
    return true;
  }
  // Decapsulated from a tunnel seen on an outer link: it left this host
  // through the tunnel's own device, which the outer capture does not name.
  // Until tunnels are matched to the safe path it is reported, not judged;
  // where the tunnel's device is captured too, that copy is judged.
  if (path.decapsulated) {
    e.verdict = core::Verdict::kInfo;
    e.rule = ruleId(rule::kInsideTunnel);
    e.reason = describeSubject(e, e.kind == core::MessageKind::kQuery, from_client) + " travelled inside a tunnel (" +
               e.tunnel + ") on " + describeInterface(e.interface) +
               "; the tunnel's own interface decides whether it is safe";
    return true;
  }
  return false;
}

void Policy::judgeEncrypted(core::Event& e, const Path& path, bool from_client, bool approved,
                            bool approved_anywhere) const {
  std::string subject = describeSubject(e, false, from_client);
  if (!config_->approved_resolvers.empty() && !approved && !path.loopback) {
    e.verdict = core::Verdict::kLeak;
    e.leak_type = core::LeakType::kC;
    e.rule = ruleId(rule::kNotApproved);
    e.reason = subject + (from_client ? " left via " : " arrived via ") + describeInterface(e.interface) +
               ": not an approved encrypted resolver";
    e.remediation = kRemediationNotApproved;
    return;
  }
  if (judgeSafePath(e, path, from_client)) return;
  if (approved && approved_anywhere) {
    e.verdict = core::Verdict::kOk;
    e.rule = ruleId(rule::kApproved);
    e.reason = subject + " is an approved encrypted resolver";
    return;
  }
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kC;
  e.rule = ruleId(rule::kEncryptedOutside);
  e.reason = subject + (from_client ? " left via " : " arrived via ") + describeInterface(e.interface) +
             ", outside the safe path (" + safe_path_summary_ + ")";
  e.remediation = kRemediationEncrypted;
}

void Policy::leakPlaintext(core::Event& e, bool query) const {
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kA;
  e.rule = ruleId(rule::kPlaintextOutside);
  // The most frequent reason of all: appended into the event's reused string.
  e.reason = describeSubject(e, query, true);
  e.reason += query ? " left via " : " arrived via ";
  e.reason += describeInterface(e.interface);
  e.reason += ", outside the safe path (";
  e.reason += safe_path_summary_;
  e.reason += ')';
  e.remediation = kRemediationFullTunnel;
}

void Policy::judgeFullTunnel(core::Event& e, const Path& path, bool query, bool from_client, bool approved) const {
  if (encrypted(e.transport)) {
    judgeEncrypted(e, path, from_client, approved, /*approved_anywhere=*/false);
    return;
  }
  if (judgeSafePath(e, path, from_client)) return;
  leakPlaintext(e, query);
}

void Policy::judgeProxyStub(core::Event& e, const Path& path, bool query, bool from_client, bool approved) const {
  if (toStub(e.resolver)) {
    e.verdict = core::Verdict::kOk;
    e.rule = ruleId(rule::kToStub);
    e.reason = describeSubject(e, query, from_client) + ": the stub";
    return;
  }
  const bool attributed = e.process.pid != 0 || !e.process.name.empty();
  const bool stub = matchProcess(config_->proxy_stub.processes, e.process) != nullptr;
  if (attributed && !stub && !path.safe_process) {
    // Only the stub may talk DNS off-host, however safe the path.
    std::string stubs;
    for (const auto& s : config_->proxy_stub.processes) stubs += (stubs.empty() ? "" : ", ") + s;
    e.verdict = core::Verdict::kLeak;
    e.leak_type = encrypted(e.transport) ? core::LeakType::kC : core::LeakType::kA;
    e.rule = ruleId(rule::kBypassesStub);
    e.reason = describeSubject(e, query, from_client) + " left the host from " + e.process.name +
               ", which bypasses the stub (stub processes: " + (stubs.empty() ? std::string("none") : stubs) + ")";
    e.remediation = kRemediationBypass;
    return;
  }
  // The stub's upstream (or a process not known yet): it must be on the
  // safe path, or encrypted to an approved resolver.
  if (encrypted(e.transport)) {
    judgeEncrypted(e, path, from_client, approved, /*approved_anywhere=*/true);
  } else if (!judgeSafePath(e, path, from_client)) {
    leakPlaintext(e, query);
  }
  if (e.verdict == core::Verdict::kLeak) {
    e.remediation = std::string(kRemediationStubUpstream) + "; if a program other than the stub sent it: " +
                    std::string(kRemediationBypass);
    if (!attributed) e.reason += " (the sending process is not known)";
  }
}

void Policy::judgeSplit(core::Event& e, const Path& path, bool query, bool from_client, bool approved,
                        Route route, const std::string& split_domain) const {
  if (encrypted(e.transport)) {
    // The names an encrypted exchange carries cannot be seen and may be
    // proxy_required ones: only the safe path or an approved resolver is ok.
    judgeEncrypted(e, path, from_client, approved, /*approved_anywhere=*/true);
    return;
  }
  switch (route) {
    case Route::kDirect:
      e.verdict = core::Verdict::kOk;
      e.rule = ruleId(rule::kAllowDirect);
      e.reason = describeSubject(e, query, from_client) + " via " + describeInterface(e.interface) +
                 ": the name is in split.allow_direct";
      return;
    case Route::kDefaultDirect:
      if (path.safe()) break;
      e.verdict = core::Verdict::kOk;
      e.rule = ruleId(rule::kDefaultDirect);
      e.reason = describeSubject(e, query, from_client) + " via " + describeInterface(e.interface) +
                 ": names in neither list may resolve directly (split.default: direct)";
      return;
    case Route::kTunnel:
      if (path.safe()) {
        judgeSafePath(e, path, from_client);
        e.rule = ruleId(rule::kProxyRequiredInside);
        e.reason += "; the name is in split.proxy_required";
        return;
      }
      if (path.decapsulated) break;
      e.verdict = core::Verdict::kLeak;
      e.leak_type = core::LeakType::kB;
      e.rule = ruleId(rule::kProxyRequiredOutside);
      e.reason = describeSubject(e, query, from_client) + (query ? " left via " : " arrived via ") +
                 describeInterface(e.interface) +
                 ", but the name must resolve through the tunnel (split.proxy_required); outside the safe path (" +
                 safe_path_summary_ + ")";
      e.remediation = kRemediationSplit;
      // The hint names the split.proxy_required entry it is about.
      for (auto at = e.remediation.find("DOMAIN"); at != std::string::npos; at = e.remediation.find("DOMAIN", at)) {
        e.remediation.replace(at, 6, split_domain);
        at += split_domain.size();
      }
      return;
    case Route::kDefaultTunnel:
      break;
  }
  if (judgeSafePath(e, path, from_client)) return;
  leakPlaintext(e, query);
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
