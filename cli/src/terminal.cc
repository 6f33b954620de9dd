// Prompts and progress bars; both degrade to "not available" when there is no terminal.
#include "terminal.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "app.h"
#include "format.h"
#include "natss3/ascii.h"

namespace natss3::cli {
namespace {

// Ctrl-C at a prompt ends the program as usual. The handler installed for transfers only sets
// a flag, and the blocking read of the answer would go on waiting (then act on a later "y").
// Nothing is in flight while a prompt waits, so there is nothing to clean up.
class DefaultSignalsWhilePrompting {
 public:
  DefaultSignalsWhilePrompting() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGINT, &dfl, &old_int_);
    sigaction(SIGTERM, &dfl, &old_term_);
  }
  ~DefaultSignalsWhilePrompting() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  DefaultSignalsWhilePrompting(const DefaultSignalsWhilePrompting&) = delete;
  DefaultSignalsWhilePrompting& operator=(const DefaultSignalsWhilePrompting&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

}  // namespace

Result<bool> Console::Confirm(const std::string& question) {
  if (!interactive) {
    return FailedPrecondition("cannot ask for confirmation without a terminal, use -f to force");
  }
  if (Interrupted()) return Cancelled("interrupted");
  DefaultSignalsWhilePrompting signals;
  err << "? " << question << " (y/N) ";
  err.flush();
  std::string answer;
  if (!std::getline(in, answer)) {
    err << "\n";
    return false;
  }
  answer = AsciiLower(answer);
  return answer == "y" || answer == "yes";
}

Result<size_t> Console::Choose(const std::string& question,
                               const std::vector<std::string>& options) {
  if (!interactive) return FailedPrecondition("cannot offer a choice without a terminal");
  if (Interrupted()) return Cancelled("interrupted");
  DefaultSignalsWhilePrompting signals;
  err << "? " << question << ":\n";
  for (size_t i = 0; i < options.size(); ++i) err << "  " << i + 1 << ") " << options[i] << "\n";
  while (true) {
    err << "Enter a number (1-" << options.size() << "): ";
    err.flush();
    std::string answer;
    if (!std::getline(in, answer)) {
      err << "\n";
      return Cancelled("nothing selected");
    }
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!answer.empty() && space(answer.back())) answer.pop_back();
    while (!answer.empty() && space(answer.front())) answer.erase(0, 1);
    for (size_t i = 0; i < options.size(); ++i) {
      if (answer == options[i] || answer == std::to_string(i + 1)) return i;
    }
    err << "  not one of the choices: \"" << answer << "\"\n";
  }
}

Console ProcessConsole() {
  bool stdin_tty = ::isatty(0) == 1, stderr_tty = ::isatty(2) == 1;
  return Console{std::cout, std::cerr, std::cin, stdin_tty && stderr_tty, stderr_tty};
}

ProgressBar::ProgressBar(Console& console, uint64_t total, bool wanted)
    : console_(console),
      total_(total),
      enabled_(wanted && console.progress_allowed && total > kMinimumSize),
      start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::Render(uint64_t done, uint64_t total, double bytes_per_second) {
  constexpr int kWidth = 30;
  double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  if (fraction > 1) fraction = 1;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar;
  for (int i = 0; i < kWidth; ++i) bar += i < filled ? "█" : "░";
  char percent[16];
  std::snprintf(percent, sizeof(percent), "%3d%%", static_cast<int>(fraction * 100));
  return std::string(percent) + " |" + bar + "| " + IBytes(done) + " / " + IBytes(total) + " " +
         IBytes(static_cast<uint64_t>(bytes_per_second)) + "/s";
}

void ProgressBar::Add(uint64_t bytes) {
  done_ += bytes;
  Draw(false);
}

void ProgressBar::Draw(bool force) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  console_.err << "\r\x1b[K" << Render(done_, total_, rate);
  console_.err.flush();
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  Draw(true);
  finished_ = true;
  console_.err << "\n";
  console_.err.flush();
}

SyncProgress::SyncProgress(Console& console, bool enabled)
    : console_(console),
      enabled_(enabled && console.progress_allowed),
      start_(std::chrono::steady_clock::now()) {}

std::string SyncProgress::Render(uint64_t done, uint64_t total, uint64_t files_done,
                                 uint64_t files_total, double bytes_per_second) {
  std::string line = ProgressBar::Render(done, total, bytes_per_second);
  // "... 12 MiB / 25 MiB 5.0 MiB/s" -> "... 12 MiB / 25 MiB, 120/400 files 5.0 MiB/s"
  const std::string rate = " " + IBytes(static_cast<uint64_t>(bytes_per_second)) + "/s";
  line.resize(line.size() - rate.size());
  return line + ", " + std::to_string(files_done) + "/" + std::to_string(files_total) + " files" +
         rate;
}

void SyncProgress::AddTotal(uint64_t bytes, uint64_t files) {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_total_ += bytes;
  files_total_ += files;
  DrawLocked(false);
}

void SyncProgress::AddDone(uint64_t bytes, uint64_t files) {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_done_ += bytes;
  files_done_ += files;
  DrawLocked(false);
}

void SyncProgress::Print(std::ostream& out, const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (drawn_ && !finished_) {
    console_.err << "\r\x1b[K";
    console_.err.flush();
  }
  out << line;
  out.flush();
  if (drawn_ && !finished_) DrawLocked(true);
}

void SyncProgress::DrawLocked(bool force) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(bytes_done_) / seconds : 0;
  console_.err << "\r\x1b[K" << Render(bytes_done_, bytes_total_, files_done_, files_total_, rate);
  console_.err.flush();
}

void SyncProgress::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!enabled_ || finished_) return;
  if (files_total_ > 0) {
    DrawLocked(true);
    console_.err << "\n";
    console_.err.flush();
  }
  finished_ = true;
}

}  // namespace natss3::cli
