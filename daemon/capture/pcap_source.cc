// libpcap capture sources. The only file in the daemon that includes pcap.

#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "capture/capture_source.h"
#include "capture/pcapng_reader.h"
#include "core/counter.h"

namespace dnsleak::capture {
namespace {

using Clock = std::chrono::steady_clock;

bool supported(const std::vector<int>& link_types, int link_type) {
  return link_types.empty() || std::find(link_types.begin(), link_types.end(), link_type) != link_types.end();
}

std::string linkTypeName(int link_type) {
  // A pcapng file holds LINKTYPE_ values; the one in use whose DLT_ value
  // differs is raw IP (LINKTYPE_RAW 101, DLT_RAW 12 or 14).
  if (link_type == 101) return "RAW";
  const char* name = pcap_datalink_val_to_name(link_type);
  return name ? name : "LINKTYPE_" + std::to_string(link_type);
}

core::Timestamp toTimestamp(const struct timeval& tv, bool nanoseconds) {
  auto sub = nanoseconds ? std::chrono::nanoseconds(tv.tv_usec) : std::chrono::nanoseconds(tv.tv_usec * 1000LL);
  return core::Timestamp(std::chrono::seconds(tv.tv_sec) + sub);
}

// Shared bookkeeping for one handle's diagnostics: counters written by the
// capture thread, strings under a lock.
class HandleStats {
 public:
  explicit HandleStats(std::string name) { stats_.name = std::move(name); stats_.state = "starting"; }

  void setState(std::string state, std::string error = {}) {
    std::lock_guard lock(mutex_);
    stats_.state = std::move(state);
    stats_.error = std::move(error);
  }
  void setLinkType(std::string link_type) {
    std::lock_guard lock(mutex_);
    stats_.link_type = std::move(link_type);
  }
  void setDelivery(int snaplen, std::string delivery, int buffer_bytes) {
    std::lock_guard lock(mutex_);
    stats_.snaplen = snaplen;
    stats_.delivery = std::move(delivery);
    stats_.buffer_bytes = buffer_bytes;
  }
  void setDelivery(std::string delivery) {
    std::lock_guard lock(mutex_);
    stats_.delivery = std::move(delivery);
  }
  SourceStats snapshot() const {
    std::lock_guard lock(mutex_);
    SourceStats s = stats_;
    s.packets = packets.get();
    s.kernel_drops = kernel_drops.get();
    s.interface_drops = interface_drops.get();
    s.file_offset = file_offset.get();
    return s;
  }
  void setFileSize(std::uint64_t size) {
    std::lock_guard lock(mutex_);
    stats_.file_size = size;
  }

  core::Counter packets;
  core::Counter file_offset;
  core::Counter kernel_drops;
  core::Counter interface_drops;

 private:
  mutable std::mutex mutex_;
  SourceStats stats_;
};

// The packets two rings of one handle both hold while one replaces the
// other (LiveSource::Ring): known by their lengths and first bytes, and a
// capture time within kStampsApart. Each ring stamps a packet as it takes
// it unless the kernel stamped it before (it does while any socket asks
// for time stamps), so the two copies' stamps may differ by the moment
// between. A packet stamped after the old ring's last cannot have been
// delivered from it, whatever its bytes (traffic repeats itself); one the
// old ring missed (it was full) matches nothing.
class Overlap {
 public:
  // The new ring is open: whatever the old one delivers from now on may be
  // in the new one too, whatever its time stamp (a packet is stamped as it
  // is queued, and may reach the rings a while later).
  void start() {
    seen_.clear();
    latest_ = {};
    skipping_ = false;
  }
  void record(const RawPacket& packet) {
    latest_ = std::max(latest_, packet.time);
    seen_.emplace(fingerprint(packet), packet.time);
  }
  // The old ring is closed: its copies are looked for in the new one. By
  // `until` the kernel has handed over every packet the new ring took while
  // both were open; the new ring opened at `opened`.
  void stopRecording(std::chrono::steady_clock::time_point until, core::Timestamp opened) {
    skipping_ = true;
    until_ = until;
    last_copy_ = std::max(latest_, opened) + kStampsApart;
  }
  // Whether the new ring's packets are still looked at (copies, the filter).
  bool skipping() const { return skipping_; }
  // The new ring was read empty by a reading that started at `started`:
  // from `until` on, no copy is left in it.
  void readEmpty(std::chrono::steady_clock::time_point started) {
    if (skipping_ && started >= until_) done();
  }
  // The latest capture time the old ring delivered.
  core::Timestamp latest() const { return latest_; }
  // Whether the new ring's `packet` may be a copy, or (filter race) have
  // come before the new ring's filter: it was taken before the old ring's
  // last packet or the new ring's opening. Past that, nothing more is
  // looked for: under a flood the new ring may not be read empty for a
  // long while, and looking costs each packet.
  bool mayBeCopy(const RawPacket& packet) {
    if (packet.time <= last_copy_) return true;
    done();
    return false;
  }
  // Whether the new ring's `packet` was delivered from the old one: the
  // copy with the nearest stamp, so that one of several like packets close
  // together never takes another's copy.
  bool takeDuplicate(const RawPacket& packet) {
    if (packet.time > latest_ + kStampsApart) return false;
    auto [first, last] = seen_.equal_range(fingerprint(packet));
    auto nearest = last;
    core::Timestamp::duration best = kStampsApart;
    for (auto it = first; it != last; ++it) {
      auto apart = packet.time > it->second ? packet.time - it->second : it->second - packet.time;
      if (apart <= best) {
        best = apart;
        nearest = it;
      }
    }
    if (nearest == last) return false;
    seen_.erase(nearest);
    return true;
  }

