// The service seam on Windows: the service control manager and the Event
// Log. windows_service.h says how the SCM's states map to the daemon's.

#include <windows.h>
#include <winsvc.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "app/windows_service.h"
#include "platform/windows_text.h"

namespace dnsleak::app {
namespace {

using platform::narrow;
using platform::systemMessage;
using platform::widen;

constexpr DWORD kStartHintMs = 30000;
constexpr DWORD kStopHintMs = 30000;

// One service per process: the SCM's callbacks take no context of ours
// but the handler's, so the running service is reached through here.
struct RunningService {
  std::string name;
  std::wstring wide_name;
  const ServiceBody* body = nullptr;
  SERVICE_STATUS_HANDLE handle = nullptr;
  std::mutex mutex;  // guards status and requests
  SERVICE_STATUS status{};
  ServiceRequests requests;
  std::string last_status;
  int exit_code = 0;
};
RunningService* running = nullptr;

// Reports `state` to the SCM. Pending states carry a checkpoint that grows
// with each report and a hint of how long until the next.
void report(RunningService& s, DWORD state, DWORD wait_hint_ms) {
  std::lock_guard lock(s.mutex);
  s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.status.dwCurrentState = state;
  s.status.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE : 0;
  s.status.dwWaitHint = wait_hint_ms;
  const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
  s.status.dwCheckPoint = pending ? s.status.dwCheckPoint + 1 : 0;
  SetServiceStatus(s.handle, &s.status);
}

DWORD WINAPI onControl(DWORD control, DWORD, void*, void* context) {
  auto& s = *static_cast<RunningService*>(context);
  std::function<void()> request;
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      report(s, SERVICE_STOP_PENDING, kStopHintMs);
      {
        std::lock_guard lock(s.mutex);
        request = s.requests.stop;
      }
      break;
    case SERVICE_CONTROL_PARAMCHANGE: {
      std::lock_guard lock(s.mutex);
      request = s.requests.reload;
      break;
    }
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
  if (request) request();
  return NO_ERROR;
}

class ScmServiceManager : public ServiceManager {
 public:
  explicit ScmServiceManager(RunningService& s) : s_(s) {}
  void ready(const std::string& status) override {
    report(s_, SERVICE_RUNNING, 0);
    log(status);
  }
  // The SCM has no reloading state: a reload is logged and the service stays running.
  void reloading() override { reportToEventLog(s_.name, "info", "reloading"); }
  void stopping() override { report(s_, SERVICE_STOP_PENDING, kStopHintMs); }
  void status(const std::string& status) override { log(status); }
  // While start or stop is pending, each call is progress the SCM sees.
  void watchdog() override {
    DWORD state;
    {
      std::lock_guard lock(s_.mutex);
      state = s_.status.dwCurrentState;
    }
    if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING) {
      report(s_, state, state == SERVICE_START_PENDING ? kStartHintMs : kStopHintMs);
    }
  }
  std::chrono::microseconds watchdogInterval() const override { return std::chrono::microseconds(0); }

 private:
  void log(const std::string& status) {
    {
      std::lock_guard lock(s_.mutex);
      if (status == s_.last_status) return;
      s_.last_status = status;
    }
    reportToEventLog(s_.name, "info", status);
  }
  RunningService& s_;
};

void WINAPI serviceMain(DWORD, LPWSTR*) {
  RunningService& s = *running;
  s.handle = RegisterServiceCtrlHandlerExW(s.wide_name.c_str(), onControl, &s);
  if (!s.handle) {
    s.exit_code = 1;
    return;
  }
  report(s, SERVICE_START_PENDING, kStartHintMs);
  ScmServiceManager manager(s);
  int code = 1;
  try {
    code = (*s.body)(manager, s.requests);
  } catch (const std::exception& e) {
    reportToEventLog(s.name, "error", std::string("stopped by an unexpected error: ") + e.what());
  }
  s.exit_code = code;
  {
    std::lock_guard lock(s.mutex);
    // A non-zero exit is a failure to the SCM, and its failure actions apply.
    s.status.dwWin32ExitCode = code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
    s.status.dwServiceSpecificExitCode = static_cast<DWORD>(code);
  }
  report(s, SERVICE_STOPPED, 0);
}

struct ScHandle {
  SC_HANDLE h;
  explicit ScHandle(SC_HANDLE handle) : h(handle) {}
  ~ScHandle() {
    if (h) CloseServiceHandle(h);
  }
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  explicit operator bool() const { return h != nullptr; }
};

std::wstring eventSourceKey(const std::string& name) {
  return L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + widen(name);
}

}  // namespace

