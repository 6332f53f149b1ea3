#include "attribution/attributor.h"

#include <netinet/in.h>
#include <sched.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "attribution/local_addresses.h"
#include "attribution/procnet.h"
#include "attribution/send_time_owners.h"
#include "attribution/table_owners.h"

namespace dnsleak::attribution {
namespace {

core::Endpoint ep(const char* address, std::uint16_t port) { return {*core::IpAddress::parse(address), port}; }

core::Event query(const char* client, std::uint16_t port, const char* resolver = "198.51.100.53") {
  core::Event e;
  e.kind = core::MessageKind::kQuery;
  e.ip_protocol = IPPROTO_UDP;
  e.source = ep(client, port);
  e.destination = ep(resolver, 53);
  e.resolver = e.destination;
  e.direction = core::Direction::kOutbound;
  e.interface.name = "eth0";
  return e;
}

core::Event responseTo(const core::Event& q) {
  core::Event e = q;
  e.kind = core::MessageKind::kResponse;
  std::swap(e.source, e.destination);
  e.direction = core::Direction::kInbound;
  return e;
}

// Answers from a table; can be held inside lookup() to back the queue up.
class FakeProvider : public FlowOwnerProvider {
 public:
  FlowOwner lookup(const FlowQuery& q) override {
    ++lookups;
    if (hold) gate.wait();
    for (const auto& [flow, pid] : owners) {
      if (flow == q) {
        FlowOwner o;
        o.process.pid = pid;
        o.process.name = "p" + std::to_string(pid);
        o.attribution = {"fake", core::Confidence::kMedium, core::AttributionFailure::kNone, ""};
        return o;
      }
    }
    FlowOwner none;
    none.attribution = {"fake", core::Confidence::kNone, core::AttributionFailure::kNotFound, "no"};
    return none;
  }
  Freshness check(const FlowQuery&, const FlowOwner&) override { return freshness; }
  bool holdsAddress(const core::IpAddress& a) override {
    return held.empty() || std::find(held.begin(), held.end(), a.toString()) != held.end();
  }
  std::optional<FlowOwner> lookupForwarded(const FlowQuery& q) override {
    for (const auto& [flow, pid] : forwarded) {
      if (flow == q) {
        FlowOwner o;
        o.process.pid = pid;
        o.attribution = {"fake", core::Confidence::kHigh, core::AttributionFailure::kNone, "container"};
        return o;
      }
    }
    return std::nullopt;
  }
  std::vector<std::pair<FlowQuery, std::uint32_t>> forwarded;
  std::vector<std::pair<FlowQuery, std::uint32_t>> owners;
  std::vector<std::string> held;  // this host's addresses; empty: every one
  std::atomic<int> lookups{0};
  Freshness freshness = Freshness::kUnknown;
  bool hold = false;
  std::promise<void> released;
  std::shared_future<void> gate = released.get_future().share();
};

struct Delivered {
  std::vector<core::Event> events;
  std::vector<bool> judged;
};

TEST(AttributorFlow, TheClientEndIsTheLocalOneAndAnotherHostsQueryIsNotOurs) {
  auto q = query("192.0.2.10", 40000);
  auto flow = Attributor::flowOf(q);
  ASSERT_TRUE(flow);
  EXPECT_TRUE(flow->local.address == q.source.address && flow->local.port == 40000);
  auto r = responseTo(q);
  auto back = Attributor::flowOf(r);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == *flow);  // the response joins its query's flow
  // A query arriving here (this host serves) or a response leaving here.
  auto served = q;
  served.direction = core::Direction::kInbound;
  EXPECT_FALSE(Attributor::flowOf(served));
  auto answered = r;
  answered.direction = core::Direction::kOutbound;
  EXPECT_FALSE(Attributor::flowOf(answered));
  // On loopback both ends are ours, whatever the direction says.
  auto local = query("127.0.0.1", 41000, "127.0.0.53");
  local.direction = core::Direction::kInbound;
  local.interface.name = "lo";
  EXPECT_TRUE(Attributor::flowOf(local));
  // A connection event's client is its source.
  core::Event c;
  c.kind = core::MessageKind::kConnection;
  c.ip_protocol = IPPROTO_TCP;
  c.source = ep("192.0.2.10", 50000);
  c.destination = ep("203.0.113.9", 443);
  c.resolver = ep("198.51.100.53", 53);
  c.direction = core::Direction::kOutbound;
  auto conn = Attributor::flowOf(c);
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn->local.port, 50000);
  EXPECT_EQ(conn->ip_protocol, IPPROTO_TCP);
}

