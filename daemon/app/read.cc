// dnsleakd --read FILE: the daemon's pipeline over a capture file, one line
// per observation and a summary, for tests, benchmarks and forensics.

#include <cstdio>

#include "api/convert.h"
#include "api/event_json.h"
#include "app/config_loader.h"
#include "app/format.h"
#include "app/geoip.h"
#include "app/now.h"
#include "app/options.h"
#include "app/pipeline.h"
#include "config/config.h"
#include "decode/decoder.h"
#include "dnsleak/v1/dnsleak.pb.h"

#ifndef DNSLEAK_VERSION
#define DNSLEAK_VERSION "0.0.0"
#endif

namespace dnsleak::app {
namespace {

// Prints each observation as it is judged; numbers them like the store
// would. Capture thread (here: the only thread).
class PrintSink : public EventSink {
 public:
  PrintSink(bool json, bool quiet, const GeoIp* geoip) : json_(json), quiet_(quiet), geoip_(geoip) {}

  void onEvent(core::Event& event) override {
    event.seq = ++seq_;
    event.attribution.failure = core::AttributionFailure::kOffline;
    event.attribution.confidence = core::Confidence::kNone;
    if (quiet_) return;
    if (geoip_) geoip_->enrich(event);
    if (json_) {
      const std::string_view line = api::eventJson(event);
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
    } else {
      std::string line = formatEventLine(event);
      if (event.verdict == core::Verdict::kLeak) line += "\n    " + event.reason;
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  }

 private:
  bool json_;
  bool quiet_;
  const GeoIp* geoip_;
  std::uint64_t seq_ = 0;
};

}  // namespace

int runRead(const Options& options) {
  // Lines go out in 256 KiB writes, not one per few events.
  static char out_buffer[256 * 1024];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  // Without --config: the built-in defaults, which are the bundled file's,
  // shipped resolver list included.
  auto loaded = options.config_given ? loadConfig(options.config_path)
                                     : parseConfig("", "(built-in defaults)");
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
    std::fprintf(stderr, "dnsleakd: not reading %s: %s has %zu error(s)\n", options.read_file.c_str(),
                 options.config_given ? options.config_path.c_str() : "the built-in config", loaded.errors.size());
    return kExitInvalidConfig;
  }
  std::shared_ptr<const config::Config> config = loaded.config;
  if (!options.config_given) {
    // No file: no path and no file hash to report.
    auto built_in = std::make_shared<config::Config>(*loaded.config);
    built_in->path.clear();
    built_in->sha256.clear();
    config = std::move(built_in);
  }

  std::unique_ptr<capture::CaptureSource> source;
  try {
    source = capture::openFile({options.read_file, 0, decode::supportedLinkTypes()});
  } catch (const capture::CaptureError& e) {
    std::fprintf(stderr, "dnsleakd: %s\n", e.what());
    return kExitStartupFailed;
  }

  policy::PolicyHolder policy(std::make_shared<policy::Policy>(config));
  capture::StaticInterfaceNames names(options.ifnames, options.interface_name);
  GeoIpHolder geoip;
  PrintSink sink(options.json, options.summary_only, geoip.current(config));
  Pipeline pipeline(policy, names, sink);
  pipeline.setOffline(true);
  source->run(pipeline);
  std::fflush(stdout);

  api::StatusSnapshot status;
  status.version = DNSLEAK_VERSION;
  status.profile = std::string(config::profileName(config->profile));
  status.config_path = config->path;
  status.config_sha256 = config->sha256;
  status.config_generation = 1;
  status.started_at = status.now = status.config_loaded_at = wallNow();
  fillPipelineStatus(pipeline, *source, [&names](std::uint32_t index) { return names.lookup(index); }, status);

  if (options.json) {
    v1::GetStatusResponse summary;
    api::toProto(status, store::StoreStats{}, 0, &summary);
    // Times in the summary are wall-clock times of this run: dropped so that
    // the output of a file is the same on every run.
    summary.clear_started_at();
    summary.clear_uptime();
    summary.mutable_config()->clear_loaded_at();
    summary.clear_pid();
    summary.clear_store();
    std::printf("{\"summary\":%s}\n", api::toJson(summary).c_str());
  } else {
    std::uint64_t leaks = 0;
    for (const auto& [name, count] : status.leaks) leaks += count;
    std::uint64_t encrypted = 0;
    for (const auto& [name, count] : status.transports) {
      if (name == "dot" || name == "doh" || name == "doq" || name == "dnscrypt") encrypted += count;
    }
    std::uint64_t answered = 0;
    std::uint64_t unanswered = 0;
    for (const auto& [name, count] : status.exchanges) {
      if (name == exchangeEventName(ExchangeEvent::kAnswered)) answered = count;
      if (name == exchangeEventName(ExchangeEvent::kUnanswered) || name == exchangeEventName(ExchangeEvent::kEvicted)) {
        unanswered += count;
      }
    }
    std::printf("-- %s: %llu packets, %llu DNS messages (exchanges: %llu answered, %llu unanswered), "
                "%llu encrypted-DNS observations, %llu leaks",
                options.read_file.c_str(), static_cast<unsigned long long>(status.packets),
                static_cast<unsigned long long>(status.dns_messages), static_cast<unsigned long long>(answered),
                static_cast<unsigned long long>(unanswered), static_cast<unsigned long long>(encrypted),
                static_cast<unsigned long long>(leaks));
    std::string skipped;
    for (const auto& [name, count] : status.malformed) {
      if (count) skipped += (skipped.empty() ? "" : ", ") + name + " " + std::to_string(count);
    }
    std::printf("%s\n", skipped.empty() ? "" : ("; skipped: " + skipped).c_str());
  }
  auto stats = source->stats();
  if (!stats.empty() && stats[0].state == "failed") {
    std::fprintf(stderr, "dnsleakd: reading %s stopped early: %s\n", options.read_file.c_str(),
                 stats[0].error.c_str());
    return kExitCaptureFileError;
  }
  return kExitOk;
}

}  // namespace dnsleak::app
