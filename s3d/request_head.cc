// Request head scanning and body framing for the connection hub.
#include "s3d/request_head.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace natss3::s3d {

namespace {

// Longest chunk-size, chunk-end or trailer line followed; httplib's own line reader has no
// limit, so a longer one is treated as framing the hub cannot follow (the connection closes).
constexpr size_t kMaxChunkLine = 8192;

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

bool NameIs(std::string_view name, const char* expected) {
  size_t n = std::char_traits<char>::length(expected);
  return name.size() == n && strncasecmp(name.data(), expected, n) == 0;
}

// Splits a header line (terminator excluded) as httplib's parse_header does: the name is
// everything before the first ':', the value is trimmed of spaces and tabs. False when httplib
// would drop the line (no ':' or an empty value).
bool SplitHeader(std::string_view line, std::string_view* name, std::string_view* value) {
  while (!line.empty() && IsSpaceOrTab(line.back())) line.remove_suffix(1);
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  *name = line.substr(0, colon);
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && IsSpaceOrTab(v.front())) v.remove_prefix(1);
  if (v.empty()) return false;
  *value = v;
  return true;
}

}  // namespace

void HeadScanner::Reset() {
  scanned_ = 0;
  line_start_ = 0;
  lines_ = 0;
  state_ = State::kPending;
  head_ = RequestHead{};
  error_ = HeadError::kNone;
}

HeadScanner::State HeadScanner::Reject(HeadError error) {
  error_ = error;
  state_ = State::kRejected;
  return state_;
}

HeadScanner::State HeadScanner::Scan(std::string_view data) {
  if (state_ != State::kPending) return state_;
  size_t limit = std::min(data.size(), limits_.max_bytes);
  for (size_t i = scanned_; i < limit; ++i) {
    if (data[i] != '\n') continue;
    bool blank = lines_ > 0 && i == line_start_ + 1 && data[line_start_] == '\r';
    if (blank) {
      scanned_ = i + 1;
      return Parse(data.substr(0, i + 1));
    }
    ++lines_;
    line_start_ = i + 1;
    if (lines_ > limits_.max_headers + 1) return Reject(HeadError::kTooManyHeaders);
  }
  scanned_ = limit;
  // Checked on what arrived, before any of it is kept longer: httplib would buffer a line of
  // any length before looking at its size.
  if (data.size() >= limits_.max_bytes) return Reject(HeadError::kTooLarge);
  return State::kPending;
}

HeadScanner::State HeadScanner::Parse(std::string_view head) {
  head_.length = head.size();
  size_t eol = head.find('\n');
  std::string_view request_line = head.substr(0, eol);
  std::string_view method = request_line.substr(0, request_line.find(' '));
  head_.method = std::string(method);
  // httplib reads the body of a PATCH or PRI request without Content-Length or
  // Transfer-Encoding until the connection closes (a worker held for as long as the client
  // likes, the next requests swallowed); natss3d serves neither method.
  if (method == "PATCH" || method == "PRI") return Reject(HeadError::kNotImplemented);

  bool have_length = false;
  uint64_t length = 0;
  int transfer_encodings = 0;
  bool chunked = false;
  bool expect_seen = false;
  size_t pos = eol + 1;
  while (pos < head.size()) {
    size_t end = head.find('\n', pos);
    std::string_view line = head.substr(pos, end - pos);  // without the '\n'
    pos = end + 1;
    // httplib skips lines without the '\r' (and the last line is the blank one).
    if (line.empty() || line.back() != '\r' || line.size() == 1) continue;
    line.remove_suffix(1);
    std::string_view name, value;
    {
      std::string_view raw = line;
      while (!raw.empty() && IsSpaceOrTab(raw.back())) raw.remove_suffix(1);
      size_t colon = raw.find(':');
      if (colon != std::string_view::npos) {
        std::string_view v = raw.substr(colon + 1);
        while (!v.empty() && IsSpaceOrTab(v.front())) v.remove_prefix(1);
        head_.raw_headers.emplace_back(std::string(raw.substr(0, colon)), std::string(v));
      }
    }
    if (!SplitHeader(line, &name, &value)) continue;
    if (NameIs(name, "Content-Length")) {
      // httplib URL-decodes header values and reads this one with strtoull (which takes a
      // sign, and stops at the first non-digit): only a plain number means the same to both.
      if (value.size() > 19 || !std::all_of(value.begin(), value.end(), [](char c) {
            return c >= '0' && c <= '9';
          })) {
        return Reject(HeadError::kBadFraming);
      }
      uint64_t v = 0;
      for (char c : value) v = v * 10 + static_cast<uint64_t>(c - '0');
      if (have_length && v != length) return Reject(HeadError::kBadFraming);
      have_length = true;
      length = v;
    } else if (NameIs(name, "Transfer-Encoding")) {
      ++transfer_encodings;
      chunked = NameIs(value, "chunked");
    } else if (NameIs(name, "Expect") && !expect_seen) {
      expect_seen = true;  // httplib looks at the first one only
      head_.expect_continue = NameIs(value, "100-continue");
    }
  }
  if (transfer_encodings > 0) {
    // httplib honours only a first Transfer-Encoding of exactly "chunked" and would read any
    // other coding as a Content-Length body (or to the end of the connection).
    if (transfer_encodings > 1 || !chunked) return Reject(HeadError::kNotImplemented);
    head_.body = RequestHead::Body::kChunked;
    head_.close_after = have_length;
  } else if (have_length && length > limits_.max_body) {
    // httplib would read (and drop) all of it on a worker before answering 413.
    return Reject(HeadError::kBodyTooLarge);
  } else if (have_length && length > 0) {
    head_.body = RequestHead::Body::kLength;
    head_.content_length = length;
  }
  state_ = State::kComplete;
  return state_;
}