TEST(Attributor, TheResponseReusesItsQuerysOwnerAndOrderIsKept) {
  auto provider = std::make_unique<FakeProvider>();
  auto* fake = provider.get();
  auto q = query("192.0.2.10", 40000);
  fake->owners.push_back({*Attributor::flowOf(q), 4121});
  Delivered out;
  {
    Attributor a(std::move(provider), {}, [&](core::Event& e, bool judged) {
      out.events.push_back(e);
      out.judged.push_back(judged);
    });
    a.submit(q, false);
    a.submit(responseTo(q), false);
    auto other = query("192.0.2.10", 40001);
    a.submit(other, true);
    a.flush();
    auto stats = a.stats();
    EXPECT_EQ(stats.cache_hits, 1u);
    ASSERT_EQ(stats.methods.size(), 2u);  // "fake" found 1, "none" for the failure
    EXPECT_EQ(stats.methods[0].name, "fake");
    EXPECT_EQ(stats.methods[0].found, 1u);
    for (const auto& [name, count] : stats.failures) {
      if (name == "not_found") {
        EXPECT_EQ(count, 1u);
      }
    }
    EXPECT_EQ(fake->lookups.load(), 2);  // the query and the other flow; not the response
  }  // the attributor, and the provider it owns, end here
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[0].kind, core::MessageKind::kQuery);
  EXPECT_EQ(out.events[0].process.pid, 4121u);
  EXPECT_EQ(out.events[1].kind, core::MessageKind::kResponse);
  EXPECT_EQ(out.events[1].process.pid, 4121u);
  EXPECT_EQ(out.events[1].attribution.confidence, core::Confidence::kMedium);
  EXPECT_EQ(out.events[2].attribution.failure, core::AttributionFailure::kNotFound);
  EXPECT_EQ(out.judged, (std::vector<bool>{false, false, true}));
}

