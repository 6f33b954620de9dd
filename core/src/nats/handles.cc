// Deleters that need more than one call.
#include "nats/handles.h"

#include "nats/sub_reaper.h"

namespace natss3::natsw {

void SubDeleter::operator()(natsSubscription* p) const { RetireSubscription(nc, p); }

}  // namespace natss3::natsw
