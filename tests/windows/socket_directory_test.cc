// The API socket's directory on Windows: made with a DACL that admits only
// SYSTEM, Administrators and the configured group, re-permissioned when it
// exists, refused when someone else owns it or it is not a directory.

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/socket_directory_windows.h"
#include "platform/windows_text.h"

namespace dnsleak::api {
namespace {

namespace fs = std::filesystem;

// Whether this system keeps a DACL given to a directory. Windows does; Wine
// 8 keeps only Unix modes and answers with a DACL made from them, so there
// what the daemon asked for cannot be read back.
bool keepsDirectoryDacls(const fs::path& dir, std::string& seen) {
  fs::create_directories(dir);
  std::string error;
  const std::string wanted = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
  PSECURITY_DESCRIPTOR sd = nullptr;
  ConvertStringSecurityDescriptorToSecurityDescriptorW(platform::widen(wanted).c_str(), SDDL_REVISION_1, &sd, nullptr);
  PACL dacl = nullptr;
  BOOL present = FALSE, defaulted = FALSE;
  GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  SetNamedSecurityInfoW(platform::widen(dir.string()).data(), SE_FILE_OBJECT,
                        DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr, dacl, nullptr);
  LocalFree(sd);
  seen = directorySecurity(dir.string(), error);
  fs::remove_all(dir);
  return seen.find(wanted) != std::string::npos;
}

class SocketDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dnsleak-api-" + std::to_string(GetCurrentProcessId()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string dacl() {
    std::string error;
    std::string sddl = directorySecurity(dir_.string(), error);
    EXPECT_TRUE(error.empty()) << error;
    auto at = sddl.find("D:");
    return at == std::string::npos ? sddl : sddl.substr(at);
  }
  void skipUnlessDaclsAreKept() {
    std::string seen;
    if (!keepsDirectoryDacls(dir_, seen)) {
      GTEST_SKIP() << "this system does not keep a directory's DACL (Wine 8 keeps Unix modes only; read back: " << seen
                   << ")";
    }
  }
  fs::path dir_;
};

TEST_F(SocketDirectory, TheGroupMayConnectButNotAddFilesOrChangePermissions) {
  EXPECT_EQ(socketDirectorySddl(""), "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
  EXPECT_EQ(socketDirectorySddl("S-1-5-32-545"),
            "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;;0x1200a9;;;S-1-5-32-545)(A;OIIO;0x12019f;;;S-1-5-32-545)");
  std::string error;
  EXPECT_EQ(accountSid("Users", error), "S-1-5-32-545") << error;
  EXPECT_EQ(accountSid("Administrators", error), "S-1-5-32-544") << error;
  EXPECT_FALSE(accountSid("no-such-group-here", error).has_value());
  EXPECT_EQ(error, "no local group or account named 'no-such-group-here'");
}

TEST_F(SocketDirectory, IsMadeWithOnlyTheThreeAllowed) {
  skipUnlessDaclsAreKept();
  if (IsSkipped()) return;
  std::string error;
  ASSERT_TRUE(prepareSocketDirectory(dir_.string(), "Users", error)) << error;
  ASSERT_TRUE(fs::is_directory(dir_));
  std::string got = dacl();
  // SDDL writes well-known SIDs by their aliases: Users is BU.
  EXPECT_EQ(got, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;;0x1200a9;;;BU)(A;OIIO;0x12019f;;;BU)") << got;
}

TEST_F(SocketDirectory, AnExistingOneIsGivenTheDaclAndLosesWhatItInherited) {
  skipUnlessDaclsAreKept();
  if (IsSkipped()) return;
  fs::create_directories(dir_);
  std::string error;
  std::string before = dacl();
  ASSERT_TRUE(prepareSocketDirectory(dir_.string(), "", error)) << error;
  std::string after = dacl();
  EXPECT_EQ(after, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)") << "before: " << before;
}

TEST_F(SocketDirectory, AFileOrAnUnknownGroupIsRefusedWithOneSentence) {
  std::ofstream(dir_.string()) << "not a directory";
  std::string error;
  EXPECT_FALSE(prepareSocketDirectory(dir_.string(), "", error));
  EXPECT_EQ(error, dir_.string() + " exists and is not a directory");
  fs::remove(dir_);
  EXPECT_FALSE(prepareSocketDirectory(dir_.string(), "no-such-group-here", error));
  EXPECT_EQ(error, "no local group or account named 'no-such-group-here'");
  EXPECT_FALSE(fs::exists(dir_));
}

// A folder another user made (anyone may, under ProgramData) stays theirs
// to open up again: refused.
TEST_F(SocketDirectory, OneOwnedBySomeoneElseIsRefused) {
  fs::create_directories(dir_);
  PSID users = nullptr;
  ASSERT_TRUE(ConvertStringSidToSidW(L"S-1-5-32-545", &users));
  DWORD code = SetNamedSecurityInfoW(platform::widen(dir_.string()).data(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION,
                                     users, nullptr, nullptr, nullptr);
  LocalFree(users);
  if (code != ERROR_SUCCESS) GTEST_SKIP() << "cannot give the folder to Users here: " << platform::systemMessage(code);
  std::string error, seen = directorySecurity(dir_.string(), error);
  if (seen.rfind("O:BU", 0) != 0) GTEST_SKIP() << "this system did not keep the folder's new owner (read back: " << seen << ")";
  EXPECT_FALSE(prepareSocketDirectory(dir_.string(), "", error));
  EXPECT_EQ(error, dir_.string() + " is owned by S-1-5-32-545, not by SYSTEM, Administrators or the daemon's user");
}

// gRPC serves `unix:` on Windows 10 1803 and later. Wine 8 has no AF_UNIX:
// there the test says so and skips; on Windows it must hold.
TEST_F(SocketDirectory, WinsockMakesUnixSockets) {
  std::string why;
  if (!unixSocketsAvailable(why)) GTEST_SKIP() << why;
  SUCCEED();
}

}  // namespace
}  // namespace dnsleak::api
