#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.h"
#include "core/event.h"

namespace dnsleak::policy {

// Rule ids: stable strings that name the rule behind a verdict.
inline constexpr std::string_view kRuleLocal = "local/loopback";
inline constexpr std::string_view kRuleInboundServer = "local/host-is-server";
inline constexpr std::string_view kRuleSafeInterface = "full-tunnel/safe-interface";
inline constexpr std::string_view kRuleSafeResolver = "full-tunnel/safe-resolver";
inline constexpr std::string_view kRulePlaintextOutside = "full-tunnel/plaintext-outside-safe-path";
inline constexpr std::string_view kRuleLocalLink = "local-link/name-announced";
inline constexpr std::string_view kRuleEncryptedOutside = "full-tunnel/encrypted-dns-outside-safe-path";
inline constexpr std::string_view kRuleInsideTunnel = "full-tunnel/inside-tunnel";

// A policy compiled from one config: immutable once built, shared by
// pointer between the capture thread and the control plane.
class Policy {
 public:
  explicit Policy(std::shared_ptr<const config::Config> config);

  // Sets verdict, leak type, profile, rule, reason and remediation on an
  // observation whose transport, endpoints, direction and interface are set.
  void judge(core::Event& event) const;

  const config::Config& config() const { return *config_; }

 private:
  bool safeInterface(const std::string& name) const;
  const config::ResolverSpec* safeResolver(const core::Endpoint& resolver) const;
  std::string safePathSummary() const;

  std::shared_ptr<const config::Config> config_;
  std::string safe_path_summary_;  // precomputed for leak reasons
};

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
