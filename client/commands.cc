#include "commands.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "channel.h"
#include "dnsleak/v1/dnsleak.grpc.pb.h"
#include "platform.h"
#include "render.h"

namespace dnsleak::client {
namespace {

// Events a Watch message may bring (WatchRequest.max_batch; the daemon
// takes at most 512).
constexpr std::uint32_t kWatchBatch = 256;

// Connects and checks who serves the socket (platform.h); says why not
// unless `quiet`. kExitOk with the socket in *handle_out (closed when
// handle_out is null), or an exit code.
int connectToDaemon(const std::string& path, std::intptr_t* handle_out, bool quiet = false) {
  DaemonSocket s = client::connectToDaemon(path);
  if (s.code != kExitOk) {
    if (!quiet) std::cerr << s.why;
    return s.code;
  }
  if (handle_out != nullptr) {
    *handle_out = s.handle;
  } else {
    closeDaemonSocket(s.handle);
  }
  return kExitOk;
}

int probeSocket(const std::string& path) { return connectToDaemon(path, nullptr); }

// One connection to the daemon, over a socket this client connected and
// checked itself, so that gRPC talks to the process that was checked.
class Connection {
 public:
  explicit Connection(const CommonOptions& common) : common_(common) {}

  // Connects; kExitOk, or an exit code once said why (unless `quiet`).
  int open(bool quiet = false) {
    std::intptr_t handle = -1;
    if (int rc = connectToDaemon(common_.socket, &handle, quiet)) return rc;
    stub_ = v1::DnsLeak::NewStub(channelOver(common_.socket, handle));
    return kExitOk;
  }

  v1::DnsLeak::Stub& stub() { return *stub_; }

  void setDeadline(grpc::ClientContext& context) const {
    if (common_.timeout_seconds > 0) {
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(static_cast<long long>(common_.timeout_seconds * 1000)));
    }
  }

  // Turns a failed call into one sentence and an exit code.
  int fail(const grpc::Status& status) const {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      if (status.error_message() == "dnsleakd is shutting down") {
        std::cerr << "dnsleakctl: dnsleakd at " << common_.socket << " is shutting down\n";
        return kExitNotRunning;
      }
      // The daemon went away, or it closed this connection because of who
      // we are. A second look at the socket tells which.
      if (int rc = probeSocket(common_.socket)) return rc;
      std::cerr << "dnsleakctl: dnsleakd at " << common_.socket
                << " closed the connection: it accepts only root, its own user and " << whoMayConnect(common_.socket)
                << " [" << status.error_message() << "]\n";
      return kExitPermission;
    }
    if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      std::cerr << "dnsleakctl: " << status.error_message() << "\n";
      return kExitPermission;
    }
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::cerr << "dnsleakctl: dnsleakd at " << common_.socket << " did not answer within "
                << common_.timeout_seconds << " s\n";
      return kExitFailed;
    }
    std::cerr << "dnsleakctl: dnsleakd at " << common_.socket << " answered with an error: "
              << status.error_message() << " (code " << status.error_code() << ")\n";
    return kExitFailed;
  }

 private:
  const CommonOptions& common_;
  std::unique_ptr<v1::DnsLeak::Stub> stub_;
};

