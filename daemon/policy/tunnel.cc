#include "policy/tunnel.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

#include "core/names.h"
#include "policy/privacy.h"

namespace dnsleak::policy {
namespace {

// typeSlot's order, for the evidence.
constexpr std::array<std::string_view, 8> kTypeNames{"A/AAAA", "TXT", "NULL", "CNAME", "MX", "SRV", "private", "other"};

std::size_t typeSlot(std::uint16_t qtype) {
  switch (qtype) {
    case 1:
    case 28: return 0;
    case 16: return 1;
    case 10: return 2;
    case 5: return 3;
    case 15: return 4;
    case 33: return 5;
    default: return qtype >= 65280 && qtype <= 65534 ? 6 : 7;
  }
}

// FNV-1a of the name in lower case: resolvers that randomise the case of
// their questions (0x20) do not make one name many.
std::uint64_t nameHash(std::string_view name) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    h *= 1099511628211ull;
  }
  return h;
}

// Rounded to `digits` decimals, so that the figure prints short.
double rounded(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

}  // namespace

std::string_view alphabetName(Alphabet a) {
  switch (a) {
    case Alphabet::kHex: return "hex";
    case Alphabet::kBase32: return "base32";
    case Alphabet::kBase64: return "base64";
    case Alphabet::kBinary: return "binary";
    case Alphabet::kText: break;
  }
  return "text";
}

bool tunnelType(std::uint16_t qtype) {
  return qtype == 10 || qtype == 16 || qtype == 5 || qtype == 15 || qtype == 33 || qtype == 255 ||
         (qtype >= 65280 && qtype <= 65534);
}

bool NameShape::carriesData() const {
  if (data_part == 0) return false;
  if (other > 0 || mixed_case_label) return true;
  // A run of an encoding's alphabet (hex, base32) in a long label.
  if ((alphabet == Alphabet::kHex || alphabet == Alphabet::kBase32) && longest_label >= 16) return true;
  // Host names made of words are joined by hyphens
  // ("appproxyeurdwc2-prod-fra0-dns", "frontend-loadbalancer-1234567890");
  // encoded data has none, or few.
  if (hyphens * 20 >= data_part) return false;
  if (longest_label >= 32 && digits * 10 >= data_part) return true;
  return data_part >= 20 && digit_runs >= 3 && entropy >= 3.8;
}

bool NameShape::dense() const {
  switch (alphabet) {
    case Alphabet::kBinary:
    case Alphabet::kBase64: return true;
    case Alphabet::kHex: return longest_label >= 32;
    case Alphabet::kBase32:
    case Alphabet::kText: break;
  }
  return hyphens * 20 < data_part && digits * 10 >= data_part && entropy >= 4.2;
}

NameShape shapeOf(std::string_view name) {
  NameShape s;
  s.name_length = static_cast<std::uint16_t>(std::min<std::size_t>(name.size(), 65535));
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  // The data part ends at the dot before the last two labels.
  auto last = name.rfind('.');
  if (last == std::string_view::npos || last == 0) return s;
  auto second = name.rfind('.', last - 1);
  if (second == std::string_view::npos || second == 0) return s;
  std::string_view data = name.substr(0, second);

  // Per label; the alphabet is judged over labels of 8 or more (a sequence
  // number or a word such as "dnscat" beside the data says nothing).
  std::size_t label = 0, label_upper = 0, label_lower = 0;
  bool label_hex = true, label_base32 = true, label_digit = false, label_letter = false;
  bool hex_all = true, base32_all = true, long_labels = false, any_digit = false, any_letter = false;
  bool escaped = false, previous_digit = false;
  auto endLabel = [&] {
    if (label == 0) return;
    ++s.labels;
    s.longest_label = static_cast<std::uint8_t>(std::max<std::size_t>(s.longest_label, std::min<std::size_t>(label, 255)));
    if (label >= 12 && label_upper >= 2 && label_lower >= 2) s.mixed_case_label = true;
    if (label >= 8) {
      long_labels = true;
      hex_all = hex_all && label_hex;
      base32_all = base32_all && label_base32;
      any_digit = any_digit || label_digit;
      any_letter = any_letter || label_letter;
    }
    label = label_upper = label_lower = 0;
    label_hex = label_base32 = true;
    label_digit = label_letter = previous_digit = false;
  };
  for (char ch : data) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      endLabel();
      continue;
    }
    ++label;
    ++s.data_part;

    const bool digit = c >= '0' && c <= '9';
    if (digit && !previous_digit) ++s.digit_runs;
    previous_digit = digit;
    if (c >= 'A' && c <= 'Z') {
      ++s.upper;
      ++label_upper;
      label_letter = true;
      if (c > 'F') label_hex = false;
    } else if (c >= 'a' && c <= 'z') {
      ++s.lower;
      ++label_lower;
      label_letter = true;
      if (c > 'f') label_hex = false;
    } else if (digit) {
      ++s.digits;
      label_digit = true;
      if (c < '2' || c > '7') label_base32 = false;
    } else {
      label_hex = label_base32 = false;
      if (c == '-') {
        ++s.hyphens;
      } else if (c != '_') {
        ++s.other;
      }
      if (c == '\\' || c >= 0x80 || c < 0x20) escaped = true;
    }
  }
  endLabel();
  // The entropy only where it can decide something: a data part of 16 or
  // more with a long label, scattered digits or odd characters. An
  // ordinary name costs nothing past the pass above.
  if (s.data_part >= 16 && (s.longest_label >= 16 || s.digit_runs >= 3 || s.other > 0 || s.mixed_case_label)) {
    std::array<std::uint16_t, 256> counts{};
    for (char ch : data) {
      if (ch != '.') ++counts[static_cast<unsigned char>(ch)];
    }
    double h = 0;
    const double n = s.data_part;
    for (auto count : counts) {
      if (count == 0) continue;
      const double p = count / n;
      h -= p * std::log2(p);
    }
    s.entropy = h;
  }
  if (escaped) {
    s.alphabet = Alphabet::kBinary;
  } else if (s.other > 0 || s.mixed_case_label) {
    s.alphabet = Alphabet::kBase64;
  } else if (long_labels && hex_all && any_digit && any_letter) {
    s.alphabet = Alphabet::kHex;
  } else if (long_labels && base32_all && any_digit && s.upper == 0) {
    s.alphabet = Alphabet::kBase32;
  }
  return s;
}

