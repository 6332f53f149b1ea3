#include "app/pipeline.h"

#include "policy/privacy.h"

namespace dnsleak::app {

Pipeline::Pipeline(const policy::PolicyHolder& policy, capture::InterfaceNames& names, EventSink& sink)
    : policy_(policy), finish_policy_(policy), names_(names), sink_(sink) {}

void Pipeline::onPacket(const capture::RawPacket& packet) {
  packets_.add();
  if (!held_order_.empty() && held_order_.front().first <= packet.time) emitHeldConnections(packet.time);
  if (packet.time.time_since_epoch().count() >= exchange_deadline_.load(std::memory_order_relaxed)) {
    expireExchanges(packet.time);
  }
  decoded_ = {};
  decoded_.time = packet.time;
  decoded_.ifindex = packet.ifindex;
  decoded_.may_be_cut = packet.wire_length == 0 || packet.wire_length > packet.data.size();
  auto status = decode::decodeFrame(packet.link_type, packet.data, decoded_);
  decode_counters_.add(status);
  if (decoded_.truncated) truncated_.add();
  // A name the source read (a pcapng interface's), unless the frame named
  // its own interface (an SLL2 index inside the file); once per index.
  if (!packet.interface_name.empty() && decoded_.ifindex == packet.ifindex && packet.ifindex < kTrackedInterfaces &&
      !described_[packet.ifindex]) {
    names_.describe(packet.ifindex, packet.interface_name);
    described_[packet.ifindex] = true;
  }
  per_interface_[slot(decoded_.ifindex)].packets.add();
  // A fragment the capture cut short would be reassembled with a hole (or
  // a wrong end): it is counted as cut and left out.
  if (status == decode::DecodeStatus::kIgnoredFragment && !decoded_.ip_packet.empty() && !decoded_.truncated) {
    // The span from the reassembler lives until its next call: long enough
    // for classify, which copies what it keeps.
    auto whole = fragments_.add(decoded_.ip_packet, packet.time);
    if (whole.empty()) return;
    auto ifindex = decoded_.ifindex;
    auto direction = decoded_.direction;
    // Fragments inside a tunnel were reassembled from the inner packets:
    // the layers taken off on the way in still hold.
    auto tunnels = decoded_.tunnels;
    auto tunnel_depth = decoded_.tunnel_depth;
    decoded_ = {};
    decoded_.time = packet.time;
    decoded_.ifindex = ifindex;
    decoded_.direction = direction;
    decoded_.tunnels = tunnels;
    decoded_.tunnel_depth = tunnel_depth;
    status = decode::decodeIp(whole, decoded_);
    if (status != decode::DecodeStatus::kOk) {
      decode_counters_.add(status);
      return;
    }
  }
  if (status != decode::DecodeStatus::kOk) return;
  classifier_.classify(decoded_, *this, policy_.get().config().resolvers.loaded.get());
}

void Pipeline::onObservation(core::Event& event) {
  bool message = event.kind == core::MessageKind::kQuery || event.kind == core::MessageKind::kResponse;
  if (message) dns_messages_.add();
  transport_counters_.add(event.transport);
  event.interface.name = names_.name(event.interface.index);
  event.interface.kind = names_.kind(event.interface.index);
  if (message) per_interface_[slot(event.interface.index)].dns_messages.add();
  // Answers go to the correlator here, in packet order, before any later
  // connection is judged against them.
  policy_.get().recordAnswers(event, correlator_);
  if (attributor_) {
    attributor_->submit(event, false);
  } else {
    finish(event, false);
  }
}

bool Pipeline::weighShape(core::Event& e) {
  // Hidden resolutions from the same program (by pid, when both events
  // name one; else from the same host) within kFollowWindow after one of
  // the connection's responses.
  std::uint32_t followed = 0;
  bool by_process = e.process.pid != 0;
  for (const auto& h : hidden_) {
    if (h.time == core::Timestamp{} || !(h.client == e.source.address)) continue;
    if (e.process.pid != 0 && h.pid != 0 && h.pid != e.process.pid) continue;
    if (h.pid == 0) by_process = false;
    for (const auto& response : e.response_times) {
      if (h.time >= response && h.time - response <= kFollowWindow) {
        ++followed;
        break;
      }
    }
  }
  if (followed > 0) {
    e.evidence.push_back({"hidden_resolutions_after_responses", static_cast<double>(followed),
                          by_process ? "connections by the same process to names no DNS resolved, each within 500 ms "
                                       "of a response"
                                     : "connections from this host to names no DNS resolved, each within 500 ms of a "
                                       "response (the processes not both known)"});
  }
  if (followed >= 2) {
    e.recognition_confidence = core::Confidence::kMedium;
    return true;
  }
  // The shape alone is what an API polled over HTTP/2 also looks like: a
  // resolver's name beside it makes a low-confidence report, nothing less.
  for (const auto& x : e.evidence) {
    if (x.name == "resolver_like_name") return true;
  }
  return false;
}

void Pipeline::finish(core::Event& event, bool judged) {
  // Uncontended but for a flood past the attributor's queue, and the
  // capture thread letting go of queries that waited in vain.
  std::lock_guard lock(finish_mutex_);
  const policy::Policy& policy = finish_policy_.get();
  if (judged) {
    // Judged before its owner was known: the owner gets the privacy mode now
    // (names had it then; cutting them again changes nothing).
    policy::applyPrivacy(policy.config().privacy, event);
    if (event.leak_type == core::LeakType::kD && event.rule.ends_with(policy::rule::kHiddenResolution)) {
      hidden_[hidden_next_] = {event.source.address, event.process.pid, event.time};
      hidden_next_ = (hidden_next_ + 1) % kHiddenMemory;
    }
    sinkJudged(event);
  } else if (event.recognition == core::RecognitionMethod::kBehaviour && event.transport == core::Transport::kDoh &&
             !weighShape(event)) {
    doh_shape_only_.add();
  } else {
    exchanges_.add(event, [&](core::Event& e) { judgeAndSink(policy, e); });
    exchange_deadline_.store(exchanges_.nextDeadline().time_since_epoch().count(), std::memory_order_relaxed);
  }
}

void Pipeline::expireExchanges(core::Timestamp now) {
  std::lock_guard lock(finish_mutex_);
  const policy::Policy& policy = finish_policy_.get();
  exchanges_.expire(now, [&](core::Event& e) { judgeAndSink(policy, e); });
  exchange_deadline_.store(exchanges_.nextDeadline().time_since_epoch().count(), std::memory_order_relaxed);
}

void Pipeline::judgeAndSink(const policy::Policy& policy, core::Event& event) {
  const bool found = observeTunnel(policy, event);
  policy.judge(event);
  if (event.recognition == core::RecognitionMethod::kBehaviour && event.transport == core::Transport::kDoh) {
    policy::explainBehaviour(event);
  }
  sinkJudged(event);
  if (found) sinkJudged(tunnel_event_);
}

bool Pipeline::observeTunnel(const policy::Policy& policy, const core::Event& e) {
  switch (e.transport) {
    case core::Transport::kDnsUdp:
    case core::Transport::kDnsTcp:
    case core::Transport::kDnsHttp:
      break;
    default:
      return false;  // encrypted (no names), or local-link names
  }
  const bool query = e.kind == core::MessageKind::kQuery;
  if ((!query && e.kind != core::MessageKind::kResponse) || e.dns.qname.empty()) return false;
  policy::TunnelQuery q;
  q.time = e.time;
  q.qname = e.dns.qname;
  q.qtype = e.dns.qtype;
  // A lone response speaks for the query it answers.
  q.client = query ? e.source.address : e.destination.address;
  q.answered = query ? e.exchange.answered : true;
  q.rcode = e.dns.rcode;
  q.response_size = query ? e.exchange.response_size : e.dns.size;
  auto finding = tunnels_.observe(q, policy.config().tunnel);
  tunnels_tracked_.store(tunnels_.tracked(), std::memory_order_relaxed);
  if (!finding) return false;

  core::Event& t = tunnel_event_;
  t = core::Event{};
  t.time = e.time;
  t.transport = e.transport;
  t.source = query ? e.source : e.destination;
  t.destination = query ? e.destination : e.source;
  t.resolver = e.resolver;
  t.ip_version = e.ip_version;
  t.ip_protocol = e.ip_protocol;
  t.interface = e.interface;
  t.direction = query ? e.direction : core::Direction::kUnknown;
  t.tunnel = e.tunnel;
  t.process = e.process;
  t.attribution = e.attribution;
  t.dns.qname = finding->domain;
  policy.judgeTunnel(t, *finding);
  return true;
}

void Pipeline::sinkJudged(core::Event& event) {
  if (event.verdict == core::Verdict::kLeak) {
    leak_counters_.add(event.leak_type);
    per_interface_[slot(event.interface.index)].leaks.add();
  }
  sink_.onEvent(event);
}

void Pipeline::onConnection(const core::ConnectionObservation& c) {
  const policy::Policy& policy = policy_.get();
  if (!policy.config().correlation.enabled || c.direction == core::Direction::kInbound) return;
  emitHeldConnections(c.time);
  const core::FlowKey key{c.source.address, c.destination.address, c.source.port, c.destination.port};
  auto [it, first] = connection_states_.try_emplace(key);
  ConnectionState& state = it->second;
  if (first) {
    state.first_seen = c.time;
    connection_order_.emplace_back(c.time, key);
    connections_.add();
    // Forget the oldest: past their memory, or past the bound.
    while (!connection_order_.empty() &&
           (connection_states_.size() > kMaxConnections || c.time - connection_order_.front().first > kConnectionMemory)) {
      const auto& [seen, old_key] = connection_order_.front();
      auto old = connection_states_.find(old_key);
      if (old != connection_states_.end() && old->second.first_seen == seen) {
        if (auto held = held_.find(old_key); held != held_.end()) releaseHeld(held);
        connection_states_.erase(old);
      }
      connection_order_.pop_front();
    }
  } else if (state.reported || c.sni.empty()) {
    // A retransmitted SYN, or a hello after this connection's event.
    connection_repeats_.add();
    return;
  }
  // Only a connection's first SYN is ever held, until its hello.
  auto held = held_.find(key);
  core::InterfaceInfo iface{c.ifindex, names_.name(c.ifindex), names_.kind(c.ifindex)};
  policy::Correlator::Result result;
  auto finding = correlator_.judge(c, policy.safeEgress(iface), policy.config().resolvers.loaded.get(),
                                   policy.correlation(), result);
  // During the warm-up a name not seen resolved was mostly resolved before
  // dnsleakd started: counted (correlation_warmup), and live not reported.
  // A capture file is often all warm-up: there it is reported, with low
  // confidence and a reason that says so.
  if (finding == policy::Finding::kNone || (finding == policy::Finding::kHiddenDuringWarmup && !offline_)) {
    if (held != held_.end() && !c.sni.empty()) {
      // The hello says nothing new; the SYN's finding goes out, named.
      held->second.event.sni = std::string(c.sni);
      releaseHeld(held);
    }
    return;
  }
  core::Event& e = connection_event_;
  e = core::Event{};
  e.interface = std::move(iface);
  e.time = e.first_seen = e.last_seen = state.first_seen;
  e.kind = core::MessageKind::kConnection;
  e.source = c.source;
  e.destination = c.destination;
  e.ip_version = c.destination.address.isV4() ? 4 : 6;
  e.ip_protocol = c.ip_protocol;
  e.direction = c.direction;
  e.sni = c.sni;
  e.dns.qname = result.name;
  e.resolver = result.resolver;
  policy.judgeCorrelation(e, finding);
  if (c.sni.empty()) {
    // A SYN: its hello may follow and name the server.
    const auto until = c.time + kHelloWait;
    held_[key] = HeldConnection{e, until};
    held_order_.emplace_back(until, key);
    return;
  }
  if (held != held_.end()) held_.erase(held);  // the hello's finding stands for both
  state.reported = true;
  emit(e);
}

void Pipeline::emit(core::Event& event) {
  if (attributor_) {
    attributor_->submit(event, true);
  } else {
    finish(event, true);
  }
}

void Pipeline::releaseHeld(HeldConnections::iterator held) {
  if (auto state = connection_states_.find(held->first); state != connection_states_.end()) {
    state->second.reported = true;
  }
  emit(held->second.event);
  held_.erase(held);
}

void Pipeline::emitHeldConnections(core::Timestamp now) {
  while (!held_order_.empty() && held_order_.front().first <= now) {
    const auto [until, key] = held_order_.front();
    held_order_.pop_front();
    // Released already (its hello came), or held again since for another
    // connection on the same ends.
    auto held = held_.find(key);
    if (held != held_.end() && held->second.until == until) releaseHeld(held);
  }
}

std::vector<api::InterfaceCounts> Pipeline::interfaces(
    const std::function<std::string(std::uint32_t)>& names) const {
  std::vector<api::InterfaceCounts> out;
  for (std::uint32_t i = 0; i < kTrackedInterfaces; ++i) {
    const auto& c = per_interface_[i];
    if (c.packets.get() == 0) continue;
    out.push_back({i, names(i), c.packets.get(), c.dns_messages.get(), c.leaks.get()});
  }
  return out;
}

api::NamedCounts Pipeline::transports() const {
  api::NamedCounts out;
  for (int i = 1; i < core::kTransportCount; ++i) {
    auto t = static_cast<core::Transport>(i);
    out.emplace_back(std::string(core::transportName(t)), transport_counters_.get(t));
  }
  return out;
}

api::NamedCounts Pipeline::leaks() const {
  api::NamedCounts out;
  for (int i = 1; i < core::kLeakTypeCount; ++i) {
    auto t = static_cast<core::LeakType>(i);
    out.emplace_back(std::string(core::leakTypeName(t)), leak_counters_.get(t));
  }
  return out;
}

api::NamedCounts Pipeline::detectors() const {
  return {{"tunnel_data_names", tunnels_.dataNames()},
          {"tunnel_ignored", tunnels_.ignored()},
          {"tunnel_findings", tunnels_.findings()},
          {"tunnel_evicted", tunnels_.evictions()},
          {"tunnel_tracked", tunnels_tracked_.load(std::memory_order_relaxed)},
          {"doh_followed", classifier_.shapesFollowed()},
          {"doh_shaped", classifier_.shapesReported()},
          {"doh_shape_only", doh_shape_only_.get()}};
}

api::NamedCounts Pipeline::exchanges() const {
  api::NamedCounts out;
  std::lock_guard lock(finish_mutex_);
  for (std::size_t i = 0; i < kExchangeEventCount; ++i) {
    auto e = static_cast<ExchangeEvent>(i);
    out.emplace_back(std::string(exchangeEventName(e)), exchanges_.counters().get(e));
  }
  out.emplace_back("waiting", exchanges_.waiting());
  return out;
}

api::NamedCounts Pipeline::malformed() const {
  api::NamedCounts out;
  for (std::size_t i = 0; i < decode::kDecodeStatusCount; ++i) {
    auto s = static_cast<decode::DecodeStatus>(i);
    if (s != decode::DecodeStatus::kOk) {
      out.emplace_back(std::string(decode::decodeStatusName(s)), decode_counters_.get(s));
    }
  }
  // Not malformed, but not whole either: decoded as far as the snap length let.
  out.emplace_back("ip_cut_by_snaplen", truncated_.get());
  for (std::size_t i = 1; i < decode::kFragmentEventCount; ++i) {  // all but kReassembled
    auto e = static_cast<decode::FragmentEvent>(i);
    out.emplace_back(std::string(decode::fragmentEventName(e)), fragments_.counters().get(e));
  }
  const auto& dns = classifier_.dnsCounters();
  for (std::size_t i = 1; i < classify::kDnsParseStatusCount; ++i) {
    auto s = static_cast<classify::DnsParseStatus>(i);
    out.emplace_back(std::string(classify::dnsParseStatusName(s)), dns.get(s));
  }
  for (std::size_t i = 2; i < classify::kTlsFlowEventCount; ++i) {  // not the two report outcomes
    auto e = static_cast<classify::TlsFlowEvent>(i);
    out.emplace_back(std::string(classify::tlsFlowEventName(e)), classifier_.tlsFlows().counters().get(e));
  }
  for (std::size_t i = 1; i < classify::kQuicFlowEventCount; ++i) {  // not kNotInitial: ordinary QUIC
    auto e = static_cast<classify::QuicFlowEvent>(i);
    out.emplace_back(std::string(classify::quicFlowEventName(e)), classifier_.quicHellos().counters().get(e));
  }
  for (std::size_t i = 0; i < classify::kHttpDnsEventCount; ++i) {
    auto e = static_cast<classify::HttpDnsEvent>(i);
    out.emplace_back(std::string(classify::httpDnsEventName(e)), classifier_.httpFlows().counters().get(e));
  }
  out.emplace_back("correlation_warmup", correlator_.counters().get(policy::Finding::kHiddenDuringWarmup));
  out.emplace_back("connection_repeated", connection_repeats_.get());
  out.emplace_back("correlation_evicted", correlator_.evicted());
  const auto& tcp = classifier_.tcpStreams().counters();
  for (std::size_t i = 0; i < classify::kTcpStreamEventCount; ++i) {
    auto s = static_cast<classify::TcpStreamEvent>(i);
    out.emplace_back(std::string(classify::tcpStreamEventName(s)), tcp.get(s));
  }
  return out;
}

}  // namespace dnsleak::app

