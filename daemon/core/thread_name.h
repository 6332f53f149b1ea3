#pragma once

#if defined(__linux__)
#include <pthread.h>
#endif

namespace dnsleak::core {

// Names the calling thread as `top -H`, `ps -L`, perf and gdb show it (at
// most 15 characters on Linux). Nothing where the platform has no names.
inline void nameThisThread(const char* name) {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), name);
#else
  (void)name;
#endif
}

}  // namespace dnsleak::core