TEST(Attributor, PastItsLookupBudgetOrItsQueueAnEventGoesOnWithoutAnOwnerAndIsNeverLost) {
  auto provider = std::make_unique<FakeProvider>();
  auto* fake = provider.get();
  fake->hold = true;  // the worker sticks in its first lookup
  AttributorOptions options;
  options.lookup_capacity = 2;
  options.queue_capacity = 4;
  std::vector<core::AttributionFailure> failures;
  std::mutex failures_mutex;  // the capture side delivers too, past a full queue
  Attributor a(std::move(provider), options, [&](core::Event& e, bool) {
    std::lock_guard lock(failures_mutex);
    failures.push_back(e.attribution.failure);
  });
  // The first event takes the worker into the held lookup (still counted
  // against the budget); none of the calls after it may wait on it.
  a.submit(query("192.0.2.10", 1), false);
  ASSERT_TRUE([&] {
    for (int i = 0; i < 2000 && fake->lookups.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return fake->lookups.load() == 1;
  }());
  for (std::uint16_t port = 2; port <= 6; ++port) a.submit(query("192.0.2.10", port), false);
  EXPECT_EQ(a.stats().queued, 4u);
  // The sixth found the queue full: delivered at once, without an owner.
  EXPECT_EQ(a.stats().overflow, 1u);
  {
    std::lock_guard lock(failures_mutex);
    EXPECT_EQ(failures, (std::vector<core::AttributionFailure>{core::AttributionFailure::kQueueFull}));
  }
  fake->released.set_value();
  a.flush();
  // Budget 2: the held lookup and one more; the other three queued go on
  // without. Nothing was lost.
  EXPECT_EQ(failures, (std::vector<core::AttributionFailure>{
                          core::AttributionFailure::kQueueFull, core::AttributionFailure::kNotFound,
                          core::AttributionFailure::kNotFound, core::AttributionFailure::kQueueFull,
                          core::AttributionFailure::kQueueFull, core::AttributionFailure::kQueueFull}));
}

TEST(Attributor, AFailedLookupIsRetriedOnceItsShortMemoryHasPassed) {
  auto provider = std::make_unique<FakeProvider>();
  auto* fake = provider.get();
  AttributorOptions options;
  options.failure_idle = std::chrono::milliseconds(300);
  std::vector<std::uint32_t> pids;
  Attributor a(std::move(provider), options, [&](core::Event& e, bool) { pids.push_back(e.process.pid); });
  auto q = query("192.0.2.10", 40000);
  a.submit(q, false);
  a.flush();
  fake->owners.push_back({*Attributor::flowOf(q), 77});  // the socket appears
  a.submit(q, false);  // within the failure's memory: not asked again
  a.flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  a.submit(q, false);
  a.flush();
  EXPECT_EQ(pids, (std::vector<std::uint32_t>{0, 0, 77}));
  EXPECT_EQ(fake->lookups.load(), 2);
}

TEST(Attributor, AReusedPortIsANewClientsAndIsNotGivenTheOldOwner) {
  auto provider = std::make_unique<FakeProvider>();
  auto* fake = provider.get();
  std::vector<std::uint32_t> pids;
  Attributor a(std::move(provider), {}, [&](core::Event& e, bool) { pids.push_back(e.process.pid); });
  auto q = query("192.0.2.10", 40000);
  const auto flow = *Attributor::flowOf(q);
  fake->owners = {{flow, 100}};
  a.submit(q, false);
  a.submit(responseTo(q), false);  // closed since (unknown): still its exchange
  a.flush();
  // A second client on the same port, its socket closed too by the time
  // its query is read: asked anew, never given client 100.
  fake->owners = {{flow, 200}};
  a.submit(q, false);
  a.flush();
  // The socket there now is another one (changed): asked anew as well.
  fake->owners = {{flow, 300}};
  fake->freshness = Freshness::kChanged;
  a.submit(responseTo(q), false);
  a.flush();
  // The same socket (same): remembered, not asked.
  fake->freshness = Freshness::kSame;
  a.submit(q, false);
  a.flush();
  EXPECT_EQ(pids, (std::vector<std::uint32_t>{100, 100, 200, 300, 300}));
  EXPECT_EQ(fake->lookups.load(), 3);
}

TEST(Attributor, AForwardedQueryIsAContainersWhenItsSenderWasSeenElseAnotherHosts) {
  auto provider = std::make_unique<FakeProvider>();
  auto* fake = provider.get();
  auto from_container = query("10.99.0.2", 40000);
  from_container.direction = core::Direction::kInbound;  // arrived on the bridge
  ASSERT_FALSE(Attributor::flowOf(from_container));
  fake->forwarded.push_back({*Attributor::endsOf(from_container), 555});
  auto from_lan = query("192.168.1.20", 40000);
  from_lan.direction = core::Direction::kInbound;
  std::vector<core::Event> out;
  {
    Attributor a(std::move(provider), {}, [&](core::Event& e, bool) { out.push_back(e); });
    a.submit(from_container, false);
    a.submit(from_lan, false);
    a.flush();
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].process.pid, 555u);
  EXPECT_EQ(out[0].attribution.failure, core::AttributionFailure::kNone);
  EXPECT_EQ(out[1].attribution.failure, core::AttributionFailure::kNotLocal);
}