 private:
  void done() {
    skipping_ = false;
    seen_ = {};
  }

  // Both rings take a packet in one pass of the kernel over its sockets:
  // microseconds apart (up to 3 us in the e2e suite), unless the machine
  // stops between.
  static constexpr auto kStampsApart = std::chrono::milliseconds(1);

  static std::uint64_t fingerprint(const RawPacket& packet) {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    // Not the length kept: the two rings may keep different lengths (an
    // immediate ring keeps kImmediateSnaplen).
    h = (h ^ packet.wire_length) * 0x9E3779B97F4A7C15ULL;
    std::size_t n = std::min<std::size_t>(packet.data.size(), 128);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ packet.data[i]) * 0x100000001B3ULL;
    return h;
  }

  std::unordered_multimap<std::uint64_t, core::Timestamp> seen_;  // fingerprint, capture time
  core::Timestamp latest_{};
  core::Timestamp last_copy_{};
  bool skipping_ = false;
  std::chrono::steady_clock::time_point until_{};
};

// A compiled capture filter, freed with its ring.
struct CompiledFilter {
  bpf_program program{};
  ~CompiledFilter() { pcap_freecode(&program); }
};

struct Delivery {
  PacketSink* sink;
  HandleStats* stats;
  int link_type;
  std::uint32_t ifindex;
  bool nanoseconds;
  Overlap* record;  // an old ring being replaced: what it delivers
  Overlap* skip;    // the new ring: what the old one delivered
  // The new ring's filter, run again on what it took while the old one
  // was being read: libpcap filters in user space the blocks handed over
  // before the kernel's filter was set, but not the block then filling.
  const bpf_program* filter;
};

void deliver(u_char* user, const struct pcap_pkthdr* header, const u_char* bytes) {
  auto* d = reinterpret_cast<Delivery*>(user);
  RawPacket packet;
  packet.time = toTimestamp(header->ts, d->nanoseconds);
  packet.link_type = d->link_type;
  packet.ifindex = d->ifindex;
  packet.wire_length = header->len;
  packet.data = std::span<const std::uint8_t>(bytes, header->caplen);
  if (d->skip && d->skip->mayBeCopy(packet)) {
    if (d->filter && pcap_offline_filter(d->filter, header, bytes) == 0) return;
    if (d->skip->takeDuplicate(packet)) return;
  }
  if (d->record) d->record->record(packet);
  d->stats->packets.add();
  d->sink->onPacket(packet);
}

// ---------------------------------------------------------------- live

class LiveSource : public CaptureSource {
 public:
  explicit LiveSource(const LiveOptions& options)
      : options_(options), quiet_(options.quiet_ms > 0 && !options.immediate), immediate_(options.immediate) {
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) throw CaptureError(std::string("cannot create an eventfd: ") + std::strerror(errno));
    for (const auto& name : options.interfaces) {
      auto handle = std::make_unique<Handle>(name);
      bool absent = false;
      std::string error = open(*handle, &absent);
      if (absent) {
        // Configured but not there yet (a VPN's interface before the VPN
        // is up): captured as soon as it appears.
        handle->retry_at = Clock::now() + std::chrono::milliseconds(options_.retry_interval_ms);
        handle->stats.setState("waiting", error + "; captured when it appears");
      } else if (!error.empty()) {
        closeAll();
        throw CaptureError(error);
      }
      handles_.push_back(std::move(handle));
    }
  }

  ~LiveSource() override {
    closeAll();
    if (stop_fd_ >= 0) close(stop_fd_);
  }

