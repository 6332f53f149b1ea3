// libFuzzer target: what attribution reads from the kernel and /proc. The
// first byte picks the parser: a sock_diag reply, a ctnetlink reply (IPv4
// or IPv6), an eBPF flow record (then taken into the send-time table and
// looked up), a /proc/net line (IPv4 or IPv6), or a cgroup path read for
// its container and unit. No crash, no read past the input, and what they
// return must hold together.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "attribution/conntrack.h"
#include "attribution/procfs.h"
#include "attribution/procnet.h"
#include "attribution/send_time_owners.h"
#include "attribution/sock_diag.h"

using namespace dnsleak::attribution;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  switch (data[0] % 7) {
    case 0:
      parseSockDiagReply(rest);
      break;
    case 1:
    case 2: {
      const bool v6 = data[0] % 7 == 2;
      if (auto q = parseConntrackReply(rest, IPPROTO_UDP, v6)) {
        if (q->local.address.isV6() != v6 || q->remote.address.isV6() != v6) __builtin_trap();
      }
      break;
    }
    case 3: {
      // A table of its own with no /proc to read: the record alone names the process.
      static SendTimeTable table("/nonexistent-proc", 64, "/nonexistent-cgroup");
      if (auto r = sendRecordFromEvent(rest, 1)) {
        table.add(*r);
        FlowQuery q{r->ip_protocol, r->local, r->remote};
        if (r->here && !table.find(q)) __builtin_trap();
        table.findForwarded(q, std::chrono::seconds(1));
      }
      break;
    }
    case 4:
    case 5:
      parseProcNetLine(text, data[0] % 7 == 5);
      break;
    case 6: {
      std::string cgroup(text);
      ProcFs::containerOfCgroup(cgroup);
      ProcFs::unitOfCgroup(cgroup);
      break;
    }
  }
  return 0;
}