bool TunnelDetector::ignoredDomain(std::string_view domain, const config::Config::Tunnel& settings) const {
  for (const auto& entry : settings.ignore_domains) {
    if (core::isSameOrUnder(domain, entry)) return true;
  }
  return false;
}

double TunnelDetector::distinctNames(const State& s) {
  std::size_t set = 0;
  for (auto word : s.distinct) set += static_cast<std::size_t>(std::popcount(word));
  const double m = kDistinctBits;
  if (set >= kDistinctBits) return m * std::log(m);  // saturated: at least this many
  return std::round(-m * std::log((m - static_cast<double>(set)) / m));
}

void TunnelDetector::resetWindow(State& s, core::Timestamp now) {
  const bool exfiltration = s.raised_exfiltration, tunnel = s.raised_tunnel;
  auto order = s.order;
  std::string domain = std::move(s.domain);
  core::IpAddress client = s.client;
  s = State{};
  s.domain = std::move(domain);
  s.client = client;
  s.order = order;
  s.raised_exfiltration = exfiltration;
  s.raised_tunnel = tunnel;
  s.window_start = now;
}

std::optional<TunnelFinding> TunnelDetector::observe(const TunnelQuery& q, const config::Config::Tunnel& settings) {
  if (!settings.enabled) return std::nullopt;
  const NameShape shape = shapeOf(q.qname);
  if (!shape.carriesData()) return std::nullopt;
  data_names_.add();

  std::string domain = registrableDomain(q.qname);
  if (ignoredDomain(domain, settings)) {
    ignored_.add();
    return std::nullopt;
  }
  key_.assign(domain);
  key_.push_back('\0');
  key_.append(reinterpret_cast<const char*>(q.client.bytes().data()), q.client.bytes().size());
  key_.push_back(static_cast<char>(q.client.family()));

  const auto window = std::chrono::seconds(settings.window_seconds);
  // This pair first goes to the front, so that keeping the bound below
  // (which a reload may have lowered) never evicts it.
  const auto own = states_.find(key_);
  if (own != states_.end()) order_.splice(order_.begin(), order_, own->second.order);
  // Forget pairs idle for a whole window, oldest first, and keep the bound,
  // counting room for this pair if it is new.
  const std::size_t room = own != states_.end() ? 0 : 1;
  while (!order_.empty() && order_.back() != key_) {
    auto oldest = states_.find(order_.back());
    const bool idle = oldest != states_.end() && q.time - oldest->second.last > window;
    if (!idle && states_.size() + room <= settings.max_domains) break;
    if (!idle) evictions_.add();
    if (oldest != states_.end()) states_.erase(oldest);
    order_.pop_back();
  }

  auto [it, fresh] = states_.try_emplace(key_);
  State& s = it->second;
  if (fresh) {
    order_.push_front(key_);
    s.order = order_.begin();
    s.domain = std::move(domain);
    s.client = q.client;
    s.window_start = q.time;
  } else if (q.time - s.window_start > window) {
    resetWindow(s, q.time);
  }

  if (s.queries > 0 && q.time >= s.last) {
    const double gap = std::chrono::duration<double>(q.time - s.last).count();
    ++s.gaps;
    const double delta = gap - s.gap_mean;
    s.gap_mean += delta / s.gaps;
    s.gap_m2 += delta * (gap - s.gap_mean);
  }
  s.last = std::max(s.last, q.time);
  ++s.queries;
  s.data_chars += shape.data_part;
  s.longest_label = std::max<std::uint16_t>(s.longest_label, shape.longest_label);
  s.longest_name = std::max(s.longest_name, shape.name_length);
  if (shape.data_part >= 16) {
    s.entropy_sum += shape.entropy;
    ++s.entropy_count;
  }
  if (shape.other > 0) ++s.other_chars;
  ++s.alphabets[static_cast<std::size_t>(shape.alphabet)];
  ++s.types[typeSlot(q.qtype)];
  if (tunnelType(q.qtype)) ++s.tunnel_types;
  if (q.answered) {
    ++s.answered;
    s.bytes_down += q.response_size;
    if (q.rcode == 3) ++s.nxdomain;
  }
  const std::uint64_t h = nameHash(q.qname);
  s.distinct[(h % kDistinctBits) / 64] |= std::uint64_t{1} << (h % 64);

  // Sustained: enough data-carrying names, distinct and long enough.
  if (!s.found_this_window && s.queries >= static_cast<std::uint32_t>(settings.min_queries) &&
      distinctNames(s) >= settings.min_distinct_names && s.data_chars >= static_cast<std::uint64_t>(settings.min_data_chars)) {
    s.found_this_window = true;
    TunnelFinding f = describe(s, TunnelFinding::Kind::kTunnel, shape);
    f.repeat = s.raised_tunnel;
    s.raised_tunnel = true;
    findings_.add();
    return f;
  }
  // One name that carries a lot by itself: data leaving in a single query.
  if (!s.raised_exfiltration && !s.raised_tunnel && shape.data_part >= settings.exfiltration_chars && shape.dense()) {
    s.raised_exfiltration = true;
    findings_.add();
    return describe(s, TunnelFinding::Kind::kExfiltration, shape);
  }
  return std::nullopt;
}

