#include <pthread.h>

#include "core/thread_name.h"

namespace dnsleak::core {

void nameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace dnsleak::core
