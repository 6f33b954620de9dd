// Helpers shared by the core contract tests: store fixture, polling, raw cnats fault injection.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "natss3/names.h"
#include "natss3/nats_store.h"
#include "natss3/object_store.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace natss3::coretest {

using namespace std::chrono_literals;

// Polls `pred` every 20 ms until it returns true or `timeout` passes; returns the last result.
bool PollUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// A bucket name unique within this process: <prefix>_<test name>_<counter>, max 64 chars.
std::string UniqueBucket(std::string_view prefix = "b");

// Independent helpers (do not use the core under test).
std::string Sha256Raw(std::string_view data);
std::string Md5Hex(std::string_view data);
std::string Base64UrlPadded(std::string_view raw);
std::string ExpectedDigest(std::string_view data);  // "SHA-256=" + base64url padded
std::string HexToRaw(std::string_view hex);
bool ContainsNoCase(std::string_view haystack, std::string_view needle);

// ObjectMeta with just a name.
inline ObjectMeta Meta(std::string name) {
  ObjectMeta m;
  m.name = std::move(name);
  return m;
}

// Puts empty objects "k0".."k<n-1>" into `bucket` from `threads` threads (a large bucket,
// quickly); returns how many puts failed.
int PutEmptyObjects(ObjectStore& store, const std::string& bucket, int n, int threads = 8);

// Connect with short timeouts suitable for tests.
Result<std::shared_ptr<ObjectStore>> ConnectTo(const std::string& servers,
                                               std::chrono::milliseconds timeout = 5000ms);

// ConnectTo, tried again for up to 30 s: right after a cluster forms (or loses a server)
// JetStream has no meta leader for a moment and the connect's JetStream check fails.
Result<std::shared_ptr<ObjectStore>> ConnectWhenReady(const std::string& servers);

// Connect like ConnectTo, with options adjusted by `adjust` (reclamation timings etc.).
Result<std::shared_ptr<ObjectStore>> ConnectWith(
    const std::string& servers, const std::function<void(ConnectOptions&)>& adjust);

// Reads everything from a reader (Read loop).
Result<std::string> ReadAll(ObjectReader& reader, size_t buf_size = 64 * 1024);

// Puts objects "a" (data `a`) and "b" (data `b`) at once in 1024-byte chunks, writing them in
// turn, so that their chunks interleave in the stream. Fails the test on error (wrap the call
// in ASSERT_NO_FATAL_FAILURE).
void PutInterleaved(ObjectStore& store, const std::string& bucket, std::string_view a,
                    std::string_view b);

// Raw cnats access for fault injection and format checks. Everything returns false / nullopt
// on error and records a GTest failure with the reason.
class RawNats {
 public:
  explicit RawNats(const std::string& url);
  ~RawNats();
  RawNats(const RawNats&) = delete;
  RawNats& operator=(const RawNats&) = delete;
  bool ok() const { return js_ != nullptr; }

  struct Msg {
    std::string subject;
    std::string data;
    std::map<std::string, std::string> headers;
    uint64_t sequence = 0;
  };
  // Publishes to JetStream and waits for the ack. Optional Nats-Rollup: sub header.
  bool Publish(const std::string& subject, std::string_view data, bool rollup);
  // Last message on a subject of a stream (STREAM.MSG.GET last_by_subj); nullopt when missing.
  std::optional<Msg> GetLast(const std::string& stream, const std::string& subject);
  // Message counts per subject matching `filter`.
  std::map<std::string, uint64_t> SubjectCounts(const std::string& stream,
                                                const std::string& filter);
  // Deletes one stream message by sequence.
  bool DeleteMsg(const std::string& stream, uint64_t seq);
  // Names of the stream's consumers; deletes one.
  std::vector<std::string> ConsumerNames(const std::string& stream);
  bool DeleteConsumer(const std::string& stream, const std::string& name);
  // Adds a plain (non object-store) stream.
  bool AddStream(const std::string& name, const std::string& subject);
  // Turns direct gets of a stream on or off (STREAM.UPDATE of its current config).
  bool SetAllowDirect(const std::string& stream, bool allow);
  // The server name of the stream's leader (STREAM.INFO); empty when none is known.
  std::string StreamLeader(const std::string& stream);
  // Whether the stream has a leader and every other replica is current (caught up).
  bool StreamHealed(const std::string& stream);
  // The "cluster" part of the stream's info as JSON text (leader, replicas), for diagnostics.
  std::string StreamCluster(const std::string& stream);
  // Whether the stream's leader answers a STREAM.MSG.GET for `subject`'s newest message
  // within `timeout_ms`.
  bool LeaderAnswers(const std::string& stream, const std::string& subject, int timeout_ms);
  // Whether a JetStream meta leader answers an account info request within `timeout_ms` (in a
  // cluster only the meta leader does; consumer and stream creates need it too).
  bool MetaLeaderAnswers(int timeout_ms);