namespace dnsleak::app {

void fillPipelineStatus(const Pipeline& pipeline, const capture::CaptureSource& source,
                        const std::function<std::string(std::uint32_t)>& interface_names, api::StatusSnapshot& out) {
  out.capture.clear();
  for (const auto& s : source.stats()) {
    out.capture.push_back({s.name, s.state, s.error, s.link_type, s.packets, s.kernel_drops, s.interface_drops,
                           s.file_offset, s.file_size, s.snaplen, s.delivery, s.buffer_bytes});
  }
  out.packets = pipeline.packets();
  out.decoded = pipeline.decoded();
  out.dns_messages = pipeline.dnsMessages();
  out.connections = pipeline.connections();
  out.transports = pipeline.transports();
  out.leaks = pipeline.leaks();
  out.exchanges = pipeline.exchanges();
  out.detectors = pipeline.detectors();
  out.malformed = pipeline.malformed();
  out.interfaces = pipeline.interfaces(interface_names);
}

void fillAttributionStatus(const attribution::Attributor& attributor, api::AttributionStatus& out) {
  auto stats = attributor.stats();
  out.enabled = true;
  out.ebpf = stats.provider.ebpf;
  out.methods.clear();
  for (const auto& m : stats.methods) out.methods.push_back({m.name, m.found, m.p50_us, m.p99_us});
  out.failures = stats.failures;
  out.cache_hits = stats.cache_hits;
  out.queued = stats.queued;
  out.ebpf_flows = stats.provider.ebpf_flows;
  out.ebpf_lost = stats.provider.ebpf_lost;
  out.overflow = stats.overflow;
}

}  // namespace dnsleak::app
