#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace dnsleak::capture {

// One captured frame. `data` points into libpcap's buffer: valid only while
// PacketSink::onPacket runs.
struct RawPacket {
  core::Timestamp time{};
  int link_type = 0;           // LINKTYPE_* value
  // The capturing interface: its index live, 0 for "any" and pcap files;
  // for a pcapng file kPcapngInterfaceBase + its interface id.
  std::uint32_t ifindex = 0;
  // Its name where the source knows one (a pcapng file's if_name), valid
  // like `data`.
  std::string_view interface_name;
  std::uint32_t wire_length = 0;
  std::span<const std::uint8_t> data;
};

// The indexes a pcapng file's interfaces get (interface id + this), apart
// from the small indexes a Linux cooked (SLL2) frame inside it may carry;
// the ids of the first 200 interfaces are kept apart in the counters.
inline constexpr std::uint32_t kPcapngInterfaceBase = 300;

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void onPacket(const RawPacket& packet) = 0;
  // Time passes without packets (live: about every 500 ms, or after each
  // quiet reading), or a file ended (Timestamp::max()). Every packet
  // captured before `now` has been delivered (live: the reading's start
  // less kernelHoldsAtMost). Same thread.
  virtual void onIdle(core::Timestamp /*now*/) {}
  // A live source hands packets over in readings, each what the kernel had
  // ready, and brackets each reading (and the onIdle after it) with these.
  // Work its packets give another thread can wait for the reading's end
  // rather than wake that thread once per packet. Same thread.
  virtual void onReadingStart() {}
  virtual void onReadingEnd() {}
};

// Diagnostics of one capture handle, safe to read from any thread.
struct SourceStats {
  std::string name;       // interface, "any", or file path
  std::string state;      // "starting", "capturing", "failed", "finished", "stopped"
  std::string error;      // why it failed, when it did
  std::string link_type;  // e.g. "LINUX_SLL2"
  std::uint64_t packets = 0;
  std::uint64_t kernel_drops = 0;
  std::uint64_t interface_drops = 0;
  // A capture file: how far it has been read, of how many bytes.
  std::uint64_t file_offset = 0;
  std::uint64_t file_size = 0;
  // Live: bytes kept of each packet, and how packets are handed over:
  // "immediate", "batched" or "quiet" (read every quiet_ms: nobody
  // watches and traffic is light).
  int snaplen = 0;
  std::string delivery;
  int buffer_bytes = 0;  // the kernel's ring now (smaller while quiet)
};

// Opening a source failed; what() is one sentence for the user.
class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A source of packets: live interfaces or a capture file.
class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  // Delivers packets to `sink` on the calling thread (the capture thread)
  // until stop() is called or the input ends.
  virtual void run(PacketSink& sink) = 0;
  // Makes run() return soon. Any thread.
  virtual void stop() = 0;
  // Whether someone wants packets as soon as they are delivered (a Watch
  // stream is open); live capture may read less often while nobody does
  // (LiveOptions::quiet_ms). Any thread.
  virtual void setPrompt(bool prompt) { (void)prompt; }
  // Any thread.
  virtual std::vector<SourceStats> stats() const = 0;
};

// Immediate delivery on Linux uses a ring of fixed slots (TPACKET_V2) each
// as large as the snaplen: on "any", and on any interface with offloads,
// libpcap cannot size them by the MTU. 65535-byte slots leave an 8 MiB
// buffer 128 packets deep, which a burst of a few hundred microseconds
// overruns; 16 KiB slots hold 512. Only segments merged by offload
// (GRO/TSO trains of a TCP stream) are longer, and a cut one is counted.
inline constexpr int kImmediateSnaplen = 16384;

// Past this many packets a second, capture reads at each delivery even
// while nobody watches: a quiet reading must fit easily in the buffer.
inline constexpr std::uint64_t kQuietMostPerSecond = 5000;

// The kernel's ring while capture is quiet. Its blocks (libpcap makes them
// 256 KiB) are handed over when full or quiet_ms after their first packet,
// so a quiet reading finds one or two; the rest is room for a flood to
// wake capture and for the full ring (buffer_bytes) to open beside it.
// Smaller than the full ring by 7 MiB of resident memory, while a daemon
// nobody watches sees light traffic, which is most of its life.
inline constexpr int kQuietBufferBytes = 1 << 20;

