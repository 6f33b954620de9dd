// Deleters that need more than one call.
#include "nats/handles.h"

#include "nats/sub_reaper.h"

// natsMsg_free is the collector's own free function (frees the headers, then the message),
// exported by libnats but not declared in nats.h. Checked against 3.4.1's msg.c: other versions
// go through natsMsg_Destroy.
#if NATS_VERSION_NUMBER == ((3 << 16) | (4 << 8) | 1)
#define NATSS3_FREE_MSG_INLINE 1
extern "C" void natsMsg_free(void* object);
#endif

namespace natss3::natsw {

void FreeMsgNow(natsMsg* msg) {
  if (msg == nullptr) return;
#ifdef NATSS3_FREE_MSG_INLINE
  natsMsg_free(msg);
#else
  natsMsg_Destroy(msg);
#endif
}

void SubDeleter::operator()(natsSubscription* p) const { RetireSubscription(nc, p); }

}  // namespace natss3::natsw
