#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/event.h"
#include "policy/correlator.h"
#include "policy/tunnel.h"

namespace dnsleak::policy {

// Rule ids: stable strings that name the rule behind a verdict. The
// profile-independent ones are whole; the others are "<profile>/<rule>",
// e.g. "full-tunnel/plaintext-outside-safe-path" (see docs/policy.md).
inline constexpr std::string_view kRuleLocal = "local/loopback";
inline constexpr std::string_view kRuleInboundServer = "local/host-is-server";
inline constexpr std::string_view kRuleLocalLink = "local-link/name-announced";
inline constexpr std::string_view kRuleLocalLinkSafe = "local-link/safe-interface";
inline constexpr std::string_view kRuleLocalLinkOff = "local-link/off";
namespace rule {
inline constexpr std::string_view kSafeInterface = "safe-interface";
inline constexpr std::string_view kSafeResolver = "safe-resolver";
inline constexpr std::string_view kSafeProcess = "safe-process";
inline constexpr std::string_view kInsideTunnel = "inside-tunnel";
inline constexpr std::string_view kPlaintextOutside = "plaintext-outside-safe-path";
inline constexpr std::string_view kEncryptedOutside = "encrypted-dns-outside-safe-path";
inline constexpr std::string_view kNotApproved = "encrypted-resolver-not-approved";
inline constexpr std::string_view kApproved = "approved-resolver";
// proxy-stub
inline constexpr std::string_view kToStub = "to-stub";
inline constexpr std::string_view kBypassesStub = "bypasses-stub";
// split
inline constexpr std::string_view kProxyRequiredOutside = "proxy-required-outside-tunnel";
inline constexpr std::string_view kProxyRequiredInside = "proxy-required-via-tunnel";
inline constexpr std::string_view kAllowDirect = "allow-direct";
inline constexpr std::string_view kDefaultDirect = "default-direct";
// Leak-D
inline constexpr std::string_view kAnsweredInsideConnectedOutside = "answered-in-tunnel-connected-outside";
inline constexpr std::string_view kAnsweredOutsideConnectedInside = "answered-outside-connected-in-tunnel";
inline constexpr std::string_view kHiddenResolution = "hidden-resolution";
}  // namespace rule

// A policy compiled from one config: immutable once built, shared by
// pointer between the capture thread and the control plane.
class Policy {
 public:
  explicit Policy(std::shared_ptr<const config::Config> config);

  // Sets verdict, leak type, profile, rule, reason and remediation on an
  // observation whose transport, endpoints, direction and interface (name
  // and kind) are set, then applies the privacy mode to it: names are cut
  // before any of them is written into the reason. The process, when it
  // is known, is part of the path (safe processes, the proxy-stub's stub).
  void judge(core::Event& event) const;

  // Puts a DNS message's names and answers into the correlator (Leak-D),
  // with the path it took. Called on the capture thread, in packet order,
  // before judge() (which may run later, on the attribution worker, and
  // cuts names by the privacy mode).
  void recordAnswers(const core::Event& event, Correlator& correlator) const;

  const config::Config& config() const { return *config_; }
  const std::shared_ptr<const config::Config>& sharedConfig() const { return config_; }

  // Whether a connection through this interface is on the safe path.
  bool safeEgress(const core::InterfaceInfo& iface) const { return safeInterface(iface); }
  const CorrelationSettings& correlation() const { return correlation_; }
  // Judges a connection event (kind connection; endpoints, interface, the
  // name in dns.qname and sni set) by what correlation found.
  void judgeCorrelation(core::Event& event, Finding finding) const;

  // Judges a finding of the tunnel detector, built by tunnelEvent() from the
  // query that completed it: a leak under every profile, whatever path
  // the queries took.
  void judgeTunnel(core::Event& event, const TunnelFinding& finding) const;

  // Where the split profile sends a name: the longest suffix among
  // split.proxy_required and split.allow_direct decides (proxy_required on
  // a tie), else the default.
  enum class Route { kTunnel, kDirect, kDefaultTunnel, kDefaultDirect };
  // `domain`, when given, gets the split list entry that decided.
  Route splitRoute(std::string_view name, std::string* domain = nullptr) const;

 private:
  // The path an observation took, as facts.
  struct Path {
    bool loopback = false;
    bool safe_interface = false;
    const config::ResolverSpec* safe_resolver = nullptr;
    const std::string* safe_process = nullptr;
    bool decapsulated = false;  // taken out of a tunnel seen on an outer link
    bool safe() const { return loopback || safe_interface || safe_resolver || safe_process; }
  };
  Path pathOf(const core::Event& e) const;
  bool safeInterface(const core::InterfaceInfo& iface) const;
  const config::ResolverSpec* safeResolver(const core::Endpoint& resolver) const;
  const std::string* matchProcess(const std::vector<std::string>& selectors, const core::ProcessInfo& p) const;
  bool approvedResolver(const core::Event& e) const;
  bool toStub(const core::Endpoint& resolver) const;
  std::string safePathSummary() const;

  void judgeFullTunnel(core::Event& e, const Path& path, bool query, bool from_client, bool approved) const;
  void judgeProxyStub(core::Event& e, const Path& path, bool query, bool from_client, bool approved) const;
  void judgeSplit(core::Event& e, const Path& path, bool query, bool from_client, bool approved, Route route,
                  const std::string& split_domain) const;
  // The shared endings: safe path, decapsulated, Leak-C, Leak-A.
  bool judgeSafePath(core::Event& e, const Path& path, bool from_client) const;
  void judgeEncrypted(core::Event& e, const Path& path, bool from_client, bool approved, bool approved_anywhere) const;
  void leakPlaintext(core::Event& e, bool query) const;
  // "<profile>/<suffix>", built once per rule at construction.
  const std::string& ruleId(std::string_view suffix) const;

  std::shared_ptr<const config::Config> config_;
  std::string safe_path_summary_;  // precomputed for leak reasons
  CorrelationSettings correlation_;
  std::vector<std::pair<std::string_view, std::string>> rule_ids_;  // keyed by the rule:: constants' text
};

// Adds to a judged DoH event recognised by its behaviour (no list names
// the server) what it was recognised by and how sure that is.
void explainBehaviour(core::Event& event);

// Publishes the current policy to the capture thread. The control plane
// swaps in a new policy; the capture thread picks it up at its next
// observation by comparing a generation number, so the hot path does not
// take the lock unless the policy changed.
class PolicyHolder {
 public:
  explicit PolicyHolder(std::shared_ptr<const Policy> initial);

  void publish(std::shared_ptr<const Policy> next);  // any thread
  std::shared_ptr<const Policy> current() const;     // any thread
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Policy> policy_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{1};
};

// A capture-thread view of a PolicyHolder that refreshes its pointer only
// when the generation moved.
class PolicyView {
 public:
  explicit PolicyView(const PolicyHolder& holder) : holder_(holder) {}
  const Policy& get();

 private:
  const PolicyHolder& holder_;
  std::shared_ptr<const Policy> cached_;
  std::uint64_t generation_ = 0;
};

}  // namespace dnsleak::policy