void BodyTracker::Start(const RequestHead& head) {
  chunked_ = head.body == RequestHead::Body::kChunked;
  line_.clear();
  left_ = 0;
  if (chunked_) {
    state_ = State::kSizeLine;
  } else if (head.body == RequestHead::Body::kLength && head.content_length > 0) {
    state_ = State::kData;
    left_ = head.content_length;
  } else {
    state_ = State::kDone;
  }
}

uint64_t BodyTracker::remaining() const {
  if (state_ == State::kDone) return 0;
  if (!chunked_ && state_ == State::kData) return left_;
  return std::numeric_limits<uint64_t>::max();
}

size_t BodyTracker::Consume(std::string_view data) {
  size_t taken = 0;
  while (taken < data.size() && state_ != State::kDone && state_ != State::kFailed) {
    if (state_ == State::kData) {
      uint64_t n = std::min<uint64_t>(left_, data.size() - taken);
      left_ -= n;
      taken += static_cast<size_t>(n);
      if (left_ == 0) state_ = chunked_ ? State::kDataEnd : State::kDone;
      continue;
    }
    size_t eol = data.find('\n', taken);
    size_t end = eol == std::string_view::npos ? data.size() : eol + 1;
    line_.append(data.substr(taken, end - taken));
    taken = end;
    if (line_.size() > kMaxChunkLine) {
      state_ = State::kFailed;
      break;
    }
    if (eol == std::string_view::npos) break;
    if (!EndLine()) state_ = State::kFailed;
    line_.clear();
  }
  return taken;
}

bool BodyTracker::EndLine() {
  switch (state_) {
    case State::kSizeLine: {
      // As httplib's strtoul(line, &end, 16): leading white space, then hex digits; whatever
      // follows (chunk extensions) is ignored. A sign is refused here (strtoul would take it).
      size_t i = 0;
      while (i < line_.size() && std::isspace(static_cast<unsigned char>(line_[i]))) ++i;
      uint64_t size = 0;
      size_t digits = 0;
      for (; i < line_.size() && std::isxdigit(static_cast<unsigned char>(line_[i])); ++i) {
        if (++digits > 15) return false;  // beyond any payload natss3d takes
        char c = static_cast<char>(std::tolower(static_cast<unsigned char>(line_[i])));
        size = size * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
      }
      if (digits == 0) return false;
      if (size == 0) {
        state_ = State::kTrailer;
      } else {
        left_ = size;
        state_ = State::kData;
      }
      return true;
    }
    case State::kDataEnd:
      if (line_ != "\r\n") return false;
      state_ = State::kSizeLine;
      return true;
    case State::kTrailer:
      if (line_ == "\r\n") state_ = State::kDone;
      return true;
    default:
      return false;
  }
}

}  // namespace natss3::s3d
