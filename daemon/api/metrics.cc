#include "api/metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <utility>

namespace dnsleak::api {
namespace {

// One family at a time: HELP and TYPE once, then its samples.
class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    name_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::initializer_list<std::pair<const char*, std::string>> labels, double value) {
    out_ += name_;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [key, text] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += key;
        out_ += "=\"";
        for (char c : text) {
          if (c == '\\' || c == '"') out_ += '\\';
          if (c == '\n') {
            out_ += "\\n";
            continue;
          }
          out_ += c;
        }
        out_ += '"';
      }
      out_ += '}';
    }
    char number[40];
    std::snprintf(number, sizeof number, " %.17g\n", value);
    out_ += number;
  }

  void sample(double value) { sample({}, value); }

  // A family of counts by one label, from the API's named counts.
  void counts(const char* name, const char* help, const char* label,
              const google::protobuf::RepeatedPtrField<v1::NamedCount>& counts, bool counter = true) {
    family(name, counter ? "counter" : "gauge", help);
    for (const auto& c : counts) sample({{label, c.name()}}, static_cast<double>(c.count()));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  const char* name_ = "";
};

double seconds(const google::protobuf::Timestamp& t) { return static_cast<double>(t.seconds()) + t.nanos() / 1e9; }

}  // namespace

