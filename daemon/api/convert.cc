#include "api/convert.h"

#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <unistd.h>

namespace dnsleak::api {
namespace {

void toProto(core::Timestamp t, google::protobuf::Timestamp* out) {
  auto ns = t.time_since_epoch().count();
  auto seconds = ns / 1'000'000'000;
  auto nanos = ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    seconds -= 1;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<std::int32_t>(nanos));
}

void toProto(const core::Endpoint& ep, v1::Endpoint* out) {
  out->set_address(ep.address.toString());
  out->set_port(ep.port);
}

void addCounts(const NamedCounts& counts, google::protobuf::RepeatedPtrField<v1::NamedCount>* out) {
  for (const auto& [name, count] : counts) {
    auto* c = out->Add();
    c->set_name(name);
    c->set_count(count);
  }
}

}  // namespace

std::string_view ipProtocolName(std::uint8_t ip_protocol) {
  return ip_protocol == IPPROTO_TCP ? "tcp" : ip_protocol == IPPROTO_UDP ? "udp" : "";
}

void toProto(const core::Event& e, v1::Event* out) {
  out->set_seq(e.seq);
  toProto(e.time, out->mutable_time());
  toProto(e.first_seen, out->mutable_first_seen());
  toProto(e.last_seen, out->mutable_last_seen());
  out->set_count(e.count);
  out->set_transport(static_cast<v1::Transport>(e.transport));
  out->set_kind(static_cast<v1::MessageKind>(e.kind));
  out->mutable_recognition()->set_method(static_cast<v1::RecognitionMethod>(e.recognition));
  out->mutable_recognition()->set_confidence(static_cast<v1::Confidence>(e.recognition_confidence));
  out->set_verdict(static_cast<v1::Verdict>(e.verdict));
  out->set_leak_type(static_cast<v1::LeakType>(e.leak_type));
  out->set_profile(e.profile);
  out->set_rule(e.rule);
  out->set_reason(e.reason);
  out->set_remediation(e.remediation);

  auto* dns = out->mutable_dns();
  const auto& d = e.dns;
  dns->set_id(d.id);
  dns->set_is_response(d.is_response);
  dns->set_opcode(d.opcode);
  dns->set_rcode(d.rcode);
  dns->set_rcode_name(std::string(core::rcodeName(d.rcode)));
  dns->set_qname(d.qname);
  dns->set_qtype(d.qtype);
  dns->set_qtype_name(std::string(core::qtypeName(d.qtype, e.transport)));
  dns->set_qclass(d.qclass);
  dns->set_question_count(d.question_count);
  dns->set_answer_count(d.answer_count);
  dns->set_authority_count(d.authority_count);
  dns->set_additional_count(d.additional_count);
  dns->set_truncated(d.truncated);
  dns->set_recursion_desired(d.recursion_desired);
  dns->set_recursion_available(d.recursion_available);
  dns->set_authentic_data(d.authentic_data);
  dns->set_checking_disabled(d.checking_disabled);
  dns->set_authoritative(d.authoritative);
  for (const auto& a : d.answers) {
    auto* pa = dns->add_answers();
    pa->set_name(a.name);
    pa->set_type(a.type);
    pa->set_type_name(std::string(core::qtypeName(a.type, e.transport)));
    pa->set_ttl(a.ttl);
    pa->set_data(a.data);
  }
  if (d.has_edns) {
    auto* edns = dns->mutable_edns();
    edns->set_udp_payload_size(d.edns_udp_size);
    edns->set_version(d.edns_version);
    edns->set_dnssec_ok(d.edns_dnssec_ok);
    for (auto code : d.edns_options) edns->add_option_codes(code);
  }
  dns->set_size(d.size);
  dns->set_parse_error(d.parse_error);

  out->set_sni(e.sni);
  for (const auto& a : e.alpn) out->add_alpn(a);
  toProto(e.source, out->mutable_source());
  toProto(e.destination, out->mutable_destination());
  toProto(e.resolver, out->mutable_resolver());
  out->set_ip_version(e.ip_version);
  out->set_ip_protocol(std::string(ipProtocolName(e.ip_protocol)));
  out->mutable_interface()->set_index(e.interface.index);
  out->mutable_interface()->set_name(e.interface.name);
  out->mutable_interface()->set_kind(e.interface.kind);
  out->set_direction(static_cast<v1::Direction>(e.direction));
  out->set_tunnel(e.tunnel);

  auto* p = out->mutable_process();
  p->set_pid(e.process.pid);
  p->set_tgid(e.process.tgid);
  p->set_name(e.process.name);
  p->set_exe(e.process.exe);
  p->set_cmdline(e.process.cmdline);
  p->set_uid(e.process.uid);
  p->set_user(e.process.user);
  p->set_unit(e.process.unit);
  p->set_cgroup(e.process.cgroup);
  p->set_container_id(e.process.container_id);
  for (const auto& parent : e.process.parents) {
    auto* pp = p->add_parents();
    pp->set_pid(parent.pid);
    pp->set_name(parent.name);
  }
  auto* a = out->mutable_attribution();
  a->set_method(e.attribution.method);
  a->set_confidence(static_cast<v1::Confidence>(e.attribution.confidence));
  a->set_failure(static_cast<v1::AttributionFailure>(e.attribution.failure));
  a->set_detail(e.attribution.detail);
  for (const auto& s : e.signals) out->add_signals(s);
  for (const auto& x : e.evidence) {
    auto* item = out->add_evidence();
    item->set_name(x.name);
    item->set_value(x.value);
    item->set_text(x.text);
  }
  if (!e.geo.country.empty() || e.geo.asn != 0) {
    auto* geo = out->mutable_geo();
    geo->set_country(e.geo.country);
    geo->set_city(e.geo.city);
    geo->set_asn(e.geo.asn);
    geo->set_as_org(e.geo.as_org);
  }
  if (e.exchange.tracked) {
    auto* x = out->mutable_exchange();
    x->set_answered(e.exchange.answered);
    if (e.exchange.answered) {
      auto ns = e.exchange.response_time.count();
      x->mutable_response_time()->set_seconds(ns / 1'000'000'000);
      x->mutable_response_time()->set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
      x->set_response_size(e.exchange.response_size);
    }
  }
}

void toProto(const StatusSnapshot& s, const store::StoreStats& store, std::uint64_t watchers,
             v1::GetStatusResponse* out) {
  out->set_version(s.version);
  toProto(s.started_at, out->mutable_started_at());
  auto uptime = s.now - s.started_at;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(uptime).count();
  out->mutable_uptime()->set_seconds(ns / 1'000'000'000);
  out->mutable_uptime()->set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
  out->set_profile(s.profile);
  auto* c = out->mutable_config();
  c->set_path(s.config_path);
  c->set_generation(s.config_generation);
  c->set_sha256(s.config_sha256);
  toProto(s.config_loaded_at, c->mutable_loaded_at());
  for (const auto& cap : s.capture) {
    auto* pc = out->add_capture();
    pc->set_name(cap.name);
    pc->set_state(cap.state);
    pc->set_error(cap.error);
    pc->set_link_type(cap.link_type);
    pc->set_packets_received(cap.packets);
    pc->set_kernel_drops(cap.kernel_drops);
    pc->set_interface_drops(cap.interface_drops);
    pc->set_file_offset(cap.file_offset);
    pc->set_file_size(cap.file_size);
    pc->set_snaplen(static_cast<std::uint32_t>(cap.snaplen));
    pc->set_delivery(cap.delivery);
    pc->set_buffer_kib(static_cast<std::uint32_t>(cap.buffer_bytes / 1024));
  }
  out->set_packets(s.packets);
  out->set_dns_messages(s.dns_messages);
  out->set_connections(s.connections);
  auto* at = out->mutable_attribution();
  at->set_enabled(s.attribution.enabled);
  at->set_ebpf(s.attribution.ebpf);
  for (const auto& m : s.attribution.methods) {
    auto* pm = at->add_methods();
    pm->set_name(m.name);
    pm->set_found(m.found);
    pm->set_latency_p50_us(m.p50_us);
    pm->set_latency_p99_us(m.p99_us);
  }
  addCounts(s.attribution.failures, at->mutable_failures());
  at->set_cache_hits(s.attribution.cache_hits);
  at->set_queued(s.attribution.queued);
  at->set_ebpf_flows(s.attribution.ebpf_flows);
  at->set_ebpf_lost(s.attribution.ebpf_lost);
  at->set_overflow(s.attribution.overflow);
  addCounts(s.transports, out->mutable_transports());
  addCounts(s.leaks, out->mutable_leaks());
  addCounts(s.exchanges, out->mutable_exchanges());
  addCounts(s.detectors, out->mutable_detectors());
  addCounts(s.malformed, out->mutable_malformed());
  out->set_decoded(s.decoded);
  for (const auto& i : s.interfaces) {
    auto* pi = out->add_interfaces();
    pi->set_index(i.index);
    pi->set_name(i.name);
    pi->set_packets(i.packets);
    pi->set_dns_messages(i.dns_messages);
    pi->set_leaks(i.leaks);
  }
  auto* st = out->mutable_store();
  st->set_capacity(store.capacity);
  st->set_size(store.size);
  st->set_first_seq(store.first_seq);
  st->set_last_seq(store.last_seq);
  st->set_evicted(store.evicted);
  st->set_folded(store.folded);
  st->set_bytes(store.bytes);
  out->set_watchers(watchers);
  out->set_pid(static_cast<std::uint32_t>(getpid()));
}

void toProto(const config::ConfigError& error, v1::ConfigError* out) {
  out->set_file(error.file);
  out->set_line(static_cast<std::uint32_t>(error.line));
  out->set_column(static_cast<std::uint32_t>(error.column));
  out->set_key(error.key);
  out->set_message(error.message);
}

std::string toJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) return "{\"error\":\"cannot encode message as JSON\"}";
  return out;
}

}  // namespace dnsleak::api
