// RAII ownership of cnats handles: one deleter, one unique_ptr alias per handle type.
#pragma once

#include <nats/nats.h>

#include <memory>

namespace natss3::natsw {

struct Deleter {
  void operator()(natsConnection* p) const { natsConnection_Destroy(p); }
  void operator()(natsOptions* p) const { natsOptions_Destroy(p); }
  void operator()(jsCtx* p) const { jsCtx_Destroy(p); }
  void operator()(natsMsg* p) const { natsMsg_Destroy(p); }
  void operator()(jsMsgMetaData* p) const { jsMsgMetaData_Destroy(p); }
  void operator()(jsPubAck* p) const { jsPubAck_Destroy(p); }
  void operator()(kvStore* p) const { kvStore_Destroy(p); }
  void operator()(kvEntry* p) const { kvEntry_Destroy(p); }
};

using ConnPtr = std::unique_ptr<natsConnection, Deleter>;
using OptionsPtr = std::unique_ptr<natsOptions, Deleter>;
using JsPtr = std::unique_ptr<jsCtx, Deleter>;
using MsgPtr = std::unique_ptr<natsMsg, Deleter>;

// Frees `msg` on the calling thread. natsMsg_Destroy hands every message to libnats' garbage
// collector thread and wakes it whenever it sleeps: on a PUT or GET that is a thread wake-up
// (two context switches) per 128 KiB chunk, and per acknowledgement. Only for a message that
// no libnats wrapper still holds: one natss3 created (natsMsg_Create), or one a plain core
// subscription's callback or a request returned (never inside a JetStream callback, whose
// wrapper destroys the message after it).
void FreeMsgNow(natsMsg* msg);
struct MsgFreer {
  void operator()(natsMsg* p) const { FreeMsgNow(p); }
};
using OwnedMsgPtr = std::unique_ptr<natsMsg, MsgFreer>;
// Subscriptions are unsubscribed when dropped (library-created JetStream consumers are deleted
// on the server) and destroyed later, once `nc`'s read loop cannot touch them (sub_reaper.h).
struct SubDeleter {
  natsConnection* nc = nullptr;
  void operator()(natsSubscription* p) const;
};
using SubPtr = std::unique_ptr<natsSubscription, SubDeleter>;
inline SubPtr AdoptSub(natsConnection* nc, natsSubscription* sub) {
  return SubPtr(sub, SubDeleter{nc});
}
using MetaPtr = std::unique_ptr<jsMsgMetaData, Deleter>;
using PubAckPtr = std::unique_ptr<jsPubAck, Deleter>;
using KvPtr = std::unique_ptr<kvStore, Deleter>;
using KvEntryPtr = std::unique_ptr<kvEntry, Deleter>;

}  // namespace natss3::natsw
