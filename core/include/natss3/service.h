// How natss3d and natss3fs run as services: where their log lines go (the journal, with
// syslog priorities, when systemd runs them or once they are daemonized; else stderr) and
// what they tell the service manager (sd_notify: ready, reloading, stopping, watchdog).
#pragma once

#include <chrono>
#include <string>

namespace natss3 {

enum class LogTarget {
  kAuto,     // the journal when stderr is connected to it (systemd's JOURNAL_STREAM), else stderr
  kStderr,   // colored stderr lines with their own timestamps
  kJournal,  // the journal (natss3fs after it daemonized: stderr is gone)
};

// The log levels SetUpLogging takes, as natss3d's --log-level and NATSS3_LOG_LEVEL name them.
inline constexpr const char* kLogLevels = "trace, debug, info, warn, error, critical or off";
bool IsLogLevel(const std::string& level);

// Installs the default spdlog logger `name` at `level` ("info", ...) writing to `target`.
// Returns the target chosen (kStderr or kJournal).
LogTarget SetUpLogging(const std::string& name, const std::string& level, LogTarget target);

// Whether stderr is the journal's stream (JOURNAL_STREAM names its device and inode).
bool StderrIsJournal();

// sd_notify(3) with `state` ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..."); a no-op
// when not run by systemd (NOTIFY_SOCKET unset).
void NotifyService(const std::string& state);

// The watchdog interval systemd asked for (WatchdogSec=), or zero when none.
std::chrono::microseconds WatchdogInterval();

}  // namespace natss3
