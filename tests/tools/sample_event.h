#pragma once

// One event with every field set, for tests that must see each field come
// through (the JSON writer, the store's packing).

#include <chrono>

#include "core/event.h"

namespace dnsleak::testing {

inline core::Event sampleEvent() {
  using namespace std::chrono_literals;
  core::Event e;
  e.seq = 18446744073709551615ull;
  e.count = 3;
  e.time = core::Timestamp(1'700'000'000'123'456'789ns);
  e.first_seen = core::Timestamp(1'700'000'000'120'000'000ns);
  e.last_seen = core::Timestamp(1'700'000'001'000'000'000ns);
  e.transport = core::Transport::kDnsTcp;
  e.kind = core::MessageKind::kQuery;
  e.recognition = core::RecognitionMethod::kContent;
  e.recognition_confidence = core::Confidence::kMedium;
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kC;
  e.profile = "split";
  e.rule = "split/proxy-required-direct";
  e.reason = "a <reason> with \"quotes\", a back\\slash & tabs\t and\nnewlines";
  e.remediation = "`resolvectl domain <tunnel> '~.'`";
  e.dns.id = 65535;
  e.dns.is_response = true;
  e.dns.opcode = 2;
  e.dns.rcode = 3;
  e.dns.qname = "xn--bcher-kva.example";
  e.dns.qtype = 65;
  e.dns.qclass = 1;
  e.dns.question_count = 1;
  e.dns.answer_count = 2;
  e.dns.authority_count = 1;
  e.dns.additional_count = 1;
  e.dns.truncated = true;
  e.dns.recursion_desired = true;
  e.dns.recursion_available = true;
  e.dns.authentic_data = true;
  e.dns.checking_disabled = true;
  e.dns.authoritative = true;
  e.dns.answers.push_back({"a.example", 1, 300, "192.0.2.1", {}});
  e.dns.answers.push_back({"a.example", 16, 0, "<12 bytes>", {}});
  e.dns.has_edns = true;
  e.dns.edns_udp_size = 1232;
  e.dns.edns_version = 0;
  e.dns.edns_dnssec_ok = true;
  e.dns.edns_options = {10, 12};
  e.dns.size = 512;
  e.dns.parse_error = "answer 3: name runs past the message";
  e.sni = "dns.example.net";
  e.alpn = {"h2", "http/1.1"};
  e.source = {*core::IpAddress::parse("2001:db8::10"), 40001};
  e.destination = {*core::IpAddress::parse("198.51.100.53"), 53};
  e.resolver = e.destination;
  e.ip_version = 6;
  e.ip_protocol = 6;
  e.interface = {3, "eth0", "ether"};
  e.direction = core::Direction::kOutbound;
  e.tunnel = "vxlan vni 42";
  e.process.pid = 4242;
  e.process.tgid = 4240;
  e.process.name = "curl";
  e.process.exe = "/usr/bin/curl";
  e.process.cmdline = "curl https://example.com/";
  e.process.uid = 1000;
  e.process.user = "alice";
  e.process.unit = "user@1000.service";
  e.process.cgroup = "/user.slice";
  e.process.container_id = "0123abcd";
  e.process.parents = {{100, "bash"}, {1, "systemd"}};
  e.attribution = {"ebpf", core::Confidence::kHigh, core::AttributionFailure::kNone, "sent at connect"};
  e.geo = {"NL", "Amsterdam", 64496, "Example AS"};
  e.signals = {"edns-client-subnet", "dnssec-ok"};
  e.exchange = {true, true, 10ms, 56};
  e.evidence = {{"distinct_names", 81, ""}, {"entropy", 4.3125, "bits per character"}, {"alphabet", 0, "base64"},
                {"rate", 0.1, ""}, {"tiny", 1e-300, ""}, {"share", 2.0 / 3.0, ""}};
  return e;
}

}  // namespace dnsleak::testing
