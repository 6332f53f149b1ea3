// libFuzzer target: config validation, and the resolver list. Any text must
// give a config (a list) or errors naming the place, never a crash or an
// exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The same text as a resolver list: errors name the list and a line in it.
  {
    dnsleak::core::ResolverList list;
    std::vector<dnsleak::config::ConfigError> errors;
    bool ok = dnsleak::config::parseResolverList(text, "fuzz.list", list, errors);
    if (ok != errors.empty() || errors.size() > 10) __builtin_trap();
    for (const auto& e : errors) {
      if (e.file != "fuzz.list" || e.line < 1 || e.message.size() > 400) __builtin_trap();  // 60 bytes as \xNN at most
    }
  }
  auto result = dnsleak::config::parseConfig(text, "fuzz.yaml");
  if (result.ok() != (result.config != nullptr)) __builtin_trap();
  for (const auto& e : result.errors) {
    // Errors name a file: this one, or a resolver list it refers to.
    if (e.file.empty() || e.message.empty()) __builtin_trap();
  }
  return 0;
}
