// Live capture on Windows through Npcap: one handle per adapter the
// config's patterns select (Windows has no "any"), each opened with a time
// limit of its own, the filter of live_filter.cc, and one capture thread
// waiting on every handle's event and a stop event.

#include <winsock2.h>
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "capture/adapters_windows.h"
#include "capture/capture_source.h"
#include "capture/npcap_windows.h"
#include "core/counter.h"

namespace dnsleak::capture {
namespace {

// An adapter whose driver does not finish activating within this is
// reported failed, and the capture goes on with the others.
constexpr auto kOpenTimeout = std::chrono::seconds(5);
// Waits are bounded so that onIdle and the drop counters keep time.
constexpr DWORD kIdleMs = 500;

struct Handle {
  Adapter adapter;
  pcap_t* pcap = nullptr;
  HANDLE event = nullptr;
  int link_type = 0;
  bool failed = false;       // capture thread only, once running
  mutable std::mutex mutex;  // guards stats' strings
  SourceStats stats;
  core::Counter packets, kernel_drops, interface_drops;
};

// The snaplen asked for an adapter: its own, else capture's. Npcap keeps at
// most that of each packet.
int requestedSnaplen(const LiveOptions& options, const std::string& friendly_name) {
  auto it = options.per_interface.find(friendly_name);
  return it != options.per_interface.end() && it->second.snaplen ? it->second.snaplen : options.snaplen;
}

int requestedBuffer(const LiveOptions& options, const std::string& friendly_name) {
  auto it = options.per_interface.find(friendly_name);
  return it != options.per_interface.end() && it->second.buffer_bytes ? it->second.buffer_bytes
                                                                       : options.buffer_bytes;
}

// Opens one adapter, setting its link type; null with `error` on failure.
pcap_t* openAdapter(const Wpcap& w, const LiveOptions& options, const Adapter& adapter, int& link_type,
                    std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  const std::string device = npcapDeviceName(adapter);
  pcap_t* p = w.create(device.c_str(), errbuf);
  if (!p) {
    error = errbuf;
    return nullptr;
  }
  LiveOptions::PerInterface own;
  if (auto it = options.per_interface.find(adapter.friendly_name); it != options.per_interface.end()) own = it->second;
  w.set_snaplen(p, requestedSnaplen(options, adapter.friendly_name));
  w.set_promisc(p, options.promiscuous ? 1 : 0);
  w.set_timeout(p, options.timeout_ms);
  w.set_buffer_size(p, requestedBuffer(options, adapter.friendly_name));
  if (options.immediate) w.set_immediate_mode(p, 1);
  int rc = w.activate(p);
  if (rc < 0) {
    error = rc == PCAP_ERROR_PERM_DENIED ? std::string("permission denied (Npcap restricted to Administrators)")
            : rc == PCAP_ERROR_NO_SUCH_DEVICE ? std::string("no such adapter")
                                              : std::string(w.geterr(p));
    w.close(p);
    return nullptr;
  }
  link_type = w.datalink(p);
  if (!options.link_types.empty() &&
      std::find(options.link_types.begin(), options.link_types.end(), link_type) == options.link_types.end()) {
    error = "link type " + std::to_string(link_type) + " is not one dnsleakd decodes";
    w.close(p);
    return nullptr;
  }
  const std::string filter =
      combinedFilter(liveFilter(link_type, options.tunnels, options.connections), own.filter);
  bpf_program program{};
  if (w.compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 || w.setfilter(p, &program) != 0) {
    // Never captured unfiltered: an adapter whose filter fails is refused.
    error = std::string("the capture filter does not compile: ") + w.geterr(p);
    w.freecode(&program);
    w.close(p);
    return nullptr;
  }
  w.freecode(&program);
  return p;
}

class NpcapSource : public CaptureSource {
 public:
  NpcapSource(const Wpcap& w, const LiveOptions& options, std::vector<Adapter> adapters,
              const std::vector<std::string>& unmatched)
      : w_(w),
        stop_(CreateEventW(nullptr, TRUE, FALSE, nullptr)),
        held_at_most_(kernelHoldsAtMost(options.timeout_ms)) {
    for (auto& a : adapters) {
      auto h = std::make_unique<Handle>();
      h->adapter = std::move(a);
      h->stats.name = h->adapter.friendly_name;
      handles_.push_back(std::move(h));
    }
    // Each adapter opens on a thread of its own, all at once, each given
    // kOpenTimeout: one driver that hangs in activation stalls nothing. An
    // opening given up on owns what it opens, and closes it when it ends.
    struct Opening {
      LiveOptions options;
      Adapter adapter;
      std::mutex mutex;
      std::condition_variable done;
      bool finished = false;  // guarded by mutex, as the rest below
      bool abandoned = false;
      pcap_t* pcap = nullptr;
      int link_type = 0;
      std::string error;
    };
    std::vector<std::shared_ptr<Opening>> openings;
    for (auto& h : handles_) {
      auto opening = std::make_shared<Opening>();
      opening->options = options;
      opening->adapter = h->adapter;
      openings.push_back(opening);
      const Wpcap* w = &w_;
      std::thread([w, opening] {
        std::string error;
        int link_type = 0;
        pcap_t* p = openAdapter(*w, opening->options, opening->adapter, link_type, error);
        std::lock_guard lock(opening->mutex);
        if (opening->abandoned) {
          if (p) w->close(p);
        } else {
          opening->pcap = p;
          opening->link_type = link_type;
          opening->error = error;
        }
        opening->finished = true;
        opening->done.notify_one();
      }).detach();
    }
    const auto deadline = std::chrono::steady_clock::now() + kOpenTimeout;
    for (std::size_t i = 0; i < handles_.size(); ++i) {
      Handle& h = *handles_[i];
      Opening& o = *openings[i];
      std::unique_lock lock(o.mutex);
      if (!o.done.wait_until(lock, deadline, [&] { return o.finished; })) {
        o.abandoned = true;
        setState(h, "failed", "opening did not finish within " + std::to_string(kOpenTimeout.count()) + " s");
        continue;
      }
      if (!o.pcap) {
        setState(h, "failed", o.error);
        continue;
      }
      h.pcap = o.pcap;
      {
        std::lock_guard stats_lock(h.mutex);
        h.stats.snaplen = requestedSnaplen(options, h.adapter.friendly_name);
        h.stats.delivery = options.immediate ? "immediate" : "batched";
        h.stats.buffer_bytes = requestedBuffer(options, h.adapter.friendly_name);
      }
      h.link_type = o.link_type;
      h.event = w_.getevent(h.pcap);
      setState(h, "capturing");
    }
    for (const auto& pattern : unmatched) {
      auto h = std::make_unique<Handle>();
      h->stats.name = pattern;
      h->stats.state = "failed";
      h->stats.error = "no adapter matches it";
      handles_.push_back(std::move(h));
    }
    bool any = std::any_of(handles_.begin(), handles_.end(), [](const auto& h) { return h->pcap != nullptr; });
    if (!any) {
      std::string why;
      for (const auto& h : handles_) why += (why.empty() ? "" : "; ") + h->stats.name + ": " + h->stats.error;
      close();
      throw CaptureError("no adapter could be opened for capture (" + (why.empty() ? "none selected" : why) + ")");
    }
  }
  ~NpcapSource() override { close(); }