  void run(PacketSink& sink) override {
    auto next_stats = Clock::now();
    std::vector<pollfd> fds;
    std::vector<Handle*> polled;
    // Quiet rings (options_.quiet_ms) while nobody wants packets promptly
    // and few come, or immediate ones (options_.immediate, or
    // immediate_when_prompt while someone does) while few come;
    // a reading or a second with more keeps batched full rings for
    // kPromptAfterBusy at least: each change opens every handle again.
    Clock::time_point prompt_until{};
    Clock::time_point window_start = Clock::now();
    std::uint64_t window_packets = 0;
    while (!stopping_.load()) {
      auto now = Clock::now();
      const bool busy = now < prompt_until;
      // Read once: quiet and immediate must agree on it.
      const bool prompt = prompt_.load();
      const bool quiet = options_.quiet_ms > 0 && !options_.immediate && !prompt && !busy;
      // Each packet at once costs a wake-up and a poll each, and the
      // immediate ring's fixed slots hold a few hundred packets: a flood
      // overran them while the capture thread waited for a core. It is read
      // in blocks until it has passed.
      const bool immediate = (options_.immediate || (options_.immediate_when_prompt && prompt)) && !busy;
      if (quiet != quiet_.load() || immediate != immediate_.load()) {
        quiet_.store(quiet);
        immediate_.store(immediate);
        for (auto& h : handles_) h->stats.setDelivery(deliveryName());
      }
      for (auto& h : handles_) {
        if (h->opening.valid()) {
          if (h->opening.wait_for(std::chrono::seconds(0)) == std::future_status::ready) beginReplacing(*h);
        } else if (h->ring.pcap && !h->next.pcap && (h->ring.quiet != quiet || h->ring.immediate != immediate) &&
                   now >= h->retry_at && !h->overlap.skipping()) {
          startOpening(*h);
        }
      }
      fds.clear();
      polled.clear();
      fds.push_back({stop_fd_, POLLIN, 0});
      for (auto& h : handles_) {
        if (!h->ring.pcap) continue;
        fds.push_back({h->ring.fd, POLLIN, 0});
        polled.push_back(h.get());
      }
      // A ring being replaced is let go as soon as its longest hold has
      // passed, not at the next half-second look: until then packets wait
      // in its blocks for up to quiet_ms, which a watcher just come would
      // see.
      int timeout_ms = 500;
      for (auto& h : handles_) {
        // A ring opening on the helper thread is taken within a millisecond
        // of being open.
        if (h->opening.valid()) timeout_ms = std::min(timeout_ms, 1);
        if (!h->next.pcap) continue;
        auto left = std::chrono::ceil<std::chrono::milliseconds>(h->next_deadline - now).count();
        timeout_ms = static_cast<int>(std::clamp<long long>(left, 0, timeout_ms));
      }
      int ready = poll(fds.data(), fds.size(), timeout_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents) {
        // Stopped, or asked to be prompt: take the pokes and look again.
        std::uint64_t pokes = 0;
        [[maybe_unused]] auto n = read(stop_fd_, &pokes, sizeof pokes);
        continue;
      }
      // Taken before the reading: what the kernel handed over by then, the
      // reading takes, however long this thread waits for a core after.
      const auto read_from = std::chrono::system_clock::now();
      // The rings read, and any being opened beside them (which replaces
      // one during the reading).
      const int hold_ms = longestHold();
      sink.onReadingStart();
      std::uint64_t delivered = 0;
      bool emptied = true;
      bool filling = false;  // an immediate ring a quarter full when read
      for (std::size_t i = 0; i < polled.size(); ++i) {
        // On a poll timeout every handle is read once too: a partly filled
        // kernel block is handed over after the ring's block timeout. A
        // quiet wake-up reads them all, being seldom.
        Handle& h = *polled[i];
        if (quiet || ready == 0 || fds[i + 1].revents) {
          const std::uint64_t n = drain(h, sink, emptied);
          delivered += n;
          filling = filling || (h.ring.immediate && n * 4 >= h.ring.slots);
        }
        if (h.next.pcap && replacedRingIsEmpty(h)) delivered += finishReplacing(h, sink, emptied);
      }
      if ((quiet || ready == 0) && emptied) {
        // Not yet past what the kernel may still hold in a block it has
        // not handed over: a response there would lose its query.
        sink.onIdle(core::Timestamp(read_from.time_since_epoch() - kernelHoldsAtMost(hold_ms)));
      }
      sink.onReadingEnd();
      now = Clock::now();
      window_packets += delivered;
      // Busy: a quiet reading took more than its share of a second's
      // kQuietMostPerSecond; an immediate ring was filling faster than
      // capture read it one packet at a time; or this second's count is
      // reached (at once: a flood into an immediate ring must not wait for
      // the second to end).
      if ((quiet && delivered * 1000 >= kQuietMostPerSecond * static_cast<std::uint64_t>(options_.quiet_ms)) ||
          filling || window_packets >= kQuietMostPerSecond) {
        prompt_until = now + kPromptAfterBusy;
      }
      if (now - window_start >= std::chrono::seconds(1)) {
        window_start = now;
        window_packets = 0;
      }
      if (now >= next_stats) {
        for (auto& h : handles_) {
          // Not while a ring opens: the helper thread takes what the old
          // ring drops until then (startOpening).
          if (h->ring.pcap && !h->next.pcap && !h->opening.valid()) updateKernelStats(*h);
        }
        retryFailed(now);
        next_stats = now + std::chrono::seconds(1);
      }
    }
    for (auto& h : handles_) {
      if (h->ring.pcap) updateKernelStats(*h);
      h->stats.setState("stopped");
    }
  }

  void stop() override {
    stopping_.store(true);
    poke();
  }

  void setPrompt(bool prompt) override {
    if (prompt_.exchange(prompt) != prompt) poke();
  }

