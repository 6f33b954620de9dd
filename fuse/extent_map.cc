// ExtentMap implementation (see extent_map.h).
#include "extent_map.h"

#include <algorithm>
#include <iterator>

namespace natss3::fs {

void ExtentMap::Add(uint64_t start, uint64_t end) {
  if (start >= end) return;
  covered_ += Uncovered(start, end);
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin() && std::prev(it)->second >= start) --it;
  while (it != ranges_.end() && it->first <= end) {
    start = std::min(start, it->first);
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(start, end);
}

void ExtentMap::Clip(uint64_t size) {
  auto it = ranges_.lower_bound(size);
  while (it != ranges_.end()) {
    covered_ -= it->second - it->first;
    it = ranges_.erase(it);
  }
  if (!ranges_.empty()) {
    auto last = std::prev(ranges_.end());
    if (last->second > size) {
      covered_ -= last->second - size;
      last->second = size;
    }
  }
}

uint64_t ExtentMap::Uncovered(uint64_t start, uint64_t end) const {
  if (start >= end) return 0;
  uint64_t missing = end - start;
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) --it;
  for (; it != ranges_.end() && it->first < end; ++it) {
    uint64_t from = std::max(start, it->first), to = std::min(end, it->second);
    if (to > from) missing -= to - from;
  }
  return missing;
}

uint64_t ExtentMap::RunAt(uint64_t pos, bool* covered) const {
  auto next = ranges_.upper_bound(pos);
  if (next != ranges_.begin()) {
    auto cur = std::prev(next);
    if (cur->second > pos) {
      *covered = true;
      return cur->second;
    }
  }
  *covered = false;
  return next == ranges_.end() ? UINT64_MAX : next->first;
}

}  // namespace natss3::fs
