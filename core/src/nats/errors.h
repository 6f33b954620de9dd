// The one place where NATS and JetStream errors become natss3::Status.
#pragma once

#include <nats/nats.h>

#include <string>
#include <string_view>

#include "natss3/status.h"

namespace natss3::natsw {

// `what` names the operation ("put a.txt"); jerr is the JetStream API error code when known.
Status FromNats(natsStatus s, std::string_view what, jsErrCode jerr = static_cast<jsErrCode>(0));
// From a JetStream API JSON error {"code":..,"err_code":..,"description":..}.
Status FromApiError(int code, int err_code, const std::string& description, std::string_view what);

}  // namespace natss3::natsw
