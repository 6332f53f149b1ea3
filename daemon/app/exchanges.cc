#include "app/exchanges.h"

#include <algorithm>
#include <string_view>

namespace dnsleak::app {

std::string_view exchangeEventName(ExchangeEvent e) {
  switch (e) {
    case ExchangeEvent::kAnswered: return "answered";
    case ExchangeEvent::kUnanswered: return "unanswered";
    case ExchangeEvent::kUnmatchedResponse: return "response_without_query";
    case ExchangeEvent::kRepeatedQuery: return "query_repeated";
    case ExchangeEvent::kEvicted: return "exchange_evicted";
    case ExchangeEvent::kUnpaired: return "unpaired";
  }
  return "?";
}

bool ExchangeTracker::pairs(const core::Event& e) {
  if (e.kind != core::MessageKind::kQuery && e.kind != core::MessageKind::kResponse) return false;
  // A message with no question, or one whose question did not parse, has
  // nothing to be matched by.
  if (e.dns.question_count == 0 || (e.dns.qname.empty() && e.dns.qtype == 0)) return false;
  // DNSCrypt's certificate exchange is a plain DNS message pair too.
  return e.transport == core::Transport::kDnsUdp || e.transport == core::Transport::kDnsTcp ||
         e.transport == core::Transport::kDnsHttp || e.transport == core::Transport::kDnsCrypt;
}

ExchangeTracker::Key ExchangeTracker::keyOf(const core::Event& e, bool response) {
  Key key;
  const auto& client = response ? e.destination : e.source;
  const auto& server = response ? e.source : e.destination;
  key.flow = core::FlowKey{client.address, server.address, client.port, server.port};
  key.ifindex = e.interface.index;
  key.id = e.dns.id;
  key.qtype = e.dns.qtype;
  key.ip_protocol = e.ip_protocol;
  // FNV-1a over the name as lowerName would give it, without making that
  // string: this runs for every plain-DNS message.
  std::string_view name = e.dns.qname;
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::size_t hash = 14695981039346656037ull;
  for (char c : name) hash = (hash ^ static_cast<unsigned char>(core::asciiLower(c))) * 1099511628211ull;
  key.name_hash = hash;
  return key;
}

void ExchangeTracker::complete(core::Event& query, const core::Event& response) {
  auto& q = query.dns;
  const auto& r = response.dns;
  q.rcode = r.rcode;
  q.answer_count = r.answer_count;
  q.authority_count = r.authority_count;
  q.additional_count = r.additional_count;
  q.truncated = r.truncated;
  q.recursion_available = r.recursion_available;
  q.authentic_data = r.authentic_data;
  q.authoritative = r.authoritative;
  q.answers = r.answers;
  if (q.parse_error.empty()) q.parse_error = r.parse_error;
  // A certificate in the answer shows what a query by name alone could
  // not: the resolver speaks DNSCrypt.
  if (response.transport == core::Transport::kDnsCrypt && query.transport != core::Transport::kDnsCrypt) {
    query.transport = response.transport;
    query.recognition = response.recognition;
    query.recognition_confidence = response.recognition_confidence;
  }
  query.exchange.answered = true;
  query.exchange.response_time = response.time - query.time;
  query.exchange.response_size = r.size;
  // The query's owner is the asker; when it could not be found (the socket
  // gone by then), the response's lookup may have found it.
  if (query.process.pid == 0 && response.process.pid != 0) {
    query.process = response.process;
    query.attribution = response.attribution;
  }
  for (const auto& signal : response.signals) {
    if (std::find(query.signals.begin(), query.signals.end(), signal) == query.signals.end()) {
      query.signals.push_back(signal);
    }
  }
}

}  // namespace dnsleak::app
