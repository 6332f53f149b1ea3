#include "app/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace dnsleak::app {
namespace {

class JournalStderrSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    int priority = 6;
    switch (msg.level) {
      case spdlog::level::critical: priority = 2; break;
      case spdlog::level::err: priority = 3; break;
      case spdlog::level::warn: priority = 4; break;
      case spdlog::level::info: priority = 6; break;
      default: priority = 7; break;
    }
    std::fprintf(stderr, "<%d>%.*s\n", priority, static_cast<int>(msg.payload.size()), msg.payload.data());
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void setUpLogging(const std::string& level) {
  std::shared_ptr<spdlog::logger> logger;
  if (std::getenv("JOURNAL_STREAM")) {
    logger = std::make_shared<spdlog::logger>("dnsleakd", std::make_shared<JournalStderrSink>());
  } else {
    logger = std::make_shared<spdlog::logger>("dnsleakd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  }
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace dnsleak::app
