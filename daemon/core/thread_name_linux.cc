#include <pthread.h>

#include "core/thread_name.h"

namespace dnsleak::core {

void nameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

std::string thisThreadName() {
  char name[16] = {};
  return pthread_getname_np(pthread_self(), name, sizeof name) == 0 ? name : "";
}

}  // namespace dnsleak::core
