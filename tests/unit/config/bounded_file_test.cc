// readBoundedFile on this platform (bounded_file_posix.cc on Linux,
// bounded_file_windows.cc under Wine): the config and the resolver list are
// read through it, so what it refuses is what a reload refuses.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace dnsleak::config {
namespace {

namespace fs = std::filesystem;

class BoundedFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dnsleak-bounded-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  fs::path dir_;
};

TEST_F(BoundedFile, ReadsARegularFileWhole) {
  std::string content = "profile: split\n";
  for (int i = 0; i < 5000; ++i) content += "# line " + std::to_string(i) + "\n";
  content += std::string("\0\xff", 2);
  std::string out = "left over";
  auto read = readBoundedFile(write("config.yaml", content), 1 << 20, out);
  ASSERT_TRUE(read.ok) << read.error;
  EXPECT_EQ(out, content);
  read = readBoundedFile(write("empty.yaml", ""), 1 << 20, out);
  ASSERT_TRUE(read.ok) << read.error;
  EXPECT_EQ(out, "");
}

TEST_F(BoundedFile, RefusesWhatIsLargerThanItsBound) {
  std::string out;
  auto path = write("big.txt", std::string((1 << 20) + 1, 'x'));
  auto read = readBoundedFile(path, 1 << 20, out);
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error, "larger than the 1 MiB allowed");
  EXPECT_TRUE(out.empty());
  read = readBoundedFile(path, 2 << 20, out);
  EXPECT_TRUE(read.ok) << read.error;
  EXPECT_EQ(out.size(), std::size_t{(1 << 20) + 1});
}

TEST_F(BoundedFile, RefusesADirectoryAndSaysWhyForAMissingFile) {
  std::string out;
  auto read = readBoundedFile(dir_.string(), 1 << 20, out);
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error, "it is a directory, not a file");
  read = readBoundedFile((dir_ / "absent.yaml").string(), 1 << 20, out);
  EXPECT_FALSE(read.ok);
  EXPECT_FALSE(read.error.empty());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace dnsleak::config