  std::vector<SourceStats> stats() const override {
    std::vector<SourceStats> out;
    for (const auto& h : handles_) out.push_back(h->stats.snapshot());
    return out;
  }

 private:
  // After heavy traffic, the full rings stay this long at least.
  static constexpr auto kPromptAfterBusy = std::chrono::seconds(5);

  // One libpcap handle on the interface: the kernel's ring and how it was
  // opened.
  struct Ring {
    pcap_t* pcap = nullptr;
    int fd = -1;
    int link_type = 0;
    std::uint32_t ifindex = 0;
    bool nanoseconds = false;
    bool quiet = false;      // a ring of kQuietBufferBytes for quiet readings
    bool immediate = false;  // each packet handed over at once (pcap immediate mode)
    std::uint64_t slots = 0;  // an immediate ring's: about how many packets it holds
    int hold_ms = 0;     // its block timeout: how long the kernel may hold a packet
    int buffer_bytes = 0;
    std::shared_ptr<const CompiledFilter> filter;  // what the kernel runs on it
  };

  // What the helper thread hands over: the new ring (or why it failed),
  // and what the old ring had dropped by the time the new one was open.
  struct Opened {
    std::string error;
    Ring ring;
    std::uint32_t old_ring_drops = 0;
  };

  struct Handle {
    explicit Handle(std::string n) : name(std::move(n)), stats(name) {}
    std::string name;
    Ring ring;  // read
    // Replacing `ring` (quiet or immediate to batched, or back): open and filling, read
    // once `ring` has handed over what only it holds (replacedRingIsEmpty).
    Ring next;
    // `next` being opened on a helper thread: a ring takes milliseconds to
    // open (its filter compiled, the kernel's ring set up), in which a
    // flood would overrun the ring read (an immediate one within 2 ms).
    std::future<Opened> opening;
    std::chrono::system_clock::time_point next_open{};  // when `next` took its first packet, at the latest
    Clock::time_point next_deadline{};                  // `ring` holds nothing from before next_open by then
    Overlap overlap;
    // Last cumulative kernel counters of `ring`: 32-bit and wrapping, so
    // totals are kept as 64-bit sums of wrap-safe deltas.
    std::uint32_t last_drop = 0;
    std::uint32_t last_ifdrop = 0;
    Clock::time_point retry_at{};  // opening again, after a failure
    HandleStats stats;
  };