// On a shared link (or a host that routes), a response to another host
// arrives like one to us, and a routed container's query leaves like one
// of ours: the client's address says whose it is. Neither costs a socket
// lookup; the container's is still named from its send-time record.
TEST(Attributor, AFlowWhoseClientAddressThisHostDoesNotHoldGetsNoSocketLookup) {
  auto provider = std::make_unique<FakeProvider>();
  auto* fake = provider.get();
  fake->held = {"192.0.2.10"};
  auto ours = query("192.0.2.10", 40000);
  fake->owners.push_back({*Attributor::flowOf(ours), 42});
  auto theirs = responseTo(query("192.0.2.77", 40001));  // arrives inbound, to another host
  ASSERT_TRUE(Attributor::flowOf(theirs)) << "by direction alone it looks like ours";
  auto routed = query("10.99.0.2", 40002);  // a container's, leaving by this host's uplink
  fake->forwarded.push_back({*Attributor::endsOf(routed), 555});
  std::vector<core::Event> out;
  {
    Attributor a(std::move(provider), {}, [&](core::Event& e, bool) { out.push_back(e); });
    a.submit(ours, false);
    a.submit(theirs, false);
    a.submit(routed, false);
    a.flush();
    EXPECT_EQ(fake->lookups.load(), 1) << "only the flow of an address this host holds is looked up";
  }
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].process.pid, 42u);
  EXPECT_EQ(out[1].attribution.failure, core::AttributionFailure::kNotLocal);
  EXPECT_EQ(out[2].process.pid, 555u);
  EXPECT_EQ(out[2].attribution.failure, core::AttributionFailure::kNone);
}

// A provider that counts its polls: with a ring to drain (`polls`) or
// not, and with reports in it or not.
class Polled : public FakeProvider {
 public:
  Polled(bool polls, bool reports) : polls_(polls), reports_(reports) {}
  bool needsPolling() const override { return polls_; }
  bool poll() override {
    ++polled;
    return reports_;
  }
  std::atomic<int> polled{0};

 private:
  bool polls_, reports_;
};

// Around a reading of packets the capture thread holds the worker's wakes:
// what a reading submits is taken up at its end, in one wake, unless
// kWakeAfter events wait first.
TEST(Attributor, HeldWakesLetAReadingsEventsWaitForItsEnd) {
  std::atomic<int> delivered{0};
  Attributor a(std::make_unique<FakeProvider>(), {}, [&](core::Event&, bool) { ++delivered; });
  auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); };
  settle();  // the worker waits (its provider has nothing to poll)
  a.holdWakes();
  for (int i = 0; i < 5; ++i) a.submit(query("192.0.2.10", static_cast<std::uint16_t>(40000 + i)), false);
  settle();
  EXPECT_EQ(delivered.load(), 0) << "an event of the reading woke the worker";
  a.releaseWakes();
  a.flush();
  EXPECT_EQ(delivered.load(), 5);

  // A long reading does not keep the worker waiting: it is woken once
  // kWakeAfter events wait.
  a.holdWakes();
  for (std::size_t i = 0; i < Attributor::kWakeAfter; ++i) a.submit(query("192.0.2.10", 41000), false);
  settle();
  EXPECT_EQ(delivered.load(), 5 + static_cast<int>(Attributor::kWakeAfter));
  a.releaseWakes();
}

