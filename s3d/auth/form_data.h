// Incremental multipart/form-data parser for S3 POST Object (browser uploads): the form fields
// come first and are small, the file comes last and is streamed, so memory stays bounded
// whatever the upload's size.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/s3_error.h"

namespace natss3::s3 {

// The boundary parameter of a "multipart/form-data; boundary=..." Content-Type (quotes
// removed). nullopt when the type is not multipart/form-data or the boundary is missing or
// longer than RFC 2046's 70 characters.
std::optional<std::string> FormDataBoundary(std::string_view content_type);

// Feed() the body in pieces of any size; callbacks fire as parts complete:
//   on_field(name, value)                 - each non-file part, whole (name as sent)
//   on_file_start(field_name, filename, content_type) - the part with a filename (the file);
//                                           returning an error stops the parse with it
//   on_file_data(bytes)                   - the file's bytes, in order, in pieces
//   on_file_end()                         - the file part's closing boundary was seen
// Parts after the file are skipped (S3 ignores fields after the file). Errors: MalformedPOST
// Request (400) for a body that does not follow the format, and a field or part header larger
// than the limits. Memory: the limits plus the boundary length, never the file.
class FormDataParser {
 public:
  struct Callbacks {
    std::function<S3Status(std::string_view name, std::string_view value)> on_field;
    std::function<S3Status(std::string_view field_name, std::string_view filename,
                           std::string_view content_type)>
        on_file_start;
    std::function<S3Status(std::string_view data)> on_file_data;
    std::function<S3Status()> on_file_end;
  };
  struct Limits {
    size_t max_field_bytes = 20 * 1024;   // one field's value (S3 caps a policy at 20 KB)
    size_t max_header_bytes = 8 * 1024;   // one part's header block
    size_t max_fields_bytes = 64 * 1024;  // all fields together
  };

  FormDataParser(std::string boundary, Callbacks callbacks);
  FormDataParser(std::string boundary, Callbacks callbacks, Limits limits);

  S3Status Feed(std::string_view data);
  // The body ended: MalformedPOSTRequest unless the closing boundary was seen.
  S3Status Finish();
  bool done() const { return state_ == State::kDone; }
  bool saw_file() const { return saw_file_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kDone };
  S3Status Step(bool* progressed);
  S3Status StartPart(std::string_view header_block);
  S3Status EmitBody(std::string_view data);
  S3Status EndPart();

  std::string delimiter_;  // "\r\n--" + boundary
  Callbacks callbacks_;
  Limits limits_;
  State state_ = State::kPreamble;
  std::string buffer_;  // unconsumed input (bounded)
  size_t pos_ = 0;      // consumed prefix of buffer_
  // The current part.
  enum class PartKind { kField, kFile, kSkipped } part_ = PartKind::kSkipped;
  std::string field_name_;
  std::string field_value_;
  size_t fields_bytes_ = 0;
  bool saw_file_ = false;
};

S3Error MalformedPostRequest(
    std::string message = "The body of your POST request is not well-formed multipart/form-data.");

}  // namespace natss3::s3