// The longest a packet can sit in the kernel's buffer, unseen by a reading,
// with a delivery timeout of timeout_ms: a TPACKET_V3 block is handed over
// at a tick of its timer, in some kernels only at the second tick that
// finds it current, and the timer counts whole jiffies (10 ms at HZ=100,
// the coarsest). onIdle's `now` is the time a reading started less this:
// every packet captured before it has been read.
inline std::chrono::milliseconds kernelHoldsAtMost(int timeout_ms) {
  constexpr int kJiffyMs = 10;
  return std::chrono::milliseconds(2 * std::max(timeout_ms, kJiffyMs) + kJiffyMs);
}

struct LiveOptions {
  std::vector<std::string> interfaces{"any"};
  int snaplen = 65535;
  int buffer_bytes = 8 << 20;
  // For a named interface: its own snaplen and buffer (0: the above), and
  // a filter ANDed with dnsleakd's own.
  struct PerInterface {
    int snaplen = 0;
    int buffer_bytes = 0;
    std::string filter;
  };
  std::map<std::string, PerInterface> per_interface;
  bool promiscuous = false;
  // Also pass encapsulated traffic, to look inside tunnels seen on this link.
  bool tunnels = false;
  // Also pass the SYN of every TCP connection (for Leak-D).
  bool connections = true;
  // Longest a packet waits in the kernel buffer before delivery: bounds the
  // latency from wire to event (capture.delivery_ms).
  int timeout_ms = 2;
  // Deliver each packet as it arrives (pcap immediate mode) instead of
  // batching up to timeout_ms: the filter passes few packets, and process
  // attribution wants them while their sockets still exist. On Linux it
  // keeps at most kImmediateSnaplen of each packet, unless an interface's
  // own snaplen says otherwise, and only while fewer than
  // kQuietMostPerSecond come: past that, batched (as when quiet ends) for
  // a few seconds at least, a flood overrunning the immediate ring's
  // slots while capture waits for a core.
  bool immediate = false;
  // The same while someone wants packets promptly (setPrompt: a Watch
  // stream is open), and batched again once nobody does
  // (capture.immediate_when_watched).
  bool immediate_when_prompt = false;
  // Batched delivery while nobody wants packets promptly (setPrompt) and
  // fewer than kQuietMostPerSecond come: each handle is opened again with a
  // ring of kQuietBufferBytes whose blocks the kernel holds this long, so
  // the capture thread wakes at most this often instead of at each block
  // (capture.quiet_delivery_ms). 0: never.
  int quiet_ms = 0;
  // A failed interface (removed, down) is retried this often.
  int retry_interval_ms = 2000;
  // Link types the next stage decodes; another one is refused at open.
  std::vector<int> link_types;
  // The preferred link type for "any" (Linux SLL2 carries the ifindex).
  int any_link_type = 276;
};

// The BPF filter a live capture of this link type runs: what any stage
// after capture can use, nothing more.
std::string liveFilter(int link_type, bool tunnels, bool connections = true);
// Why `filter` does not compile for `link_type`; empty when it does.
std::string filterError(int link_type, const std::string& filter);
// Whether `filter` lets `frame` through, as the kernel would (for tests).
bool filterPasses(int link_type, const std::string& filter, std::span<const std::uint8_t> frame);

// The filter a live handle runs: dnsleakd's own, narrowed by `user` when
// given ("(user) and (ours)": the user's expression comes first, before the
// vlan clause of ours shifts the offsets of what follows it).
std::string combinedFilter(const std::string& ours, const std::string& user);

// Opens every interface. One that does not exist (yet) is "waiting" and
// opened when it appears; any other failure at start-up throws
// CaptureError naming the interface and the cause.
std::unique_ptr<CaptureSource> openLive(const LiveOptions& options);

// Whether libpcap can open each of `names` here and now, tried at once
// and given at most `timeout` in all (a driver that hangs in activation
// cannot stall the caller; its thread is left to finish on its own).
// `detail` is the link type it opened with, or why it did not. Any thread.
struct CaptureCheck {
  bool ok = false;
  std::string detail;
};
std::vector<CaptureCheck> checkCaptures(const std::vector<std::string>& names, std::chrono::milliseconds timeout);

struct FileOptions {
  std::string path;
  // 0 reads as fast as possible; 1.0 replays at the capture's own pace.
  double speed = 0;
  std::vector<int> link_types;
};

// Opens a pcap or pcapng file; throws CaptureError when it cannot be read
// or (pcap) its link type is not one we decode. A pcapng file is read
// block by block (pcapng_reader.h): each packet with its interface's link
// type and name; libpcap reads the rest.
std::unique_ptr<CaptureSource> openFile(const FileOptions& options);

}  // namespace dnsleak::capture