// A provider with a ring to drain is polled while idle: often while
// reports come, backing off while none do, so that a quiet host is not
// woken fifty times a second; one with nothing to poll is never woken.
TEST(Attributor, IdlePollsBackOffWhileThereAreNoReports) {
  AttributorOptions options;
  options.idle_poll = std::chrono::milliseconds(1);
  options.idle_poll_max = std::chrono::milliseconds(64);
  auto idlePolls = [&](bool polls, bool reports) {
    auto provider = std::make_unique<Polled>(polls, reports);
    auto* fake = provider.get();
    Attributor a(std::move(provider), options, [](core::Event&, bool) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return fake->polled.load();
  };
  const int busy = idlePolls(true, true);
  const int quiet = idlePolls(true, false);
  const int none = idlePolls(false, false);
  // Every 1 ms while reports come; 1, 2, 4 ... 64 ms while none do (about
  // 10 in 300 ms).
  EXPECT_GT(busy, 50);
  EXPECT_LT(quiet, 20);
  EXPECT_GE(quiet, 3);
  EXPECT_EQ(none, 0);
}

// The polls keep their own time while events come (another host's
// traffic, no lookup): events more often than the polls do not hold back
// those of a provider with reports, and events less often do not bring
// forward those of one without.
TEST(Attributor, IdlePollsKeepTheirTimeWhileEventsCome) {
  AttributorOptions options;
  options.idle_poll = std::chrono::milliseconds(10);
  options.idle_poll_max = std::chrono::milliseconds(80);
  auto pollsWhileEventsCome = [&](bool reports, std::chrono::milliseconds every) {
    auto provider = std::make_unique<Polled>(true, reports);
    auto* fake = provider.get();
    fake->held = {"192.0.2.99"};  // the events' client is another host
    Attributor a(std::move(provider), options, [](core::Event&, bool) {});
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
    while (std::chrono::steady_clock::now() < end) {
      a.submit(query("192.0.2.10", 40000), false);
      std::this_thread::sleep_for(every);
    }
    a.flush();
    return fake->polled.load();
  };
  // Every 10 ms while reports come (about 40 in 400 ms); 10, 20, 40, 80,
  // 80 ... ms while none do (about 7).
  EXPECT_GE(pollsWhileEventsCome(true, std::chrono::milliseconds(2)), 20) << "events held the polls off";
  const int quiet = pollsWhileEventsCome(false, std::chrono::milliseconds(15));
  EXPECT_LE(quiet, 12) << "each batch of events brought the next poll forward";
  EXPECT_GE(quiet, 3);
}

TEST(LocalAddresses, TheListIsRereadOnlyWhenTheHostSaysItChanged) {
  std::vector<core::IpAddress> list = {*core::IpAddress::parse("192.0.2.10"), *core::IpAddress::parse("2001:db8::10")};
  int reads = 0, asked = 0;
  bool changed = false;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  LocalAddresses local([&] { ++reads; return list; },
                       [&] {
                         ++asked;
                         return std::exchange(changed, false);
                       },
                       std::chrono::milliseconds(10), [&] { return now; });
  EXPECT_TRUE(local.holds(*core::IpAddress::parse("192.0.2.10")));
  EXPECT_TRUE(local.holds(*core::IpAddress::parse("2001:db8::10")));
  EXPECT_TRUE(local.holds(*core::IpAddress::parse("127.0.0.1"))) << "loopback is always this host's";
  EXPECT_TRUE(local.holds(*core::IpAddress::parse("::1")));
  EXPECT_EQ(reads, 1);
  // Other hosts' flows, many within the interval: asked once, never reread.
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(local.holds(*core::IpAddress::parse("192.0.2.77")));
  EXPECT_EQ(asked, 2);  // once before the first read, once for the misses
  now += std::chrono::seconds(5);
  EXPECT_FALSE(local.holds(*core::IpAddress::parse("192.0.2.77")));
  EXPECT_EQ(reads, 1) << "nothing changed: no reread";
  // An address added (DHCP, a VPN): known at its first use once the host
  // said so and the interval since the last question has passed.
  list.push_back(*core::IpAddress::parse("10.8.0.2"));
  changed = true;
  now += std::chrono::milliseconds(10);
  EXPECT_TRUE(local.holds(*core::IpAddress::parse("10.8.0.2")));
  EXPECT_EQ(reads, 2);
  // One that goes is forgotten at the next reread.
  list.erase(list.begin());
  changed = true;
  now += std::chrono::milliseconds(10);
  EXPECT_FALSE(local.holds(*core::IpAddress::parse("192.0.2.77")));
  EXPECT_FALSE(local.holds(*core::IpAddress::parse("192.0.2.10")));
  EXPECT_EQ(reads, 3);
}

// The real notices: an address added in a network namespace of its own is
// said, and the list then holds it.
TEST(LocalAddresses, AnAddressAddedOnTheHostIsHeldAtItsFirstUse) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace of its own: unshare -n)";
  auto result = std::async(std::launch::async, [] {
    // In a thread of its own, so that only it moves to the new namespace.
    if (unshare(CLONE_NEWNET) != 0) return std::string("unshare: ") + std::strerror(errno);
    auto local = hostLocalAddresses();
    auto added = *core::IpAddress::parse("192.0.2.99");
    if (local.holds(added)) return std::string("held before it was added");
    if (std::system("ip link add dltest0 type veth peer name dltest1 && ip addr add 192.0.2.99/32 dev dltest0") != 0) {
      return std::string("cannot add a veth");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return std::string(local.holds(added) ? "" : "not held after it was added");
  });
  const std::string failure = result.get();
  if (failure == "cannot add a veth") GTEST_SKIP() << failure;
  EXPECT_EQ(failure, "");
}

