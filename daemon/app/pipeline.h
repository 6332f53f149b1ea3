#pragma once

#include <cstdint>

#include "api/control_plane.h"
#include "capture/capture_source.h"
#include "capture/interface_names.h"
#include "classify/classifier.h"
#include "core/counter.h"
#include "decode/decoder.h"
#include "policy/policy.h"

namespace dnsleak::app {

// Where judged events go: the store (daemon) or a printer (--read).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // `event` is the pipeline's working object, valid only during the call.
  virtual void onEvent(core::Event& event) = 0;
};

// capture -> decode -> classify -> name the interface -> judge -> sink.
// Runs on the capture thread; its counters are read from any thread.
class Pipeline : public capture::PacketSink, private classify::ObservationSink {
 public:
  Pipeline(const policy::PolicyHolder& policy, capture::InterfaceNames& names, EventSink& sink);

  void onPacket(const capture::RawPacket& packet) override;

  std::uint64_t packets() const { return packets_.get(); }
  std::uint64_t dnsMessages() const { return dns_messages_.get(); }
  api::NamedCounts transports() const;
  api::NamedCounts leaks() const;
  // Every skip reason of every stage, zero or not.
  api::NamedCounts malformed() const;

 private:
  void onObservation(core::Event& event) override;

  policy::PolicyView policy_;
  capture::InterfaceNames& names_;
  EventSink& sink_;
  classify::Classifier classifier_;
  decode::DecodedPacket decoded_;  // reused per packet

  core::Counter packets_;
  core::Counter dns_messages_;
  core::EnumCounters<decode::DecodeStatus, decode::kDecodeStatusCount> decode_counters_;
  core::EnumCounters<core::Transport, core::kTransportCount> transport_counters_;
  core::EnumCounters<core::LeakType, core::kLeakTypeCount> leak_counters_;
};

}  // namespace dnsleak::app

namespace dnsleak::app {

// Fills the capture and counter parts of a status snapshot.
void fillPipelineStatus(const Pipeline& pipeline, const capture::CaptureSource& source, api::StatusSnapshot& out);

}  // namespace dnsleak::app
