// Deleters that need more than one call.
#include "nats/handles.h"

namespace natss3::natsw {

void Deleter::operator()(natsSubscription* p) const {
  if (natsSubscription_IsValid(p)) natsSubscription_Unsubscribe(p);
  natsSubscription_Destroy(p);
}

}  // namespace natss3::natsw
