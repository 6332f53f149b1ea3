// The service control manager half of the service seam, under Wine's SCM
// (services.exe): this test binary is installed as a service of its own
// (main.cc's --service-body), started, asked to reload by paramchange,
// stopped, and uninstalled, as `sc.exe` would do it.

#include <windows.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "app/windows_service.h"
#include "platform/windows_text.h"
#include "service_body.h"

namespace dnsleak::app {
namespace {

using namespace std::chrono_literals;
using testing::kTestServiceName;

std::string readAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

template <typename Condition>
bool waitFor(Condition condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

struct Handle {
  SC_HANDLE h;
  ~Handle() {
    if (h) CloseServiceHandle(h);
  }
};

std::string thisBinary() {
  wchar_t path[MAX_PATH];
  DWORD n = GetModuleFileNameW(nullptr, path, MAX_PATH);
  return platform::narrow(std::wstring(path, n));
}

class WindowsService : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string ignored;
    uninstallWindowsService(kTestServiceName, ignored);  // a run that died before its end
    log_ = std::filesystem::temp_directory_path() / ("dnsleak-service-" + std::to_string(GetCurrentProcessId()) + ".log");
    std::filesystem::remove(log_);
  }
  void TearDown() override {
    std::string ignored;
    uninstallWindowsService(kTestServiceName, ignored);
    std::filesystem::remove(log_);
  }
  ServiceInstall install() const {
    ServiceInstall i;
    i.name = kTestServiceName;
    i.display_name = "dnsleak (Windows test)";
    i.description = "A test of dnsleak's service control handler";
    i.command_line = "\"" + thisBinary() + "\" --service-body \"" + log_.string() + "\"";
    i.start_at_boot = false;
    i.depends_on_npcap = false;  // no Npcap under Wine
    return i;
  }
  std::filesystem::path log_;
};

TEST_F(WindowsService, OutsideTheScmNothingRunsAndTheErrorSaysWhy) {
  bool called = false;
  int exit_code = -1;
  std::string error;
  bool ran = runWindowsService(
      kTestServiceName, [&](ServiceManager&, ServiceRequests&) { return called = true, 0; }, exit_code, error);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(called);
  EXPECT_EQ(exit_code, -1);
  EXPECT_NE(error.find("not started by the service control manager"), std::string::npos) << error;
}

TEST_F(WindowsService, InstallsWithItsCommandLineStartTypeAndDescription) {
  std::string error;
  std::vector<std::string> notes;
  ASSERT_TRUE(installWindowsService(install(), error, notes)) << error;
  for (const auto& note : notes) std::printf("install note: %s\n", note.c_str());
  Handle scm{OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT)};
  ASSERT_TRUE(scm.h);
  Handle service{OpenServiceW(scm.h, platform::widen(kTestServiceName).c_str(), SERVICE_QUERY_CONFIG)};
  ASSERT_TRUE(service.h) << platform::systemMessage(GetLastError());
  alignas(8) BYTE buffer[8192];
  DWORD needed = 0;
  ASSERT_TRUE(QueryServiceConfigW(service.h, reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer), sizeof buffer, &needed));
  auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer);
  EXPECT_EQ(platform::narrow(config->lpBinaryPathName), install().command_line);
  EXPECT_EQ(config->dwStartType, static_cast<DWORD>(SERVICE_DEMAND_START));
  EXPECT_EQ(config->dwServiceType, static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
  EXPECT_EQ(platform::narrow(config->lpDisplayName), "dnsleak (Windows test)");
  ASSERT_TRUE(QueryServiceConfig2W(service.h, SERVICE_CONFIG_DESCRIPTION, buffer, sizeof buffer, &needed));
  EXPECT_EQ(platform::narrow(reinterpret_cast<SERVICE_DESCRIPTIONW*>(buffer)->lpDescription),
            "A test of dnsleak's service control handler");
  // A second install is refused by name; uninstall removes it, once (the
  // SCM deletes a service when its last handle closes).
  EXPECT_FALSE(installWindowsService(install(), error, notes));
  CloseServiceHandle(service.h);
  service.h = nullptr;
  EXPECT_EQ(error, std::string("a service named ") + kTestServiceName + " is installed already");
  ASSERT_TRUE(uninstallWindowsService(kTestServiceName, error)) << error;
  EXPECT_FALSE(uninstallWindowsService(kTestServiceName, error));
  EXPECT_EQ(error, std::string("no service named ") + kTestServiceName + " is installed");
}

TEST_F(WindowsService, StartsReloadsOnParamchangeAndStopsWithTheBodysExitCode) {
  std::string error;
  std::vector<std::string> notes;
  auto spec = install();
  spec.restart_after_ms = 0;  // the body's exit code 3 is a failure: not restarted here
  ASSERT_TRUE(installWindowsService(spec, error, notes)) << error;
  Handle scm{OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT)};
  Handle service{OpenServiceW(scm.h, platform::widen(kTestServiceName).c_str(), SERVICE_ALL_ACCESS)};
  ASSERT_TRUE(service.h) << platform::systemMessage(GetLastError());
  SERVICE_STATUS status{};
  auto state = [&] {
    QueryServiceStatus(service.h, &status);
    return status.dwCurrentState;
  };
  ASSERT_TRUE(StartServiceW(service.h, 0, nullptr)) << platform::systemMessage(GetLastError());
  ASSERT_TRUE(waitFor([&] { return state() == SERVICE_RUNNING; }, 30s)) << "state " << status.dwCurrentState;
  EXPECT_EQ(status.dwControlsAccepted,
            static_cast<DWORD>(SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE));
  ASSERT_TRUE(waitFor([&] { return readAll(log_).find("ready\n") != std::string::npos; }, 10s)) << readAll(log_);

  // paramchange is the reload, as SIGHUP is on Linux; each one arrives.
  ASSERT_TRUE(ControlService(service.h, SERVICE_CONTROL_PARAMCHANGE, &status))
      << platform::systemMessage(GetLastError());
  ASSERT_TRUE(waitFor([&] { return readAll(log_).find("reload 1\n") != std::string::npos; }, 10s)) << readAll(log_);
  ASSERT_TRUE(ControlService(service.h, SERVICE_CONTROL_PARAMCHANGE, &status));
  ASSERT_TRUE(waitFor([&] { return readAll(log_).find("reload 2\n") != std::string::npos; }, 10s)) << readAll(log_);
  EXPECT_EQ(state(), static_cast<DWORD>(SERVICE_RUNNING));

  ASSERT_TRUE(ControlService(service.h, SERVICE_CONTROL_STOP, &status)) << platform::systemMessage(GetLastError());
  ASSERT_TRUE(waitFor([&] { return state() == SERVICE_STOPPED; }, 30s)) << "state " << status.dwCurrentState;
  // The body's exit code reaches the SCM as a service-specific error.
  EXPECT_EQ(status.dwWin32ExitCode, static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
  EXPECT_EQ(status.dwServiceSpecificExitCode, static_cast<DWORD>(testing::kTestServiceExitCode));
  EXPECT_EQ(readAll(log_), "ready\nreload 1\nreload 2\nstopping\n");
}

TEST_F(WindowsService, MessagesGoToTheEventLog) {
  EXPECT_TRUE(reportToEventLog(kTestServiceName, "info", "capturing on 2 adapters"));
  EXPECT_TRUE(reportToEventLog(kTestServiceName, "error", "cannot open \\Device\\NPF_{...}: Npcap is not installed"));
}

}  // namespace
}  // namespace dnsleak::app
