// Sizes and durations as users type them, shared by every front end's flags and options.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "natss3/status.h"

namespace natss3 {

// natscli size strings, 1024-based: "512MB" = 512 MiB. Units (case-insensitive): B, K, KB, KiB,
// M, MB, MiB, G, GB, GiB, T, TB, TiB, P, PB, PiB; no unit means bytes; fractions allowed
// ("1.5G"). An empty or negative value means -1 (unlimited). kInvalidArgument otherwise.
Result<int64_t> ParseSize(std::string_view text);

// fisk durations: Go units (ns, us, µs, ms, s, m, h) plus d (24h), w (7d), M (30d), y (365d),
// combinable and fractional ("1h30m", "1.5d", "2w"). "0" alone is zero. kInvalidArgument else.
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

}  // namespace natss3
