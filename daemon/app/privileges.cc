#include "app/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace dnsleak::app {
namespace {

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapHandle = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

}  // namespace

RunAs resolveRunAs(const std::string& user) {
  RunAs r;
  r.drop = geteuid() == 0;
  if (!r.drop || user.empty()) return r;
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) {
    r.warning = "user '" + user + "' does not exist (the package creates it): staying uid 0 with only " +
                std::string(kCapabilityNames);
    return r;
  }
  r.switch_user = true;
  r.name = user;
  r.uid = pw->pw_uid;
  r.gid = pw->pw_gid;
  return r;
}

std::string dropPrivileges(const RunAs& run_as) {
  if (!run_as.drop) return {};
  CapHandle wanted(cap_from_text((std::string(kCapabilityNames) + "=ep").c_str()));
  if (!wanted) return errnoText("cannot parse the capability set");
  // The bounding set first, while CAP_SETPCAP is still effective.
  for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    cap_flag_value_t keep = CAP_CLEAR;
    cap_get_flag(wanted.get(), cap, CAP_PERMITTED, &keep);
    if (keep == CAP_CLEAR && CAP_IS_SUPPORTED(cap) && cap_drop_bound(cap) != 0) {
      return errnoText("cannot reduce the capability bounding set");
    }
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errnoText("cannot set no_new_privs");
  if (run_as.switch_user) {
    // Permitted capabilities survive the change of uid; effective ones are
    // raised again below.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errnoText("cannot keep capabilities across setuid");
    if (setgroups(0, nullptr) != 0) return errnoText("cannot clear supplementary groups");
    if (setresgid(run_as.gid, run_as.gid, run_as.gid) != 0) return errnoText("cannot change group");
    if (setresuid(run_as.uid, run_as.uid, run_as.uid) != 0) return errnoText("cannot change user");
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  }
  // Nothing is exec'd, so none is inheritable.
  if (cap_set_proc(wanted.get()) != 0) return errnoText("cannot set capabilities");
  return {};
}

std::string currentCapabilities() {
  CapHandle caps(cap_get_proc());
  if (!caps) return {};
  char* text = cap_to_text(caps.get(), nullptr);
  std::string out = text ? text : "";
  cap_free(text);
  return out;
}

}  // namespace dnsleak::app
