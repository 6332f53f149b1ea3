#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "api/control_plane.h"
#include "app/exchanges.h"
#include "attribution/attributor.h"
#include "capture/capture_source.h"
#include "capture/interface_names.h"
#include "classify/classifier.h"
#include "core/counter.h"
#include "core/flow_key.h"
#include "core/hash_map.h"
#include "decode/decoder.h"
#include "decode/fragments.h"
#include "policy/policy.h"

namespace dnsleak::app {

// Where judged events go: the store (daemon) or a printer (--read).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // `event` is the pipeline's working object, valid only during the call.
  virtual void onEvent(core::Event& event) = 0;
};

// capture -> decode -> classify -> name the interface -> [attribute] ->
// judge -> sink. Up to attribution it runs on the capture thread; with an
// attributor, events are judged and sunk on its worker (in order), else at
// once. Its counters are read from any thread.
class Pipeline : public capture::PacketSink, private classify::ObservationSink {
 public:
  Pipeline(const policy::PolicyHolder& policy, capture::InterfaceNames& names, EventSink& sink);

  void onPacket(const capture::RawPacket& packet) override;
  // Lets go of what waited long enough: Leak-D findings for their
  // connection's hello, queries for their response (all of them at a
  // file's end).
  void onIdle(core::Timestamp now) override {
    emitHeldConnections(now);
    expireExchanges(now);
  }
  // The attributor's worker is woken once per reading, not per event.
  void onReadingStart() override {
    if (attributor_) attributor_->holdWakes();
  }
  void onReadingEnd() override {
    if (attributor_) attributor_->releaseWakes();
  }
  // The two halves of onIdle, for the daemon's tear-down: held connections
  // go to the attributor, whose queue may still complete exchanges; the
  // waiting queries go after it delivered everything.
  void emitHeldConnections(core::Timestamp now);
  void expireExchanges(core::Timestamp now);

  // Set before the first packet; nullptr (the default) judges at once.
  void setAttributor(attribution::Attributor* attributor) { attributor_ = attributor; }
  // Set before the first packet when the packets come from a capture file:
  // most files are shorter than the correlation warm-up, so hidden
  // resolution within it is reported (with low confidence) rather than
  // only counted.
  void setOffline(bool offline) { offline_ = offline; }
  // Judges an event (unless `judged`), counts it and hands it to the sink:
  // the attributor's delivery, on its worker, or the capture thread (no
  // attributor, or past its full queue). One call at a time.
  // A query over plain DNS is held (ExchangeTracker) until its response
  // or its wait's end, and the two are judged as one event.
  void finish(core::Event& event, bool judged);

  std::uint64_t packets() const { return packets_.get(); }
  std::uint64_t decoded() const { return decode_counters_.get(decode::DecodeStatus::kOk); }
  std::uint64_t dnsMessages() const { return dns_messages_.get(); }
  std::uint64_t connections() const { return connections_.get(); }
  api::NamedCounts transports() const;
  api::NamedCounts leaks() const;
  // DNS exchanges: answered, unanswered, responses without their query, ...
  api::NamedCounts exchanges() const;
  // The behaviour detectors' counts (see dnsleak.v1.GetStatusResponse.detectors).
  api::NamedCounts detectors() const;
  // Every skip reason of every stage, zero or not.
  api::NamedCounts malformed() const;
  // Interfaces that saw packets, with their counts; names from `names`
  // (called here, on the caller's thread).
  std::vector<api::InterfaceCounts> interfaces(
      const std::function<std::string(std::uint32_t)>& names) const;

  // Interface indexes at or above this share one "other" slot with the
  // packets that carry no index; real hosts stay far below it.
  static constexpr std::uint32_t kTrackedInterfaces = 512;

 private:
  void onObservation(core::Event& event) override;
  void onConnection(const core::ConnectionObservation& connection) override;
  void emit(core::Event& event);
  // Judges an event (the exchange tracker's output), counts it, sinks it.
  void judgeAndSink(const policy::Policy& policy, core::Event& event);
  void sinkJudged(core::Event& event);