std::string prometheusText(const v1::GetStatusResponse& s) {
  Exposition x;
  x.family("dnsleak_info", "gauge", "The daemon's version and profile (always 1).");
  x.sample({{"version", s.version()}, {"profile", s.profile()}}, 1);
  x.family("dnsleak_start_time_seconds", "gauge", "When the daemon started, in seconds since the epoch.");
  x.sample(seconds(s.started_at()));
  x.family("dnsleak_config_generation", "gauge", "How many times the configuration was loaded.");
  x.sample(static_cast<double>(s.config().generation()));
  x.family("dnsleak_config_loaded_time_seconds", "gauge", "When the running configuration was loaded.");
  x.sample(seconds(s.config().loaded_at()));

  x.family("dnsleak_capture_up", "gauge", "1 while a capture source is capturing, by source and state.");
  for (const auto& c : s.capture()) x.sample({{"source", c.name()}, {"state", c.state()}}, c.state() == "capturing");
  x.family("dnsleak_capture_packets_total", "counter", "Packets a capture source passed to the pipeline.");
  for (const auto& c : s.capture()) x.sample({{"source", c.name()}}, static_cast<double>(c.packets_received()));
  x.family("dnsleak_capture_kernel_drops_total", "counter", "Packets the kernel's capture buffer dropped.");
  for (const auto& c : s.capture()) x.sample({{"source", c.name()}}, static_cast<double>(c.kernel_drops()));
  x.family("dnsleak_capture_interface_drops_total", "counter", "Packets the interface's driver dropped.");
  for (const auto& c : s.capture()) x.sample({{"source", c.name()}}, static_cast<double>(c.interface_drops()));

  x.family("dnsleak_packets_total", "counter", "Packets seen by the pipeline, all sources.");
  x.sample(static_cast<double>(s.packets()));
  x.family("dnsleak_packets_decoded_total", "counter", "Packets decoded to a UDP or TCP payload.");
  x.sample(static_cast<double>(s.decoded()));
  x.family("dnsleak_dns_messages_total", "counter", "DNS-format messages read.");
  x.sample(static_cast<double>(s.dns_messages()));
  x.family("dnsleak_connections_total", "counter", "Connections put beside the answers seen (Leak-D).");
  x.sample(static_cast<double>(s.connections()));
  x.counts("dnsleak_observations_total", "Observations by transport.", "transport", s.transports());
  x.counts("dnsleak_leaks_total", "Leak events by leak type (an exchange or a connection is one).", "type", s.leaks());
  x.family("dnsleak_leaks_last_hour", "gauge", "Leak occurrences stored in the last hour.");
  x.sample(static_cast<double>(s.leaks_last_hour()));
  x.counts("dnsleak_skipped_total", "Packets or messages skipped, wholly or in part, by reason.", "reason",
           s.malformed());

  x.family("dnsleak_exchanges_total", "counter", "DNS exchanges by outcome.");
  for (const auto& e : s.exchanges()) {
    if (e.name() != "waiting") x.sample({{"outcome", e.name()}}, static_cast<double>(e.count()));
  }
  x.family("dnsleak_exchanges_waiting", "gauge", "Queries waiting for their response now.");
  for (const auto& e : s.exchanges()) {
    if (e.name() == "waiting") x.sample(static_cast<double>(e.count()));
  }

  x.family("dnsleak_detector_total", "counter", "The behaviour detectors' counts by what happened.");
  for (const auto& t : s.detectors()) {
    if (t.name() != "tunnel_tracked") x.sample({{"event", t.name()}}, static_cast<double>(t.count()));
  }
  x.family("dnsleak_tunnel_tracked", "gauge", "Domain and client pairs the tunnel detector follows now.");
  for (const auto& t : s.detectors()) {
    if (t.name() == "tunnel_tracked") x.sample(static_cast<double>(t.count()));
  }

  // An interface that is gone has no name left: its index stands for it.
  auto iface = [](const v1::InterfaceCounts& i) { return i.name().empty() ? "#" + std::to_string(i.index()) : i.name(); };
  x.family("dnsleak_interface_packets_total", "counter", "Packets by the interface they carried.");
  for (const auto& i : s.interfaces()) x.sample({{"interface", iface(i)}}, static_cast<double>(i.packets()));
  x.family("dnsleak_interface_dns_messages_total", "counter", "DNS messages by interface.");
  for (const auto& i : s.interfaces()) x.sample({{"interface", iface(i)}}, static_cast<double>(i.dns_messages()));
  x.family("dnsleak_interface_leaks_total", "counter", "Leak events by interface.");
  for (const auto& i : s.interfaces()) x.sample({{"interface", iface(i)}}, static_cast<double>(i.leaks()));

  const auto& a = s.attribution();
  x.family("dnsleak_attribution_enabled", "gauge", "1 when process attribution runs.");
  x.sample(a.enabled());
  x.family("dnsleak_attribution_found_total", "counter", "Flow owners found, by method.");
  for (const auto& m : a.methods()) x.sample({{"method", m.name()}}, static_cast<double>(m.found()));
  x.family("dnsleak_attribution_latency_microseconds", "gauge", "Owner lookup latency by method and quantile.");
  for (const auto& m : a.methods()) {
    x.sample({{"method", m.name()}, {"quantile", "0.5"}}, m.latency_p50_us());
    x.sample({{"method", m.name()}, {"quantile", "0.99"}}, m.latency_p99_us());
  }
  x.counts("dnsleak_attribution_failures_total", "Lookups without an owner, by reason.", "reason", a.failures());
  x.family("dnsleak_attribution_cache_hits_total", "counter", "Later packets of a flow already attributed.");
  x.sample(static_cast<double>(a.cache_hits()));
  x.family("dnsleak_attribution_queued", "gauge", "Events waiting for the attribution worker now.");
  x.sample(static_cast<double>(a.queued()));
  x.family("dnsleak_attribution_overflow_total", "counter", "Events judged without an owner past a full queue.");
  x.sample(static_cast<double>(a.overflow()));
  x.family("dnsleak_ebpf_flows_total", "counter", "Flows the eBPF send-time hooks reported.");
  x.sample(static_cast<double>(a.ebpf_flows()));
  x.family("dnsleak_ebpf_lost_total", "counter", "eBPF flow reports lost to a full ring.");
  x.sample(static_cast<double>(a.ebpf_lost()));

  const auto& st = s.store();
  x.family("dnsleak_store_events", "gauge", "Events in the store's ring.");
  x.sample(static_cast<double>(st.size()));
  x.family("dnsleak_store_capacity", "gauge", "Events the ring holds at most.");
  x.sample(static_cast<double>(st.capacity()));
  x.family("dnsleak_store_bytes", "gauge", "Approximate memory held by stored events.");
  x.sample(static_cast<double>(st.bytes()));
  x.family("dnsleak_store_evicted_total", "counter", "Events pushed out of the ring.");
  x.sample(static_cast<double>(st.evicted()));
  x.family("dnsleak_store_folded_total", "counter", "Identical leaks counted into an earlier event.");
  x.sample(static_cast<double>(st.folded()));
  x.family("dnsleak_watchers", "gauge", "Watch streams open now.");
  x.sample(static_cast<double>(s.watchers()));
  x.family("dnsleak_watch_missed_total", "counter", "Events evicted from the store before a watcher read them.");
  x.sample(static_cast<double>(s.watch_missed()));
  return x.take();
}

std::string writeFileAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return "cannot create " + temporary + ": " + std::strerror(errno);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = "cannot write " + temporary + ": " + std::strerror(errno);
      close(fd);
      unlink(temporary.c_str());
      return why;
    }
    done += static_cast<std::size_t>(n);
  }
  // The textfile collector reads whatever is there: the file is whole or
  // the old one.
  if (close(fd) != 0 || rename(temporary.c_str(), path.c_str()) != 0) {
    std::string why = "cannot replace " + path + ": " + std::strerror(errno);
    unlink(temporary.c_str());
    return why;
  }
  return "";
}

}  // namespace dnsleak::api
