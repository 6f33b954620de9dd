// FaultInjectingStore: an ObjectStore decorator for tests that fails or delays the Nth call of
// a method, and the Nth Write / Commit of the writers, the Nth Read of the readers or the Nth
// Get / Put / Delete of the record stores it hands out. Counting starts at 1 and is per store;
// every fault fires once. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "natss3/forwarding_store.h"

namespace natss3::test {

class FaultInjectingStore : public ForwardingObjectStore {
 public:
  // clang-format off
  enum class Op {
    kNewWriter, kGetInfo, kOpen, kOpenInfo, kDelete, kModifyMeta, kList, kNewStagedWriter,
    kPurgeStaged, kCompose, kCollectGarbage,
    kWriterWrite, kWriterCommit, kReaderRead,  // on the objects handed out
    kRecordGet, kRecordPut, kRecordDelete,     // on the record stores (Get: GetRecord too)
  };
  // clang-format on
  using ForwardingObjectStore::ForwardingObjectStore;

  // The nth call of op returns `status` (writers: Write/Commit abort the put first, as a
  // failed publish would).
  void FailNth(Op op, int nth, Status status);
  // The nth call of op sleeps `delay` before it runs (on the calling thread).
  void DelayNth(Op op, int nth, std::chrono::milliseconds delay);
  // The nth call of op runs `hook` before it runs (e.g. a concurrent write in between).
  void BeforeNth(Op op, int nth, std::function<void()> hook);
  int calls(Op op) const;

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view b, const ObjectMeta& m,
                                                  const PutOptions& o) override;
  Result<ObjectInfo> GetInfo(std::string_view b, std::string_view n, bool show_deleted) override;
  Result<std::unique_ptr<ObjectReader>> Open(std::string_view b, std::string_view n,
                                             const ReadOptions& o) override;
  Result<std::unique_ptr<ObjectReader>> OpenInfo(const ObjectInfo& i,
                                                 const ReadOptions& o) override;
  Status Delete(std::string_view b, std::string_view n) override;
  Result<ObjectInfo> ModifyMeta(std::string_view b, std::string_view n, const MetaMutator& m,
                                const ModifyOptions& o) override;
  Result<std::vector<ObjectInfo>> List(std::string_view b, bool show_deleted) override;
  Result<std::unique_ptr<StagedWriter>> NewStagedWriter(std::string_view b,
                                                        uint32_t chunk_size) override;
  Status PurgeStaged(std::string_view b, std::string_view nuid) override;
  Result<ObjectInfo> Compose(std::string_view b, const ObjectMeta& m,
                             const std::vector<BlobRange>& parts, const PutOptions& o) override;
  Result<GcReport> CollectGarbage(std::string_view b, const GcOptions& o) override;
  Result<std::shared_ptr<RecordStore>> Records(std::string_view name) override;

  // Counts the call and applies its fault; returns the injected failure or OK.
  Status Enter(Op op);

 private:
  struct Fault {
    std::optional<Status> fail;
    std::chrono::milliseconds delay{0};
    std::function<void()> hook;
  };
  mutable std::mutex mu_;
  std::map<Op, int> calls_;
  std::map<std::pair<Op, int>, Fault> faults_;
};

}  // namespace natss3::test
