#include "render.h"

#include <gtest/gtest.h>

#include <string>

namespace dnsleak::client {
namespace {

v1::GetReportResponse sampleReport(int rows) {
  v1::GetReportResponse report;
  report.mutable_since()->set_seconds(1764547200);
  report.mutable_until()->set_seconds(1764633600);
  report.mutable_until()->set_nanos(500000000);
  report.set_group_by(v1::REPORT_GROUPING_QNAME);
  report.set_events(12345);
  auto* leak = report.add_leaks();
  leak->set_name("LEAK_TYPE_A \"quoted\" \\rows\\:[]");
  leak->set_count(7);
  report.set_first_stored_seq(3);
  report.mutable_timeline()->mutable_start()->set_seconds(1764547200);
  report.mutable_timeline()->mutable_step()->set_seconds(1800);
  for (int i = 0; i < 48; ++i) report.mutable_timeline()->add_counts(static_cast<std::uint64_t>(i % 3));
  for (int i = 0; i < rows; ++i) {
    auto* row = report.add_rows();
    // Keys that look like the splice point, Unicode, control bytes.
    row->set_key(i % 3 == 0 ? "\"rows\":[]" : i % 3 == 1 ? "caf\u00e9.example" : "line\nbreak\x01");
    if (i % 2 == 0) {
      row->set_verdict(v1::VERDICT_LEAK);
      row->set_leak_type(v1::LEAK_TYPE_A);
      row->mutable_first_seen()->set_seconds(1764547200 + i);
      row->mutable_last_seen()->set_seconds(1764547300 + i);
      row->mutable_last_seen()->set_nanos(123000);
    }
    row->set_count(static_cast<std::uint64_t>(i) * 1000000007ULL);
    row->set_example_reason(i % 4 == 0 ? "" : "plaintext DNS query for x (A) to 192.0.2.1:53");
    row->set_events(static_cast<std::uint64_t>(i));
  }
  return report;
}

// A report printed a row at a time is protobuf's printing of the whole
// message, byte for byte, and the report is left as it was.
TEST(ReportJson, IsProtobufsPrintingOfTheWholeMessage) {
  for (int rows : {0, 1, 2, 50}) {
    v1::GetReportResponse report = sampleReport(rows);
    const std::string whole = toJson(report);
    ASSERT_NE(whole, "{}");
    EXPECT_EQ(reportToJson(report), whole) << rows << " rows";
    EXPECT_EQ(report.rows_size(), rows);
    EXPECT_EQ(toJson(report), whole) << "the report changed";
  }
  v1::GetReportResponse empty;
  EXPECT_EQ(reportToJson(empty), toJson(empty));
}

}  // namespace
}  // namespace dnsleak::client

namespace dnsleak::client {
namespace {

// A local user names their process (prctl PR_SET_NAME) or server name with
// terminal escapes: what dnsleakctl prints must not carry one to the
// admin's terminal, in the watch line, its -v lines, the status verdict or
// a report.
TEST(TerminalSafe, HostileNamesReachNoTerminalAsEscapes) {
  const std::string hostile = "evil\x1b]0;owned\x07\x1b[2J\xc2\x9b" "31m\x7f";
  v1::Event e;
  e.set_verdict(v1::VERDICT_LEAK);
  e.set_leak_type(v1::LEAK_TYPE_A);
  e.set_transport(v1::TRANSPORT_DNS_UDP);
  e.set_kind(v1::MESSAGE_KIND_QUERY);
  e.mutable_process()->set_name(hostile);
  e.mutable_process()->set_cmdline(hostile);
  e.mutable_process()->set_pid(42);
  e.mutable_dns()->set_qname(hostile);
  e.set_sni(hostile);
  e.set_reason("why " + hostile);
  e.set_remediation("fix " + hostile);
  e.mutable_interface()->set_name(hostile);
  e.mutable_attribution()->set_failure(v1::ATTRIBUTION_FAILURE_NONE);
  auto clean = [](const std::string& out) {
    for (char c : out) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\n') || u == 0x7f) return false;
    }
    return out.find("\xc2\x9b") == std::string::npos;
  };
  for (bool verbose : {false, true}) {
    auto line = renderEvent(e, Style{false, verbose});
    EXPECT_TRUE(clean(line)) << line;
    EXPECT_NE(line.find("evil\\x1b]0;owned\\x07"), std::string::npos) << line;
  }
  EXPECT_TRUE(clean(leakSummary(e)));
  v1::GetReportResponse report;
  auto* row = report.add_rows();
  row->set_key(hostile);
  row->set_example_reason(hostile);
  row->set_remediation(hostile);
  EXPECT_TRUE(clean(renderReport(report)));
  EXPECT_EQ(terminalSafe("caf\u00e9 \u4e2d.example"), "caf\u00e9 \u4e2d.example");  // letters stay
  EXPECT_EQ(terminalSafe("a\tb\nc"), "a\\x09b\\x0ac");
}

}  // namespace
}  // namespace dnsleak::client

namespace dnsleak::client {
namespace {

// Kernel drops mean the capture buffer overran: status says how that
// capture keeps and hands over packets, and which setting makes room.
TEST(StatusCapture, KernelDropsSayWhatTheBufferHoldsAndTheLever) {
  v1::GetStatusResponse s;
  auto* quiet = s.add_capture();
  quiet->set_name("eth0");
  quiet->set_state("capturing");
  quiet->set_snaplen(65535);
  quiet->set_delivery("batched");
  const std::string without = renderStatus(s);
  EXPECT_EQ(without.find("overflowed"), std::string::npos) << without;
  auto* busy = s.add_capture();
  busy->set_name("any");
  busy->set_state("capturing");
  busy->set_kernel_drops(12);
  busy->set_snaplen(16384);
  busy->set_delivery("immediate");
  busy->set_buffer_kib(8192);
  const std::string with = renderStatus(s);
  EXPECT_NE(with.find("  any "), std::string::npos) << with;
  EXPECT_NE(with.find("buffer (8192 KiB) overflowed: immediate delivery, up to 16384 bytes kept of each packet; "
                      "capture.buffer_kib"),
            std::string::npos)
      << with;
  EXPECT_EQ(with.find("batched"), std::string::npos) << "only the capture that dropped: " << with;
}

}  // namespace
}  // namespace dnsleak::client
