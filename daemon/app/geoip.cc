#include "app/geoip.h"

#include <maxminddb.h>
#include <spdlog/spdlog.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <filesystem>

namespace dnsleak::app {

struct GeoIp::Database {
  MMDB_s mmdb{};
  std::string path;
  ~Database() { MMDB_close(&mmdb); }
};

std::shared_ptr<const GeoIp> GeoIp::open(const std::vector<std::string>& paths, const std::string& config_dir,
                                         std::vector<std::string>& errors) {
  std::shared_ptr<GeoIp> geoip(new GeoIp());
  for (const auto& given : paths) {
    std::filesystem::path path(given);
    if (path.is_relative() && !config_dir.empty()) path = std::filesystem::path(config_dir) / path;
    auto db = std::make_unique<Database>();
    db->path = path.string();
    // libmaxminddb maps the file: a FIFO would block the reload, a device
    // or directory is no database.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      errors.push_back("geoip.databases: cannot open " + db->path + ": " +
                       (ec ? ec.message() : std::string("it is not a regular file")));
      continue;
    }
    int status = MMDB_open(db->path.c_str(), MMDB_MODE_MMAP, &db->mmdb);
    if (status != MMDB_SUCCESS) {
      std::string why = MMDB_strerror(status);
      if (status == MMDB_IO_ERROR) why += std::string(": ") + std::strerror(errno);
      errors.push_back("geoip.databases: cannot open " + db->path + ": " + why);
      continue;
    }
    geoip->databases_.push_back(std::move(db));
  }
  return geoip;
}

GeoIp::~GeoIp() = default;

namespace {

std::string text(MMDB_entry_s& entry, const char* const* path) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return "";
  }
  return std::string(data.utf8_string, data.data_size);
}

std::uint32_t number(MMDB_entry_s& entry, const char* const* path) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS || !data.has_data) return 0;
  if (data.type == MMDB_DATA_TYPE_UINT32) return data.uint32;
  if (data.type == MMDB_DATA_TYPE_UINT16) return data.uint16;
  return 0;
}

}  // namespace

core::GeoInfo GeoIp::lookup(const core::IpAddress& address) const {
  core::GeoInfo out;
  if (databases_.empty() || address.isLoopback()) return out;
  if (address.empty()) return out;
  sockaddr_storage storage{};
  if (address.isV4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, address.bytes().data(), 4);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, address.bytes().data(), 16);
  }
  for (const auto& db : databases_) {
    int error = MMDB_SUCCESS;
    auto result = MMDB_lookup_sockaddr(&db->mmdb, reinterpret_cast<const sockaddr*>(&storage), &error);
    if (error != MMDB_SUCCESS || !result.found_entry) continue;
    static const char* const kCountry[] = {"country", "iso_code", nullptr};
    static const char* const kRegisteredCountry[] = {"registered_country", "iso_code", nullptr};
    static const char* const kCountryCode[] = {"country_code", nullptr};  // the ip-location-db databases
    static const char* const kCity[] = {"city", "names", "en", nullptr};
    static const char* const kAsn[] = {"autonomous_system_number", nullptr};
    static const char* const kAsOrg[] = {"autonomous_system_organization", nullptr};
    if (out.country.empty()) out.country = text(result.entry, kCountry);
    if (out.country.empty()) out.country = text(result.entry, kRegisteredCountry);
    if (out.country.empty()) out.country = text(result.entry, kCountryCode);
    if (out.city.empty()) out.city = text(result.entry, kCity);
    if (out.asn == 0) out.asn = number(result.entry, kAsn);
    if (out.as_org.empty()) out.as_org = text(result.entry, kAsOrg);
  }
  return out;
}

void GeoIp::enrich(core::Event& event) const {
  const core::Endpoint& remote = event.resolver.port != 0 ? event.resolver : event.destination;
  event.geo = lookup(remote.address);
}

const GeoIp* GeoIpHolder::change(const std::shared_ptr<const config::Config>& shared) {
  // Another config: its databases are compared with those open, and
  // reopened only when they differ.
  config_ = shared;
  const config::Config& config = *shared;
  if (config.geoip.databases != paths_ || config.path != config_path_) {
    paths_ = config.geoip.databases;
    config_path_ = config.path;
    const std::string dir =
        config_path_.empty() ? std::string() : std::filesystem::path(config_path_).parent_path().string();
    std::vector<std::string> errors;
    geoip_ = paths_.empty() ? nullptr : GeoIp::open(paths_, dir, errors);
    for (const auto& e : errors) spdlog::warn("{}", e);
    if (geoip_) spdlog::info("geoip: {} of {} databases open", geoip_->databases(), paths_.size());
  }
  usable_ = geoip_ && geoip_->databases() > 0 ? geoip_.get() : nullptr;
  return usable_;
}

}  // namespace dnsleak::app
