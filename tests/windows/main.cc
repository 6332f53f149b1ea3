// windows_tests.exe: GoogleTest's main, and the service body the service
// test installs the binary itself as (`--service-body LOG`), and the
// child processes of the client test (`--echo-args`, `--wait`). The service body
// reports ready, writes what the SCM asks of it to LOG, and exits with 3
// when stopped, so that the test sees the exit code reach the SCM.

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <chrono>
#include <cstdio>

#include "app/windows_service.h"
#include "service_body.h"

namespace {

int serviceBody(const std::string& log_path) {
  std::mutex mutex;
  std::condition_variable changed;
  bool stop = false;
  int reloads = 0;
  auto log = [&](const std::string& line) {
    std::ofstream(log_path, std::ios::app) << line << "\n";
  };
  int exit_code = 0;
  std::string error;
  bool ran = dnsleak::app::runWindowsService(
      dnsleak::testing::kTestServiceName,
      [&](dnsleak::app::ServiceManager& manager, dnsleak::app::ServiceRequests& requests) {
        requests.stop = [&] {
          std::lock_guard lock(mutex);
          stop = true;
          changed.notify_all();
        };
        requests.reload = [&] {
          std::lock_guard lock(mutex);
          ++reloads;
          changed.notify_all();
        };
        manager.ready("capturing on 0 adapters (a test)");
        log("ready");
        std::unique_lock lock(mutex);
        int logged = 0;
        while (!stop) {
          changed.wait(lock);
          while (logged < reloads) log("reload " + std::to_string(++logged));
        }
        manager.stopping();
        log("stopping");
        return dnsleak::testing::kTestServiceExitCode;
      },
      exit_code, error);
  if (!ran) log("not a service: " + error);
  return ran ? exit_code : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--service-body") == 0) return serviceBody(argv[2]);
  // For the client's private daemon (client_test.cc): the arguments as the
  // C runtime split them, one per line in brackets; or a process that waits.
  if (argc >= 2 && std::strcmp(argv[1], "--echo-args") == 0) {
    for (int i = 2; i < argc; ++i) std::printf("[%s]\n", argv[i]);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--wait") == 0) {
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return 0;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