TunnelFinding TunnelDetector::describe(const State& s, TunnelFinding::Kind kind, const NameShape& shape) const {
  TunnelFinding f;
  f.kind = kind;
  f.domain = s.domain;
  auto add = [&](std::string_view name, double value, std::string text = {}) {
    f.evidence.push_back({std::string(name), value, std::move(text)});
  };
  const double span = std::chrono::duration<double>(s.last - s.window_start).count();
  if (kind == TunnelFinding::Kind::kExfiltration) {
    f.confidence = core::Confidence::kMedium;
    add("data_chars", shape.data_part, "characters of data in one name");
    add("longest_label", shape.longest_label);
    add("name_length", shape.name_length);
    add("entropy", rounded(shape.entropy, 2), "bits per character");
    add("alphabet", 0, std::string(alphabetName(shape.alphabet)));
    if (shape.other > 0) add("odd_characters", shape.other, "characters no host name has");
    return f;
  }
  // Sustained. High when the names also look like a tunnel's by their
  // type or their characters, or carry a great deal.
  const double distinct = distinctNames(s);
  const double mean_entropy = s.entropy_count ? s.entropy_sum / s.entropy_count : 0;
  const bool typed = s.tunnel_types * 2 >= s.queries;
  f.confidence = (typed || s.other_chars * 2 >= s.queries || s.data_chars >= 4096) ? core::Confidence::kHigh
                                                                                  : core::Confidence::kMedium;
  add("queries", s.queries, "queries whose names carry data");
  add("distinct_names", distinct);
  add("data_chars", static_cast<double>(s.data_chars), "characters carried up in names");
  if (s.answered > 0) add("bytes_down", static_cast<double>(s.bytes_down), "bytes of responses");
  add("span_seconds", rounded(span, 3));
  if (span > 0) add("rate_per_minute", rounded(s.queries * 60.0 / span, 1));
  if (s.answered > 0) add("nxdomain_share", rounded(static_cast<double>(s.nxdomain) / s.answered, 3));
  if (s.gaps >= 2 && s.gap_mean > 0) {
    // Below 0.5: sent at a steady pace, as a polling tunnel does.
    add("gap_variation", rounded(std::sqrt(s.gap_m2 / s.gaps) / s.gap_mean, 2), "spread of the gaps / their mean");
  }
  add("longest_label", s.longest_label);
  add("longest_name", s.longest_name);
  if (s.entropy_count > 0) add("entropy", rounded(mean_entropy, 2), "bits per character, mean");
  std::size_t alphabet = 0;
  for (std::size_t i = 1; i < s.alphabets.size(); ++i) {
    if (s.alphabets[i] > s.alphabets[alphabet]) alphabet = i;
  }
  add("alphabet", s.alphabets[alphabet], std::string(alphabetName(static_cast<Alphabet>(alphabet))));
  std::string types;
  for (std::size_t i = 0; i < s.types.size(); ++i) {
    if (s.types[i] == 0) continue;
    if (!types.empty()) types += ", ";
    types += std::string(kTypeNames[i]) + " " + std::to_string(s.types[i]);
  }
  add("tunnel_types", s.tunnel_types, types);
  if (s.other_chars > 0) add("odd_characters", s.other_chars, "names with characters no host name has");
  return f;
}

}  // namespace dnsleak::policy