  // Opens one handle with the ring for quiet, immediate or batched
  // readings; returns "" or the sentence saying why it failed, and sets
  // *absent when the interface does not exist.
  std::string openRing(const std::string& name, bool quiet, bool immediate, Ring& ring, bool* absent = nullptr) const {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_create(name.c_str(), errbuf);
    if (!p) return "cannot capture on '" + name + "': " + errbuf;
    LiveOptions::PerInterface own;
    if (auto it = options_.per_interface.find(name); it != options_.per_interface.end()) own = it->second;
    int snaplen = own.snaplen > 0 ? own.snaplen : options_.snaplen;
    if (immediate && own.snaplen <= 0) snaplen = std::min(snaplen, kImmediateSnaplen);
    int buffer = own.buffer_bytes > 0 ? own.buffer_bytes : options_.buffer_bytes;
    if (quiet) buffer = std::min(buffer, kQuietBufferBytes);
    const int hold_ms = quiet ? options_.quiet_ms : options_.timeout_ms;
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, options_.promiscuous ? 1 : 0);
    pcap_set_timeout(p, hold_ms);
    if (immediate) pcap_set_immediate_mode(p, 1);
    pcap_set_buffer_size(p, buffer);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);  // falls back to micro if unsupported
    int rc = pcap_activate(p);
    if (rc < 0) {
      std::string why;
      switch (rc) {
        case PCAP_ERROR_NO_SUCH_DEVICE:
          why = "no such interface '" + name + "' (see `ip link`)";
          if (absent) *absent = true;
          break;
        case PCAP_ERROR_PERM_DENIED:
          why = "permission denied capturing on '" + name + "': dnsleakd needs root or CAP_NET_RAW";
          break;
        case PCAP_ERROR_IFACE_NOT_UP:
          why = "interface '" + name + "' is not up";
          break;
        default:
          why = "cannot capture on '" + name + "': " + pcap_geterr(p);
      }
      pcap_close(p);
      return why;
    }
    Ring r;
    if (name == "any") {
      // SLL2 carries every packet's interface index: the egress interface is
      // then a fact. Older kernels/libpcaps fall back to SLL.
      pcap_set_datalink(p, options_.any_link_type);
    } else {
      r.ifindex = if_nametoindex(name.c_str());
    }
    r.link_type = pcap_datalink(p);
    if (!supported(options_.link_types, r.link_type)) {
      std::string why = "interface '" + name + "' has link type " + linkTypeName(r.link_type) +
                        ", which dnsleakd does not decode";
      pcap_close(p);
      return why;
    }
    // A filter that does not compile must not leave the capture silently
    // unfiltered: that is refused like any other failure to open.
    auto compiled = std::make_shared<CompiledFilter>();
    bpf_program& program = compiled->program;
    std::string filter = combinedFilter(liveFilter(r.link_type, options_.tunnels, options_.connections), own.filter);
    if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      std::string why = "cannot compile the capture filter for '" + name + "' (" + linkTypeName(r.link_type) +
                        "): " + pcap_geterr(p);
      pcap_close(p);
      return why;
    }
    if (pcap_setfilter(p, &program) != 0) {
      std::string why = "cannot set the capture filter on '" + name + "': " + pcap_geterr(p);
      pcap_close(p);
      return why;
    }
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
      std::string why = "cannot make '" + name + "' non-blocking: " + std::string(errbuf);
      pcap_close(p);
      return why;
    }
    r.pcap = p;
    r.fd = pcap_get_selectable_fd(p);
    r.nanoseconds = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    r.quiet = quiet;
    r.immediate = immediate;
    // Fixed slots of the snaplen and libpcap's headers, each (TPACKET_V2).
    r.slots = static_cast<std::uint64_t>(buffer) / (static_cast<std::uint64_t>(snaplen) + 128);
    r.hold_ms = hold_ms;
    r.buffer_bytes = buffer;
    r.filter = std::move(compiled);
    ring = r;
    return {};
  }

  // Opens a handle's ring for the present mode and reads it from now on.
  std::string open(Handle& h, bool* absent = nullptr) {
    std::string error = openRing(h.name, quiet_.load(), immediate_.load(), h.ring, absent);
    if (!error.empty()) return error;
    h.last_drop = 0;
    h.last_ifdrop = 0;
    h.stats.setLinkType(linkTypeName(h.ring.link_type));
    h.stats.setDelivery(pcap_snapshot(h.ring.pcap), deliveryName(), h.ring.buffer_bytes);
    h.stats.setState("capturing");
    return {};
  }

  // Opens the ring for the other mode beside the one read, on a helper
  // thread while the old one goes on being read; beginReplacing takes it.
  void startOpening(Handle& h) {
    h.overlap.start();
    h.opening = std::async(std::launch::async, [this, name = h.name, quiet = quiet_.load(),
                                                immediate = immediate_.load(), old_fd = h.ring.fd] {
      Opened opened;
      opened.error = openRing(name, quiet, immediate, opened.ring);
      // Read the moment the new ring is open, its filter set: what the old
      // one drops after this, the new one holds. (The capture thread takes
      // the new ring only once its reading in progress ends, tens of ms
      // into a flood: the old ring's drops read then were counted for
      // packets the new ring delivered.) Not sooner: while libpcap sets the
      // filter, the new ring first drops everything for a moment, and the
      // old ring's drops then are losses. Reading resets the kernel's
      // counter: libpcap, which reads it on the capture thread, does not
      // see these.
      if (opened.error.empty()) opened.old_ring_drops = takeKernelDrops(old_fd);
      return opened;
    });
  }

  // The kernel's drop counter of a packet socket since it was last read,
  // which reading resets. (TPACKET_V2's statistics are the first two
  // fields of V3's.)
  static std::uint32_t takeKernelDrops(int fd) {
    tpacket_stats_v3 stats{};
    socklen_t length = sizeof stats;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &length) != 0) return 0;
    return stats.tp_drops;
  }

  // Reads the newly opened ring from now on beside the old one, which goes
  // on being read until it has handed over every packet only it holds.
  void beginReplacing(Handle& h) {
    auto [error, ring, old_ring_drops] = h.opening.get();
    h.stats.kernel_drops.add(old_ring_drops);
    if (!error.empty()) {
      // The ring read goes on; the change is tried again later.
      h.retry_at = Clock::now() + std::chrono::milliseconds(options_.retry_interval_ms);
      return;
    }
    // (Had the ring read failed meanwhile, closeRings would have taken the
    // new one and closed it.)
    h.next = ring;
    // Open since before now: a later time than the ring's own start only
    // makes the old ring be read a little longer.
    h.next_open = std::chrono::system_clock::now();
    h.next_deadline = Clock::now() + kernelHoldsAtMost(h.ring.hold_ms);
    // What the old ring dropped until the new one was open is counted;
    // what it dropped since, the new one has (it counts its own): a flood
    // that overruns the small quiet ring while the full one opens is
    // counted as lost only where it was.
    updateKernelStats(h, /*count_ring_drops=*/false);
  }

  // Whether the ring being replaced has handed over every packet it took
  // before the new ring was open: it delivered a later one (its blocks are
  // handed over in order), or the kernel's longest hold has passed.
  bool replacedRingIsEmpty(const Handle& h) const { return handedOverLater(h) || Clock::now() >= h.next_deadline; }

  // Whether the ring being replaced has delivered a packet taken after the
  // new ring opened.
  static bool handedOverLater(const Handle& h) {
    return h.overlap.latest() >= core::Timestamp(h.next_open.time_since_epoch());
  }

  // Closes the replaced ring and reads the new one, less the packets both
  // held. Once the old ring has delivered a packet taken after the new one
  // opened, the rest of it is in the new one too: reading it on would only
  // let a flood overrun the new ring meanwhile. Otherwise (its longest hold
  // has passed) it is read out first, within bounds.
  std::uint64_t finishReplacing(Handle& h, PacketSink& sink, bool& emptied) {
    std::uint64_t delivered = 0;
    if (!handedOverLater(h)) {
      bool empty = false;
      for (int i = 0; i < 4 && !empty && h.ring.pcap; ++i) {
        empty = true;
        delivered += drain(h, sink, empty);
      }
    }
    if (!h.ring.pcap) return delivered;  // it failed: drain() closed both
    pcap_close(h.ring.pcap);
    h.ring = h.next;
    h.next = Ring{};
    h.last_drop = 0;
    h.last_ifdrop = 0;
    h.overlap.stopRecording(Clock::now() + kernelHoldsAtMost(h.ring.hold_ms),
                            core::Timestamp(h.next_open.time_since_epoch()));
    h.stats.setDelivery(pcap_snapshot(h.ring.pcap), deliveryName(), h.ring.buffer_bytes);
    return delivered + drain(h, sink, emptied);
  }

  // The longest any ring open now may hold a packet.
  int longestHold() const {
    int hold = 0;
    for (const auto& h : handles_) {
      if (h->ring.pcap) hold = std::max(hold, h->ring.hold_ms);
      if (h->next.pcap) hold = std::max(hold, h->next.hold_ms);
    }
    return hold;
  }

  // Reads what the kernel has handed over; returns how many packets.
  // `emptied` is set false when the rounds ran out before the ring did.
  std::uint64_t drain(Handle& h, PacketSink& sink, bool& emptied) {
    Delivery d{&sink,
               &h.stats,
               h.ring.link_type,
               h.ring.ifindex,
               h.ring.nanoseconds,
               h.next.pcap || h.opening.valid() ? &h.overlap : nullptr,
               h.overlap.skipping() ? &h.overlap : nullptr,
               &h.ring.filter->program};
    std::uint64_t delivered = 0;
    const auto started = d.skip ? Clock::now() : Clock::time_point{};
    // Bounded rounds so that one busy interface cannot starve the others
    // or the stop request.
    for (int round = 0; round < 16; ++round) {
      int n = pcap_dispatch(h.ring.pcap, 1024, deliver, reinterpret_cast<u_char*>(&d));
      if (n == 0) {
        if (d.skip) h.overlap.readEmpty(started);
        return delivered;
      }
      if (n < 0) {
        fail(h, pcap_geterr(h.ring.pcap));
        return delivered;
      }
      delivered += static_cast<std::uint64_t>(n);
    }
    emptied = false;
    return delivered;
  }

  // How packets are handed over now, as status names it.
  const char* deliveryName() const {
    return immediate_.load() ? "immediate" : quiet_.load() ? "quiet" : "batched";
  }

  // Ends run()'s wait: a stop, or a change of promptness.
  void poke() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(stop_fd_, &one, sizeof one);
  }

  void fail(Handle& h, const std::string& error) {
    updateKernelStats(h);
    closeRings(h);
    h.retry_at = Clock::now() + std::chrono::milliseconds(options_.retry_interval_ms);
    h.stats.setState("failed", error + " (retrying)");
  }

  void retryFailed(Clock::time_point now) {
    for (auto& h : handles_) {
      if (h->ring.pcap || now < h->retry_at) continue;
      bool absent = false;
      std::string error = open(*h, &absent);
      if (!error.empty()) {
        h->retry_at = now + std::chrono::milliseconds(options_.retry_interval_ms);
        if (absent) {
          h->stats.setState("waiting", error + "; captured when it appears");
        } else {
          h->stats.setState("failed", error + " (retrying)");
        }
      }
    }
  }

  // Takes libpcap's counters of the ring read; its drops are counted
  // unless a newer ring, open since, holds those packets.
  void updateKernelStats(Handle& h, bool count_ring_drops = true) {
    pcap_stat ps{};
    if (pcap_stats(h.ring.pcap, &ps) != 0) return;
    if (count_ring_drops) h.stats.kernel_drops.add(static_cast<std::uint32_t>(ps.ps_drop - h.last_drop));
    h.stats.interface_drops.add(static_cast<std::uint32_t>(ps.ps_ifdrop - h.last_ifdrop));
    h.last_drop = ps.ps_drop;
    h.last_ifdrop = ps.ps_ifdrop;
  }

  static void closeRings(Handle& h) {
    if (h.opening.valid()) {
      auto opened = h.opening.get();
      h.stats.kernel_drops.add(opened.old_ring_drops);
      if (opened.ring.pcap) pcap_close(opened.ring.pcap);
    }
    if (h.ring.pcap) pcap_close(h.ring.pcap);
    if (h.next.pcap) pcap_close(h.next.pcap);
    h.ring = Ring{};
    h.next = Ring{};
    h.overlap = Overlap{};
  }

  void closeAll() {
    for (auto& h : handles_) closeRings(*h);
  }

  LiveOptions options_;
  std::vector<std::unique_ptr<Handle>> handles_;
  int stop_fd_ = -1;  // an eventfd that ends run()'s wait
  std::atomic<bool> stopping_{false};
  std::atomic<bool> prompt_{false};
  // run()'s mode, also for a handle opened again.
  std::atomic<bool> quiet_;
  std::atomic<bool> immediate_;
};