 private:
  // A JetStream API request; null on no answer or an error answer. Every answer is read, a
  // "temporarily unavailable" one (no meta leader) skipped for another within `timeout_ms`.
  nlohmann::json Request(const std::string& subject, const std::string& body,
                         int timeout_ms = 5000);

  void* conn_ = nullptr;  // natsConnection*, opaque here so only the .cc includes nats.h
  void* js_ = nullptr;    // jsCtx*
};

// A JetStream meta election as a client sees it, on one server: requests on the API prefix
// kPrefix are answered "JetStream system temporarily unavailable" (503, err_code 10008) at
// once by one stand-in, as servers that know no meta leader do, and passed on by a relay to
// the server's real API ($JS.API) 20 ms later, whose answer comes second. Direct gets are left
// unanswered by both (any replica answers those, meta leader or not). A store connected with
// ConnectOptions::js_api_prefix = kPrefix sees every request this way.
class LeaderlessAnswers {
 public:
  static constexpr const char* kPrefix = "$FAKE.API";
  explicit LeaderlessAnswers(const std::string& url);
  ~LeaderlessAnswers();
  LeaderlessAnswers(const LeaderlessAnswers&) = delete;
  LeaderlessAnswers& operator=(const LeaderlessAnswers&) = delete;
  bool ok() const { return ok_; }
  int unavailable() const { return unavailable_; }  // 503s sent
  int relayed() const { return relayed_; }          // real answers sent

 private:
  static void Answer503(void* nc, void* sub, void* msg, void* closure);
  static void Relay(void* nc, void* sub, void* msg, void* closure);
  bool ok_ = false;
  void* leaderless_ = nullptr;  // natsConnection* of the 503 stand-in
  void* relay_ = nullptr;       // natsConnection* of the relay's subscription
  void* forward_ = nullptr;     // natsConnection* the relay asks the real API through
  void* subs_[2] = {nullptr, nullptr};
  std::atomic<int> unavailable_{0}, relayed_{0};
};

// Fixture: a fresh nats-server (JetStream, file storage) and a connected store per test.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Creates a bucket with a unique name; fails the test on error.
  std::string NewBucket(BucketConfig config = {});
  ObjectInfo MustPut(const std::string& bucket, const std::string& name, std::string_view data,
                     const PutOptions& options = {});
  ObjectInfo MustPut(const std::string& bucket, const ObjectMeta& meta, std::string_view data,
                     const PutOptions& options = {});
  std::string MustGet(const std::string& bucket, const std::string& name);
  BucketStatus MustStatus(const std::string& bucket);
  // Chunk subjects present in a bucket's stream ($O.<b>.C.<nuid> -> messages), read raw.
  std::map<std::string, uint64_t> ChunkSubjectsOf(const std::string& bucket);

  std::unique_ptr<test::NatsServer> server_;
  std::shared_ptr<ObjectStore> store_;
};

// StoreTest with a fresh bucket per test (bucket_; empty if the store did not start).
class BucketTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (!store_) return;
    bucket_ = NewBucket();
  }
  // ChunkSubjectsOf(bucket_).
  std::map<std::string, uint64_t> ChunkSubjects() { return ChunkSubjectsOf(bucket_); }

  std::string bucket_;
};

}  // namespace natss3::coretest

// gtest helpers for Status/Result (each evaluates expr once and accepts << messages).
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::natss3::coretest_detail::OkFormat, expr)
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::natss3::coretest_detail::OkFormat, expr)
#define ASSERT_CODE(expr, code) \
  ASSERT_PRED_FORMAT2(::natss3::coretest_detail::CodeFormat, expr, code)
#define EXPECT_CODE(expr, code) \
  EXPECT_PRED_FORMAT2(::natss3::coretest_detail::CodeFormat, expr, code)

namespace natss3 {
inline void PrintTo(Code c, std::ostream* os) { *os << CodeName(c); }
namespace coretest_detail {
inline std::string Str(const Status& s) { return s.ToString(); }
template <typename T>
std::string Str(const Result<T>& r) {
  return r.ok() ? std::string("OK") : r.status().ToString();
}
inline Code CodeOf(const Status& s) { return s.code(); }
template <typename T>
Code CodeOf(const Result<T>& r) {
  return r.ok() ? Code::kOk : r.status().code();
}

template <typename T>
::testing::AssertionResult OkFormat(const char* text, const T& v) {
  if (CodeOf(v) == Code::kOk) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text << " is not OK: " << Str(v);
}
template <typename T>
::testing::AssertionResult CodeFormat(const char* text, const char*, const T& v, Code want) {
  if (CodeOf(v) == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text << ": want " << CodeName(want) << ", got " << Str(v);
}
}  // namespace coretest_detail
}  // namespace natss3
