// The daemon's life: ordered start-up steps, the main loop (signals, reload,
// watchdog) and an ordered tear-down. Each step reports its own failure in
// one sentence and the daemon exits non-zero.

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "api/metrics.h"
#include "api/server.h"
#include "app/config_loader.h"
#include "app/daemon_events.h"
#include "app/geoip.h"
#include "app/journal.h"
#include "app/logging.h"
#include "app/now.h"
#include "app/options.h"
#include "app/pipeline.h"
#include "app/privileges.h"
#include "app/service_manager.h"
#include "capture/interface_names.h"
#include "config/config.h"
#include "core/thread_name.h"
#include "decode/decoder.h"
#include "store/event_store.h"

#ifndef DNSLEAK_VERSION
#define DNSLEAK_VERSION "0.0.0"
#endif

namespace dnsleak::app {
namespace {

std::shared_ptr<const config::Config> withOverrides(std::shared_ptr<const config::Config> loaded,
                                                    const Options& options) {
  if (options.socket_override.empty() && options.log_level_override.empty() && !options.user_given) return loaded;
  auto copy = std::make_shared<config::Config>(*loaded);
  if (options.user_given) copy->user = options.user_override;
  if (!options.socket_override.empty()) copy->api.socket = options.socket_override;
  if (!options.log_level_override.empty()) copy->logging.level = options.log_level_override;
  return copy;
}

// Stores what the policy judged: every leak, and the rest when the config
// asks for it. Called on one thread: the attributor's worker, or the
// capture thread without one.
class StoreSink : public EventSink {
 public:
  // `no_owner` describes events that no attributor saw (replay, or
  // attribution off): the store packs it in their place.
  StoreSink(store::EventStore& store, const policy::PolicyHolder& policy, core::AttributionInfo no_owner)
      : store_(store), policy_(policy) {
    store_.setUnattributed(std::move(no_owner));
  }
  void onEvent(core::Event& event) override {
    const policy::Policy& policy = policy_.get();
    const auto& config = policy.config();
    if (event.verdict != core::Verdict::kLeak && !config.store.record_ok) return;
    if (const GeoIp* geoip = geoip_.current(policy.sharedConfig())) geoip->enrich(event);
    if (event.verdict != core::Verdict::kLeak) {
      store_.append(event);
      return;
    }
    last_leak_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    // Identical leaks fold into the first one of their window. The key is
    // only hashed, never shown: each text with its length before it (no
    // separator a name could contain), the resolver as its bytes.
    // Written in place into the reused string, sized once.
    const std::string_view texts[] = {event.rule, event.process.name, event.process.exe,
                                      event.dns.qname.empty() ? event.sni : event.dns.qname};
    const auto& resolver = event.resolver;
    const auto& address = resolver.address.bytes();
    std::size_t size = 1 + address.size() + 2 + 1;
    for (std::string_view text : texts) size += sizeof(std::uint32_t) + text.size();
    fold_key_.resize(size);
    char* at = fold_key_.data();
    for (std::string_view text : texts) {
      const auto length = static_cast<std::uint32_t>(text.size());
      std::memcpy(at, &length, sizeof length);
      at += sizeof length;
      if (!text.empty()) std::memcpy(at, text.data(), text.size());
      at += text.size();
    }
    *at++ = static_cast<char>(resolver.address.family());
    std::memcpy(at, address.data(), address.size());
    at += address.size();
    *at++ = static_cast<char>(resolver.port >> 8);
    *at++ = static_cast<char>(resolver.port & 0xff);
    *at = static_cast<char>(event.kind);
    store_.appendOrFold(event, fold_key_, std::chrono::seconds(config.store.fold_seconds));
  }

  // When the last leak was stored (steady clock), or nullopt. Any thread.
  std::optional<std::chrono::steady_clock::time_point> lastLeak() const {
    auto ticks = last_leak_.load(std::memory_order_relaxed);
    if (ticks == 0) return std::nullopt;
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ticks));
  }

 private:
  store::EventStore& store_;
  policy::PolicyView policy_;
  std::string fold_key_;  // reused
  GeoIpHolder geoip_;
  std::atomic<std::chrono::steady_clock::rep> last_leak_{0};
};

