#pragma once

#include <string>

namespace dnsleak::core {

// Names the calling thread as `top -H`, `ps -L`, perf and gdb show it on
// Linux (at most 15 characters), and as debuggers and Process Explorer do
// on Windows. One file per platform: thread_name_linux.cc,
// thread_name_windows.cc. Called once per thread, at its start.
void nameThisThread(const char* name);

// The calling thread's name as the system keeps it; "" when it keeps none.
std::string thisThreadName();

}  // namespace dnsleak::core
