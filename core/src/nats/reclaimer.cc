// Reclaimer: local holds, deferred and delayed purges, purge retries.
#include "nats/reclaimer.h"

#include <vector>

#include "nats/connection.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

std::string Key(const std::string& bucket, const std::string& nuid) { return bucket + "." + nuid; }

// Bucket names have no dots; nuids neither.
std::pair<std::string, std::string> Split(const std::string& key) {
  auto dot = key.find('.');
  return {key.substr(0, dot), key.substr(dot + 1)};
}

}  // namespace

Reclaimer::Reclaimer(std::shared_ptr<NatsConnection> conn, std::chrono::milliseconds release_grace)
    : conn_(std::move(conn)), release_grace_(release_grace) {
  thread_ = std::thread([this] { Run(); });
}

Reclaimer::~Reclaimer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<void> Reclaimer::Hold(const std::string& bucket, const std::string& nuid) {
  std::string key = Key(bucket, nuid);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++holds_[key];
  }
  // The token's deleter may run on any thread, after the store is gone only if the caller
  // breaks the ObjectStore lifetime rule (tokens die before their store).
  return std::shared_ptr<void>(nullptr, [this, key](void*) { Drop(key); });
}

void Reclaimer::Drop(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = holds_.find(key);
  if (it == holds_.end() || --it->second > 0) return;
  holds_.erase(it);
  if (deferred_.erase(key)) {
    delayed_.emplace(std::chrono::steady_clock::now() + release_grace_, key);
    delayed_keys_.insert(key);
    cv_.notify_all();
  }
}

void Reclaimer::Release(const std::string& bucket, const std::string& nuid) {
  std::string key = Key(bucket, nuid);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (holds_.count(key)) {
      deferred_.insert(key);
      return;
    }
    if (release_grace_.count() > 0) {
      delayed_.emplace(std::chrono::steady_clock::now() + release_grace_, key);
      delayed_keys_.insert(key);
      return;
    }
  }
  PurgeNow(key);
}

void Reclaimer::PurgeNow(const std::string& key) {
  auto [bucket, nuid] = Split(key);
  std::string stream = StreamName(bucket), filter = ChunkSubject(bucket, nuid);
  Status s = conn_->Purge(stream, filter);
  if (!s.ok() && s.code() != Code::kNotFound) Retry(stream, filter);
}

void Reclaimer::Retry(std::string stream, std::string filter) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    retries_.emplace_back(std::move(stream), std::move(filter));
  }
  cv_.notify_all();
}

bool Reclaimer::Keeps(const std::string& bucket, const std::string& nuid) const {
  std::string key = Key(bucket, nuid);
  std::lock_guard<std::mutex> lock(mu_);
  if (holds_.count(key) || deferred_.count(key)) return true;
  return delayed_keys_.count(key) > 0;
}

size_t Reclaimer::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retries_.size() + deferred_.size() + delayed_.size();
}

void Reclaimer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(500));
    if (stop_) break;
    std::vector<std::string> due;
    auto now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      // Held again meanwhile (a new reader of the same version): wait for that hold.
      const std::string& key = delayed_.begin()->second;
      if (holds_.count(key)) deferred_.insert(key);
      else due.push_back(key);
      delayed_keys_.erase(delayed_keys_.find(key));
      delayed_.erase(delayed_.begin());
    }
    auto retries = retries_;
    lock.unlock();
    for (const std::string& key : due) PurgeNow(key);
    std::vector<std::pair<std::string, std::string>> done;
    if (conn_->connected()) {
      for (auto& [stream, filter] : retries) {
        Status s = conn_->Purge(stream, filter);
        if (s.ok() || s.code() == Code::kNotFound) done.emplace_back(stream, filter);
      }
    }
    lock.lock();
    for (auto& d : done) retries_.remove(d);
  }
}

}  // namespace natss3::natsw
