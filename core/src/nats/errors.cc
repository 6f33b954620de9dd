// NATS status / JetStream error code -> Status.
#include "nats/errors.h"

#include <string>

namespace natss3::natsw {
namespace {

std::string Join(std::string_view what, std::string_view msg) {
  if (what.empty()) return std::string(msg);
  return std::string(what) + ": " + std::string(msg);
}

Status FromErrCode(int err_code, const std::string& text, std::string_view what) {
  switch (err_code) {
    case 10059: return NotFound(Join(what, "bucket not found"), Detail::kBucketNotFound);
    case 10037: return NotFound(Join(what, "not found"));
    case 10058: return AlreadyExists(Join(what, "bucket name already in use with another configuration"));
    case 10109: return FailedPrecondition(Join(what, "bucket is sealed"), Detail::kSealed);
    case 10071:
      return FailedPrecondition(Join(what, "object was changed concurrently (wrong last sequence)"),
                                Detail::kWrongLastSequence);
    case 10039:
    case 10076: return Unavailable(Join(what, "JetStream not enabled"));
    // "JetStream system temporarily unavailable": no meta or stream leader for a moment (an
    // election, a server that just resumed). Transient: API requests and publishes retry it.
    case 10008: return Unavailable(Join(what, text.empty() ? "JetStream unavailable" : text));
    case 10023:
    case 10047: return ResourceExhausted(Join(what, "insufficient JetStream resources: " + text));
    case 10054:
      return FailedPrecondition(Join(what, "rollup not permitted (sealed bucket?)"),
                                Detail::kSealed);
    case 10052: return FailedPrecondition(Join(what, text));
    default: break;
  }
  if (text.find("maximum bytes") != std::string::npos ||
      text.find("maximum messages") != std::string::npos ||
      text.find("exceeds maximum") != std::string::npos ||
      text.find("resource limits exceeded") != std::string::npos) {
    return ResourceExhausted(Join(what, text));
  }
  // The server's text is all there is to go by here; the Status carries the finding as a
  // Detail so that no boundary has to read the message.
  if (text.find("sealed") != std::string::npos)
    return FailedPrecondition(Join(what, text), Detail::kSealed);
  if (text.find("stream not found") != std::string::npos)
    return NotFound(Join(what, text), Detail::kBucketNotFound);
  if (text.find("not found") != std::string::npos) return NotFound(Join(what, text));
  return Internal(Join(what, text.empty() ? "JetStream error " + std::to_string(err_code) : text));
}

}  // namespace

Status FromNats(natsStatus s, std::string_view what, jsErrCode jerr) {
  if (s == NATS_OK) return Status::OK();
  std::string text = natsStatus_GetText(s);
  char stack[512] = {0};
  if (nats_GetLastErrorStack(stack, sizeof(stack)) == NATS_OK && stack[0]) {
    // The first line of the error stack carries the server's description.
    std::string first(stack);
    auto nl = first.find('\n');
    if (nl != std::string::npos) first.resize(nl);
    if (!first.empty()) text = first;
  }
  if (jerr != 0) return FromErrCode(static_cast<int>(jerr), text, what);
  switch (s) {
    case NATS_NO_SERVER:
      return Unavailable(Join(what, "no NATS server reachable"));
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
      return Unavailable(Join(what, "connection to NATS lost"));
    case NATS_NO_RESPONDERS:
      return Unavailable(Join(what, "JetStream not enabled or not available"));
    case NATS_TIMEOUT:
      return DeadlineExceeded(Join(what, "timeout waiting for NATS"));
    case NATS_NOT_PERMITTED:
    case NATS_CONNECTION_AUTH_FAILED:
      return PermissionDenied(Join(what, "authorization violation: " + text));
    case NATS_NOT_FOUND:
      return NotFound(Join(what, "not found"));
    case NATS_MAX_PAYLOAD:
      return ResourceExhausted(Join(what, "message exceeds the server's max_payload"));
    case NATS_INVALID_ARG:
      return InvalidArgument(Join(what, text));
    case NATS_INVALID_SUBSCRIPTION:
      return Cancelled(Join(what, "subscription closed"));
    case NATS_SSL_ERROR:
      return Unavailable(Join(what, "TLS error: " + text));
    case NATS_ERR:
      if (text.find("uthorization") != std::string::npos)
        return PermissionDenied(Join(what, "authorization violation"));
      break;
    default:
      break;
  }
  if (text.find("sealed") != std::string::npos)
    return FailedPrecondition(Join(what, text), Detail::kSealed);
  if (text.find("maximum") != std::string::npos) return ResourceExhausted(Join(what, text));
  return Internal(Join(what, text));
}

Status FromApiError(int code, int err_code, const std::string& description,
                    std::string_view what) {
  if (err_code != 0 || code == 0) return FromErrCode(err_code, description, what);
  if (code == 404) {
    bool stream = description.find("stream not found") != std::string::npos;
    return NotFound(Join(what, description), stream ? Detail::kBucketNotFound : Detail::kNone);
  }
  if (code == 503) return Unavailable(Join(what, description));
  return Internal(Join(what, description));
}

}  // namespace natss3::natsw