// systemd's STATUS= line: what is captured, and whether there were leaks.
std::string serviceStatus(const std::string& capturing_on, const Pipeline& pipeline, const StoreSink& sink) {
  std::uint64_t leaks = 0;
  for (const auto& [name, count] : pipeline.leaks()) leaks += count;
  std::string text = "capturing on " + capturing_on + "; ";
  auto last = sink.lastLeak();
  if (leaks == 0 || !last) return text + "no leaks";
  auto age = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - *last).count();
  std::string ago = age < 120 ? std::to_string(age) + " s" : age < 7200 ? std::to_string(age / 60) + " min"
                                                                        : std::to_string(age / 3600) + " h";
  return text + std::to_string(leaks) + " leak" + (leaks == 1 ? "" : "s") + ", last " + ago + " ago";
}

// The API's view of the running daemon: status and reload. gRPC threads
// and the main thread call it; config state is guarded by mutex_.
class DaemonControl : public api::ControlPlane {
 public:
  DaemonControl(const Options& options, std::shared_ptr<const config::Config> config,
                policy::PolicyHolder& policy, const Pipeline& pipeline, const capture::CaptureSource& source,
                std::function<std::string(std::uint32_t)> interface_names, ServiceManager& service)
      : options_(options),
        policy_(policy),
        pipeline_(pipeline),
        source_(source),
        interface_names_(std::move(interface_names)),
        service_(service),
        started_at_(wallNow()),
        config_(std::move(config)),
        loaded_at_(started_at_) {}

  api::StatusSnapshot status() const override {
    api::StatusSnapshot s;
    s.version = DNSLEAK_VERSION;
    s.started_at = started_at_;
    s.now = wallNow();
    {
      std::lock_guard lock(mutex_);
      s.profile = std::string(config::profileName(config_->profile));
      s.config_path = config_->path;
      s.config_generation = generation_;
      s.config_sha256 = config_->sha256;
      s.config_loaded_at = loaded_at_;
    }
    fillPipelineStatus(pipeline_, source_, interface_names_, s);
    if (const auto* attributor = attributor_.load()) fillAttributionStatus(*attributor, s.attribution);
    return s;
  }

  // Before the API starts.
  void setAttributor(const attribution::Attributor* attributor) { attributor_.store(attributor); }

  std::vector<api::HostInterfaceStatus> hostInterfaces() const override {
    auto sources = source_.stats();
    auto capturing = [&](const std::string& name) {
      for (const auto& s : sources) {
        if ((s.name == "any" || s.name == name) && s.state == "capturing") return true;
      }
      return false;
    };
    auto policy = policy_.current();
    auto found = capture::hostInterfaces();
    std::vector<std::string> names;
    for (const auto& h : found) names.push_back(h.name);
    auto checks = capture::checkCaptures(names, std::chrono::milliseconds(2000));
    std::vector<api::HostInterfaceStatus> out;
    for (std::size_t i = 0; i < found.size(); ++i) {
      const auto& h = found[i];
      api::HostInterfaceStatus o;
      o.name = h.name;
      o.index = h.index;
      o.kind = h.kind;
      o.state = h.state;
      o.addresses = h.addresses;
      o.loopback = h.loopback;
      o.captured = capturing(h.name);
      o.safe = policy->safeEgress(core::InterfaceInfo{h.index, h.name, h.kind});
      o.capturable = checks[i].ok;
      o.capture_check = checks[i].detail;
      out.push_back(std::move(o));
    }
    return out;
  }

  std::string adminGroup() const override {
    std::lock_guard lock(mutex_);
    return config_->api.admin_group;
  }

  api::ReloadOutcome reload() override {
    std::lock_guard reload_lock(reload_mutex_);
    service_.reloading();
    api::ReloadOutcome outcome;
    auto loaded = loadConfig(options_.config_path);
    std::shared_ptr<const config::Config> running;
    {
      std::lock_guard lock(mutex_);
      running = config_;
      outcome.generation = generation_;
      outcome.sha256 = config_->sha256;
    }
    if (!loaded.ok()) {
      spdlog::error("reload of {} refused; the running config (generation {}) stays:", options_.config_path,
                    outcome.generation);
      for (const auto& e : loaded.errors) spdlog::error("  {}", e.toString());
      outcome.errors = std::move(loaded.errors);
      service_.status("reload refused: config has errors; running generation " + std::to_string(outcome.generation));
      return outcome;
    }
    auto next = withOverrides(loaded.config, options_);
    for (const auto& key : config::restartOnlyChanges(*running, *next)) {
      outcome.warnings.push_back(key + " changed: it takes effect when dnsleakd restarts");
      spdlog::warn("{} changed: it takes effect when dnsleakd restarts", key);
    }
    policy_.publish(std::make_shared<policy::Policy>(next));
    spdlog::set_level(spdlog::level::from_str(next->logging.level));
    {
      std::lock_guard lock(mutex_);
      config_ = next;
      outcome.generation = ++generation_;
      outcome.sha256 = next->sha256;
      loaded_at_ = wallNow();
    }
    outcome.applied = true;
    spdlog::info("reloaded {} (generation {}, sha256 {})", options_.config_path, outcome.generation,
                 outcome.sha256.substr(0, 12));
    service_.status("reloaded config generation " + std::to_string(outcome.generation));
    return outcome;
  }

