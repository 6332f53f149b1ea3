#include "proto_json.h"

#include "api/json_string.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <cinttypes>
#include <iterator>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

namespace dnsleak::client {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Why a message is left to protobuf: nothing is written then.
struct Unsupported {};

constexpr std::int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr std::int64_t kMaxDurationSeconds = 315576000000;   // 10000 years

template <typename Int>
void appendInt(Int value, std::string& out) {
  char buf[24];
  int n = std::is_signed_v<Int> ? std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<std::int64_t>(value))
                                : std::snprintf(buf, sizeof buf, "%" PRIu64, static_cast<std::uint64_t>(value));
  out.append(buf, static_cast<std::size_t>(n));
}

// As protobuf's SimpleDtoa/SimpleFtoa: the shortest of %.15g (%.6g for
// float) that reads back the same, else %.17g (%.9g).
template <typename Float>
void appendFloat(Float value, std::string& out) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    return;
  }
  char buf[40];
  constexpr bool kDouble = std::is_same_v<Float, double>;
  std::snprintf(buf, sizeof buf, "%.*g", kDouble ? 15 : 6, static_cast<double>(value));
  bool same = kDouble ? std::strtod(buf, nullptr) == value : std::strtof(buf, nullptr) == value;
  if (!same) std::snprintf(buf, sizeof buf, "%.*g", kDouble ? 17 : 9, static_cast<double>(value));
  out += buf;
}

void appendBase64(const std::string& bytes, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                      static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  out += '"';
}

// Nanoseconds as protobuf writes them after the point: none, or 3, 6 or 9
// digits.
void appendNanos(std::int32_t nanos, std::string& out) {
  if (nanos == 0) return;
  char buf[16];
  if (nanos % 1'000'000 == 0) {
    std::snprintf(buf, sizeof buf, ".%03d", nanos / 1'000'000);
  } else if (nanos % 1000 == 0) {
    std::snprintf(buf, sizeof buf, ".%06d", nanos / 1000);
  } else {
    std::snprintf(buf, sizeof buf, ".%09d", nanos);
  }
  out += buf;
}

void appendTimestamp(const Message& m, std::string& out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  std::int64_t seconds = r->GetInt64(m, d->field(0));
  std::int32_t nanos = r->GetInt32(m, d->field(1));
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds || nanos < 0 || nanos >= 1'000'000'000) {
    throw Unsupported{};  // protobuf refuses it; its error is kept
  }
  // Days from the civil calendar (proleptic Gregorian), as gmtime would
  // give but for any year from 1 to 9999.
  std::int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  std::int64_t rest = seconds - days * 86400;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(year), month, day,
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  out += buf;
  appendNanos(nanos, out);
  out += "Z\"";
}

void appendDuration(const Message& m, std::string& out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  std::int64_t seconds = r->GetInt64(m, d->field(0));
  std::int32_t nanos = r->GetInt32(m, d->field(1));
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds || nanos <= -1'000'000'000 ||
      nanos >= 1'000'000'000 || (seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0)) {
    throw Unsupported{};
  }
  out += '"';
  if (seconds < 0 || nanos < 0) {
    out += '-';
    seconds = -seconds;
    nanos = -nanos;
  }
  appendInt(seconds, out);
  appendNanos(nanos, out);
  out += "s\"";
}

void appendMessage(const Message& m, std::string& out);

void appendValue(const Message& m, const Reflection* r, const FieldDescriptor* f, int index, std::string& out) {
  const bool repeated = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      appendInt(repeated ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f), out);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      appendInt(repeated ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f), out);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      out += '"';
      appendInt(repeated ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f), out);
      out += '"';
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      out += '"';
      appendInt(repeated ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f), out);
      out += '"';
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      appendFloat(repeated ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), out);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      appendFloat(repeated ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), out);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (repeated ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number = repeated ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
      if (const auto* value = f->enum_type()->FindValueByNumber(number)) {
        out += '"';
        out += value->name();
        out += '"';
      } else {
        appendInt(number, out);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s =
          repeated ? r->GetRepeatedStringReference(m, f, index, &scratch) : r->GetStringReference(m, f, &scratch);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        appendBase64(s, out);
      } else {
        api::appendJsonString(s, out);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      appendMessage(repeated ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
      break;
  }
}

void appendMessage(const Message& m, std::string& out) {
  const Descriptor* d = m.GetDescriptor();
  const std::string& type = d->full_name();
  if (type == "google.protobuf.Timestamp") return appendTimestamp(m, out);
  if (type == "google.protobuf.Duration") return appendDuration(m, out);
  if (d->file()->package() == "google.protobuf") throw Unsupported{};  // Any, Struct, wrappers: protobuf's
  const Reflection* r = m.GetReflection();
  out += '{';
  bool first = true;
  auto appendField = [&](const FieldDescriptor* f) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += f->json_name();
    out += "\":";
    if (f->is_repeated()) {
      out += '[';
      const int n = r->FieldSize(m, f);
      for (int j = 0; j < n; ++j) {
        if (j) out += ',';
        appendValue(m, r, f, j, out);
      }
      out += ']';
    } else {
      appendValue(m, r, f, 0, out);
    }
  };
  // protobuf writes fields in declaration order, except that a singular
  // Timestamp or Duration comes after all the others, by field number.
  auto wellKnown = [](const FieldDescriptor* f) {
    return !f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
           f->message_type()->file()->package() == "google.protobuf";
  };
  const FieldDescriptor* later[8];
  std::size_t n_later = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map()) throw Unsupported{};
    if (!f->is_repeated() && (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE || f->has_presence()) &&
        !r->HasField(m, f)) {
      continue;  // an unset message, oneof member or optional field is left out
    }
    if (wellKnown(f)) {
      if (n_later == std::size(later)) throw Unsupported{};
      later[n_later++] = f;
      continue;
    }
    appendField(f);
  }
  // Few (two at most in the API): sorted by insertion.
  for (std::size_t i = 1; i < n_later; ++i) {
    for (std::size_t j = i; j > 0 && later[j]->number() < later[j - 1]->number(); --j) std::swap(later[j], later[j - 1]);
  }
  for (std::size_t i = 0; i < n_later; ++i) appendField(later[i]);
  out += '}';
}

}  // namespace

bool writeJson(const Message& message, std::string& out) {
  const std::size_t start = out.size();
  try {
    appendMessage(message, out);
    return true;
  } catch (const Unsupported&) {
    out.resize(start);
    return false;
  }
}

void appendJson(const Message& message, std::string& out) {
  if (!writeJson(message, out)) out += protobufJson(message);
}

std::string protobufJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

}  // namespace dnsleak::client
