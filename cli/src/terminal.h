// Terminal interaction: confirmation prompts and progress bars, both only on a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <istream>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "natss3/status.h"

namespace natss3::cli {

// The process's standard streams plus what is known about them. Injected so tests can drive
// commands without a real terminal.
struct Console {
  std::ostream& out;  // human/JSON output
  std::ostream& err;  // errors, prompts and progress
  std::istream& in;   // prompt answers
  bool interactive = false;     // stdin and stderr are terminals: prompts allowed
  bool progress_allowed = false;  // stderr is a terminal: progress bars allowed

  // Asks a yes/no question (default No). Without a terminal: kFailedPrecondition
  // "cannot ask for confirmation without a terminal" (use -f).
  Result<bool> Confirm(const std::string& question);

  // Asks for one of `options` (non-empty), listed and numbered from 1; the answer is a number
  // or an option itself, and a wrong answer asks again. Returns the index. Without a terminal:
  // kFailedPrecondition; end of input: kCancelled "nothing selected".
  Result<size_t> Choose(const std::string& question, const std::vector<std::string>& options);
};

// Console bound to std::cout/cerr/cin, with isatty() checks on fds 0 and 2.
Console ProcessConsole();

// A one-line progress bar on `err`, redrawn at most every 100 ms:
//   "  45% |██████████░░░░░░░░░░░░| 12 MiB / 25 MiB 5.0 MiB/s"
// Enabled only when the console allows it and total > 20 KiB (natscli's threshold).
class ProgressBar {
 public:
  static constexpr uint64_t kMinimumSize = 20480;
  ProgressBar(Console& console, uint64_t total, bool wanted);
  ~ProgressBar() { Finish(); }
  bool enabled() const { return enabled_; }
  void Add(uint64_t bytes);
  void Finish();  // draws the final state and ends the line; idempotent
  // The line for a given state (no carriage return); exposed for tests.
  static std::string Render(uint64_t done, uint64_t total, double bytes_per_second);

 private:
  void Draw(bool force);
  Console& console_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// One bar for a whole `sync`, fed by several transfer threads at once (thread-safe):
//   "  45% |██████████░░░░░░░░░░░░| 12 MiB / 25 MiB, 120/400 files 5.0 MiB/s"
// Totals may grow while it runs (a file found to differ only once hashed). Lines printed
// through Print() clear the bar first and redraw it after, so they never mix.
class SyncProgress {
 public:
  SyncProgress(Console& console, bool enabled);
  ~SyncProgress() { Finish(); }
  bool enabled() const { return enabled_; }
  void AddTotal(uint64_t bytes, uint64_t files);
  void AddDone(uint64_t bytes, uint64_t files);
  // Writes `line` (ending in "\n") to `out` (console out or err) without tearing the bar.
  void Print(std::ostream& out, const std::string& line);
  void Finish();  // final state and a newline; idempotent
  static std::string Render(uint64_t done, uint64_t total, uint64_t files_done,
                            uint64_t files_total, double bytes_per_second);

 private:
  void DrawLocked(bool force);
  Console& console_;
  bool enabled_;
  bool finished_ = false;
  bool drawn_ = false;
  std::mutex mu_;
  uint64_t bytes_total_ = 0, bytes_done_ = 0, files_total_ = 0, files_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace natss3::cli
