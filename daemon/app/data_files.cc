#include "app/data_files.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#ifndef DNSLEAK_DATA_DIR
#define DNSLEAK_DATA_DIR "/usr/share/dnsleak"
#endif

namespace dnsleak::app {

std::vector<std::string> dataDirectories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("DNSLEAK_DATA_DIR"); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto bin = exe.parent_path();
    dirs.push_back((bin / "share" / "dnsleak").string());
    dirs.push_back((bin.parent_path() / "share" / "dnsleak").lexically_normal().string());
  }
  dirs.emplace_back(DNSLEAK_DATA_DIR);
  return dirs;
}

std::string findDataFile(const std::string& name) {
  for (const auto& dir : dataDirectories()) {
    std::error_code ec;
    auto path = std::filesystem::path(dir) / name;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return {};
}

config::LoadOptions configLoadOptions() {
  config::LoadOptions options;
  options.shipped_list = findDataFile(kResolverListName);
  if (options.shipped_list.empty()) options.shipped_list = std::string(DNSLEAK_DATA_DIR) + "/" + kResolverListName;
  return options;
}

}  // namespace dnsleak::app
