// LeaseKeeper: registry of this process's uncommitted data, pins and heartbeats.
#include "nats/lease.h"

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "nats/nats_store.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

std::string Key(const std::string& bucket, const std::string& nuid) { return bucket + "." + nuid; }
std::string PinKey(const std::string& bucket, const std::string& nuid) {
  return "pin." + bucket + "." + nuid;
}

std::string ProgramName() {
  std::ifstream f("/proc/self/comm");
  std::string name;
  std::getline(f, name);
  return name;
}

}  // namespace

LeaseKeeper::LeaseKeeper(NatsObjectStore* store, std::chrono::milliseconds grace)
    : store_(store), grace_(grace), owner_(NewNuid()) {
  thread_ = std::thread([this] { Run(); });
}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LeaseKeeper::Begin(const std::string& bucket, const std::string& nuid) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.emplace(Key(bucket, nuid), Entry{bucket, nuid, std::chrono::steady_clock::now()});
}

void LeaseKeeper::End(const std::string& bucket, const std::string& nuid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(Key(bucket, nuid));
  if (it == active_.end()) return;
  if (it->second.pinned) {
    unpin_.push_back(PinKey(bucket, nuid));
    cv_.notify_all();
  }
  active_.erase(it);
}

bool LeaseKeeper::Active(const std::string& bucket, const std::string& nuid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.count(Key(bucket, nuid)) > 0;
}

Result<std::shared_ptr<RecordStore>> LeaseKeeper::Records() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (records_) return records_;
  }
  NATSS3_ASSIGN_OR_RETURN(auto records, store_->Records(kRecordBucket));
  std::lock_guard<std::mutex> lock(mu_);
  records_ = records;
  return records_;
}

Status LeaseKeeper::Heartbeat() {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  nlohmann::json hb = {{"host", host}, {"pid", ::getpid()}, {"program", ProgramName()}};
  NATSS3_RETURN_IF_ERROR(records->Put("hb." + owner_, hb.dump()));
  std::lock_guard<std::mutex> lock(mu_);
  last_heartbeat_ = std::chrono::steady_clock::now();
  return Status::OK();
}

Result<TimePoint> LeaseKeeper::ServerNow() {
  NATSS3_RETURN_IF_ERROR(Heartbeat());
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  NATSS3_ASSIGN_OR_RETURN(auto rec, records->GetRecord("hb." + owner_));
  return rec.time;
}

Result<std::vector<LeaseKeeper::Pin>> LeaseKeeper::Pins(const std::string& bucket, TimePoint now,
                                                       std::chrono::milliseconds grace) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  std::string prefix = "pin." + bucket + ".";
  NATSS3_ASSIGN_OR_RETURN(auto keys, records->Keys(prefix));
  std::map<std::string, bool> owners;  // owner -> alive
  std::vector<Pin> pins;
  for (const std::string& key : keys) {
    auto rec = records->GetRecord(key);
    if (!rec.ok()) {
      if (rec.status().code() == Code::kNotFound) continue;
      return rec.status();
    }
    Pin pin{key, key.substr(prefix.size()), rec->value};
    auto known = owners.find(pin.owner);
    if (known == owners.end()) {
      bool alive = pin.owner == owner_;
      if (!alive) {
        auto hb = records->GetRecord("hb." + pin.owner);
        if (!hb.ok() && hb.status().code() != Code::kNotFound) return hb.status();
        alive = hb.ok() && now - hb->time < grace;
      }
      known = owners.emplace(pin.owner, alive).first;
    }
    pin.live = known->second;
    pins.push_back(std::move(pin));
  }
  return pins;
}

Status LeaseKeeper::RemovePin(const std::string& key) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  return records->Delete(key);
}

void LeaseKeeper::Run() {
  const auto pin_after = grace_ / 4;
  const auto beat_every = grace_ / 6;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::min<std::chrono::milliseconds>(
                           std::chrono::milliseconds(1000),
                           std::max<std::chrono::milliseconds>(pin_after / 4,
                                                               std::chrono::milliseconds(50))));
    if (stop_) break;
    auto now = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, std::string>> to_pin;  // (map key, pin key)
    bool any_pinned = false;
    for (auto& [key, e] : active_) {
      if (e.pinned) any_pinned = true;
      else if (now - e.since >= pin_after) to_pin.emplace_back(key, PinKey(e.bucket, e.nuid));
    }
    auto unpin = std::move(unpin_);
    unpin_.clear();
    bool beat = (any_pinned || !to_pin.empty()) && now - last_heartbeat_ >= beat_every;
    lock.unlock();
    // The heartbeat goes first: a pin is only honoured while its owner's heartbeat is fresh.
    bool beat_ok = !beat || Heartbeat().ok();
    std::vector<std::string> pinned, failed_unpin;
    if (beat_ok && !to_pin.empty()) {
      auto records = Records();
      for (auto& [key, pin_key] : to_pin)
        if (records.ok() && (*records)->Put(pin_key, owner_).ok()) pinned.push_back(key);
    }
    for (const std::string& pin_key : unpin) {
      auto records = Records();
      if (!records.ok() || !(*records)->Delete(pin_key).ok()) failed_unpin.push_back(pin_key);
    }
    lock.lock();
    for (const std::string& key : pinned) {
      auto it = active_.find(key);
      if (it != active_.end()) {
        it->second.pinned = true;
      } else {
        // Ended while its pin was being written: remove the pin again.
        auto dot = key.find('.');
        unpin_.push_back(PinKey(key.substr(0, dot), key.substr(dot + 1)));
      }
    }
    unpin_.insert(unpin_.end(), failed_unpin.begin(), failed_unpin.end());
  }
}

}  // namespace natss3::natsw