  // One connection is one Leak-D event: its SYN's finding waits up to
  // kHelloWait for the ClientHello of the same connection, to carry its
  // server name; a retransmitted SYN, or a hello after the event, adds
  // nothing (counted as connection_repeated). Connections are remembered
  // for kConnectionMemory, at most kMaxConnections of them. Capture thread.
  static constexpr auto kHelloWait = std::chrono::seconds(1);
  static constexpr auto kConnectionMemory = std::chrono::seconds(120);
  static constexpr std::size_t kMaxConnections = 16384;
  struct ConnectionState {
    core::Timestamp first_seen{};
    bool reported = false;
  };
  // A SYN's finding waiting for its hello, until `until`.
  struct HeldConnection {
    core::Event event;
    core::Timestamp until{};
  };
  using HeldConnections = core::StableMap<core::FlowKey, HeldConnection, core::FlowKeyHash>;  // Events not moved
  void releaseHeld(HeldConnections::iterator held);
  core::FlatMap<core::FlowKey, ConnectionState, core::FlowKeyHash> connection_states_;
  HeldConnections held_;
  std::deque<std::pair<core::Timestamp, core::FlowKey>> connection_order_;  // oldest first
  std::deque<std::pair<core::Timestamp, core::FlowKey>> held_order_;        // by hold deadline
  core::Counter connection_repeats_;

  policy::PolicyView policy_;         // capture thread
  mutable std::mutex finish_mutex_;   // finish() is called from two threads
  policy::PolicyView finish_policy_;  // guarded by finish_mutex_
  ExchangeTracker exchanges_;         // guarded by finish_mutex_
  policy::TunnelDetector tunnels_;    // guarded by finish_mutex_ (its counters read anywhere)
  std::atomic<std::size_t> tunnels_tracked_{0};
  core::Event tunnel_event_;          // reused, guarded by finish_mutex_
  // The hidden resolutions reported (Leak-D events of that rule, with their
  // owners; live, none in the correlation warm-up, whose hidden resolution
  // is mostly names resolved before dnsleakd started), newest overwriting
  // oldest: what DoH to an unlisted server leaves behind. Guarded by
  // finish_mutex_.
  struct Hidden {
    core::IpAddress client;
    std::uint32_t pid = 0;
    core::Timestamp time{};
  };
  static constexpr std::size_t kHiddenMemory = 256;
  std::array<Hidden, kHiddenMemory> hidden_{};
  std::size_t hidden_next_ = 0;
  // A DoH connection recognised by its shape, with its owner known: how
  // many hidden resolutions by the same process (the same host when either
  // owner is unknown) followed its responses within kFollowWindow; two or
  // more make it medium confidence, a resolver-like server name alone low;
  // with neither it is not reported (false; counted as doh_shape_only).
  // Under finish_mutex_.
  static constexpr auto kFollowWindow = std::chrono::milliseconds(500);
  bool weighShape(core::Event& event);
  core::Counter doh_shape_only_;  // written under finish_mutex_
  // Gives a judged-to-be plain-DNS query (or a lone response) to the tunnel
  // detector; a finding is built into tunnel_event_. Before judge(), which
  // cuts names.
  bool observeTunnel(const policy::Policy& policy, const core::Event& event);
  // exchanges_.nextDeadline(), for the capture thread's cheap look.
  std::atomic<core::Timestamp::rep> exchange_deadline_{core::Timestamp::max().time_since_epoch().count()};
  attribution::Attributor* attributor_ = nullptr;
  bool offline_ = false;
  capture::InterfaceNames& names_;
  EventSink& sink_;
  classify::Classifier classifier_;
  decode::FragmentReassembler fragments_;
  decode::DecodedPacket decoded_;  // reused per packet
  policy::Correlator correlator_;  // Leak-D's answers, capture thread
  core::Event connection_event_;   // reused for Leak-D events

  core::Counter packets_;
  core::Counter truncated_;  // IP packets the capture cut short (snap length)
  core::Counter dns_messages_;
  core::Counter connections_;
  core::EnumCounters<decode::DecodeStatus, decode::kDecodeStatusCount> decode_counters_;
  core::EnumCounters<core::Transport, core::kTransportCount> transport_counters_;
  core::EnumCounters<core::LeakType, core::kLeakTypeCount> leak_counters_;
  struct PerInterface {
    core::Counter packets;
    core::Counter dns_messages;
    core::Counter leaks;
  };
  std::array<PerInterface, kTrackedInterfaces> per_interface_{};
  std::array<bool, kTrackedInterfaces> described_{};  // names given to names_, capture thread
  static std::uint32_t slot(std::uint32_t ifindex) { return ifindex < kTrackedInterfaces ? ifindex : 0; }
};

}  // namespace dnsleak::app

namespace dnsleak::app {

// Fills the capture and counter parts of a status snapshot.
void fillPipelineStatus(const Pipeline& pipeline, const capture::CaptureSource& source,
                        const std::function<std::string(std::uint32_t)>& interface_names, api::StatusSnapshot& out);

// Fills the attribution part of a status snapshot.
void fillAttributionStatus(const attribution::Attributor& attributor, api::AttributionStatus& out);

}  // namespace dnsleak::app
