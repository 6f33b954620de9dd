// Crash points: a test seam for the crash harness (tests/crash). When the environment variable
// NATSS3_CRASH_AT is "<point>" or "<point>:<n>", the nth time (default 1st) this process
// reaches CrashPoint("<point>") it kills itself with SIGKILL, as a power cut would. Unset (the
// normal case), a crash point costs one relaxed atomic load.
#pragma once

namespace natss3 {

void CrashPoint(const char* point);

// Fault points: a test seam for in-process tests. ArmFaultPoint(point, n) makes the next n calls
// of FaultPoint(point) return true (one point armed at a time; n = 0 disarms). Unarmed, a
// fault point costs one relaxed atomic load. The environment variable NATSS3_FAULT_AT
// ("<point>" or "<point>:<n>") arms one at process start, for tests that run a binary.
void ArmFaultPoint(const char* point, int times);
bool FaultPoint(const char* point);

// Hold points: a test seam for code that waits. While ArmFaultHold(point) is in force (until
// ArmFaultHold(nullptr)), FaultHeld(point) is true; the code at the point waits meanwhile
// (e.g. a listing index's watch applies nothing, as a watch that lags far behind). Independent
// of the fault point. Unarmed, FaultHeld costs one relaxed atomic load.
void ArmFaultHold(const char* point);
bool FaultHeld(const char* point);

}  // namespace natss3
