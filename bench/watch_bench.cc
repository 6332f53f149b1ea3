// Watch-stream benchmark client for bench/run.py: opens Watch streams on a
// daemon's socket the way other tools would, and measures what they get.
//
//   watch_bench SOCKET latency N SECONDS [BATCH [SAMPLE]]
//       N streams from now on, each on its own thread, for SECONDS, up to
//       BATCH events a message (default 0: one a message); prints
//       one JSON line: events received per stream and the delay from the
//       packet that completed each event (its capture time, plus the
//       response time for an answered exchange) to its arrival here, p50,
//       p99 and max in microseconds over all streams, the messages' mean
//       size, and how many streams ended other than by its own cancelling
//       (each named on stderr). With SAMPLE, the first event received is
//       saved there in protobuf's binary form (fanout_baseline sends it).
//   watch_bench SOCKET drain COUNT [BATCH]
//       one stream from sequence 1, read until COUNT events (or a gap) have
//       arrived, up to BATCH events a message (WatchRequest.max_batch, as
//       dnsleakctl asks: 256; 1 for one a message); prints the time it took.
//   watch_bench SOCKET stall N SECONDS
//       N streams that never read, held open for SECONDS: clients that
//       stopped reading, whose writes the daemon must not wait for.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dnsleak/v1/dnsleak.grpc.pb.h"

namespace v1 = dnsleak::v1;
using Clock = std::chrono::system_clock;

namespace {

std::shared_ptr<grpc::Channel> channel(const std::string& socket, int index) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(512 << 20);
  // Each stream its own connection, as separate watching tools would have.
  args.SetInt("dnsleak.bench.stream", index);
  return grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
}

std::int64_t nanos(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1'000'000'000LL + t.nanos();
}
std::int64_t nanos(const google::protobuf::Duration& d) {
  return d.seconds() * 1'000'000'000LL + d.nanos();
}

int latency(const std::string& socket, int streams, int seconds, std::uint32_t batch, const char* sample) {
  std::mutex mutex;
  std::uint64_t message_bytes = 0, messages = 0;  // guarded by mutex
  std::string first_event;                        // guarded by mutex
  std::vector<std::int64_t> delays_us;
  std::vector<std::uint64_t> received(streams, 0);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(streams);
  std::atomic<int> connected{0};
  int failures = 0;  // streams that ended other than by our cancelling; guarded by mutex
  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i) {
    contexts[i] = std::make_unique<grpc::ClientContext>();
    threads.emplace_back([&, i] {
      auto stub = v1::DnsLeak::NewStub(channel(socket, i));
      v1::WatchRequest request;
      request.set_from_seq(0);
      request.set_max_batch(batch);
      auto reader = stub->Watch(contexts[i].get(), request);
      ++connected;
      std::vector<std::int64_t> mine;
      std::uint64_t bytes = 0, read = 0;
      bool saved = false;
      v1::WatchResponse response;
      while (reader->Read(&response)) {
        bytes += response.ByteSizeLong();
        ++read;
        auto now = Clock::now().time_since_epoch().count();
        auto arrived = [&](const v1::Event& e) {
          std::int64_t done = nanos(e.time());
          if (e.exchange().answered()) done += nanos(e.exchange().response_time());
          mine.push_back((std::chrono::nanoseconds(now) - std::chrono::nanoseconds(done)).count() / 1000);
          ++received[i];
        };
        if (response.has_event()) arrived(response.event());
        for (const auto& e : response.batch().events()) arrived(e);
        if (sample && i == 0 && !saved && (response.has_event() || response.batch().events_size() > 0)) {
          std::lock_guard lock(mutex);
          first_event = response.has_event() ? response.event().SerializeAsString()
                                             : response.batch().events(0).SerializeAsString();
          saved = true;
        }
      }
      auto status = reader->Finish();
      std::lock_guard lock(mutex);
      message_bytes += bytes;
      messages += read;
      delays_us.insert(delays_us.end(), mine.begin(), mine.end());
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
        ++failures;
        std::fprintf(stderr, "stream %d ended: %d %s\n", i, static_cast<int>(status.error_code()),
                     status.error_message().c_str());
      }
    });
  }
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (connected.load() < streams && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // The caller (bench/run.py) waits until the daemon counts the watchers.
  std::printf("{\"started\": %d}\n", connected.load());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  for (auto& c : contexts) c->TryCancel();
  for (auto& t : threads) t.join();
  std::sort(delays_us.begin(), delays_us.end());
  auto pick = [&](double q) -> std::int64_t {
    if (delays_us.empty()) return -1;
    return delays_us[std::min(delays_us.size() - 1, static_cast<std::size_t>(q * delays_us.size()))];
  };
  std::uint64_t least = received.empty() ? 0 : *std::min_element(received.begin(), received.end());
  std::uint64_t most = received.empty() ? 0 : *std::max_element(received.begin(), received.end());
  if (sample) {
    std::ofstream out(sample, std::ios::binary | std::ios::trunc);
    out << first_event;
    if (first_event.empty() || !out) std::fprintf(stderr, "watch_bench: no event saved to %s\n", sample);
  }
  std::printf(
      "{\"streams\": %d, \"events_min\": %llu, \"events_max\": %llu, \"p50_us\": %lld, \"p99_us\": %lld, "
      "\"max_us\": %lld, \"message_bytes\": %.0f, \"failed\": %d}\n",
      streams, static_cast<unsigned long long>(least), static_cast<unsigned long long>(most),
      static_cast<long long>(pick(0.5)), static_cast<long long>(pick(0.99)),
      static_cast<long long>(delays_us.empty() ? -1 : delays_us.back()),
      messages ? static_cast<double>(message_bytes) / static_cast<double>(messages) : 0.0, failures);
  return 0;
}

