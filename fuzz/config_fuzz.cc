// libFuzzer target: config validation. Any text must give a config or a
// list of errors naming the place, never a crash or an exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = dnsleak::config::parseConfig(text, "fuzz.yaml");
  if (result.ok() != (result.config != nullptr)) __builtin_trap();
  for (const auto& e : result.errors) {
    // Errors name a file: this one, or a resolver list it refers to.
    if (e.file.empty() || e.message.empty()) __builtin_trap();
  }
  return 0;
}