  void run(PacketSink& sink) override {
    std::vector<HANDLE> events{stop_};
    std::vector<Handle*> by_event{nullptr};
    for (auto& h : handles_) {
      if (h->pcap && h->event && events.size() < MAXIMUM_WAIT_OBJECTS) {
        events.push_back(h->event);
        by_event.push_back(h.get());
      }
    }
    auto next_stats = std::chrono::steady_clock::now();
    for (;;) {
      DWORD r = WaitForMultipleObjects(static_cast<DWORD>(events.size()), events.data(), FALSE, kIdleMs);
      if (r == WAIT_OBJECT_0) return;  // stop()
      // Taken before the reading, which takes all the driver handed over by then.
      const auto read_from = std::chrono::system_clock::now();
      sink.onReadingStart();
      // More than one handle may be ready: each is drained, not only the one signalled.
      for (std::size_t i = 1; i < by_event.size(); ++i) drain(*by_event[i], sink);
      if (r == WAIT_TIMEOUT) {
        // Short of what the driver may still hold until its read timeout.
        sink.onIdle(core::Timestamp(read_from.time_since_epoch() - held_at_most_));
      }
      sink.onReadingEnd();
      if (std::chrono::steady_clock::now() >= next_stats) {
        readDrops();
        next_stats = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
    }
  }

  void stop() override { SetEvent(stop_); }

  std::vector<SourceStats> stats() const override {
    std::vector<SourceStats> out;
    for (const auto& h : handles_) {
      std::lock_guard lock(h->mutex);
      SourceStats s = h->stats;
      s.packets = h->packets.get();
      s.kernel_drops = h->kernel_drops.get();
      s.interface_drops = h->interface_drops.get();
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  static void setState(Handle& h, std::string state, std::string error = {}) {
    std::lock_guard lock(h.mutex);
    h.stats.state = std::move(state);
    h.stats.error = std::move(error);
  }

  void drain(Handle& h, PacketSink& sink) {
    if (h.failed) return;
    // At most a bounded batch per wake-up, so that one busy adapter does not starve the others.
    for (int n = 0; n < 1024; ++n) {
      pcap_pkthdr* header = nullptr;
      const u_char* data = nullptr;
      int rc = w_.next_ex(h.pcap, &header, &data);
      if (rc == 0) return;
      if (rc < 0) {
        // The adapter went away (unplugged, disabled): the others go on.
        h.failed = true;
        setState(h, "failed", w_.geterr(h.pcap));
        return;
      }
      RawPacket packet;
      packet.time = core::Timestamp(std::chrono::seconds(header->ts.tv_sec) + std::chrono::microseconds(header->ts.tv_usec));
      packet.link_type = h.link_type;
      packet.ifindex = h.adapter.index;
      packet.interface_name = h.adapter.friendly_name;
      packet.wire_length = header->len;
      packet.data = std::span<const std::uint8_t>(data, header->caplen);
      h.packets.add(1);
      sink.onPacket(packet);
    }
  }

  // Npcap's counters are totals since open, as Windows keeps them.
  void readDrops() {
    for (auto& h : handles_) {
      pcap_stat s{};
      if (!h->pcap || w_.stats(h->pcap, &s) != 0) continue;
      h->kernel_drops.set(s.ps_drop);
      h->interface_drops.set(s.ps_ifdrop);
    }
  }

  void close() {
    for (auto& h : handles_) {
      if (h->pcap) w_.close(h->pcap);
      h->pcap = nullptr;
    }
    if (stop_) CloseHandle(stop_);
    stop_ = nullptr;
  }

  const Wpcap& w_;
  HANDLE stop_;
  std::chrono::milliseconds held_at_most_;
  std::vector<std::unique_ptr<Handle>> handles_;
};

}  // namespace

std::unique_ptr<CaptureSource> openLive(const LiveOptions& options) {
  std::string why;
  const Wpcap* w = npcap(why);
  if (!w) throw CaptureError(why);
  std::vector<Adapter> adapters = windowsAdapters(why);
  if (adapters.empty()) throw CaptureError(why.empty() ? "this host has no network adapter" : why);
  std::vector<std::string> unmatched;
  std::vector<Adapter> chosen = adaptersToCapture(adapters, options.interfaces, unmatched);
  return std::make_unique<NpcapSource>(*w, options, std::move(chosen), unmatched);
}

}  // namespace dnsleak::capture
