#pragma once

// The plain data that flows from classify through policy into the store and
// out of the API. Enum values match dnsleak.v1 in proto/ one to one so the
// API layer converts by value; nothing here knows about protobuf.

#include <chrono>
#include <string_view>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"

namespace dnsleak::core {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

enum class Transport : std::uint8_t {
  kUnspecified = 0,
  kDnsUdp = 1,
  kDnsTcp = 2,
  kDot = 3,
  kDoh = 4,
  kDoq = 5,
  kDnsCrypt = 6,
  kMdns = 7,
  kLlmnr = 8,
  kNbns = 9,
  kDnsHttp = 10,  // DNS messages over cleartext HTTP (RFC 8484 without TLS)
};
inline constexpr int kTransportCount = 11;

enum class Verdict : std::uint8_t { kUnspecified = 0, kOk = 1, kLeak = 2, kInfo = 3 };

// kTunnel: names used to carry data (a DNS tunnel or exfiltration), judged
// under every profile, whatever path the queries took.
enum class LeakType : std::uint8_t { kNone = 0, kA = 1, kB = 2, kC = 3, kD = 4, kTunnel = 5 };
inline constexpr int kLeakTypeCount = 6;

enum class MessageKind : std::uint8_t {
  kUnspecified = 0,
  kQuery = 1,
  kResponse = 2,
  kHandshake = 3,
  kConnection = 4,
  // A conclusion drawn over many messages (a DNS tunnel): its figures are
  // the event's evidence.
  kFinding = 5,
};

enum class Direction : std::uint8_t { kUnknown = 0, kOutbound = 1, kInbound = 2 };

enum class RecognitionMethod : std::uint8_t {
  kUnspecified = 0,
  kPort = 1,
  kContent = 2,
  kSniList = 3,
  kAddressList = 4,
  kAlpn = 5,
  kConfig = 6,
  kCorrelation = 7,  // Leak-D: answers and connections put side by side
  kBehaviour = 8,    // what the traffic did over time: names carrying data, a connection's shape
};

enum class Confidence : std::uint8_t { kUnspecified = 0, kNone = 1, kLow = 2, kMedium = 3, kHigh = 4 };

enum class AttributionFailure : std::uint8_t {
  kUnspecified = 0,
  kNone = 1,
  kNotFound = 2,
  kPermissionDenied = 3,
  kExited = 4,
  kUnsupported = 5,
  kNotLocal = 6,
  kDisabled = 7,
  kOffline = 8,
  kQueueFull = 9,
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// "192.0.2.1:53", "[2001:db8::1]:853".
std::string describeEndpoint(const Endpoint& endpoint);
// The same, appended to `out`.
void appendEndpoint(std::string& out, const Endpoint& endpoint);

struct DnsAnswer {
  std::string name;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string data;
  // An A or AAAA record's address as parsed (data is its text): for the
  // Leak-D correlator, which would otherwise read the text back. Not
  // stored or sent: empty in events read back from the store.
  IpAddress address;
};

struct DnsInfo {
  std::uint16_t id = 0;
  bool is_response = false;
  std::uint8_t opcode = 0;
  std::uint16_t rcode = 0;  // 12-bit with EDNS extension
  std::string qname;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::uint16_t question_count = 0;
  std::uint16_t answer_count = 0;
  std::uint16_t authority_count = 0;
  std::uint16_t additional_count = 0;
  bool truncated = false;
  bool recursion_desired = false;
  bool recursion_available = false;
  bool authentic_data = false;
  bool checking_disabled = false;
  bool authoritative = false;
  std::vector<DnsAnswer> answers;
  bool has_edns = false;
  std::uint16_t edns_udp_size = 0;
  std::uint8_t edns_version = 0;
  bool edns_dnssec_ok = false;
  std::vector<std::uint16_t> edns_options;
  std::uint32_t size = 0;
  // Why parsing stopped after the questions ("" when the message parsed
  // whole): what follows it was not read.
  std::string parse_error;
};

struct ParentProcess {
  std::uint32_t pid = 0;
  std::string name;
};

struct ProcessInfo {
  std::uint32_t pid = 0;
  std::uint32_t tgid = 0;
  std::string name;
  std::string exe;
  std::string cmdline;
  std::uint32_t uid = 0;
  std::string user;
  std::string unit;
  std::string cgroup;
  std::string container_id;  // from the cgroup path, "" when not in one
  std::vector<ParentProcess> parents;
};

struct AttributionInfo {
  std::string method;
  Confidence confidence = Confidence::kUnspecified;
  AttributionFailure failure = AttributionFailure::kUnspecified;
  std::string detail;
};

// How a query's exchange went: whether its response was seen (same ends,
// protocol, id and question) and how long it took. When answered, the
// event's dns holds the response's rcode, answers, record counts and
// RA/AD/AA/TC flags beside the query's question, id, RD/CD and EDNS.
struct Exchange {
  bool tracked = false;  // a query that waited for its response (plain DNS)
  bool answered = false;
  std::chrono::nanoseconds response_time{0};
  std::uint32_t response_size = 0;
};

// Where the remote end is, from the configured GeoIP/ASN databases.
struct GeoInfo {
  std::string country;  // ISO 3166-1 alpha-2, "NL"
  std::string city;     // in English
  std::uint32_t asn = 0;
  std::string as_org;
};

struct InterfaceInfo {
  std::uint32_t index = 0;
  std::string name;
  std::string kind;
};

// One figure behind a conclusion: "distinct_names" 81, "alphabet" "base64".
struct Evidence {
  std::string name;
  double value = 0;
  std::string text;
  bool operator==(const Evidence&) const = default;
};

struct Event {
  std::uint64_t seq = 0;
  Timestamp time{};
  Timestamp first_seen{};
  Timestamp last_seen{};
  std::uint64_t count = 1;