TEST(LocalAddresses, TheHostsOwnListHoldsItsLoopbackAndIsNotEmpty) {
  auto list = hostAddresses();
  ASSERT_FALSE(list.empty()) << "getifaddrs gave no address (no lo?)";
  EXPECT_NE(std::find(list.begin(), list.end(), *core::IpAddress::parse("127.0.0.1")), list.end());
}

TEST(LatencyHistogram, PercentilesAreBucketUpperBounds) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.add(std::chrono::microseconds(100));
  h.add(std::chrono::milliseconds(10));
  EXPECT_EQ(h.count(), 100u);
  EXPECT_GE(h.percentileMicros(0.5), 100.0);
  EXPECT_LT(h.percentileMicros(0.5), 125.0);
  EXPECT_LT(h.percentileMicros(0.99), 125.0);
  EXPECT_GE(h.percentileMicros(1.0), 10000.0);
  EXPECT_LT(h.percentileMicros(1.0), 12500.0);
}

TEST(ProcNet, RowsParseInTheKernelsByteOrder) {
  auto v4 = parseProcNetLine(
      "   3: 0A00020F:9C40 3564C6C6:0035 01 00000000:00000000 00:00000000 00000000  1000        0 123456 2 "
      "0000000000000000 20 4 0 10 -1",
      false);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->local.address.toString(), "15.2.0.10");  // little-endian words, as x86 prints them
  EXPECT_EQ(v4->local.port, 40000);
  EXPECT_EQ(v4->remote.port, 53);
  EXPECT_EQ(v4->uid, 1000u);
  EXPECT_EQ(v4->inode, 123456u);
  auto v6 = parseProcNetLine(
      "   0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 "
      "00:00000000 00000000     0        0 5555 2 0000000000000000 0",
      true);
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->local.address.isLoopback());
  EXPECT_EQ(v6->inode, 5555u);
  EXPECT_FALSE(parseProcNetLine("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid",
                                false));
}

TEST(ProcNet, ConnectedSocketsMatchBothEndsAndUnconnectedUdpItsPort) {
  namespace fs = std::filesystem;
  char templ[] = "/tmp/dnsleak-procnet-XXXXXX";
  std::string root = mkdtemp(templ);
  fs::create_directories(root + "/net");
  // 127.0.0.1:40000 -> 127.0.0.53:53 connected (inode 11); 0.0.0.0:40001 unconnected (inode 12).
  std::ofstream(root + "/net/udp")
      << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      << "   1: 0100007F:9C40 3500007F:0035 01 00000000:00000000 00:00000000 00000000   101        0 11 2 0 0\n"
      << "   2: 00000000:9C41 00000000:0000 07 00000000:00000000 00:00000000 00000000   102        0 12 2 0 0\n";
  auto connected = findSocketInProcNet(root, IPPROTO_UDP, ep("127.0.0.1", 40000), ep("127.0.0.53", 53));
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->inode, 11u);
  EXPECT_EQ(connected->uid, 101u);
  EXPECT_FALSE(connected->port_only);
  auto unconnected = findSocketInProcNet(root, IPPROTO_UDP, ep("192.0.2.10", 40001), ep("198.51.100.53", 53));
  ASSERT_TRUE(unconnected);
  EXPECT_EQ(unconnected->inode, 12u);
  EXPECT_TRUE(unconnected->port_only);
  EXPECT_FALSE(findSocketInProcNet(root, IPPROTO_UDP, ep("127.0.0.1", 40002), ep("127.0.0.53", 53)));
  EXPECT_FALSE(findSocketInProcNet(root, IPPROTO_TCP, ep("127.0.0.1", 40000), ep("127.0.0.53", 53)));  // no table
  fs::remove_all(root);
}