 private:
  const Options& options_;
  policy::PolicyHolder& policy_;
  const Pipeline& pipeline_;
  const capture::CaptureSource& source_;
  const std::function<std::string(std::uint32_t)> interface_names_;  // callable from any thread
  ServiceManager& service_;
  const core::Timestamp started_at_;
  std::mutex reload_mutex_;  // one reload at a time (SIGHUP and the RPC)
  mutable std::mutex mutex_;
  std::atomic<const attribution::Attributor*> attributor_{nullptr};
  std::shared_ptr<const config::Config> config_;  // guarded by mutex_
  std::uint64_t generation_ = 1;                  // guarded by mutex_
  core::Timestamp loaded_at_;                     // guarded by mutex_
};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

int runCheckConfig(const std::string& path) {
  auto loaded = loadConfig(path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
    std::fprintf(stderr, "%s: %zu error%s\n", path.c_str(), loaded.errors.size(), loaded.errors.size() == 1 ? "" : "s");
    return kExitInvalidConfig;
  }
  std::printf("%s: ok (profile %s, sha256 %s)\n", path.c_str(),
              std::string(config::profileName(loaded.config->profile)).c_str(), loaded.config->sha256.c_str());
  return kExitOk;
}

int runDaemon(const Options& options) {
  // Stop and reload requests go to the main loop (on Linux, signals,
  // blocked here before any thread starts so that every thread inherits
  // the mask).
  auto events = makeDaemonEvents();

  setUpLogging(options.log_level_override.empty() ? "info" : options.log_level_override,
               journalWanted(config::JournalMode::kAuto));

  // 1. Config.
  auto loaded = loadConfig(options.config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) spdlog::error("{}", e.toString());
    spdlog::error("dnsleakd not started: {} has {} error(s)", options.config_path, loaded.errors.size());
    return kExitInvalidConfig;
  }
  auto config = withOverrides(loaded.config, options);
  const bool journal = journalWanted(config->logging.journal);
  setUpLogging(config->logging.level, journal);
  auto service = makeServiceManager();

  // 2. The API socket, which may need root (a directory in /run).
  RunAs run_as = resolveRunAs(config->user);
  std::unique_ptr<api::ApiEndpoint> endpoint;
  try {
    endpoint = api::makeUnixSocketEndpoint(config->api.socket, config->api.group,
                                           run_as.switch_user ? static_cast<long>(run_as.uid) : -1L);
  } catch (const std::exception& e) {
    spdlog::error("dnsleakd not started: {}", e.what());
    return kExitStartupFailed;
  }
  // 3. Store and policy.
  store::EventStore store(config->store.capacity);
  policy::PolicyHolder policy(std::make_shared<policy::Policy>(config));
  // Process attribution (live capture only: a capture file's processes are
  // not this host's now). Its provider is made first: whether the eBPF
  // hooks loaded decides how capture delivers packets.
  const bool live = options.replay_file.empty();
  std::unique_ptr<attribution::FlowOwnerProvider> provider;
  bool send_time_hooks = false;
  if (live && config->attribution.enabled) {
    provider = attribution::makeFlowOwnerProvider({config->attribution.ebpf});
    auto ebpf = provider->status().ebpf;
    send_time_hooks = ebpf.rfind("loaded", 0) == 0;
    if (send_time_hooks) {
      spdlog::info("process attribution: eBPF send-time hooks {}", ebpf);
    } else {
      spdlog::warn("process attribution: eBPF {}; using socket diagnostics and /proc", ebpf);
    }
  }

  // 4. Capture source.
  std::unique_ptr<capture::CaptureSource> source;
  std::unique_ptr<capture::InterfaceNames> names;
  std::function<std::string(std::uint32_t)> status_names;  // for the control plane's threads
  std::string capturing_on;
  try {
    if (options.replay_file.empty()) {
      capture::LiveOptions live;
      live.interfaces = config->capture.interfaces;
      live.snaplen = config->capture.snaplen;
      live.buffer_bytes = config->capture.buffer_kib * 1024;
      live.timeout_ms = config->capture.delivery_ms;
      live.quiet_ms = config->capture.quiet_delivery_ms;
      live.promiscuous = config->capture.promiscuous;
      live.tunnels = config->capture.tunnels;
      live.connections = config->correlation.enabled;
      // Without send-time hooks, each packet at once: a short-lived
      // sender's socket is there for socket diagnostics only for a moment.
      // (Under a flood the source batches again: each packet at once would
      // cost it packets. With the hooks, the sender is recorded at send
      // time and batching loses nothing.)
      live.immediate = provider && !send_time_hooks;
      // Asked for, each packet at once while someone watches: the batching
      // delay (up to delivery_ms) was most of a watcher's wait at light
      // traffic. Off by default: a flood that starts while watched overruns
      // the immediate ring before capture batches again.
      live.immediate_when_prompt = config->capture.immediate_when_watched && !live.immediate;
      if (live.immediate || live.immediate_when_prompt) {
        spdlog::info("capture: each packet delivered at once while {}fewer than {} a second come ({}){}",
                     live.immediate ? "" : "someone watches and ", capture::kQuietMostPerSecond,
                     live.immediate ? "attribution without the eBPF hooks" : "capture.immediate_when_watched",
                     live.snaplen > capture::kImmediateSnaplen
                         ? fmt::format(", kept to its first {} bytes so that the capture buffer holds more of them "
                                       "(capture.snaplen is {})",
                                       capture::kImmediateSnaplen, live.snaplen)
                         : std::string());
      }
      live.link_types = decode::supportedLinkTypes();
      for (const auto& [name, own] : config->capture.per_interface) {
        live.per_interface[name] = {own.snaplen, own.buffer_kib * 1024, own.filter};
      }
      source = capture::openLive(live);
      names = std::make_unique<capture::KernelInterfaceNames>();
      status_names = capture::currentInterfaceName;
      capturing_on = joined(config->capture.interfaces);
    } else {
      source = capture::openFile({options.replay_file, options.replay_speed, decode::supportedLinkTypes()});
      auto file_names = std::make_unique<capture::StaticInterfaceNames>(options.ifnames, options.interface_name);
      status_names = [table = file_names.get()](std::uint32_t index) { return table->lookup(index); };
      names = std::move(file_names);
      capturing_on = "replay of " + options.replay_file;
    }
  } catch (const capture::CaptureError& e) {
    spdlog::error("dnsleakd not started: {}", e.what());
    return kExitStartupFailed;
  }

  // 5. Everything that may need root is open (the socket, the eBPF hooks,
  // which may mount a cgroup2 hierarchy, capture): started as root, the
  // daemon now becomes its user with only the capabilities it keeps
  // needing, before any thread exists (capabilities are per thread).
  if (run_as.drop) {
    if (!run_as.warning.empty()) spdlog::warn("{}", run_as.warning);
    if (auto error = dropPrivileges(run_as); !error.empty()) {
      spdlog::error("dnsleakd not started: {}", error);
      return kExitStartupFailed;
    }
    spdlog::info("running as {} (uid {}) with {}", run_as.switch_user ? run_as.name : "root", geteuid(),
                 currentCapabilities());
  }

  // Every stored leak also as one structured journal entry, folded.
  std::unique_ptr<LeakJournal> leak_journal;
  if (journal) {
    leak_journal = std::make_unique<LeakJournal>(
        store, [&policy] { return std::chrono::seconds(policy.current()->config().store.fold_seconds); },
        LeakJournal::Options{});
  }

  core::AttributionInfo no_owner;
  no_owner.confidence = core::Confidence::kNone;
  no_owner.failure = live ? core::AttributionFailure::kDisabled : core::AttributionFailure::kOffline;
  no_owner.detail = live ? "attribution.enabled is false" : "read from a capture file";
  StoreSink sink(store, policy, no_owner);
  Pipeline pipeline(policy, *names, sink);
  pipeline.setOffline(!live);
  std::unique_ptr<attribution::Attributor> attributor;
  if (provider) {
    attribution::AttributorOptions attributor_options;
    attributor_options.lookup_capacity = config->attribution.queue;
    attributor = std::make_unique<attribution::Attributor>(
        std::move(provider), attributor_options,
        [&pipeline](core::Event& event, bool judged) { pipeline.finish(event, judged); });
    pipeline.setAttributor(attributor.get());
  }
  DaemonControl control(options, config, policy, pipeline, *source, status_names, *service);
  control.setAttributor(attributor.get());

  // 6. API, on the socket made above. Capture reads promptly while someone
  // watches (and under load), and may read less often otherwise.
  api::ApiServer server(store, control);
  server.onWatching([&source](bool watching) { source->setPrompt(watching); });
  try {
    server.start(std::move(endpoint));
  } catch (const std::exception& e) {
    spdlog::error("dnsleakd not started: {}", e.what());
    return kExitStartupFailed;
  }

  // 7. Capture thread.
  std::atomic<bool> capture_ended{false};
  std::thread capture_thread([&] {
    core::nameThisThread("dl-capture");
    source->run(pipeline);
    capture_ended.store(true);
    events->captureEnded();
  });

  spdlog::info("dnsleakd {} ready: profile {}, capturing on {}, API on {}", DNSLEAK_VERSION,
               config::profileName(config->profile), capturing_on, server.describe());
  service->ready(serviceStatus(capturing_on, pipeline, sink));

  // 8. Main loop.
  auto watchdog = service->watchdogInterval();
  // Woken at least every 5 s to keep STATUS= current, and at half the
  // watchdog interval.
  int timeout_ms = 5000;
  if (watchdog.count() > 0) timeout_ms = std::min(timeout_ms, static_cast<int>(watchdog.count() / 2000));
  // And at least once a second while a metrics file is configured.
  if (!config->metrics.textfile.empty()) timeout_ms = std::min(timeout_ms, 1000);
  int exit_code = kExitOk;
  bool running = true;
  // metrics.textfile, written when due; a failure is logged once until it
  // works again.
  auto next_metrics = std::chrono::steady_clock::now();
  std::string metrics_failure;
  auto writeMetrics = [&] {
    const auto& metrics = policy.current()->config().metrics;
    if (metrics.textfile.empty() || std::chrono::steady_clock::now() < next_metrics) return;
    next_metrics = std::chrono::steady_clock::now() + std::chrono::seconds(metrics.interval_seconds);
    std::string failure = api::writeFileAtomically(metrics.textfile, server.metricsText());
    if (!failure.empty() && failure != metrics_failure) spdlog::warn("metrics.textfile: {}", failure);
    if (failure.empty() && !metrics_failure.empty()) spdlog::info("metrics.textfile: written again");
    metrics_failure = failure;
  };
  while (running) {
    writeMetrics();
    DaemonEvent event = events->wait(std::chrono::milliseconds(timeout_ms));
    // The watchdog is fed only while capture runs: a dead capture thread
    // lets systemd restart the daemon.
    if (watchdog.count() > 0 && !capture_ended.load()) service->watchdog();
    service->status(serviceStatus(capturing_on, pipeline, sink));
    switch (event.kind) {
      case DaemonEvent::Kind::kNone:
        break;
      case DaemonEvent::Kind::kReload:
        spdlog::info("{}: reloading {}", event.source, options.config_path);
        control.reload();
        break;
      case DaemonEvent::Kind::kStop:
        spdlog::info("{}: shutting down", event.source);
        running = false;
        break;
      case DaemonEvent::Kind::kCaptureEnded:
        if (options.replay_file.empty()) {
          auto stats = source->stats();
          spdlog::error("capture stopped unexpectedly{}: exiting",
                        stats.empty() || stats[0].error.empty() ? "" : " (" + stats[0].error + ")");
          exit_code = kExitStartupFailed;
          running = false;
        } else {
          spdlog::info("replay of {} finished; still serving the API until stopped", options.replay_file);
        }
        break;
    }
  }

  // 9. Tear-down, in reverse.
  service->stopping();
  source->stop();
  capture_thread.join();
  control.setAttributor(nullptr);  // status from here on has no attribution part
  // What waits goes out: held connections through the attributor, which
  // then delivers its queue (responses among it complete exchanges), then
  // the queries still waiting for their responses.
  pipeline.emitHeldConnections(core::Timestamp::max());
  attributor.reset();
  pipeline.setAttributor(nullptr);
  pipeline.expireExchanges(core::Timestamp::max());
  leak_journal.reset();  // writes what is pending
  server.stop();
  spdlog::info("dnsleakd stopped");
  return exit_code;
}

}  // namespace dnsleak::app
