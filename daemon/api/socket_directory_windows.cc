// The socket directory's security on Windows: SDDL in, a protected DACL on
// the directory out.

#include <winsock2.h>
#include <windows.h>
#include <aclapi.h>
#include <afunix.h>
#include <sddl.h>

#include <memory>

#include "api/socket_directory_windows.h"
#include "platform/windows_text.h"

namespace dnsleak::api {
namespace {

using platform::narrow;
using platform::sidText;
using platform::systemMessage;
using platform::widen;

struct LocalFreer {
  void operator()(void* p) const { LocalFree(p); }
};

bool sameSid(PSID sid, WELL_KNOWN_SID_TYPE type) {
  BYTE buffer[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof buffer;
  return CreateWellKnownSid(type, nullptr, buffer, &size) && EqualSid(sid, buffer);
}

}  // namespace

std::string socketDirectorySddl(const std::string& group_sid) {
  // P: not inherited from the parent. OICI: inherited by the socket file.
  std::string sddl = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
  if (!group_sid.empty()) {
    // The directory: FILE_GENERIC_READ and traverse (0x1200a9), not "add file".
    sddl += "(A;;0x1200a9;;;" + group_sid + ")";
    // Files in it, the socket: FILE_GENERIC_READ and FILE_GENERIC_WRITE (0x12019f).
    sddl += "(A;OIIO;0x12019f;;;" + group_sid + ")";
  }
  return sddl;
}

std::optional<std::string> accountSid(const std::string& name, std::string& error) {
  std::wstring wide = widen(name);
  BYTE sid[SECURITY_MAX_SID_SIZE];
  DWORD sid_size = sizeof sid;
  wchar_t domain[256];
  DWORD domain_size = 256;
  SID_NAME_USE use;
  if (wide.empty() || !LookupAccountNameW(nullptr, wide.c_str(), sid, &sid_size, domain, &domain_size, &use)) {
    error = "no local group or account named '" + name + "'";
    return std::nullopt;
  }
  return sidText(sid);
}

bool prepareSocketDirectory(const std::string& path, const std::string& group, std::string& error) {
  std::string group_sid;
  if (!group.empty()) {
    auto sid = accountSid(group, error);
    if (!sid) return false;
    group_sid = *sid;
  }
  std::wstring wide = widen(path);
  if (wide.empty()) {
    error = "the socket directory's path is not valid UTF-8";
    return false;
  }
  PSECURITY_DESCRIPTOR made = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(widen(socketDirectorySddl(group_sid)).c_str(),
                                                            SDDL_REVISION_1, &made, nullptr)) {
    error = "cannot build the socket directory's permissions: " + systemMessage(GetLastError());
    return false;
  }
  std::unique_ptr<void, LocalFreer> descriptor(made);
  SECURITY_ATTRIBUTES attributes{sizeof attributes, made, FALSE};
  if (CreateDirectoryW(wide.c_str(), &attributes)) return true;
  if (GetLastError() != ERROR_ALREADY_EXISTS) {
    error = "cannot create the socket directory " + path + ": " + systemMessage(GetLastError());
    return false;
  }
  DWORD attrs = GetFileAttributesW(wide.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
    error = path + " exists and is not a directory";
    return false;
  }
  if (attrs & FILE_ATTRIBUTE_REPARSE_POINT) {
    error = path + " is a junction or symbolic link, not a directory of its own";
    return false;
  }
  // Anyone may create a folder under ProgramData: one made by another user
  // would stay theirs to open up, whatever DACL it is given now.
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR current = nullptr;
  DWORD code = GetNamedSecurityInfoW(wide.c_str(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr,
                                     nullptr, nullptr, &current);
  if (code != ERROR_SUCCESS) {
    error = "cannot read who owns " + path + ": " + systemMessage(code);
    return false;
  }
  std::unique_ptr<void, LocalFreer> current_holder(current);
  if (!sameSid(owner, WinLocalSystemSid) && !sameSid(owner, WinBuiltinAdministratorsSid) &&
      sidText(owner) != platform::processUserSid()) {  // the daemon's user: LocalSystem for the service
    error = path + " is owned by " + sidText(owner) + ", not by SYSTEM, Administrators or the daemon's user";
    return false;
  }
  PACL dacl = nullptr;
  BOOL present = FALSE, defaulted = FALSE;
  GetSecurityDescriptorDacl(made, &present, &dacl, &defaulted);
  code = SetNamedSecurityInfoW(wide.data(), SE_FILE_OBJECT,
                               DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr, dacl,
                               nullptr);
  if (code != ERROR_SUCCESS) {
    error = "cannot set the permissions of " + path + ": " + systemMessage(code);
    return false;
  }
  return true;
}

std::string directorySecurity(const std::string& path, std::string& error) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD code = GetNamedSecurityInfoW(widen(path).c_str(), SE_FILE_OBJECT,
                                     OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, nullptr, nullptr, nullptr,
                                     nullptr, &sd);
  if (code != ERROR_SUCCESS) {
    error = "cannot read the security of " + path + ": " + systemMessage(code);
    return {};
  }
  std::unique_ptr<void, LocalFreer> holder(sd);
  wchar_t* text = nullptr;
  if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1,
                                                            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                                            &text, nullptr)) {
    error = "cannot write the security of " + path + " as SDDL: " + systemMessage(GetLastError());
    return {};
  }
  std::string out = narrow(text);
  LocalFree(text);
  return out;
}

bool unixSocketsAvailable(std::string& why) {
  WSADATA data;
  if (WSAStartup(MAKEWORD(2, 2), &data) != 0) {
    why = "Winsock did not start";
    return false;
  }
  SOCKET s = socket(AF_UNIX, SOCK_STREAM, 0);
  int code = WSAGetLastError();
  if (s != INVALID_SOCKET) closesocket(s);
  WSACleanup();
  if (s == INVALID_SOCKET) {
    why = code == WSAEAFNOSUPPORT ? "this Windows has no AF_UNIX sockets (Windows 10 1803 or later has them)"
                                  : "socket(AF_UNIX) failed: " + systemMessage(static_cast<std::uint32_t>(code));
    return false;
  }
  return true;
}

}  // namespace dnsleak::api
