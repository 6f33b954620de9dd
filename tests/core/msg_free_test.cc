// FreeMsgNow (core/src/nats/handles.h): messages are freed on the calling thread, without
// waking libnats' garbage-collector thread once per message as natsMsg_Destroy does.
#include <dirent.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "nats/handles.h"

namespace natss3::natsw {
namespace {

using namespace std::chrono_literals;

// Voluntary context switches of every thread of this process but the calling one: a sleeping
// thread that is woken counts one.
long OtherThreadsSwitches() {
  const std::string self = std::to_string(syscall(SYS_gettid));
  long total = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* e = readdir(dir)) {
    std::string tid = e->d_name;
    if (tid == "." || tid == ".." || tid == self) continue;
    std::ifstream status("/proc/self/task/" + tid + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) total += std::stol(line.substr(24));
    }
  }
  closedir(dir);
  return total;
}

// Frees `count` messages one at a time, 1 ms apart (as acknowledgements and chunks arrive),
// and returns how often the other threads were woken meanwhile.
template <typename Free>
long WakeupsWhileFreeing(int count, Free free_msg) {
  const long before = OtherThreadsSwitches();
  for (int i = 0; i < count; ++i) {
    natsMsg* msg = nullptr;
    std::string data(1024, 'x');
    EXPECT_EQ(natsMsg_Create(&msg, "chunk.subject", nullptr, data.data(),
                             static_cast<int>(data.size())),
              NATS_OK);
    EXPECT_EQ(natsMsgHeader_Set(msg, "Nats-Msg-Id", "id"), NATS_OK);  // headers are freed too
    free_msg(msg);
    std::this_thread::sleep_for(1ms);
  }
  return OtherThreadsSwitches() - before;
}

TEST(FreeMsgNow, WakesNoOtherThread) {
  ASSERT_EQ(nats_Open(-1), NATS_OK);
  // The collector thread exists and has been exercised (its start is not what is measured).
  const long destroy = WakeupsWhileFreeing(200, [](natsMsg* m) { natsMsg_Destroy(m); });
  const long now = WakeupsWhileFreeing(200, [](natsMsg* m) { FreeMsgNow(m); });
  // natsMsg_Destroy wakes the collector for each message freed after it went back to sleep.
  EXPECT_GE(destroy, 150) << "the baseline no longer wakes a thread per message";
  EXPECT_LT(now, 20) << "natsMsg_Destroy woke " << destroy;
  std::printf("wake-ups: natsMsg_Destroy %ld, FreeMsgNow %ld\n", destroy, now);
  FreeMsgNow(nullptr);  // like natsMsg_Destroy, a null message is nothing to free
}

}  // namespace
}  // namespace natss3::natsw
