#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/event.h"

namespace dnsleak::app {

// The country, city and autonomous system of an event's remote end (its
// resolver, or where a Leak-D connection went), from MaxMind DB files
// (libmaxminddb): City or Country databases give the place (GeoIP2's
// schema, as GeoLite2 and DB-IP Lite write it, or ip-location-db's
// country_code), ASN ones the network. Immutable once open; lookups from any thread.
class GeoIp {
 public:
  // Opens each file (a relative path is taken from `config_dir`); a file
  // that cannot be opened is skipped and said in `errors`.
  static std::shared_ptr<const GeoIp> open(const std::vector<std::string>& paths, const std::string& config_dir,
                                           std::vector<std::string>& errors);
  ~GeoIp();
  GeoIp(const GeoIp&) = delete;
  GeoIp& operator=(const GeoIp&) = delete;

  // What the databases know about `address` (nothing for private and
  // loopback addresses, which no database places).
  core::GeoInfo lookup(const core::IpAddress& address) const;
  // Fills event.geo from its remote end.
  void enrich(core::Event& event) const;
  std::size_t databases() const { return databases_.size(); }

 private:
  GeoIp() = default;
  struct Database;
  std::vector<std::unique_ptr<Database>> databases_;
};

// Keeps a GeoIp that follows the running config: reopened when the
// configured list changes (a reload), kept otherwise. One thread.
class GeoIpHolder {
 public:
  // The databases for `config` (nullptr when it lists none). The config
  // last asked about is held, so that asking again costs a comparison.
  const GeoIp* current(const std::shared_ptr<const config::Config>& config) {
    return config == config_ ? usable_ : change(config);
  }

 private:
  const GeoIp* change(const std::shared_ptr<const config::Config>& config);

  std::shared_ptr<const config::Config> config_;
  const GeoIp* usable_ = nullptr;  // geoip_ when it has a database open
  std::vector<std::string> paths_;
  std::string config_path_;  // relative database paths are from its directory
  std::shared_ptr<const GeoIp> geoip_;
};

}  // namespace dnsleak::app
