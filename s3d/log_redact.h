// What natss3d's logs may show of a request: its target with the secrets of presigned URLs
// (signatures, session tokens) replaced, and control characters escaped so that a client
// cannot forge or split log lines. Headers (Authorization included) are never logged.
#pragma once

#include <string>
#include <string_view>

namespace natss3::s3d {

// The request target for the access log. Query parameters X-Amz-Signature, Signature and
// X-Amz-Security-Token lose their value ("REDACTED"); X-Amz-Credential keeps only its access
// key ID ("AKID/REDACTED": the date, region and service are dropped with the rest);
// AWSAccessKeyId (an access key ID) stays. Parameter names are compared as the server reads
// them: percent-decoded, case-insensitively.
std::string RedactTarget(std::string_view target);

// `text` with control characters, DEL, '"' and '\' written as \xNN.
std::string LogSafe(std::string_view text);

}  // namespace natss3::s3d