bool parseSince(const std::string& text, google::protobuf::Timestamp* out) {
  if (text.empty()) return true;
  // A duration back from now: 30s, 15m, 2h, 7d.
  char unit = text.back();
  std::string number = text.substr(0, text.size() - 1);
  if (!number.empty() && number.find_first_not_of("0123456789") == std::string::npos &&
      (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd')) {
    long long n = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (ec != std::errc() || end != number.data() + number.size()) return false;
    const long long per = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    // Further back than 1970 is everything stored.
    out->set_seconds(n > now / per ? 0 : now - n * per);
    return true;
  }
  return google::protobuf::util::TimeUtil::FromString(text, out);
}

// One request, one answer, printed as JSON or for a person. `call` is the
// stub method; the exit code is `ok_code(response)` on success.
template <typename Request, typename Response, typename Call, typename Render, typename OkCode>
int unary(const CommonOptions& common, const Request& request, Call call, Render render, OkCode ok_code) {
  Connection connection(common);
  if (int rc = connection.open()) return rc;
  grpc::ClientContext context;
  connection.setDeadline(context);
  Response response;
  auto status = (connection.stub().*call)(&context, request, &response);
  if (!status.ok()) return connection.fail(status);
  std::cout << (common.json ? toJson(response) + "\n" : render(response));
  return ok_code(response);
}

template <typename Response>
int alwaysOk(const Response&) {
  return kExitOk;
}

bool useColour(const CommonOptions& common) {
  if (common.colour == "always") return true;
  if (common.colour == "never") return false;
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return isTerminal(Stream::kOut) && !(no_colour && *no_colour) && !(term && std::string(term) == "dumb");
}

bool parseWindow(const std::string& option, const std::string& text, google::protobuf::Timestamp* out) {
  if (parseSince(text, out)) return true;
  std::cerr << "dnsleakctl: " << option << " takes a duration (30s, 15m, 2h, 7d) or an RFC 3339 time, not '" << text
            << "'\n";
  return false;
}

// One unary call; false (with `rc` set and the reason said) when it failed.
template <typename Request, typename Response, typename Call>
bool call(Connection& connection, Call method, const Request& request, Response* response, int& rc) {
  grpc::ClientContext context;
  connection.setDeadline(context);
  auto status = (connection.stub().*method)(&context, request, response);
  if (!status.ok()) rc = connection.fail(status);
  return status.ok();
}

}  // namespace

int runStatus(const CommonOptions& common) {
  return unary<v1::GetStatusRequest, v1::GetStatusResponse>(common, {}, &v1::DnsLeak::Stub::GetStatus, renderStatus,
                                                             alwaysOk<v1::GetStatusResponse>);
}

int runCheck(const CommonOptions& common, const CheckOptions& options) {
  v1::GetReportRequest request;
  if (!parseWindow("--since", options.since, request.mutable_since())) return kExitUsage;
  request.set_group_by(v1::REPORT_GROUPING_RULE);
  Connection connection(common);
  if (int rc = connection.open()) return rc;
  v1::GetReportResponse report;
  int rc = kExitOk;
  if (!call(connection, &v1::DnsLeak::Stub::GetReport, request, &report, rc)) return rc;
  std::uint64_t leaks = 0;
  for (const auto& l : report.leaks()) leaks += l.count();
  if (common.json) {
    std::cout << reportToJson(report) << "\n";
  } else if (leaks == 0) {
    std::cout << "OK: no leaks since " << formatLocalTime(request.since().seconds(), true) << "\n";
  } else {
    std::string types;
    for (const auto& l : report.leaks()) {
      if (l.count()) types += (types.empty() ? "" : ", ") + l.name() + " " + std::to_string(l.count());
    }
    std::cout << "LEAKING: " << leaks << (leaks == 1 ? " leak" : " leaks") << " since "
              << formatLocalTime(request.since().seconds(), true) << " (" << types << ")";
    if (report.rows_size() > 0) std::cout << "; most: " << report.rows(0).key() << " x" << report.rows(0).count();
    std::cout << "\n";
  }
  return leaks > 0 ? kExitLeaks : kExitOk;
}

int runMetrics(const CommonOptions& common) {
  return unary<v1::GetMetricsRequest, v1::GetMetricsResponse>(
      common, {}, &v1::DnsLeak::Stub::GetMetrics, [](const v1::GetMetricsResponse& r) { return r.text(); },
      alwaysOk<v1::GetMetricsResponse>);
}

int runInterfaces(const CommonOptions& common, bool all) {
  v1::ListInterfacesRequest request;
  request.set_all(all);
  return unary<v1::ListInterfacesRequest, v1::ListInterfacesResponse>(
      common, request, &v1::DnsLeak::Stub::ListInterfaces, renderInterfaces, alwaysOk<v1::ListInterfacesResponse>);
}

int runReload(const CommonOptions& common) {
  return unary<v1::ReloadConfigRequest, v1::ReloadConfigResponse>(
      common, {}, &v1::DnsLeak::Stub::ReloadConfig, renderReload,
      [](const v1::ReloadConfigResponse& r) { return r.applied() ? kExitOk : kExitFailed; });
}

