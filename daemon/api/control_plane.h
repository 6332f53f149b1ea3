#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/event.h"

namespace dnsleak::api {

using NamedCounts = std::vector<std::pair<std::string, std::uint64_t>>;

struct CaptureStatus {
  std::string name;
  std::string state;
  std::string error;
  std::string link_type;
  std::uint64_t packets = 0;
  std::uint64_t kernel_drops = 0;
  std::uint64_t interface_drops = 0;
  std::uint64_t file_offset = 0;
  std::uint64_t file_size = 0;
  int snaplen = 0;        // live: bytes kept of each packet
  std::string delivery;   // live: "immediate", "batched" or "quiet"
  int buffer_bytes = 0;   // live: the kernel's ring now
};

struct InterfaceCounts {
  std::uint32_t index = 0;
  std::string name;
  std::uint64_t packets = 0;
  std::uint64_t dns_messages = 0;
  std::uint64_t leaks = 0;
};

// What the daemon reports about itself, beyond the store.
struct AttributionMethodStatus {
  std::string name;
  std::uint64_t found = 0;
  double p50_us = 0;
  double p99_us = 0;
};

struct AttributionStatus {
  bool enabled = false;
  std::string ebpf;
  std::vector<AttributionMethodStatus> methods;
  NamedCounts failures;
  std::uint64_t cache_hits = 0;
  std::uint64_t queued = 0;
  std::uint64_t ebpf_flows = 0;
  std::uint64_t ebpf_lost = 0;
  std::uint64_t overflow = 0;
};

struct StatusSnapshot {
  std::string version;
  core::Timestamp started_at{};
  core::Timestamp now{};
  std::string profile;
  std::string config_path;
  std::uint64_t config_generation = 0;
  std::string config_sha256;
  core::Timestamp config_loaded_at{};
  std::vector<CaptureStatus> capture;
  std::uint64_t packets = 0;
  std::uint64_t decoded = 0;  // packets decoded to a UDP or TCP payload
  std::uint64_t dns_messages = 0;
  std::uint64_t connections = 0;
  NamedCounts transports;
  NamedCounts leaks;
  NamedCounts exchanges;
  NamedCounts detectors;
  NamedCounts malformed;
  std::vector<InterfaceCounts> interfaces;
  AttributionStatus attribution;
};

// An interface of the host, for ListInterfaces with `all`.
struct HostInterfaceStatus {
  std::string name;
  std::uint32_t index = 0;
  std::string kind;
  std::string state;
  std::vector<std::string> addresses;
  bool loopback = false;
  bool captured = false;
  bool capturable = false;
  std::string capture_check;
  bool safe = false;
};

struct ReloadOutcome {
  bool applied = false;
  std::uint64_t generation = 0;
  std::string sha256;
  std::vector<config::ConfigError> errors;
  std::vector<std::string> warnings;
};

// The daemon's side of the API, implemented by the app. Called on gRPC
// threads; implementations guard their own state.
class ControlPlane {
 public:
  virtual ~ControlPlane() = default;
  virtual StatusSnapshot status() const = 0;
  virtual ReloadOutcome reload() = 0;
  // The group whose members may change state (api.admin_group of the
  // running config); "" for root only.
  virtual std::string adminGroup() const = 0;
  // Every interface of the daemon's network namespace, each tried with
  // libpcap. Takes up to a few seconds.
  virtual std::vector<HostInterfaceStatus> hostInterfaces() const = 0;
};

}  // namespace dnsleak::api