int drain(const std::string& socket, std::uint64_t count, std::uint32_t batch) {
  auto stub = v1::DnsLeak::NewStub(channel(socket, 0));
  grpc::ClientContext context;
  v1::WatchRequest request;
  request.set_from_seq(1);
  request.set_max_batch(batch);
  auto start = std::chrono::steady_clock::now();
  auto reader = stub->Watch(&context, request);
  v1::WatchResponse response;
  std::uint64_t events = 0, gaps = 0;
  while (events < count && reader->Read(&response)) {
    if (response.has_gap()) ++gaps;
    if (response.has_event()) ++events;
    events += static_cast<std::uint64_t>(response.batch().events_size());
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  context.TryCancel();
  reader->Finish();
  std::printf("{\"events\": %llu, \"gaps\": %llu, \"seconds\": %.3f}\n", static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(gaps), elapsed);
  return events == count ? 0 : 1;
}

int stall(const std::string& socket, int streams, int seconds) {
  std::vector<std::unique_ptr<v1::DnsLeak::Stub>> stubs;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::WatchResponse>>> readers;
  for (int i = 0; i < streams; ++i) {
    stubs.push_back(v1::DnsLeak::NewStub(channel(socket, i)));
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    v1::WatchRequest request;
    request.set_from_seq(0);
    readers.push_back(stubs.back()->Watch(contexts.back().get(), request));
  }
  std::printf("{\"started\": %d}\n", streams);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  for (auto& c : contexts) c->TryCancel();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // As dnsleakctl does: no lock-order graph for gRPC's mutexes.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s SOCKET latency N SECONDS [BATCH [SAMPLE]] | drain COUNT [BATCH] | stall N SECONDS\n",
                 argv[0]);
    return 2;
  }
  std::string socket = argv[1], mode = argv[2];
  if (mode == "latency" && argc >= 5 && argc <= 7) {
    return latency(socket, std::atoi(argv[3]), std::atoi(argv[4]),
                   argc >= 6 ? static_cast<std::uint32_t>(std::strtoul(argv[5], nullptr, 10)) : 0,
                   argc == 7 ? argv[6] : nullptr);
  }
  if (mode == "drain" && (argc == 4 || argc == 5)) {
    return drain(socket, std::strtoull(argv[3], nullptr, 10),
                 argc == 5 ? static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10)) : 256);
  }
  if (mode == "stall" && argc == 5) return stall(socket, std::atoi(argv[3]), std::atoi(argv[4]));
  std::fprintf(stderr, "watch_bench: bad arguments\n");
  return 2;
}