namespace {

// A bar on standard error while a capture file is read (only on a terminal).
void drawProgress(const v1::CaptureInterfaceStatus& c, bool done) {
  if (!isTerminal(Stream::kErr) || c.file_size() == 0) return;
  const double share = done ? 1.0 : std::min(1.0, static_cast<double>(c.file_offset()) / static_cast<double>(c.file_size()));
  const int width = 30;
  const int filled = static_cast<int>(share * width);
  std::fprintf(stderr, "\r[%s%s] %3.0f%%  %llu packets, %.1f of %.1f MB%s", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), share * 100, static_cast<unsigned long long>(c.packets_received()),
               static_cast<double>(done ? c.file_size() : c.file_offset()) / 1e6, static_cast<double>(c.file_size()) / 1e6,
               done ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace

int runReportFile(const CommonOptions& common, const ReportOptions& options) {
  if (!std::ifstream(options.file, std::ios::binary)) {
    std::cerr << "dnsleakctl: cannot read " << options.file << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  // A private daemon, the file as its packet source, on a socket of its own.
  std::string error;
  const std::string dir = makePrivateDirectory(error);
  if (dir.empty()) {
    std::cerr << "dnsleakctl: cannot make a temporary directory: " << error << "\n";
    return kExitFailed;
  }
  CommonOptions private_daemon = common;
  private_daemon.socket = (std::filesystem::path(dir) / "dnsleakd.sock").string();
  std::string config = options.config;
  if (config.empty()) {
    config = (std::filesystem::path(dir) / "dnsleakd.yaml").string();
    // The built-in defaults, a store large enough for a long capture, and a
    // socket for this user alone.
    std::ofstream(config) << "store: {capacity: 1000000, fold_seconds: 60}\napi: {group: \"\"}\n";
  }
  const std::string log = (std::filesystem::path(dir) / "dnsleakd.log").string();
  const std::string program = findDaemon();
  auto daemon = startPrivateDaemon(program,
                                   {"--config", config, "--socket", private_daemon.socket, "--user", "", "--replay",
                                    options.file, "--replay-speed", "0"},
                                   log, error);
  auto cleanup = [&](int rc) {
    if (daemon) daemon->stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return rc;
  };
  if (!daemon) {
    std::cerr << "dnsleakctl: cannot run " << program << ": " << error << "\n";
    return cleanup(kExitFailed);
  }
  auto daemonLog = [&] {
    std::ifstream in(log);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  // Until the file is read whole, with a bar on a terminal.
  for (;;) {
    if (daemon->exited()) {
      std::cerr << "dnsleakctl: dnsleakd could not read " << options.file << ":\n" << daemonLog();
      return cleanup(kExitFailed);
    }
    std::error_code ignored;
    if (std::filesystem::exists(private_daemon.socket, ignored)) {
      Connection connection(private_daemon);
      v1::GetStatusResponse s;
      int rc = kExitOk;
      if (connection.open(/*quiet=*/true) == kExitOk && call(connection, &v1::DnsLeak::Stub::GetStatus, v1::GetStatusRequest{}, &s, rc) && s.capture_size() > 0) {
        const auto& c = s.capture(0);
        if (c.state() == "finished" || c.state() == "failed") {
          drawProgress(c, true);
          if (c.state() == "failed") std::cerr << "dnsleakctl: reading stopped early: " << c.error() << "\n";
          break;
        }
        drawProgress(c, false);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ReportOptions report = options;
  report.file.clear();
  return cleanup(runReport(private_daemon, report));
}

int runReport(const CommonOptions& common, const ReportOptions& options) {
  if (!options.file.empty()) return runReportFile(common, options);
  v1::GetReportRequest request;
  if (!options.since.empty() && !parseWindow("--since", options.since, request.mutable_since())) return kExitUsage;
  if (!options.until.empty() && !parseWindow("--until", options.until, request.mutable_until())) return kExitUsage;
  // Compared as (seconds, nanos): in nanoseconds the year 9999 overflows.
  auto instant = [](const google::protobuf::Timestamp& t) { return std::pair(t.seconds(), t.nanos()); };
  if (request.has_since() && request.has_until() && instant(request.until()) < instant(request.since())) {
    std::cerr << "dnsleakctl: --until " << options.until << " is before --since " << options.since
              << ": the window is empty\n";
    return kExitUsage;
  }
  static const std::pair<const char*, v1::ReportGrouping> kGroupings[] = {
      {"rule", v1::REPORT_GROUPING_RULE},           {"qname", v1::REPORT_GROUPING_QNAME},
      {"domain", v1::REPORT_GROUPING_QNAME},        {"resolver", v1::REPORT_GROUPING_RESOLVER},
      {"interface", v1::REPORT_GROUPING_INTERFACE}, {"process", v1::REPORT_GROUPING_PROCESS},
      {"transport", v1::REPORT_GROUPING_TRANSPORT}, {"country", v1::REPORT_GROUPING_COUNTRY},
      {"asn", v1::REPORT_GROUPING_ASN}};
  for (const auto& [name, value] : kGroupings) {
    if (options.group_by == name) request.set_group_by(value);
  }
  request.set_include_ok(options.all);
  const std::string format = common.json ? "json" : options.format;

  Connection connection(common);
  if (int rc = connection.open()) return rc;
  v1::GetReportResponse report;
  int rc = kExitOk;
  if (!call(connection, &v1::DnsLeak::Stub::GetReport, request, &report, rc)) return rc;
  std::string text;
  // JSON is written as it is made (a report can hold 100k rows).
  const bool json = format == "json";
  auto write = [&](std::ostream& out) {
    if (json) {
      writeReportJson(out, report);
      out << "\n";
    } else {
      out << text;
    }
  };
  if (format == "csv") {
    text = renderReportCsv(report);
  } else if (format == "html") {
    // The charts by process and by resolver are the same window grouped so.
    v1::GetReportResponse by_process, by_resolver;
    request.set_group_by(v1::REPORT_GROUPING_PROCESS);
    if (!call(connection, &v1::DnsLeak::Stub::GetReport, request, &by_process, rc)) return rc;
    request.set_group_by(v1::REPORT_GROUPING_RESOLVER);
    if (!call(connection, &v1::DnsLeak::Stub::GetReport, request, &by_resolver, rc)) return rc;
    text = renderReportHtml(report, by_process, by_resolver);
  } else if (!json) {
    text = renderReport(report);
  }
  if (options.output.empty()) {
    write(std::cout);
    return kExitOk;
  }
  // Written beside and renamed: a reader never sees half a report.
  const std::string temporary = options.output + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    write(out);
    if (!out.flush()) {
      std::cerr << "dnsleakctl: cannot write " << temporary << ": " << std::strerror(errno) << "\n";
      return kExitFailed;
    }
  }
  if (std::rename(temporary.c_str(), options.output.c_str()) != 0) {
    std::cerr << "dnsleakctl: cannot write " << options.output << ": " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

int runWatch(const CommonOptions& common, const WatchOptions& options) {
  v1::WatchRequest request;
  if (!options.all) request.add_verdicts(v1::VERDICT_LEAK);
  for (const auto& t : options.leak_types) {
    if (t.size() == 1 && t[0] >= 'A' && t[0] <= 'D') {
      request.add_leak_types(static_cast<v1::LeakType>(t[0] - 'A' + 1));
    } else if (t == "tunnel" || t == "T") {
      request.add_leak_types(v1::LEAK_TYPE_TUNNEL);
    } else {
      std::cerr << "dnsleakctl: --leak-type takes A, B, C, D or tunnel, not '" << t << "'\n";
      return kExitUsage;
    }
  }
  for (const auto& t : options.transports) {
    std::string name = "TRANSPORT_";
    for (char c : t) name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    v1::Transport value;
    if (!v1::Transport_Parse(name, &value) || value == v1::TRANSPORT_UNSPECIFIED) {
      std::cerr << "dnsleakctl: unknown transport '" << t
                << "' (dns-udp, dns-tcp, dns-http, dot, doh, doq, dnscrypt, mdns, llmnr, nbns)\n";
      return kExitUsage;
    }
    request.add_transports(value);
  }
  for (const auto& r : options.rules) request.add_rules(r);
  for (const auto& p : options.processes) request.add_processes(p);
  for (const auto& n : options.names) request.add_names(n);
  // Stored events come several to a message; a live one comes alone.
  request.set_max_batch(kWatchBatch);
  if (!options.since.empty() && !parseWindow("--since", options.since, request.mutable_since())) return kExitUsage;
  // --since reads the stored events from the first one on.
  std::uint64_t next_seq = options.from_seq != 0 ? options.from_seq : request.has_since() ? 1 : 0;

  Style style;
  style.colour = !common.json && useColour(common);
  style.verbose = options.verbose;
  const auto deadline = options.duration_seconds > 0
                            ? std::chrono::system_clock::now() +
                                  std::chrono::milliseconds(static_cast<long long>(options.duration_seconds * 1000))
                            : std::chrono::system_clock::time_point::max();
  if (!common.json && isTerminal(Stream::kOut)) std::cout << renderEventHeader(style) << "\n" << std::flush;

  std::uint64_t events = 0;
  std::string daemon_seen;  // the daemon followed: its pid and start time
  bool waiting_said = false;
  for (;;) {
    Connection connection(common);
    if (int rc = connection.open(/*quiet=*/options.follow && waiting_said)) {
      // Following, a daemon away is waited for, said once.
      if (!options.follow || rc == kExitPermission || rc == kExitUsage) return rc;
      if (!waiting_said) std::cerr << "dnsleakctl: waiting for dnsleakd to come back (--follow)\n";
      waiting_said = true;
      if (std::chrono::system_clock::now() >= deadline) return kExitOk;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    if (options.follow) {
      v1::GetStatusResponse status;
      int rc = kExitOk;
      if (!call(connection, &v1::DnsLeak::Stub::GetStatus, v1::GetStatusRequest{}, &status, rc)) {
        if (rc == kExitPermission) return rc;
        if (std::chrono::system_clock::now() >= deadline) return kExitOk;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      const std::string daemon = std::to_string(status.pid()) + "@" + std::to_string(status.started_at().seconds()) +
                                 "." + std::to_string(status.started_at().nanos());
      if (!daemon_seen.empty() && daemon != daemon_seen) {
        // A new daemon: its sequence numbers start again, and everything it
        // stored is new to this client.
        std::cerr << "dnsleakctl: dnsleakd restarted (pid " << status.pid() << "); following its events from seq 1"
                  << " (" << status.store().last_seq() << " stored since it started)\n";
        next_seq = 1;
      } else if (!daemon_seen.empty()) {
        std::cerr << "dnsleakctl: reconnected to dnsleakd (pid " << status.pid() << ")\n";
      }
      daemon_seen = daemon;
      waiting_said = false;
      // "From now on" is pinned to a number, so a reconnect resumes there.
      if (next_seq == 0) next_seq = status.store().last_seq() + 1;
    }
    request.set_from_seq(next_seq);
    grpc::ClientContext context;
    if (deadline != std::chrono::system_clock::time_point::max()) context.set_deadline(deadline);
    auto reader = connection.stub().Watch(&context, request);
    v1::WatchResponse response;
    bool counted_out = false;
    v1::WatchResponse line;
    // Prints one event (taking it for a JSON line); false once --count is
    // reached.
    auto print = [&](v1::Event& event) {
      next_seq = event.seq() + 1;
      if (common.json) {
        // One WatchResponse a line, as without batches.
        line.mutable_event()->Swap(&event);
        std::cout << toJson(line) << "\n";
      } else {
        std::cout << renderEvent(event, style) << "\n";
      }
      return options.count == 0 || ++events < options.count;
    };
    while (!counted_out && reader->Read(&response)) {
      if (response.has_gap()) {
        next_seq = response.gap().to_seq() + 1;
        if (common.json) {
          std::cout << toJson(response) << "\n";
        } else {
          std::cout << "!! missed " << response.gap().missed() << " events (seq " << response.gap().from_seq() << ".."
                    << response.gap().to_seq() << "): they left the daemon's ring before this client read them\n";
        }
      } else if (response.has_event()) {
        counted_out = !print(*response.mutable_event());
      } else {
        for (auto& event : *response.mutable_batch()->mutable_events()) {
          if ((counted_out = !print(event))) break;
        }
      }
      std::cout << std::flush;
    }
    if (counted_out) context.TryCancel();
    auto status = reader->Finish();
    if (counted_out) return kExitOk;
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && options.duration_seconds > 0) return kExitOk;
    if (status.ok()) return kExitOk;
    if (!options.follow || status.error_code() != grpc::StatusCode::UNAVAILABLE) return connection.fail(status);
    // The daemon stopped (or the connection broke): wait for it and resume
    // after the last event read.
    std::cerr << "dnsleakctl: dnsleakd went away (" << status.error_message() << "); following (--follow)\n";
    waiting_said = true;
    if (std::chrono::system_clock::now() >= deadline) return kExitOk;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace dnsleak::client
