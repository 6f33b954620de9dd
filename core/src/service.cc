// Logging targets and sd_notify for natss3 services.
#include "natss3/service.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>

namespace natss3 {

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

bool IsLogLevel(const std::string& level) {
  for (const char* l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    if (level == l) return true;
  return false;
}

LogTarget SetUpLogging(const std::string& name, const std::string& level, LogTarget target) {
  if (target == LogTarget::kAuto) target = StderrIsJournal() ? LogTarget::kJournal : LogTarget::kStderr;
  spdlog::drop(name);
  std::shared_ptr<spdlog::logger> logger;
  if (target == LogTarget::kJournal) {
    // The journal keeps its own time and the priority of each line (journalctl -p err).
    auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(name);
    logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  } else {
    logger = spdlog::stderr_color_mt(name);
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  return target;
}

void NotifyService(const std::string& state) { sd_notify(0, state.c_str()); }

std::chrono::microseconds WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) return std::chrono::microseconds(usec);
  return std::chrono::microseconds(0);
}

}  // namespace natss3
