// `put -H K:V` values are Go text/template strings, expanded like natscli's obj put does
// (natscli internal/util PubReplyBodyTemplate with a sequence number of 0).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "natss3/status.h"

namespace natss3::cli {

// What the template functions and fields return. One TemplateValues serves every header of
// one object, so {{Unix}} is the same in all of them; {{ID}} and {{Random}} differ per call.
struct TemplateValues {
  int64_t count = 0;                                   // {{Count}}, {{Cnt}}: natscli passes 0
  std::chrono::system_clock::time_point now;           // {{Unix}}, {{UnixNano}}, {{Time}}, ...
  int64_t utc_offset_seconds = 0;                      // local zone of {{TimeStamp}}, {{Time}}
  std::function<std::string()> new_id;                 // {{ID}}: a NUID
  std::function<std::string(uint64_t length)> random;  // {{Random a b}}: [a-zA-Z0-9]{length}
};

// The current time in the local zone (TZ), fresh NUIDs and random strings.
TemplateValues CurrentTemplateValues();

// Expands `text`. Supported, as in natscli:
//   functions  Count, Cnt, Unix, UnixNano, TimeStamp (RFC 3339, local), Time (Go's Kitchen
//              "3:04PM", local), ID (a NUID), Random MIN MAX (length in [MIN, MAX), or MIN
//              when equal; at most 1 MiB);
//   fields     .Count, .Cnt, .Unix, .UnixNano, .TimeStamp, .Time, .ID, .Request (always "");
//   literals   {{"{{"}} and {{`raw`}} (the way to write a literal "{{"), integers;
//   comments   {{/* ... */}}, and the {{- -}} whitespace trim markers.
// Everything else Go templates can do (pipelines, if/range, variables, printf and the other
// builtins) is kInvalidArgument "... is not supported", never passed through silently. Errors
// Go would report (unknown function, unknown field, unclosed action, wrong argument count) are
// kInvalidArgument with a message close to Go's.
Result<std::string> ExpandHeaderTemplate(std::string_view text, const TemplateValues& values);

}  // namespace natss3::cli
