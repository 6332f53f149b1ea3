#include "app/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

namespace dnsleak::app {

void setUpLogging(const std::string& level, bool journal) {
  std::shared_ptr<spdlog::logger> logger;
  if (journal) {
    logger = std::make_shared<spdlog::logger>("dnsleakd",
                                              std::make_shared<spdlog::sinks::systemd_sink_mt>("dnsleakd", false));
  } else {
    logger = std::make_shared<spdlog::logger>("dnsleakd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  }
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace dnsleak::app
