// Interop test support: runs the reference-client tools (nats.go, @nats-io/obj) and a fixture
// that gives every test a nats-server, a connected natss3 core and a fresh bucket name.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "natss3/nats_store.h"
#include "natss3/object_store.h"
#include "support/nats_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::interop {

using Json = nlohmann::ordered_json;
using Flags = std::vector<std::pair<std::string, std::string>>;

struct ToolResult {
  int rc = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  Json json;        // stdout parsed (the last line) when it is JSON, else null
};

// One reference client: "go" (nats.go 1.22.1 legacy API) or "js" (@nats-io/obj 3.4.0).
// Both tools take the same commands and `--flag value` arguments; see go/ostool/main.go.
class RefTool {
 public:
  enum class Kind { kGo, kJs };
  RefTool(Kind kind, std::string url, std::string work_dir);

  const char* name() const { return kind_ == Kind::kGo ? "go" : "js"; }
  Kind kind() const { return kind_; }
  // argv of `tool cmd flags... bool_flags...` (bool flags are given as "--x").
  std::vector<std::string> Argv(const std::string& cmd, const Flags& flags,
                                const std::vector<std::string>& bool_flags = {}) const;
  ToolResult Run(const std::string& cmd, const Flags& flags,
                 const std::vector<std::string>& bool_flags = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(90)) const;
  // Runs and expects success with JSON output; records a test failure otherwise.
  Json Ok(const std::string& cmd, const Flags& flags,
          const std::vector<std::string>& bool_flags = {}) const;
  const std::string& url() const { return url_; }

 private:
  Kind kind_;
  std::string url_;
  std::string work_dir_;
};

// A background tool process (watch) whose stdout goes to a file that tests poll.
class BackgroundTool {
 public:
  BackgroundTool(const RefTool& tool, const std::string& out_file, const std::string& cmd,
                 const Flags& flags, const std::vector<std::string>& bool_flags = {});
  // Polls stdout until it holds at least `lines` lines (or the deadline). Returns the lines.
  std::vector<std::string> WaitForLines(size_t lines, std::chrono::milliseconds timeout);
  // Waits for exit; returns the exit code (-1 on timeout).
  int Wait(std::chrono::milliseconds timeout) { return process_.Wait(timeout); }
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  std::string out_file_;
  std::string err_file_;
  test::Subprocess process_;
};

std::vector<std::string> SplitLines(const std::string& text);

// Fixture: one nats-server per test process (gtest_discover_tests runs one test per process),
// a core store connected to it, both tools, a scratch dir and a bucket name unique to the test.
class InteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // A bucket name derived from the test name plus `suffix` (valid bucket characters only).
  std::string Bucket(const std::string& suffix = "") const;
  // Creates a default bucket through the core and returns its name.
  std::string NewBucket(const std::string& suffix = "");
  // Writes `data` to a scratch file and returns its path.
  std::string WriteScratch(const std::string& file, const std::string& data);

  // Core helpers that record failures with the Status text.
  ObjectInfo CorePut(const std::string& bucket, const std::string& name, const std::string& data,
                     const ObjectMeta& extra = {}, const PutOptions& options = {});
  std::string CoreGet(const std::string& bucket, const std::string& name);
  BucketStatus CoreStatus(const std::string& bucket);
  // Raw meta message (subject, headers, data) read through the Go tool (GetLastMsg).
  Json RawMeta(const std::string& bucket, const std::string& name);
  // True when the stream holds no message on `subject` (Go GetLastMsg says not found).
  bool SubjectEmpty(const std::string& bucket, const std::string& subject);

  static std::unique_ptr<test::NatsServer> server_;
  std::shared_ptr<ObjectStore> store_;
  std::unique_ptr<RefTool> go_;
  std::unique_ptr<RefTool> js_;
  std::unique_ptr<test::TempDir> dir_;
};

}  // namespace natss3::interop

// gtest helpers for Status / Result<T>.
namespace natss3::interop {
inline std::string StatusText(const Status& s) { return s.ToString(); }
template <typename T>
std::string StatusText(const Result<T>& r) {
  return r.ok() ? std::string("OK") : r.status().ToString();
}
inline Code CodeOf(const Status& s) { return s.code(); }
template <typename T>
Code CodeOf(const Result<T>& r) {
  return r.ok() ? Code::kOk : r.status().code();
}
}  // namespace natss3::interop

#define INTEROP_ASSERT_OK(expr)                                                     \
  do {                                                                              \
    const auto& interop_s_ = (expr);                                                \
    ASSERT_TRUE(interop_s_.ok()) << #expr << ": " << ::natss3::interop::StatusText(interop_s_); \
  } while (0)
#define INTEROP_EXPECT_OK(expr)                                                     \
  do {                                                                              \
    const auto& interop_s_ = (expr);                                                \
    EXPECT_TRUE(interop_s_.ok()) << #expr << ": " << ::natss3::interop::StatusText(interop_s_); \
  } while (0)
#define INTEROP_EXPECT_CODE(expr, code_value)                                       \
  do {                                                                              \
    const auto& interop_s_ = (expr);                                                \
    EXPECT_EQ(::natss3::CodeName(::natss3::interop::CodeOf(interop_s_)),            \
              ::natss3::CodeName(code_value))                                       \
        << #expr << ": " << ::natss3::interop::StatusText(interop_s_);              \
  } while (0)

namespace natss3::interop {
// Independent of the core: "SHA-256=" + base64url padded SHA-256 of data.
std::string ExpectedDigest(const std::string& data);
// Number of chunks of an object of `size` bytes with chunk size `chunk`.
inline uint64_t ChunkCount(uint64_t size, uint64_t chunk = 131072) {
  return (size + chunk - 1) / chunk;
}
// Keys of a JSON object in document order.
std::vector<std::string> Keys(const Json& object);
}  // namespace natss3::interop
