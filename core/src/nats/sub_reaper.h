// Retiring cnats subscriptions safely.
//
// libnats 3.4.1 (Debian 12) has a use-after-free (nats.c issue #637, fixed in 3.6.0): the
// connection's read loop looks a subscription up by id and then locks it without holding a
// reference, so destroying a subscription while a message for it is being parsed (a chunk reply
// or a consumer message still in flight) frees memory the read loop is about to lock, and the
// process crashes.
//
// RetireSubscription() unsubscribes at once (removing the subscription from the lookup table, so
// no later message can reach it) and hands it to one background thread that destroys it only
// after a flush round trip on its connection has completed: the read loop parses in order, so
// once it has handled the PONG it has finished every message parsed before it (a reconnect
// joins the old read loop before starting a new one). While the connection is down, flushes are
// retried; a closed connection's subscriptions are destroyed after a short grace period (the
// status changes before the read loop has stopped).
#pragma once

#include <nats/nats.h>

#include <cstddef>
#include <cstdint>

namespace natss3::natsw {

// Takes ownership of `sub` (created on `nc`). Never blocks on the network.
void RetireSubscription(natsConnection* nc, natsSubscription* sub);

// Subscriptions retired but not yet destroyed (for tests).
size_t RetiredSubscriptionsPending();

// The reaper's work so far (for tests): `visits` counts each time an entry is moved or looked
// at, `flushes` the round trips made to see a read loop pass. Both grow with the number of
// subscriptions retired and the time spent, not with their product.
struct ReaperStats {
  size_t pending = 0;
  uint64_t visits = 0, flushes = 0;
};
ReaperStats RetiredSubscriptionsStats();

}  // namespace natss3::natsw
