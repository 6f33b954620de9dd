// ExtentMap: a set of disjoint byte ranges [start, end) of a file (which bytes a staging file
// holds). Pure logic, not thread-safe (FileState guards it with its io_mu_).
#pragma once

#include <cstdint>
#include <map>

namespace natss3::fs {

class ExtentMap {
 public:
  // Adds [start, end), merging with touching or overlapping ranges.
  void Add(uint64_t start, uint64_t end);
  // Drops everything at or beyond `size`.
  void Clip(uint64_t size);
  void Clear() { ranges_.clear(), covered_ = 0; }

  // Bytes of [start, end) not covered yet (what Add(start, end) would add to covered()).
  uint64_t Uncovered(uint64_t start, uint64_t end) const;
  uint64_t covered() const { return covered_; }  // total bytes in the set
  bool empty() const { return ranges_.empty(); }

  // The run that `pos` starts: *covered tells whether pos is in the set, the return value is
  // where that run ends (the end of its range, or the start of the next range; UINT64_MAX
  // when no range follows).
  uint64_t RunAt(uint64_t pos, bool* covered) const;

 private:
  std::map<uint64_t, uint64_t> ranges_;  // start -> end, disjoint and not touching
  uint64_t covered_ = 0;
};

}  // namespace natss3::fs
