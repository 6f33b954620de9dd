// RecordStore over a JetStream key-value bucket (cnats kvStore).
#include "nats/errors.h"
#include "nats/nats_store.h"

namespace natss3::natsw {
namespace {

class NatsRecordStore : public RecordStore {
 public:
  explicit NatsRecordStore(KvPtr kv) : kv_(std::move(kv)) {}

  Status Put(std::string_view key, std::string_view value) override {
    uint64_t rev = 0;
    std::string k(key);
    natsStatus s = kvStore_Put(&rev, kv_.get(), k.c_str(), value.data(),
                               static_cast<int>(value.size()));
    return FromNats(s, "store record " + k);
  }

  Result<std::string> Get(std::string_view key) override {
    NATSS3_ASSIGN_OR_RETURN(Record r, GetRecord(key));
    return std::move(r.value);
  }

  Result<Record> GetRecord(std::string_view key) override {
    std::string k(key);
    kvEntry* e = nullptr;
    natsStatus s = kvStore_Get(&e, kv_.get(), k.c_str());
    if (s == NATS_NOT_FOUND) return NotFound("record not found: " + k);
    if (s != NATS_OK) return FromNats(s, "read record " + k);
    KvEntryPtr entry(e);
    Record r;
    r.value.assign(static_cast<const char*>(kvEntry_Value(e)),
                   static_cast<size_t>(kvEntry_ValueLen(e)));
    r.revision = kvEntry_Revision(e);
    r.time = TimePoint(std::chrono::nanoseconds(kvEntry_Created(e)));
    return r;
  }

  Status Delete(std::string_view key) override {
    std::string k(key);
    natsStatus s = kvStore_Purge(kv_.get(), k.c_str(), nullptr);
    if (s == NATS_NOT_FOUND) return Status::OK();
    return FromNats(s, "delete record " + k);
  }

  Result<std::vector<std::string>> Keys(std::string_view prefix) override {
    kvKeysList list;
    natsStatus s = kvStore_Keys(&list, kv_.get(), nullptr);
    std::vector<std::string> out;
    if (s == NATS_NOT_FOUND) return out;
    if (s != NATS_OK) return FromNats(s, "list records");
    for (int i = 0; i < list.Count; ++i) {
      std::string k = list.Keys[i];
      if (k.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(k));
    }
    kvKeysList_Destroy(&list);
    return out;
  }

 private:
  KvPtr kv_;
};

}  // namespace

Result<std::shared_ptr<RecordStore>> NewNatsRecordStore(NatsObjectStore* store,
                                                        std::string name) {
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = name.c_str();
  cfg.History = 1;
  kvStore* kv = nullptr;
  natsStatus s = js_CreateKeyValue(&kv, store->conn().js(), &cfg);
  if (s != NATS_OK) {
    s = js_KeyValue(&kv, store->conn().js(), name.c_str());
    if (s != NATS_OK) return FromNats(s, "open record store " + name);
  }
  return std::shared_ptr<RecordStore>(std::make_shared<NatsRecordStore>(KvPtr(kv)));
}

}  // namespace natss3::natsw
