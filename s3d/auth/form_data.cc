// Incremental multipart/form-data parsing (RFC 7578 / RFC 2046 boundaries).
#include "auth/form_data.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

namespace natss3::s3 {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Parameters of a header value such as `form-data; name="a"; filename="b.txt"`: the value of
// `param` (quotes removed, backslash escapes undone), nullopt when absent.
std::optional<std::string> HeaderParam(std::string_view value, std::string_view param) {
  size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = Trim(value.substr(i, eq - i));
    size_t j = eq + 1;
    while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
    std::string parsed;
    if (j < value.size() && value[j] == '"') {
      ++j;
      while (j < value.size() && value[j] != '"') {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        parsed.push_back(value[j++]);
      }
      if (j < value.size()) ++j;  // closing quote
      i = value.find(';', j);
    } else {
      size_t end = value.find(';', j);
      parsed = std::string(Trim(value.substr(j, end == std::string_view::npos ? end : end - j)));
      i = end;
    }
    if (IEquals(name, param)) return parsed;
  }
  return std::nullopt;
}

S3Error FieldsTooLarge() {
  return S3Error{"MaxPostPreDataLengthExceeded",
                 "Your POST request fields preceding the upload file were too large.", 400};
}

}  // namespace

S3Error MalformedPostRequest(std::string message) {
  return S3Error{"MalformedPOSTRequest", std::move(message), 400};
}

std::optional<std::string> FormDataBoundary(std::string_view content_type) {
  std::string_view type = Trim(content_type.substr(0, content_type.find(';')));
  if (!IEquals(type, "multipart/form-data")) return std::nullopt;
  std::optional<std::string> boundary = HeaderParam(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

FormDataParser::FormDataParser(std::string boundary, Callbacks callbacks)
    : FormDataParser(std::move(boundary), std::move(callbacks), Limits{}) {}

FormDataParser::FormDataParser(std::string boundary, Callbacks callbacks, Limits limits)
    : delimiter_("\r\n--" + boundary), callbacks_(std::move(callbacks)), limits_(limits) {
  // The first boundary has no line break before it: pretend it had one.
  buffer_ = "\r\n";
}

S3Status FormDataParser::Feed(std::string_view data) {
  if (state_ == State::kDone) return S3Status::OK();  // the epilogue is ignored
  buffer_.append(data);
  bool progressed = true;
  while (progressed && state_ != State::kDone) {
    progressed = false;
    S3Status step = Step(&progressed);
    if (!step.ok()) return step;
  }
  // Drop what was consumed; what stays is at most a partial delimiter or header block.
  buffer_.erase(0, pos_);
  pos_ = 0;
  if (state_ == State::kDone) buffer_.clear();
  return S3Status::OK();
}

S3Status FormDataParser::Step(bool* progressed) {
  size_t available = buffer_.size() - pos_;
  switch (state_) {
    case State::kPreamble: {
      size_t found = buffer_.find(delimiter_, pos_);
      if (found == std::string::npos) {
        if (available >= delimiter_.size()) pos_ = buffer_.size() - (delimiter_.size() - 1);
        return S3Status::OK();
      }
      pos_ = found + delimiter_.size();
      state_ = State::kAfterDelimiter;
      *progressed = true;
      return S3Status::OK();
    }
    case State::kAfterDelimiter: {
      if (available < 2) return S3Status::OK();
      if (buffer_.compare(pos_, 2, "--") == 0) {
        state_ = State::kDone;
        *progressed = true;
        return S3Status::OK();
      }
      // Transport padding (spaces, tabs) may follow a boundary before its line break.
      size_t i = pos_;
      while (i < buffer_.size() && (buffer_[i] == ' ' || buffer_[i] == '\t')) ++i;
      if (i - pos_ > 256) return MalformedPostRequest();
      if (buffer_.size() - i < 2) return S3Status::OK();
      if (buffer_.compare(i, 2, "\r\n") != 0) return MalformedPostRequest();
      pos_ = i + 2;
      state_ = State::kHeaders;
      *progressed = true;
      return S3Status::OK();
    }
    case State::kHeaders: {
      if (available < 2) return S3Status::OK();
      size_t end;
      size_t skip;
      if (buffer_.compare(pos_, 2, "\r\n") == 0) {
        end = pos_;  // no headers at all
        skip = 2;
      } else {
        end = buffer_.find("\r\n\r\n", pos_);
        skip = 4;
        if (end == std::string::npos) {
          if (available > limits_.max_header_bytes) {
            return MalformedPostRequest("A part's headers of your POST request are too large.");
          }
          return S3Status::OK();
        }
      }
      if (end - pos_ > limits_.max_header_bytes) {
        return MalformedPostRequest("A part's headers of your POST request are too large.");
      }
      std::string block = buffer_.substr(pos_, end - pos_);
      pos_ = end + skip;
      S3Status started = StartPart(block);
      if (!started.ok()) return started;
      state_ = State::kBody;
      *progressed = true;
      return S3Status::OK();
    }
    case State::kBody: {
      size_t found = buffer_.find(delimiter_, pos_);
      if (found == std::string::npos) {
        // Everything but a possible start of the delimiter is part data.
        if (available >= delimiter_.size()) {
          size_t safe = buffer_.size() - (delimiter_.size() - 1);
          S3Status emitted = EmitBody(std::string_view(buffer_).substr(pos_, safe - pos_));
          if (!emitted.ok()) return emitted;
          pos_ = safe;
        }
        return S3Status::OK();
      }
      S3Status emitted = EmitBody(std::string_view(buffer_).substr(pos_, found - pos_));
      if (!emitted.ok()) return emitted;
      pos_ = found + delimiter_.size();
      S3Status ended = EndPart();
      if (!ended.ok()) return ended;
      state_ = State::kAfterDelimiter;
      *progressed = true;
      return S3Status::OK();
    }
    case State::kDone:
      return S3Status::OK();
  }
  return S3Status::OK();
}

S3Status FormDataParser::StartPart(std::string_view block) {
  std::optional<std::string> name, filename;
  std::string content_type;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return MalformedPostRequest();
    std::string_view header = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(header, "Content-Disposition")) {
      std::string_view kind = Trim(value.substr(0, value.find(';')));
      if (!IEquals(kind, "form-data")) return MalformedPostRequest();
      name = HeaderParam(value, "name");
      filename = HeaderParam(value, "filename");
    } else if (IEquals(header, "Content-Type")) {
      content_type = std::string(value);
    }
  }
  if (!name) return MalformedPostRequest("A part of your POST request has no field name.");
  field_name_ = *name;
  field_value_.clear();
  if (saw_file_) {
    part_ = PartKind::kSkipped;
  } else if (IEquals(*name, "file")) {
    part_ = PartKind::kFile;
    saw_file_ = true;
    // Browsers send the base name; some clients send a path: S3 uses what follows the last
    // separator.
    std::string base = filename.value_or("");
    size_t slash = base.find_last_of("/\\");
    if (slash != std::string::npos) base.erase(0, slash + 1);
    if (callbacks_.on_file_start) return callbacks_.on_file_start(*name, base, content_type);
  } else {
    part_ = PartKind::kField;
  }
  return S3Status::OK();
}

