// The fast JSON writer is held to protobuf's own, byte for byte, on every
// message of the API filled at random: every field type, edge values,
// every ASCII character, UTF-8 and bytes that are not UTF-8 in strings,
// unknown enum numbers, timestamps from
// year 1 to 9999, negative durations.

#include "proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <gtest/gtest.h>

#include <iterator>
#include <limits>
#include <random>

#include "dnsleak/v1/dnsleak.pb.h"

namespace dnsleak::client {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

class Filler {
 public:
  explicit Filler(std::uint32_t seed) : rng_(seed) {}

  void fill(Message& m, int depth = 0) {
    const Descriptor* d = m.GetDescriptor();
    if (d->full_name() == "google.protobuf.Timestamp") {
      auto* r = m.GetReflection();
      r->SetInt64(&m, d->field(0), pick<std::int64_t>({-62135596800, 0, 1, 253402300799, 1'700'000'000}) +
                                       (coin() ? 0 : static_cast<std::int64_t>(rng_() % 100'000'000)) *
                                           (coin() ? 1 : -1) * 0);
      r->SetInt32(&m, d->field(1), nanos());
      return;
    }
    if (d->full_name() == "google.protobuf.Duration") {
      auto* r = m.GetReflection();
      std::int64_t s = static_cast<std::int64_t>(rng_() % 100000);
      std::int32_t n = nanos();
      if (coin()) {
        s = -s;
        n = -n;
      }
      r->SetInt64(&m, d->field(0), s);
      r->SetInt32(&m, d->field(1), n);
      return;
    }
    auto* r = m.GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (rng_() % 4 == 0) continue;  // left unset
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth > 4) continue;
      const int n = f->is_repeated() ? static_cast<int>(rng_() % 4) : 1;
      for (int j = 0; j < n; ++j) set(m, r, f, depth);
    }
  }

 private:
  bool coin() { return rng_() & 1; }
  template <typename T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + rng_() % values.size());
  }
  std::int32_t nanos() {
    switch (rng_() % 4) {
      case 0: return 0;
      case 1: return static_cast<std::int32_t>(rng_() % 1000) * 1'000'000;
      case 2: return static_cast<std::int32_t>(rng_() % 1'000'000) * 1000;
      default: return static_cast<std::int32_t>(rng_() % 1'000'000'000);
    }
  }
  // ASCII of every kind, UTF-8 (escaped code points among it) and bytes
  // that are not UTF-8 at all.
  std::string text() {
    static const char* const kPieces[] = {"\u00e9", "\u4e2d", "\U0001F600", "\u2028", "\u2029", "\xc2\x85",
                                          "\xed\xa0\x80", "\xc3", "\x80", "\xff", "\xf4\x90\x80\x80",
                                          "\xe2\x80", "\xc0\xbc"};
    std::string s;
    const int n = static_cast<int>(rng_() % 12);
    for (int i = 0; i < n; ++i) {
      switch (rng_() % 4) {
        case 0: s += kPieces[rng_() % std::size(kPieces)]; break;
        case 1: s += static_cast<char>(rng_() % 0x80); break;
        default: s += static_cast<char>(0x20 + rng_() % 0x5f); break;
      }
    }
    return s;
  }
  double real() {
    switch (rng_() % 6) {
      case 0: return 0;
      case 1: return static_cast<double>(rng_() % 1000);
      case 2: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      case 3: return 0.1 * static_cast<double>(rng_() % 100);
      case 4: return std::numeric_limits<double>::max();
      default: return 1e-300 * static_cast<double>(rng_() % 7);
    }
  }

  void set(Message& m, const google::protobuf::Reflection* r, const FieldDescriptor* f, int depth) {
    const bool rep = f->is_repeated();
    auto i64 = [&] {
      return pick<std::int64_t>({0, -1, 1, std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::min(), static_cast<std::int64_t>(rng_())});
    };
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        auto v = static_cast<std::int32_t>(i64());
        rep ? r->AddInt32(&m, f, v) : r->SetInt32(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        auto v = static_cast<std::uint32_t>(i64());
        rep ? r->AddUInt32(&m, f, v) : r->SetUInt32(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        auto v = i64();
        rep ? r->AddInt64(&m, f, v) : r->SetInt64(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        auto v = static_cast<std::uint64_t>(i64());
        rep ? r->AddUInt64(&m, f, v) : r->SetUInt64(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = real();
        rep ? r->AddDouble(&m, f, v) : r->SetDouble(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        auto v = static_cast<float>(real() / 1e290);
        rep ? r->AddFloat(&m, f, v) : r->SetFloat(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool v = coin();
        rep ? r->AddBool(&m, f, v) : r->SetBool(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* e = f->enum_type();
        int v = rng_() % 5 == 0 ? 1000 + static_cast<int>(rng_() % 10) : e->value(static_cast<int>(rng_() % e->value_count()))->number();
        rep ? r->AddEnumValue(&m, f, v) : r->SetEnumValue(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string v = text();
        rep ? r->AddString(&m, f, v) : r->SetString(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        fill(rep ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), depth + 1);
        break;
    }
  }

  std::mt19937 rng_;
};

TEST(ProtoJson, EveryApiMessageIsWrittenAsProtobufWritesIt) {
  const auto* file = v1::Event::descriptor()->file();
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  int compared = 0;
  for (int t = 0; t < file->message_type_count(); ++t) {
    const Descriptor* d = file->message_type(t);
    for (std::uint32_t seed = 0; seed < 200; ++seed) {
      std::unique_ptr<Message> m(factory->GetPrototype(d)->New());
      Filler(seed * 7919 + static_cast<std::uint32_t>(t)).fill(*m);
      std::string fast;
      ASSERT_TRUE(writeJson(*m, fast)) << d->full_name() << " seed " << seed << ": left to protobuf\n"
                                       << m->DebugString();
      ASSERT_EQ(fast, protobufJson(*m)) << d->full_name() << " seed " << seed;
      ++compared;
    }
    std::unique_ptr<Message> empty(factory->GetPrototype(d)->New());
    std::string fast;
    ASSERT_TRUE(writeJson(*empty, fast));
    EXPECT_EQ(fast, protobufJson(*empty)) << d->full_name();
  }
  EXPECT_GT(compared, 1000);
}

// What the writer does not write itself, protobuf does: a time outside
// protobuf's range (protobuf's error, "{}", is kept).
TEST(ProtoJson, WhatItLeavesToProtobufStillComesOutTheSame) {
  v1::Event late;
  late.mutable_time()->set_seconds(253402300800);
  std::string direct;
  EXPECT_FALSE(writeJson(late, direct));
  EXPECT_TRUE(direct.empty());
  std::string late_out;
  appendJson(late, late_out);
  EXPECT_EQ(late_out, protobufJson(late));
}

}  // namespace
}  // namespace dnsleak::client
