// Crash points: a test seam for the crash harness (tests/crash). When the environment variable
// NATSS3_CRASH_AT is "<point>" or "<point>:<n>", the nth time (default 1st) this process
// reaches CrashPoint("<point>") it kills itself with SIGKILL, as a power cut would. Unset (the
// normal case), a crash point costs one relaxed atomic load.
#pragma once

namespace natss3 {

void CrashPoint(const char* point);

}  // namespace natss3
