// ConnectionHub's poller: the one thread that does the I/O of connections waiting for a TLS
// handshake, a request head or their close (nonblocking, epoll), and closes them at their
// deadlines; plus handing connections to it and taking them back.
#include <sys/epoll.h>

#include "s3d/connection_hub.h"

namespace natss3::s3d {

using SteadyClock = std::chrono::steady_clock;

void ConnectionHub::Watch(ConnectionPtr connection) {
  if (connection->phase == HubConnection::Phase::kHead) connection->ReleaseIdleBuffer();
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_.load()) {
    lock.unlock();
    return;  // `connection` closes as it goes out of scope
  }
  epoll_event event{};
  event.events = connection->want_write() ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
  event.data.u64 = connection->id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection->fd(), &event) != 0) {
    lock.unlock();
    return;
  }
  watched_[connection->id] = std::move(connection);
}

bool ConnectionHub::Unwatch(const ConnectionPtr& connection) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watched_.find(connection->id);
  if (it == watched_.end() || it->second != connection) return false;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection->fd(), nullptr);
  watched_.erase(it);
  return true;
}

void ConnectionHub::PollerLoop() {
  epoll_event events[256];
  auto next_sweep = SteadyClock::now();
  while (!stopping_.load()) {
    int n = ::epoll_wait(epoll_fd_, events, 256, 100);
    for (int i = 0; i < n; ++i) {
      uint64_t id = events[i].data.u64;
      if (id == 0) continue;  // the wake eventfd
      ConnectionPtr ready;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = watched_.find(id);
        if (it == watched_.end()) continue;
        ready = it->second;
      }
      OnReady(ready);
    }
    if (SteadyClock::now() >= next_sweep) {
      next_sweep = SteadyClock::now() + std::chrono::milliseconds(100);
      Sweep();
    }
  }
}

// The poller's I/O for a watched connection whose socket is ready.
void ConnectionHub::OnReady(const ConnectionPtr& connection) {
  using Step = HubConnection::Step;
  switch (connection->phase) {
    case HubConnection::Phase::kHandshake:
      // The handshake's cryptography runs on a worker, never on the poller.
      if (Unwatch(connection)) Enqueue([this, connection] { ContinueHandshake(connection); });
      return;
    case HubConnection::Phase::kHead: {
      bool wanted_write = connection->want_write();
      Step step = connection->ReadHead();
      if (step == Step::kPending) {
        if (connection->want_write() != wanted_write && Unwatch(connection)) Watch(connection);
        return;
      }
      if (!Unwatch(connection)) return;
      if (step == Step::kComplete) {
        Enqueue([this, connection] { Run(connection); });
      } else if (step == Step::kRejected) {
        Refuse(connection, FromHeadError(connection->head_error()));
      }
      return;
    }
    case HubConnection::Phase::kClosing:
      if (connection->DiscardInput() != Step::kPending) Unwatch(connection);
      return;
    case HubConnection::Phase::kServing:
      return;
  }
}

// Closes the watched connections whose phase timed out.
void ConnectionHub::Sweep() {
  auto now = SteadyClock::now();
  std::vector<ConnectionPtr> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = watched_.begin(); it != watched_.end();) {
      if (it->second->Deadline() > now) {
        ++it;
        continue;
      }
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd(), nullptr);
      expired.push_back(std::move(it->second));
      it = watched_.erase(it);
    }
  }
  for (ConnectionPtr& connection : expired) {
    if (connection->phase == HubConnection::Phase::kHandshake) {
      handshake_timeouts_.fetch_add(1, std::memory_order_relaxed);
    } else if (connection->phase == HubConnection::Phase::kHead &&
               connection->head_clock_running()) {
      // A head begun but not finished, none at all on a new connection, or a body rest not
      // sent: slow-loris.
      Count(Refusal::kHeaderTimeout);
      if (connection->HasPartialHead()) connection->SendNow(render_(Refusal::kHeaderTimeout));
    }
  }
  expired.clear();  // closes them
}

void ConnectionHub::ContinueHandshake(ConnectionPtr connection) {
  using Step = HubConnection::Step;
  Step step = connection->Handshake();
  if (step == Step::kPending) {
    Watch(std::move(connection));
    return;
  }
  if (step != Step::kComplete) {
    handshake_failures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  connection->phase = HubConnection::Phase::kHead;
  connection->StartHeadClock(SteadyClock::now());
  step = connection->ReadHead();  // the request often travels with the handshake's end
  if (step == Step::kComplete) {
    Run(std::move(connection));
  } else if (step == Step::kPending) {
    Watch(std::move(connection));
  } else if (step == Step::kRejected) {
    Refusal refusal = FromHeadError(connection->head_error());
    Refuse(std::move(connection), refusal);
  }
}

}  // namespace natss3::s3d
