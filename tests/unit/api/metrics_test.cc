#include "api/metrics.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace dnsleak::api {
namespace {

v1::GetStatusResponse sampleStatus() {
  v1::GetStatusResponse s;
  s.set_version("0.1.0");
  s.set_profile("full-tunnel");
  s.mutable_started_at()->set_seconds(1'700'000'000);
  auto* c = s.add_capture();
  c->set_name("any");
  c->set_state("capturing");
  c->set_packets_received(1234);
  c->set_kernel_drops(5);
  s.set_packets(1234);
  auto* leak = s.add_leaks();
  leak->set_name("Leak-A");
  leak->set_count(3);
  auto* skipped = s.add_malformed();
  skipped->set_name("dns_too_short");
  skipped->set_count(2);
  auto* waiting = s.add_exchanges();
  waiting->set_name("waiting");
  waiting->set_count(1);
  auto* answered = s.add_exchanges();
  answered->set_name("answered");
  answered->set_count(9);
  // An interface name with characters the format must escape.
  auto* i = s.add_interfaces();
  i->set_name("we\"ird\\name");
  i->set_index(7);
  i->set_leaks(3);
  auto* gone = s.add_interfaces();
  gone->set_index(9);
  auto* m = s.mutable_attribution()->add_methods();
  m->set_name("ebpf");
  m->set_found(4);
  m->set_latency_p50_us(12.5);
  s.mutable_store()->set_size(3);
  s.set_watchers(2);
  return s;
}

// The text exposition format, line by line: HELP and TYPE before a
// family's samples, each family once, names and label sets well formed,
// counters named *_total, values numbers.
TEST(Metrics, TextExpositionIsWellFormed) {
  const std::string text = prometheusText(sampleStatus());
  const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$)");
  const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$)");
  const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$)");
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::string current;
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "HELP twice: " << line;
      current = m[1];
    } else if (std::regex_match(line, m, type)) {
      EXPECT_EQ(m[1], current) << "TYPE after its HELP: " << line;
      types[m[1]] = m[2];
      if (m[2] == "counter") {
        EXPECT_TRUE(std::string(m[1]).ends_with("_total")) << line;
      }
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << "not a sample: " << line;
      EXPECT_EQ(m[1], current) << "a sample outside its family: " << line;
      EXPECT_TRUE(types.count(m[1])) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 30);
  EXPECT_NE(text.find("dnsleak_leaks_total{type=\"Leak-A\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dnsleak_capture_kernel_drops_total{source=\"any\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("dnsleak_interface_leaks_total{interface=\"we\\\"ird\\\\name\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dnsleak_interface_leaks_total{interface=\"#9\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("dnsleak_exchanges_waiting 1\n"), std::string::npos);
  EXPECT_NE(text.find("dnsleak_exchanges_total{outcome=\"answered\"} 9\n"), std::string::npos);
  EXPECT_EQ(text.find("outcome=\"waiting\""), std::string::npos) << "a gauge, not an outcome";
  EXPECT_NE(text.find("dnsleak_attribution_latency_microseconds{method=\"ebpf\",quantile=\"0.5\"} 12.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("dnsleak_start_time_seconds 1700000000\n"), std::string::npos);
}

TEST(Metrics, FileIsReplacedWholeAndNoTemporaryIsLeft) {
  char dir_template[] = "/tmp/dnsleak-metrics-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/dnsleak.prom";
  EXPECT_EQ(writeFileAtomically(path, "first\n"), "");
  EXPECT_EQ(writeFileAtomically(path, "second\n"), "");
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "second\n");
  struct stat st {};
  EXPECT_NE(stat((path + ".tmp").c_str(), &st), 0) << "temporary left behind";
  // A symbolic link planted where the temporary goes is not followed.
  const std::string victim = dir + "/victim";
  std::ofstream(victim) << "keep\n";
  ASSERT_EQ(symlink(victim.c_str(), (path + ".tmp").c_str()), 0);
  EXPECT_NE(writeFileAtomically(path, "third\n"), "");
  std::ifstream kept(victim);
  std::string victim_content((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  EXPECT_EQ(victim_content, "keep\n");
  unlink(victim.c_str());
  EXPECT_EQ(writeFileAtomically(dir + "/missing/dnsleak.prom", "x").find("cannot create"), 0u);
  unlink((path + ".tmp").c_str());
  unlink(path.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace dnsleak::api
