#pragma once

// The API's local endpoint on Windows: gRPC over AF_UNIX (Windows 10 1803
// and later; gRPC serves `unix:` there), the socket in a directory whose
// DACL admits only SYSTEM, Administrators and one configured local group.
// Windows checks write access to the socket file at connect, and the file
// inherits the directory's ACEs, so the directory is the gate that Linux's
// socket mode, group and SO_PEERCRED check are. Why AF_UNIX and not a
// named pipe: docs/windows.md. Windows builds only.

#include <optional>
#include <string>

namespace dnsleak::api {

// The DACL the daemon gives the directory, as SDDL: full control to SYSTEM
// and Administrators (inherited), and to `group_sid` (when not empty) the
// directory's listing and traversal but not adding files, and read and
// write, but not delete or change permissions, on the socket inside.
std::string socketDirectorySddl(const std::string& group_sid);

// The SID of a local group or account ("dnsleak", "Users"), as text
// ("S-1-5-32-545"); nullopt with `error` when there is none.
std::optional<std::string> accountSid(const std::string& name, std::string& error);

// Makes `path` the socket's directory: created with socketDirectorySddl()
// when missing (its parent must exist), or, when it exists, checked (a
// directory, not a junction or symbolic link, owned by SYSTEM,
// Administrators or this process's user) and given that DACL, protected
// from inheriting its parent's. `group` empty: no group. On false `error`
// is one sentence.
bool prepareSocketDirectory(const std::string& path, const std::string& group, std::string& error);

// A directory's owner and DACL as SDDL ("O:...D:P(...)"), for diagnostics
// and tests; empty with `error` when it cannot be read.
std::string directorySecurity(const std::string& path, std::string& error);

// Whether Winsock on this system makes AF_UNIX stream sockets; `why` says
// why not.
bool unixSocketsAvailable(std::string& why);

}  // namespace dnsleak::api
