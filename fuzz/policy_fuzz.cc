// libFuzzer target: the policy, the Leak-D correlator and the privacy
// modes, over a stream of DNS messages and connections built from the
// input under each profile. The judge must give every event a verdict (a
// leak always with its rule and type), the correlator must stay within its
// bound, and privacy must never lengthen a name.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "input.h"
#include "core/names.h"
#include "policy/correlator.h"
#include "policy/policy.h"
#include "policy/privacy.h"

namespace {

using namespace dnsleak;

// The input, with this target's own values: names that meet, addresses.
class Bytes : public fuzz::Input {
 public:
  using Input::Input;
  // Names from a small alphabet, so that answers and connections meet.
  std::string name() {
    static const char* const kLabels[] = {"example", "com", "corp", "internal", "www", "cdn", "a", "xn--bcher-kva"};
    std::string n;
    const int labels = 1 + u8() % 4;
    for (int i = 0; i < labels; ++i) n += std::string(i ? "." : "") + kLabels[u8() % 8];
    return u8() % 8 == 0 ? text(70) : n;
  }
  core::IpAddress address() {
    std::uint8_t b[16] = {};
    if (u8() & 1) {
      b[0] = 10;
      b[3] = u8() % 4;
      return core::IpAddress::v4(b);
    }
    b[0] = 0x20;
    b[1] = 0x01;
    b[15] = u8() % 4;
    return core::IpAddress::v6(b);
  }

};

std::shared_ptr<const policy::Policy> policyFor(int which) {
  static const char* const kConfigs[] = {
      "profile: full-tunnel\nsafe_path: {interfaces: [tun0], resolvers: [\"10.0.0.1:53\"]}\n"
      "correlation: {warmup_seconds: 0, max_answers: 16}\n",
      "profile: proxy-stub\nsafe_path: {interfaces: [tun0]}\ncorrelation: {max_answers: 16}\n",
      "profile: split\nsafe_path: {interfaces: [tun0]}\n"
      "split: {proxy_required: [corp.example, internal], allow_direct: [cdn.com], default: direct}\n"
      "privacy: redacted\ncorrelation: {max_answers: 16}\n",
  };
  static std::shared_ptr<const policy::Policy> policies[3];
  if (!policies[which]) {
    auto loaded = config::parseConfig(kConfigs[which], "fuzz.yaml");
    if (!loaded.ok()) __builtin_trap();  // the fixed configs are valid
    policies[which] = std::make_shared<policy::Policy>(loaded.config);
  }
  return policies[which];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  auto policy = policyFor(in.u8() % 3);
  policy::Correlator correlator;
  // A small bound (16, in each config) so that inputs reach it.
  const policy::CorrelationSettings& settings = policy->correlation();
  const config::PrivacyMode modes[] = {config::PrivacyMode::kFull, config::PrivacyMode::kRedacted,
                                       config::PrivacyMode::kMinimal};
  core::Timestamp now(std::chrono::seconds(1'700'000'000));
  for (int step = 0; step < 64 && !in.empty(); ++step) {
    now += std::chrono::milliseconds(in.u16());
    core::InterfaceInfo iface{static_cast<std::uint32_t>(1 + in.u8() % 3), in.u8() & 1 ? "tun0" : "eth0",
                              in.u8() & 1 ? "tun" : ""};
    if (in.u8() % 3 != 0) {
      core::Event e;
      e.time = e.first_seen = e.last_seen = now;
      e.transport = static_cast<core::Transport>(in.u8() % 11);
      e.kind = in.u8() & 1 ? core::MessageKind::kResponse : core::MessageKind::kQuery;
      e.direction = static_cast<core::Direction>(in.u8() % 3);
      e.interface = iface;
      e.dns.is_response = e.kind == core::MessageKind::kResponse;
      e.dns.qname = in.name();
      e.dns.qtype = in.u8() & 1 ? 1 : 28;
      e.sni = in.u8() % 4 == 0 ? in.name() : "";
      e.source = {in.address(), in.u16()};
      e.destination = {in.address(), static_cast<std::uint16_t>(in.u8() & 1 ? 53 : in.u16())};
      e.resolver = e.dns.is_response ? e.source : e.destination;
      e.process.name = in.text(8);
      for (int a = in.u8() % 4; a > 0; --a) {
        core::DnsAnswer answer;
        answer.name = in.u8() & 1 ? e.dns.qname : in.name();
        answer.type = in.u8() & 1 ? 1 : 5;
        answer.ttl = in.u16();
        answer.address = in.address();
        answer.data = answer.type == 1 ? answer.address.toString() : in.name();
        e.dns.answers.push_back(std::move(answer));
      }
      policy->recordAnswers(e, correlator);
      policy->judge(e);
      if (e.verdict == core::Verdict::kUnspecified) __builtin_trap();
      if (e.verdict == core::Verdict::kLeak && (e.rule.empty() || e.leak_type == core::LeakType::kNone)) {
        __builtin_trap();
      }
      const std::size_t before = e.dns.qname.size();
      policy::applyPrivacy(modes[in.u8() % 3], e);
      if (e.dns.qname.size() > before) __builtin_trap();
    } else {
      std::string sni = in.u8() & 1 ? in.name() : "";
      core::ConnectionObservation c;
      c.time = now;
      c.source = {in.address(), in.u16()};
      c.destination = {in.address(), 443};
      c.ip_protocol = 6;
      c.ifindex = iface.index;
      c.direction = core::Direction::kOutbound;
      c.sni = sni;
      policy::Correlator::Result result;
      auto finding = correlator.judge(c, policy->safeEgress(iface), nullptr, settings, result);
      if (finding != policy::Finding::kNone && finding != policy::Finding::kHiddenDuringWarmup) {
        core::Event e;
        e.time = e.first_seen = e.last_seen = now;
        e.kind = core::MessageKind::kConnection;
        e.source = c.source;
        e.destination = c.destination;
        e.interface = iface;
        e.sni = sni;
        e.dns.qname = result.name;
        e.resolver = result.resolver;
        policy->judgeCorrelation(e, finding);
        if (e.verdict == core::Verdict::kUnspecified) __builtin_trap();
        policy::applyPrivacy(modes[in.u8() % 3], e);
      }
    }
    if (correlator.answers() > settings.max_answers + 1) __builtin_trap();
  }
  // The registrable domain is the (lower-cased) name's own end, or nothing.
  std::string name = core::lowerName(in.name());
  while (!name.empty() && name.back() == '.') name.pop_back();  // a root dot is not part of it
  std::string domain = policy::registrableDomain(name);
  if (!domain.empty() && (domain.size() > name.size() || name.compare(name.size() - domain.size(), domain.size(),
                                                                       domain) != 0)) {
    __builtin_trap();
  }
  return 0;
}