bool runWindowsService(const std::string& name, const ServiceBody& body, int& exit_code, std::string& error) {
  RunningService s;
  s.name = name;
  s.wide_name = widen(name);
  s.body = &body;
  running = &s;
  SERVICE_TABLE_ENTRYW table[] = {{s.wide_name.data(), serviceMain}, {nullptr, nullptr}};
  const bool dispatched = StartServiceCtrlDispatcherW(table) != 0;
  const DWORD code = GetLastError();
  running = nullptr;
  if (!dispatched) {
    error = code == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
                ? "not started by the service control manager: start the service with `sc start " + name +
                      "`, or run the daemon in a console"
                : "cannot connect to the service control manager: " + systemMessage(code);
    return false;
  }
  exit_code = s.exit_code;
  return true;
}

bool installWindowsService(const ServiceInstall& install, std::string& error, std::vector<std::string>& notes) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE));
  if (!scm) {
    error = "cannot open the service control manager: " + systemMessage(GetLastError());
    return false;
  }
  std::wstring name = widen(install.name), display = widen(install.display_name),
               command = widen(install.command_line);
  // LocalSystem, as Npcap's capture needs an administrator unless it was
  // installed for everyone.
  ScHandle service(CreateServiceW(scm.h, name.c_str(), display.c_str(), SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                  install.start_at_boot ? SERVICE_AUTO_START : SERVICE_DEMAND_START,
                                  SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr,
                                  install.depends_on_npcap ? L"npcap\0\0" : nullptr, nullptr, nullptr));
  if (!service) {
    DWORD code = GetLastError();
    error = code == ERROR_SERVICE_EXISTS ? "a service named " + install.name + " is installed already"
                                         : "cannot create the service: " + systemMessage(code);
    return false;
  }
  std::wstring description = widen(install.description);
  SERVICE_DESCRIPTIONW desc{description.data()};
  if (!ChangeServiceConfig2W(service.h, SERVICE_CONFIG_DESCRIPTION, &desc)) {
    notes.push_back("no description: " + systemMessage(GetLastError()));
  }
  if (install.restart_after_ms > 0) {
    SC_ACTION actions[3] = {{SC_ACTION_RESTART, install.restart_after_ms},
                            {SC_ACTION_RESTART, install.restart_after_ms},
                            {SC_ACTION_RESTART, install.restart_after_ms}};
    SERVICE_FAILURE_ACTIONSW failure{86400, nullptr, nullptr, 3, actions};
    // A non-zero exit counts as a failure, not only a crash.
    SERVICE_FAILURE_ACTIONS_FLAG on_exit{TRUE};
    if (!ChangeServiceConfig2W(service.h, SERVICE_CONFIG_FAILURE_ACTIONS, &failure) ||
        !ChangeServiceConfig2W(service.h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_exit)) {
      notes.push_back("not restarted on failure: " + systemMessage(GetLastError()));
    }
  }
  HKEY key = nullptr;
  std::wstring source = eventSourceKey(install.name);
  if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, source.c_str(), 0, nullptr, 0, KEY_SET_VALUE, nullptr, &key, nullptr) ==
      ERROR_SUCCESS) {
    DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types), sizeof types);
    RegCloseKey(key);
  } else {
    notes.push_back("not registered as an Event Log source: messages show without a source description");
  }
  return true;
}

bool uninstallWindowsService(const std::string& name, std::string& error) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!scm) {
    error = "cannot open the service control manager: " + systemMessage(GetLastError());
    return false;
  }
  std::wstring wide = widen(name);
  ScHandle service(OpenServiceW(scm.h, wide.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
  if (!service) {
    DWORD code = GetLastError();
    error = code == ERROR_SERVICE_DOES_NOT_EXIST ? "no service named " + name + " is installed"
                                                 : "cannot open the service: " + systemMessage(code);
    return false;
  }
  SERVICE_STATUS status{};
  if (ControlService(service.h, SERVICE_CONTROL_STOP, &status)) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStopHintMs);
    while (QueryServiceStatus(service.h, &status) && status.dwCurrentState != SERVICE_STOPPED &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (!DeleteService(service.h)) {
    error = "cannot delete the service: " + systemMessage(GetLastError());
    return false;
  }
  RegDeleteKeyW(HKEY_LOCAL_MACHINE, eventSourceKey(name).c_str());
  return true;
}

bool reportToEventLog(const std::string& name, const std::string& level, const std::string& text) {
  HANDLE source = RegisterEventSourceW(nullptr, widen(name).c_str());
  if (!source) return false;
  std::wstring message = widen(text);
  const wchar_t* strings[] = {message.c_str()};
  WORD type = level == "error"  ? EVENTLOG_ERROR_TYPE
              : level == "warn" ? EVENTLOG_WARNING_TYPE
                                : EVENTLOG_INFORMATION_TYPE;
  bool ok = ReportEventW(source, type, 0, 0, nullptr, 1, 0, strings, nullptr) != 0;
  DeregisterEventSource(source);
  return ok;
}

}  // namespace dnsleak::app