  Transport transport = Transport::kUnspecified;
  MessageKind kind = MessageKind::kUnspecified;
  RecognitionMethod recognition = RecognitionMethod::kUnspecified;
  Confidence recognition_confidence = Confidence::kUnspecified;

  Verdict verdict = Verdict::kUnspecified;
  LeakType leak_type = LeakType::kNone;
  std::string profile;
  std::string rule;
  std::string reason;
  std::string remediation;

  DnsInfo dns;
  Exchange exchange;  // for a query's event over plain DNS
  std::string sni;
  std::vector<std::string> alpn;

  Endpoint source;
  Endpoint destination;
  Endpoint resolver;
  std::uint8_t ip_version = 0;
  std::uint8_t ip_protocol = 0;  // IPPROTO_UDP / IPPROTO_TCP
  InterfaceInfo interface;
  Direction direction = Direction::kUnknown;
  std::string tunnel;

  ProcessInfo process;
  AttributionInfo attribution;
  GeoInfo geo;  // of the resolver, or where a connection went
  std::vector<std::string> signals;  // see dnsleak.v1.Event.signals
  std::vector<Evidence> evidence;    // for a finding (kind kFinding) or recognition by behaviour
  // For DoH recognised by its shape: when its first responses came, for
  // the pipeline to put beside the hidden resolutions that followed them.
  // Not stored or sent.
  std::vector<Timestamp> response_times;
};

// A connection this host opened, for correlation with the names it
// resolved (Leak-D): a TCP SYN to any port but DNS's, or the server name
// of a TLS or QUIC ClientHello that is not encrypted DNS.
struct ConnectionObservation {
  Timestamp time{};
  Endpoint source;
  Endpoint destination;
  std::uint8_t ip_protocol = 0;
  std::uint32_t ifindex = 0;
  Direction direction = Direction::kUnknown;
  std::string_view sni;  // empty for a bare SYN; valid during the call
  bool tunnelled = false;  // taken out of a tunnel seen on an outer link
};

std::string_view transportName(Transport t);
std::string_view leakTypeName(LeakType t);
std::string_view verdictName(Verdict v);
std::string_view qtypeName(std::uint16_t qtype);  // "A", "AAAA", ... or "" if unknown
// The same, where NetBIOS-NS gives types their own meaning (32 NB, 33 NBSTAT).
std::string_view qtypeName(std::uint16_t qtype, Transport transport);
std::string_view rcodeName(std::uint16_t rcode);  // "NOERROR", ... or "" if unknown

}  // namespace dnsleak::core