TEST(SendTimeTable, AGoneSenderIsNamedFromItsReportAndALiveOneFromProc) {
  namespace fs = std::filesystem;
  char templ[] = "/tmp/dnsleak-sendtime-XXXXXX";
  std::string root = mkdtemp(templ);
  fs::create_directories(root + "/50");
  std::ofstream(root + "/50/status") << "Name:\tbash\nTgid:\t50\nPPid:\t0\nUid:\t0\t0\t0\t0\n";
  // A cgroup v2 tree: the sender's cgroup id is its directory's inode.
  const std::string container_id = "3f2a9c0d1e4b5a6978812345abcdef0123456789abcdef0123456789abcdef01";
  const std::string scope = root + "/cgroup/system.slice/docker-" + container_id + ".scope";
  fs::create_directories(scope);
  struct stat st {};
  ASSERT_EQ(stat(scope.c_str(), &st), 0);
  SendTimeTable table(root, 2, root + "/cgroup");
  SendRecord gone{IPPROTO_UDP, ep("192.0.2.10", 40000), ep("198.51.100.53", 53), 1, 4121, 0, 50, "isc-net-0000",
                  "/nonexistent/bin/dig"};
  gone.cgroup_id = st.st_ino;
  table.add(gone);
  auto owner = table.find({IPPROTO_UDP, ep("192.0.2.10", 40000), ep("198.51.100.53", 53)});
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->process.pid, 4121u);
  EXPECT_EQ(owner->process.exe, "/nonexistent/bin/dig");
  EXPECT_EQ(owner->process.name, "dig");  // from the exe, not the thread's name
  ASSERT_EQ(owner->process.parents.size(), 1u);
  EXPECT_EQ(owner->process.parents[0].name, "bash");
  EXPECT_EQ(owner->attribution.method, "ebpf");
  EXPECT_EQ(owner->attribution.confidence, core::Confidence::kHigh);
  // Gone, yet its cgroup, unit and container are known from the cgroup id.
  EXPECT_EQ(owner->process.cgroup, "/system.slice/docker-" + container_id + ".scope");
  EXPECT_EQ(owner->process.unit, "docker-" + container_id + ".scope");
  EXPECT_EQ(owner->process.container_id, container_id);
  // Alive in /proc: its reading wins (the cmdline is only there).
  fs::create_directories(root + "/4200");
  std::ofstream(root + "/4200/status") << "Name:\tcurl\nTgid:\t4200\nPPid:\t50\nUid:\t1000\t1000\t0\t0\n";
  std::ofstream(root + "/4200/cmdline") << std::string("curl\0https://example.com\0", 25);
  table.add({IPPROTO_TCP, ep("192.0.2.10", 50000), ep("203.0.113.9", 443), 2, 4200, 1000, 50, "curl", ""});
  owner = table.find({IPPROTO_TCP, ep("192.0.2.10", 50000), ep("203.0.113.9", 443)});
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->process.cmdline, "curl https://example.com");
  // A flow reported from another namespace (a container's) answers for a
  // forwarded flow, while recent; one of ours never does.
  SendRecord container{IPPROTO_UDP, ep("10.99.0.2", 40000), ep("198.51.100.53", 53), 9, 4121, 0, 0, "dig", ""};
  container.here = false;
  table.add(container);
  const FlowQuery forwarded{IPPROTO_UDP, ep("10.99.0.2", 40000), ep("198.51.100.53", 53)};
  ASSERT_TRUE(table.findForwarded(forwarded, std::chrono::seconds(5)));
  EXPECT_FALSE(table.findForwarded(forwarded, std::chrono::seconds(0)));
  EXPECT_NE(table.find(forwarded)->attribution.detail.find("another network namespace"), std::string::npos);
  EXPECT_FALSE(table.findForwarded({IPPROTO_TCP, ep("192.0.2.10", 50000), ep("203.0.113.9", 443)},
                                   std::chrono::seconds(5)));
  // Bounded (2 here): each new flow pushes out the oldest.
  EXPECT_FALSE(table.find({IPPROTO_UDP, ep("192.0.2.10", 40000), ep("198.51.100.53", 53)}));
  table.add({IPPROTO_UDP, ep("192.0.2.10", 40001), ep("198.51.100.53", 53), 3, 4121, 0, 0, "dig", ""});
  EXPECT_FALSE(table.find({IPPROTO_TCP, ep("192.0.2.10", 50000), ep("203.0.113.9", 443)}));
  EXPECT_TRUE(table.find(forwarded));
  EXPECT_EQ(table.size(), 2u);
  fs::remove_all(root);
}