// ---------------------------------------------------------------- file

class FileSource : public CaptureSource {
 public:
  explicit FileSource(const FileOptions& options) : options_(options), stats_(options.path) {
    // pcapng is read here, block by block: libpcap 1.10 refuses a file
    // whose interfaces have different link types and drops their names.
    file_ = std::fopen(options.path.c_str(), "rb");
    // Read a MiB at a time, not stdio's 4 KiB: a read system call per few
    // packets was a tenth of --read's time.
    // (glibc takes the size only with a buffer of ours; it lives as long
    // as this source, past pcap_close.)
    if (file_) {
      read_buffer_ = std::make_unique<char[]>(kReadBuffer);
      std::setvbuf(file_, read_buffer_.get(), _IOFBF, kReadBuffer);
    }
    std::uint8_t first[4] = {};
    if (file_ && std::fread(first, 1, sizeof first, file_) == sizeof first && PcapngReader::startsPcapng(first) &&
        std::fseek(file_, 0, SEEK_SET) == 0) {
      pcapng_ = std::make_unique<PcapngReader>(file_);
      stats_.setLinkType("pcapng");
      return;
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    if (file_ && std::fseek(file_, 0, SEEK_SET) == 0) {
      // libpcap takes the file (and its buffer) over, and closes it.
      pcap_ = pcap_fopen_offline_with_tstamp_precision(file_, PCAP_TSTAMP_PRECISION_NANO, errbuf);
      if (!pcap_) std::fclose(file_);
    } else {
      if (file_) std::fclose(file_);
      pcap_ = pcap_open_offline_with_tstamp_precision(options.path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    }
    file_ = nullptr;
    if (!pcap_) throw CaptureError("cannot read capture file '" + options.path + "': " + errbuf);
    link_type_ = pcap_datalink(pcap_);
    if (!supported(options.link_types, link_type_)) {
      std::string why = "capture file '" + options.path + "' has link type " + linkTypeName(link_type_) +
                        ", which dnsleakd does not decode";
      pcap_close(pcap_);
      throw CaptureError(why);
    }
    stats_.setLinkType(linkTypeName(link_type_));
  }

  ~FileSource() override {
    if (pcap_) pcap_close(pcap_);
    if (file_) std::fclose(file_);
  }

  void run(PacketSink& sink) override {
    stats_.setState("reading");
    std::FILE* position = pcapng_ ? file_ : pcap_file(pcap_);  // where reading is, for progress
    if (position) {
      struct stat st {};
      if (fstat(fileno(position), &st) == 0) stats_.setFileSize(static_cast<std::uint64_t>(st.st_size));
    }
    bool paced = options_.speed > 0;
    Clock::time_point wall_start{};
    core::Timestamp capture_start{};
    bool first = true;
    RawPacket packet;
    for (;;) {
      if (stopping_.load()) {
        stats_.setState("stopped");
        return;
      }
      std::string error;
      if (!nextPacket(packet, error)) {
        if (position) stats_.file_offset.set(static_cast<std::uint64_t>(std::max(0L, std::ftell(position))));
        sink.onIdle(core::Timestamp::max());  // the file's last findings
        stats_.setState(error.empty() ? "finished" : "failed", error);
        if (pcapng_) stats_.setLinkType(pcapngLinkTypes());
        return;
      }
      if (paced) {
        if (first) {
          wall_start = Clock::now();
          capture_start = packet.time;
          first = false;
        }
        auto offset = std::chrono::duration_cast<Clock::duration>((packet.time - capture_start) / options_.speed);
        std::unique_lock lock(wait_mutex_);
        if (wake_.wait_until(lock, wall_start + offset, [&] { return stopping_.load(); })) continue;
      }
      stats_.packets.add();
      if (position && (stats_.packets.get() & 1023) == 0) {
        stats_.file_offset.set(static_cast<std::uint64_t>(std::max(0L, std::ftell(position))));
      }
      sink.onPacket(packet);
    }
  }

  void stop() override {
    {
      std::lock_guard lock(wait_mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
  }

  std::vector<SourceStats> stats() const override { return {stats_.snapshot()}; }

 private:
  // The next packet, or false at the end (error empty) or on an error.
  bool nextPacket(RawPacket& packet, std::string& error) {
    if (pcapng_) {
      PcapngPacket p;
      switch (pcapng_->next(p)) {
        case PcapngReader::Result::kEnd: return false;
        case PcapngReader::Result::kError: error = pcapng_->error(); return false;
        case PcapngReader::Result::kPacket: break;
      }
      packet.time = p.time;
      packet.link_type = p.link_type;
      packet.ifindex = p.interface_id < 200 ? kPcapngInterfaceBase + p.interface_id : 0;
      packet.interface_name = p.interface_name;
      packet.wire_length = p.wire_length;
      packet.data = p.data;
      return true;
    }
    struct pcap_pkthdr* header = nullptr;
    const u_char* bytes = nullptr;
    int rc = pcap_next_ex(pcap_, &header, &bytes);
    if (rc == PCAP_ERROR_BREAK) return false;  // end of file
    if (rc < 0) {
      error = pcap_geterr(pcap_);
      return false;
    }
    packet.time = toTimestamp(header->ts, true);
    packet.link_type = link_type_;
    packet.ifindex = 0;
    packet.interface_name = {};
    packet.wire_length = header->len;
    packet.data = std::span<const std::uint8_t>(bytes, header->caplen);
    return true;
  }

  std::string pcapngLinkTypes() const {
    std::string out = "pcapng:";
    std::vector<int> seen;
    for (int t : pcapng_->linkTypes()) {
      if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
      seen.push_back(t);
      out += (seen.size() == 1 ? " " : ", ") + linkTypeName(t);
    }
    return out;
  }

  static constexpr std::size_t kReadBuffer = 1 << 20;
  std::unique_ptr<char[]> read_buffer_;  // the file's stdio buffer, freed after pcap_close
  FileOptions options_;
  std::FILE* file_ = nullptr;            // a pcapng file, read by pcapng_
  std::unique_ptr<PcapngReader> pcapng_;
  pcap_t* pcap_ = nullptr;               // any other file, read by libpcap
  int link_type_ = 0;
  HandleStats stats_;
  std::atomic<bool> stopping_{false};
  std::mutex wait_mutex_;
  std::condition_variable wake_;
};

}  // namespace

namespace {

// Opens `name` with the smallest settings libpcap allows and closes it.
CaptureCheck probeCapture(const std::string& name) {
  CaptureCheck r;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(name.c_str(), errbuf);
  if (!p) {
    r.detail = errbuf;
    return r;
  }
  pcap_set_snaplen(p, 128);
  pcap_set_buffer_size(p, 64 * 1024);
  pcap_set_timeout(p, 100);
  int rc = pcap_activate(p);
  if (rc >= 0) {
    r.ok = true;
    r.detail = linkTypeName(pcap_datalink(p));
    if (rc > 0) r.detail += std::string(" (warning: ") + pcap_statustostr(rc) + ")";
  } else {
    r.detail = rc == PCAP_ERROR_PERM_DENIED    ? std::string("permission denied (needs CAP_NET_RAW)")
               : rc == PCAP_ERROR_NO_SUCH_DEVICE ? std::string("no such interface")
               : rc == PCAP_ERROR_IFACE_NOT_UP   ? std::string("interface is not up")
                                                 : std::string(pcap_geterr(p));
  }
  pcap_close(p);
  return r;
}

}  // namespace

std::vector<CaptureCheck> checkCaptures(const std::vector<std::string>& names, std::chrono::milliseconds timeout) {
  // Shared with the probing threads, which may outlive this call.
  struct Shared {
    std::mutex mutex;
    std::condition_variable done_cv;
    std::size_t done = 0;
    std::vector<std::optional<CaptureCheck>> results;
  };
  auto shared = std::make_shared<Shared>();
  shared->results.resize(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::thread([shared, i, name = names[i]] {
      CaptureCheck r = probeCapture(name);
      std::lock_guard lock(shared->mutex);
      shared->results[i] = std::move(r);
      ++shared->done;
      shared->done_cv.notify_all();
    }).detach();
  }
  std::unique_lock lock(shared->mutex);
  shared->done_cv.wait_for(lock, timeout, [&] { return shared->done == names.size(); });
  std::vector<CaptureCheck> out;
  for (const auto& r : shared->results) {
    out.push_back(r ? *r : CaptureCheck{false, "timed out after " + std::to_string(timeout.count()) + " ms"});
  }
  return out;
}

std::string filterError(int link_type, const std::string& filter) {
  pcap_t* p = pcap_open_dead(link_type, 65535);
  if (!p) return "cannot open a pcap handle";
  bpf_program program{};
  std::string error;
  if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    error = pcap_geterr(p);
  } else {
    pcap_freecode(&program);
  }
  pcap_close(p);
  return error;
}

bool filterPasses(int link_type, const std::string& filter, std::span<const std::uint8_t> frame) {
  pcap_t* p = pcap_open_dead(link_type, 262144);
  if (!p) return false;
  bpf_program program{};
  bool passes = false;
  if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0) {
    pcap_pkthdr header{};
    header.caplen = header.len = static_cast<bpf_u_int32>(frame.size());
    passes = pcap_offline_filter(&program, &header, frame.data()) != 0;
    pcap_freecode(&program);
  }
  pcap_close(p);
  return passes;
}

std::unique_ptr<CaptureSource> openLive(const LiveOptions& options) { return std::make_unique<LiveSource>(options); }

std::unique_ptr<CaptureSource> openFile(const FileOptions& options) { return std::make_unique<FileSource>(options); }

}  // namespace dnsleak::capture
