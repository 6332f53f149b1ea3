#pragma once

// DNS tunnelling and exfiltration: names used to carry data. Each query's
// name is looked at once, cheaply; only a name that looks like data costs
// more (its registrable domain, a place in a bounded table of domain and
// client pairs). A pair whose names carried enough data in a window is a
// finding, reported once and counted after (docs/detection.md).

#include <array>
#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/counter.h"
#include "core/event.h"
#include "core/ip_address.h"

namespace dnsleak::policy {

inline constexpr std::string_view kRuleTunnel = "tunnel/names-carry-data";
inline constexpr std::string_view kRuleExfiltration = "tunnel/data-in-one-name";

// How the characters of a name's data part are drawn.
enum class Alphabet : std::uint8_t { kText, kHex, kBase32, kBase64, kBinary };
std::string_view alphabetName(Alphabet a);

// What one name says by itself. The data part is what comes before the
// name's last two labels (the registrable domain in most names; a guess
// that needs no lookup), dots not counted.
struct NameShape {
  std::uint16_t data_part = 0;     // characters before the last two labels
  std::uint16_t name_length = 0;   // the whole name, as text
  std::uint8_t labels = 0;         // labels in the data part
  std::uint8_t longest_label = 0;  // the longest of them
  std::uint16_t upper = 0, lower = 0, digits = 0;
  std::uint16_t other = 0;  // not a letter, digit, '-' or '_': '=', '+', '/', escaped bytes...
  std::uint16_t hyphens = 0;
  std::uint16_t digit_runs = 0;  // maximal runs of digits: data scatters them, names group them
  bool mixed_case_label = false;  // a label of 12 or more with 2+ capitals and 2+ small letters inside it
  // Bits per character of the data part: measured when it is 16 or longer
  // and has a label of 16+, 3+ runs of digits or odd characters; else 0.
  double entropy = 0;
  Alphabet alphabet = Alphabet::kText;  // of the labels of 8 or more

  // Whether the name looks like it carries data: odd characters, base64's
  // mixed case, a label of 16 or more in hex or base32, or (unless hyphens
  // join words) a label of 32 or more with digits throughout, or 20+
  // characters of high entropy with digits scattered in them.
  bool carriesData() const;
  // Whether its characters are as dense as encoded data: odd bytes,
  // base64's mixed case, a long hex run, or digits throughout at high
  // entropy. One name must be this, and long, to be a finding alone.
  bool dense() const;
};
NameShape shapeOf(std::string_view name);

// The record types tunnels favour: NULL, TXT, CNAME, MX, SRV, private use, ANY.
bool tunnelType(std::uint16_t qtype);

// One query as the detector needs it (a plain-DNS query, paired with its
// response when one came).
struct TunnelQuery {
  core::Timestamp time{};
  std::string_view qname;
  std::uint16_t qtype = 0;
  core::IpAddress client;
  bool answered = false;
  std::uint16_t rcode = 0;
  std::uint32_t response_size = 0;
};

struct TunnelFinding {
  enum class Kind : std::uint8_t { kExfiltration, kTunnel };
  Kind kind = Kind::kTunnel;
  bool repeat = false;  // the same pair found again in a later window: an occurrence of the first
  core::Confidence confidence = core::Confidence::kMedium;
  std::string domain;
  std::vector<core::Evidence> evidence;
};

// The per-domain state: one per (registrable domain, client), at most
// `max_domains`, the least recently seen evicted first. Not thread-safe:
// the pipeline calls it under its finish lock.
class TunnelDetector {
 public:
  // Looks at one query; returns a finding when this query completes one.
  std::optional<TunnelFinding> observe(const TunnelQuery& query, const config::Config::Tunnel& settings);

  std::size_t tracked() const { return states_.size(); }
  std::uint64_t dataNames() const { return data_names_.get(); }
  std::uint64_t evictions() const { return evictions_.get(); }
  std::uint64_t findings() const { return findings_.get(); }
  std::uint64_t ignored() const { return ignored_.get(); }

  // Distinct names counted in 1024 bits (linear counting): exact while
  // few, within a few percent up to thousands.
  static constexpr std::size_t kDistinctBits = 1024;

 private:
  struct State {
    std::string domain;
    core::IpAddress client;
    core::Timestamp window_start{};
    core::Timestamp last{};
    std::uint32_t queries = 0;  // data-carrying queries in this window
    std::uint32_t answered = 0;
    std::uint32_t nxdomain = 0;
    std::uint32_t tunnel_types = 0;
    std::uint64_t data_chars = 0;
    std::uint64_t bytes_down = 0;
    std::uint16_t longest_label = 0;
    std::uint16_t longest_name = 0;
    double entropy_sum = 0;
    std::uint32_t entropy_count = 0;
    std::uint16_t other_chars = 0;  // names with odd characters
    std::array<std::uint32_t, 5> alphabets{};
    std::array<std::uint32_t, 8> types{};  // see typeSlot
    // Gaps between queries (Welford): their mean and spread.
    std::uint32_t gaps = 0;
    double gap_mean = 0;
    double gap_m2 = 0;
    std::array<std::uint64_t, kDistinctBits / 64> distinct{};
    bool raised_exfiltration = false;
    bool raised_tunnel = false;
    bool found_this_window = false;
    std::list<std::string>::iterator order;
  };
  static double distinctNames(const State& s);
  void resetWindow(State& s, core::Timestamp now);
  TunnelFinding describe(const State& s, TunnelFinding::Kind kind, const NameShape& shape) const;
  bool ignoredDomain(std::string_view domain, const config::Config::Tunnel& settings) const;

  std::unordered_map<std::string, State> states_;  // key: domain, '\0', client address bytes
  std::list<std::string> order_;                   // keys, most recently seen first
  std::string key_;                                // reused
  core::Counter data_names_;
  core::Counter evictions_;
  core::Counter findings_;
  core::Counter ignored_;
};

}  // namespace dnsleak::policy
