// ReadStream implementation (see read_stream.h).
#include "read_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errno_map.h"

namespace natss3::fs {

bool ReadStream::Near(uint64_t offset) const {
  return offset >= begin_.load() && offset < end_.load();
}

void ReadStream::Publish() {
  if (!reader_) {
    end_ = 0;
    return;
  }
  begin_ = gap_.empty() ? pos_ : gap_start_;
  end_ = pos_ + kMaxSkip + 1;
}

void ReadStream::Drop() {
  if (reader_ && active_) active_->fetch_sub(1);
  reader_.reset();
  gap_.clear();
  gap_.shrink_to_fit();
  Publish();
}

void ReadStream::Close() {
  std::lock_guard lock(mu_);
  Drop();
}

int ReadStream::SkipTo(uint64_t offset) {
  if (gap_.empty() || gap_start_ + gap_.size() != pos_) {
    gap_.clear();
    gap_start_ = pos_;
  }
  while (pos_ < offset) {
    size_t old = gap_.size();
    gap_.resize(old + static_cast<size_t>(offset - pos_));
    auto n = reader_->Read(gap_.data() + old, gap_.size() - old);
    if (!n.ok()) return ErrnoFor(n.status(), OpKind::kRead);
    gap_.resize(old + *n);
    if (*n == 0) break;  // end of the object
    pos_ += *n;
  }
  if (gap_.size() > kMaxAhead) {  // keep the newest bytes: the oldest were likely delivered
    size_t drop = gap_.size() - kMaxAhead;
    gap_.erase(0, drop);
    gap_start_ += drop;
  }
  return 0;
}

int ReadStream::Read(uint64_t offset, char* buf, size_t n, size_t* got, const Opener& open) {
  std::lock_guard lock(mu_);
  *got = 0;
  if (reader_ && offset < pos_ && !InGap(offset)) return kBehind;
  if (!reader_ || (offset > pos_ && offset - pos_ > kMaxSkip)) {
    Drop();
    if (int err = open(offset, &reader_); err != 0) {
      reader_.reset();
      Publish();
      return err;
    }
    if (active_) active_->fetch_add(1);
    pos_ = gap_start_ = offset;
  }
  int err = 0;
  while (err == 0 && *got < n) {
    const uint64_t cur = offset + *got;
    if (cur < pos_) {
      if (!InGap(cur)) {  // the gap ended before pos_: these bytes went to another request
        Publish();
        return kBehind;
      }
      size_t from = static_cast<size_t>(cur - gap_start_);
      size_t take = std::min(n - *got, gap_.size() - from);
      std::memcpy(buf + *got, gap_.data() + from, take);
      *got += take;
      if (from == 0) {  // delivered from the front: that memory can go
        gap_.erase(0, take);
        gap_start_ += take;
      }
      continue;
    }
    if (cur > pos_) {
      if ((err = SkipTo(cur)) != 0 || pos_ < cur) break;  // error, or the object ended
      continue;
    }
    auto r = reader_->Read(buf + *got, n - *got);
    if (!r.ok()) {
      err = ErrnoFor(r.status(), OpKind::kRead);
      break;
    }
    if (*r == 0) break;  // end of the object
    pos_ += *r;
    *got += *r;
  }
  if (err != 0) Drop();
  Publish();
  return err;
}

}  // namespace natss3::fs
