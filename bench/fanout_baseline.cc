// The Watch delay's baseline for bench/run.py: the least any gRPC server
// on this machine can do for the same watchers. It captures, judges and
// stores nothing: it serves DnsLeak.Watch on a Unix socket with gRPC's
// callback API, as dnsleakd does, and RATE times a second stamps one event
// with the time and writes it to every open stream (a stream whose last
// write is still in flight gets the newest event when that write is done).
//
//   fanout_baseline SOCKET EVENT STREAMS RATE
//       EVENT: one v1.Event in protobuf's binary form, as the daemon sent it
//       (watch_bench's latency mode saves one), so that each message is the
//       daemon's size. Writes start once STREAMS streams are open; prints
//       one line when it listens; runs until killed.
//
// watch_bench's latency mode reads this server as it reads the daemon:
// the delay it measures here is the fan-out alone, from the moment the
// event is stamped to its arrival.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "dnsleak/v1/dnsleak.grpc.pb.h"

namespace v1 = dnsleak::v1;

namespace {

class Service;

// One stream: at most one write in flight; the newest event waits for it.
// As in dnsleakd, gRPC is called outside the stream's lock, and a stream is
// finished only from its own reactions, never while the service's list of
// streams is held (OnDone takes that list's lock).
class Stream : public grpc::ServerWriteReactor<v1::WatchResponse> {
 public:
  explicit Stream(Service& service);
  void send(std::shared_ptr<const v1::WatchResponse> message) {
    const v1::WatchResponse* write = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return;
      if (in_flight_) {
        next_ = std::move(message);
        return;
      }
      in_flight_ = std::move(message);
      write = in_flight_.get();
    }
    StartWrite(write);
  }
  void OnWriteDone(bool ok) override {
    const v1::WatchResponse* write = nullptr;
    bool finish = false;
    {
      // Decided under the lock: once cancelled_ is set, send() starts no
      // write that a Finish here could overtake.
      std::lock_guard lock(mutex_);
      in_flight_.reset();
      if (!ok) cancelled_ = true;
      if (cancelled_) {
        finish = true;
      } else if (next_) {
        in_flight_ = std::move(next_);
        write = in_flight_.get();
      }
    }
    if (write) StartWrite(write);
    if (finish) finishOnce();
  }
  void OnCancel() override {
    bool idle;
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
      idle = !in_flight_;
    }
    if (idle) finishOnce();  // else once that write is done
  }
  void OnDone() override;

 private:
  void finishOnce() {
    if (!finished_.exchange(true)) Finish(grpc::Status::CANCELLED);
  }

  Service& service_;
  std::mutex mutex_;
  bool cancelled_ = false;  // guarded by mutex_
  std::atomic<bool> finished_{false};
  std::shared_ptr<const v1::WatchResponse> in_flight_, next_;  // guarded by mutex_
};

class Service final : public v1::DnsLeak::CallbackService {
 public:
  grpc::ServerWriteReactor<v1::WatchResponse>* Watch(grpc::CallbackServerContext*, const v1::WatchRequest*) override {
    auto* stream = new Stream(*this);
    std::lock_guard lock(mutex_);
    streams_.insert(stream);
    return stream;
  }
  void remove(Stream* stream) {
    std::lock_guard lock(mutex_);
    streams_.erase(stream);
  }
  std::size_t open() {
    std::lock_guard lock(mutex_);
    return streams_.size();
  }
  void sendToAll(const std::shared_ptr<const v1::WatchResponse>& message) {
    std::lock_guard lock(mutex_);
    for (auto* stream : streams_) stream->send(message);
  }

 private:
  std::mutex mutex_;
  std::set<Stream*> streams_;
};

Stream::Stream(Service& service) : service_(service) {}

void Stream::OnDone() {
  service_.remove(this);
  delete this;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s SOCKET EVENT STREAMS RATE\n", argv[0]);
    return 2;
  }
  // As dnsleakd does: no lock-order graph for gRPC's mutexes.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string socket = argv[1];
  std::ifstream in(argv[2], std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  v1::Event sample;
  if (!in || bytes.empty() || !sample.ParseFromString(bytes)) {
    std::fprintf(stderr, "fanout_baseline: %s holds no event\n", argv[2]);
    return 1;
  }
  // Its delay is counted from its time alone.
  sample.clear_exchange();
  const std::size_t streams = std::strtoul(argv[3], nullptr, 10);
  const int rate = std::atoi(argv[4]);
  if (streams == 0 || rate <= 0) {
    std::fprintf(stderr, "fanout_baseline: STREAMS and RATE must be positive\n");
    return 2;
  }

  Service service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "fanout_baseline: cannot listen on %s\n", socket.c_str());
    return 1;
  }
  std::printf("{\"listening\": \"%s\", \"event_bytes\": %zu}\n", socket.c_str(), bytes.size());
  std::fflush(stdout);

  while (service.open() < streams) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto period = std::chrono::nanoseconds(1'000'000'000LL / rate);
  auto next = std::chrono::steady_clock::now();
  for (std::uint64_t seq = 1;; ++seq) {
    next += period;
    std::this_thread::sleep_until(next);
    auto message = std::make_shared<v1::WatchResponse>();
    v1::Event* event = message->mutable_event();
    *event = sample;
    event->set_seq(seq);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    event->mutable_time()->set_seconds(ns / 1'000'000'000);
    event->mutable_time()->set_nanos(static_cast<int>(ns % 1'000'000'000));
    service.sendToAll(message);
  }
}
