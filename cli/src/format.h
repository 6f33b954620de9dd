// Human-readable formatting and parsing shared by every natss3ctl command (natscli conventions).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "natss3/status.h"
#include "natss3/units.h"
#include "natss3/types.h"

namespace natss3::cli {

// go-humanize IBytes: "0 B", "1023 B", "1.0 KiB", "16 KiB", "1.5 GiB".
std::string IBytes(uint64_t bytes);

// go-humanize Comma: 1234567 -> "1,234,567", -1000 -> "-1,000".
std::string Comma(int64_t value);

// natscli HumanizeDuration: "1y2d3h4m5s", "1d2h3m4s", "5m0s", "1h0m0s", "4.25s", "0.00s".
std::string HumanizeDuration(std::chrono::nanoseconds duration);

// Local time as "2006-01-02 15:04:05" (the zone comes from TZ, like every local time).
std::string FormatTime(TimePoint time);
// UTC time as RFC 3339 with nanoseconds trimmed, for --json output: "2026-11-23T07:14:17.74Z".
std::string FormatTimeJson(TimePoint time);

// ParseSize and ParseDuration: natss3/units.h.

// Go filepath.Clean, lexical: "./a/../b.txt" -> "b.txt", "/srv//x/" -> "/srv/x", "" -> ".".
std::string CleanPath(std::string_view path);
// Go filepath.Base: "a/b.txt" -> "b.txt", "/" -> "/", "" -> ".".
std::string BasePath(std::string_view path);

}  // namespace natss3::cli
