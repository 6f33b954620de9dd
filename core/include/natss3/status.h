// Status and Result<T>: the one error type of the whole toolkit. The core never throws.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace natss3 {

// A small canonical code set. Each front end maps these exactly once:
// s3d -> S3 error XML, fuse -> errno, cli -> exit code.
enum class Code {
  kOk = 0,
  kInvalidArgument,     // bad bucket/object name, bad option, name too long, bad input
  kNotFound,            // bucket or object does not exist (deleted objects count as missing)
  kAlreadyExists,       // bucket exists with another config, object exists (link/rename target)
  kFailedPrecondition,  // sealed bucket, bucket not empty, link to link/deleted, etc.
  kPermissionDenied,    // NATS authorization violation, permissions violation
  kUnavailable,         // no server reachable, connection lost, JetStream not enabled
  kDeadlineExceeded,    // a request or a read did not complete in time
  kDataLoss,            // digest mismatch, missing chunks: never silent
  kResourceExhausted,   // bucket or account limits reached (max_bytes, max_payload)
  kCancelled,           // the caller aborted (writer abandoned, watcher stopped)
  kUnimplemented,       // not supported by this server / implementation
  kInternal,            // anything else: a bug or an unexpected server answer
};

std::string_view CodeName(Code code);

// Why a Status has its code, where a boundary must tell reasons apart (e.g. a conflict that is
// retried vs. a sealed bucket, both kFailedPrecondition). Boundaries map by this, never by the
// message text. Most statuses carry kNone.
enum class Detail {
  kNone = 0,
  kWrongLastSequence,  // a conditional publish lost: the record changed since it was read
  kBucketNotFound,     // the bucket (stream) does not exist
  kSealed,             // the bucket is sealed
  kNameTooLong,        // kInvalidArgument: the object name's subject exceeds the line limit
  kStalledUpload,      // an upload paused so long that its chunks were reclaimed
  kObjectLocked,       // kPermissionDenied: object lock (retention, legal hold) forbids it
  kInvalidBucketName,  // kInvalidArgument: the bucket name breaks the naming rules
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message, Detail detail = Detail::kNone)
      : code_(code), message_(std::move(message)), detail_(detail) {}

  static Status OK() { return Status(); }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  Detail detail() const { return detail_; }
  Status WithDetail(Detail detail) const { return Status(code_, message_, detail); }
  // "NotFound: object not found" style text for logs and CLI output.
  std::string ToString() const;

  // Prepends context: Status(kNotFound,"x").Annotate("get a") -> "get a: x".
  Status Annotate(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  Detail detail_ = Detail::kNone;
};

inline Status InvalidArgument(std::string m, Detail d = Detail::kNone) {
  return {Code::kInvalidArgument, std::move(m), d};
}
inline Status NotFound(std::string m, Detail d = Detail::kNone) {
  return {Code::kNotFound, std::move(m), d};
}
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m, Detail d = Detail::kNone) {
  return {Code::kFailedPrecondition, std::move(m), d};
}
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Unavailable(std::string m, Detail d = Detail::kNone) {
  return {Code::kUnavailable, std::move(m), d};
}
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status DataLoss(std::string m) { return {Code::kDataLoss, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// A failure that may pass by itself (no answer in time; a server, leader or connection lost
// for now): worth trying again within a budget.
inline bool IsTransient(const Status& s) {
  return s.code() == Code::kUnavailable || s.code() == Code::kDeadlineExceeded;
}

// Result<T>: either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                    // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {               // NOLINT(implicit)
    if (std::get<Status>(v_).ok()) v_ = Status(Code::kInternal, "OK status used as error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace natss3

// Early-return helpers for Status- and Result-returning functions.
#define NATSS3_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::natss3::Status natss3_st_ = (expr);     \
    if (!natss3_st_.ok()) return natss3_st_;  \
  } while (0)

#define NATSS3_CONCAT_INNER(a, b) a##b
#define NATSS3_CONCAT(a, b) NATSS3_CONCAT_INNER(a, b)
#define NATSS3_ASSIGN_OR_RETURN(lhs, expr) \
  NATSS3_ASSIGN_OR_RETURN_IMPL(NATSS3_CONCAT(natss3_res_, __LINE__), lhs, expr)
#define NATSS3_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
