// Status -> message and exit code, exactly once for the whole CLI.
#include "errors.h"

#include <string>

namespace natss3::cli {
namespace {

std::string MessageOf(const Status& status) {
  std::string message = status.message();
  if (message.empty()) message = std::string(CodeName(status.code()));
  return message;
}

}  // namespace

int ReportUsageError(const Status& status, std::ostream& err) {
  err << "natss3ctl: error: " << MessageOf(status) << "\n";
  err.flush();
  return kExitUsage;
}

int ReportFailure(const Status& status, std::ostream& err) {
  std::string message = MessageOf(status);
  err << "natss3ctl: error: " << message << "\n";
  if (status.detail() == Detail::kObjectLocked) {
    err << "natss3ctl: hint: the object is under object lock (retention or legal hold); it "
           "cannot be deleted or replaced until the lock ends\n";
  }
  if (status.code() == Code::kUnavailable) {
    err << "natss3ctl: hint: check -s/--server, $NATS_URL or --context, and that the server "
           "runs with JetStream enabled\n";
  }
  err.flush();
  return kExitFailure;
}

}  // namespace natss3::cli