// The Windows provider's logic over fake tables (its API calls are
// compiled only on Windows).
class FakeTables : public OwnerTables {
 public:
  std::optional<std::vector<OwnerRow>> rows(std::uint8_t ip_protocol, bool) override {
    if (refuse) return std::nullopt;
    return ip_protocol == IPPROTO_TCP ? tcp : udp;
  }
  std::optional<core::ProcessInfo> process(std::uint32_t pid) override {
    if (pid == 9) return std::nullopt;  // exited
    core::ProcessInfo p;
    p.pid = pid;
    p.name = "app" + std::to_string(pid) + ".exe";
    return p;
  }
  std::vector<OwnerRow> tcp, udp;
  bool refuse = false;
};

TEST(TableFlowOwners, TcpByBothEndsUdpByItsBoundPortAndFailuresByReason) {
  auto tables = std::make_unique<FakeTables>();
  auto* t = tables.get();
  t->tcp = {{ep("192.0.2.10", 50000), ep("203.0.113.9", 443), 1},
            {ep("192.0.2.10", 50000), ep("203.0.113.8", 443), 2}};
  t->udp = {{ep("0.0.0.0", 40000), {}, 3}, {ep("192.0.2.10", 40000), {}, 4}, {ep("0.0.0.0", 40009), {}, 9}};
  TableFlowOwners owners(std::move(tables), "iphlpapi");
  auto tcp = owners.lookup({IPPROTO_TCP, ep("192.0.2.10", 50000), ep("203.0.113.8", 443)});
  EXPECT_EQ(tcp.process.pid, 2u);
  EXPECT_EQ(tcp.attribution.confidence, core::Confidence::kMedium);
  EXPECT_EQ(tcp.attribution.method, "iphlpapi");
  auto udp = owners.lookup({IPPROTO_UDP, ep("192.0.2.10", 40000), ep("198.51.100.53", 53)});
  EXPECT_EQ(udp.process.pid, 4u);  // bound to the address beats the wildcard
  EXPECT_EQ(udp.attribution.confidence, core::Confidence::kLow);
  auto wildcard = owners.lookup({IPPROTO_UDP, ep("192.0.2.11", 40000), ep("198.51.100.53", 53)});
  EXPECT_EQ(wildcard.process.pid, 3u);
  auto exited = owners.lookup({IPPROTO_UDP, ep("192.0.2.10", 40009), ep("198.51.100.53", 53)});
  EXPECT_EQ(exited.attribution.failure, core::AttributionFailure::kExited);
  EXPECT_EQ(exited.process.pid, 9u);
  auto missing = owners.lookup({IPPROTO_TCP, ep("192.0.2.10", 50001), ep("203.0.113.9", 443)});
  EXPECT_EQ(missing.attribution.failure, core::AttributionFailure::kNotFound);
  t->refuse = true;
  auto refused = owners.lookup({IPPROTO_TCP, ep("192.0.2.10", 50000), ep("203.0.113.9", 443)});
  EXPECT_EQ(refused.attribution.failure, core::AttributionFailure::kPermissionDenied);
}

}  // namespace
}  // namespace dnsleak::attribution