S3Status FormDataParser::EmitBody(std::string_view data) {
  if (data.empty()) return S3Status::OK();
  switch (part_) {
    case PartKind::kField:
      if (field_value_.size() + data.size() > limits_.max_field_bytes ||
          fields_bytes_ + field_value_.size() + data.size() > limits_.max_fields_bytes) {
        return FieldsTooLarge();
      }
      field_value_.append(data);
      return S3Status::OK();
    case PartKind::kFile:
      return callbacks_.on_file_data ? callbacks_.on_file_data(data) : S3Status::OK();
    case PartKind::kSkipped:
      return S3Status::OK();
  }
  return S3Status::OK();
}

S3Status FormDataParser::EndPart() {
  PartKind kind = part_;
  part_ = PartKind::kSkipped;
  if (kind == PartKind::kField) {
    fields_bytes_ += field_name_.size() + field_value_.size();
    if (fields_bytes_ > limits_.max_fields_bytes) return FieldsTooLarge();
    if (callbacks_.on_field) return callbacks_.on_field(field_name_, field_value_);
  } else if (kind == PartKind::kFile) {
    if (callbacks_.on_file_end) return callbacks_.on_file_end();
  }
  return S3Status::OK();
}

S3Status FormDataParser::Finish() {
  if (state_ != State::kDone) {
    return MalformedPostRequest(
        "The body of your POST request is not well-formed multipart/form-data: it ends before "
        "its closing boundary.");
  }
  return S3Status::OK();
}

}  // namespace natss3::s3
