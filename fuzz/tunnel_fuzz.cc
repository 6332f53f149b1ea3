// libFuzzer target: the tunnel detector's per-domain state over a stream of
// queries built from the input (names from data-like and ordinary labels,
// raw bytes, clients, times that go forward, stand still or jump back,
// settings that change between queries as a reload would). The table must
// stay within max_domains after every name that looks like data, every finding must name a domain and carry its
// figures, all of them finite, and the name shape must never read past the
// name.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.h"
#include "input.h"
#include "policy/tunnel.h"

namespace {

using namespace dnsleak;

// The input, with names from data-like and ordinary labels.
class Bytes : public fuzz::Input {
 public:
  using Input::Input;
  std::string name() {
    static const char* const kLabels[] = {"www", "example", "com", "t", "tunnel", "co.uk", "a1b2c3d4e5f60718293a",
                                          "MZXW6YTBOI", "hvMAAAABBA", "=auth", "3f2a9c0d1e4b5a6f7e8d9c0b1a2f3e4d",
                                          "in-addr.arpa", "-", ".", "\\217i\\212", "xn--bcher-kva"};
    if (u8() % 8 == 0) return text(300);
    std::string n;
    const int labels = 1 + u8() % 6;
    for (int i = 0; i < labels; ++i) n += std::string(i ? "." : "") + kLabels[u8() % 16];
    return n;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  config::Config::Tunnel settings;
  settings.max_domains = 16 + in.u8() % 32;
  settings.min_queries = 2 + in.u8() % 8;
  settings.min_distinct_names = 2 + in.u8() % 8;
  settings.min_data_chars = in.u8();
  settings.exfiltration_chars = 16 + in.u8() % 64;
  settings.window_seconds = 10 + in.u8() % 60;
  if (in.u8() % 4 == 0) settings.ignore_domains = {"example.com", "tunnel.t"};
  policy::TunnelDetector detector;
  core::Timestamp now{std::chrono::seconds(1'700'000'000)};
  while (!in.empty()) {
    const std::uint8_t op = in.u8();
    if (op % 16 == 0) settings.max_domains = 16 + in.u8() % 32;  // a reload
    const std::int64_t step = static_cast<std::int8_t>(in.u8());
    now += std::chrono::milliseconds(step * 37);  // forward, still, and back in time
    std::string name = in.name();
    policy::NameShape shape = policy::shapeOf(name);
    if (shape.data_part > name.size() || shape.name_length > name.size() || !std::isfinite(shape.entropy)) std::abort();
    policy::TunnelQuery q;
    q.time = now;
    q.qname = name;
    q.qtype = in.u16();
    std::uint8_t b[16] = {};
    b[0] = 10;
    b[3] = in.u8() % 4;
    q.client = core::IpAddress::v4(b);
    q.answered = op & 1;
    q.rcode = op & 2 ? 3 : 0;
    q.response_size = in.u16();
    const std::uint64_t data_names = detector.dataNames(), ignored = detector.ignored();
    auto finding = detector.observe(q, settings);
    // The bound holds after every name that looks like data (a lowered
    // bound is applied at the next one); an ordinary name changes nothing.
    if (detector.dataNames() != data_names && detector.ignored() == ignored && detector.tracked() > settings.max_domains) {
      std::abort();
    }
    if (finding) {
      if (finding->domain.empty() || finding->evidence.empty()) std::abort();
      for (const auto& x : finding->evidence) {
        if (x.name.empty() || !std::isfinite(x.value) || x.value < 0) std::abort();
      }
    }
  }
  return 0;
}
