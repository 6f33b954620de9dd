// FaultInjectingStore: counted faults on calls, writers and readers.
#include "support/fault_store.h"

#include <thread>

namespace natss3::test {
namespace {

using Op = FaultInjectingStore::Op;

class FaultyWriter : public ObjectWriter {
 public:
  FaultyWriter(FaultInjectingStore* store, std::unique_ptr<ObjectWriter> inner)
      : store_(store), inner_(std::move(inner)) {}
  Status Write(std::string_view data) override {
    Status s = store_->Enter(Op::kWriterWrite);
    if (!s.ok()) {
      inner_->Abort();
      return s;
    }
    return inner_->Write(data);
  }
  uint64_t size() const override { return inner_->size(); }
  std::string Md5Hex() const override { return inner_->Md5Hex(); }
  std::string Sha256Raw() const override { return inner_->Sha256Raw(); }
  Status AmendMeta(const std::function<void(ObjectMeta&)>& edit) override {
    return inner_->AmendMeta(edit);
  }
  Result<ObjectInfo> Commit() override {
    Status s = store_->Enter(Op::kWriterCommit);
    if (!s.ok()) {
      inner_->Abort();
      return s;
    }
    return inner_->Commit();
  }
  void Abort() override { inner_->Abort(); }

 private:
  FaultInjectingStore* store_;
  std::unique_ptr<ObjectWriter> inner_;
};

class FaultyReader : public ObjectReader {
 public:
  FaultyReader(FaultInjectingStore* store, std::unique_ptr<ObjectReader> inner)
      : store_(store), inner_(std::move(inner)) {}
  const ObjectInfo& info() const override { return inner_->info(); }
  Result<size_t> Read(char* buf, size_t n) override {
    NATSS3_RETURN_IF_ERROR(store_->Enter(Op::kReaderRead));
    return inner_->Read(buf, n);
  }
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    NATSS3_RETURN_IF_ERROR(store_->Enter(Op::kReaderRead));
    return inner_->ReadAt(offset, buf, n);
  }

 private:
  FaultInjectingStore* store_;
  std::unique_ptr<ObjectReader> inner_;
};

class FaultyRecords : public RecordStore {
 public:
  FaultyRecords(FaultInjectingStore* store, std::shared_ptr<RecordStore> inner)
      : store_(store), inner_(std::move(inner)) {}
  Status Put(std::string_view key, std::string_view value) override {
    NATSS3_RETURN_IF_ERROR(store_->Enter(Op::kRecordPut));
    return inner_->Put(key, value);
  }
  Result<std::string> Get(std::string_view key) override {
    NATSS3_RETURN_IF_ERROR(store_->Enter(Op::kRecordGet));
    return inner_->Get(key);
  }
  Result<std::string> GetQuick(std::string_view key) override {
    NATSS3_RETURN_IF_ERROR(store_->Enter(Op::kRecordGet));
    return inner_->GetQuick(key);
  }
  Result<Record> GetRecord(std::string_view key) override {
    NATSS3_RETURN_IF_ERROR(store_->Enter(Op::kRecordGet));
    return inner_->GetRecord(key);
  }
  Status Delete(std::string_view key) override {
    NATSS3_RETURN_IF_ERROR(store_->Enter(Op::kRecordDelete));
    return inner_->Delete(key);
  }
  Result<std::vector<std::string>> Keys(std::string_view prefix) override {
    return inner_->Keys(prefix);
  }

 private:
  FaultInjectingStore* store_;
  std::shared_ptr<RecordStore> inner_;
};

Result<std::unique_ptr<ObjectReader>> WrapReader(FaultInjectingStore* store,
                                                 Result<std::unique_ptr<ObjectReader>> r) {
  if (!r.ok()) return r;
  return std::unique_ptr<ObjectReader>(std::make_unique<FaultyReader>(store, std::move(r).value()));
}

}  // namespace

void FaultInjectingStore::FailNth(Op op, int nth, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[{op, nth}].fail = std::move(status);
}

void FaultInjectingStore::DelayNth(Op op, int nth, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[{op, nth}].delay = delay;
}

void FaultInjectingStore::BeforeNth(Op op, int nth, std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[{op, nth}].hook = std::move(hook);
}

int FaultInjectingStore::calls(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

Status FaultInjectingStore::Enter(Op op) {
  Fault fault;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int n = ++calls_[op];
    auto it = faults_.find({op, n});
    if (it == faults_.end()) return Status::OK();
    fault = std::move(it->second);
    faults_.erase(it);
  }
  if (fault.hook) fault.hook();
  if (fault.delay.count() > 0) std::this_thread::sleep_for(fault.delay);
  return fault.fail ? *fault.fail : Status::OK();
}

Result<std::unique_ptr<ObjectWriter>> FaultInjectingStore::NewWriter(std::string_view b,
                                                                     const ObjectMeta& m,
                                                                     const PutOptions& o) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kNewWriter));
  NATSS3_ASSIGN_OR_RETURN(auto inner, ForwardingObjectStore::NewWriter(b, m, o));
  return std::unique_ptr<ObjectWriter>(std::make_unique<FaultyWriter>(this, std::move(inner)));
}

Result<ObjectInfo> FaultInjectingStore::GetInfo(std::string_view b, std::string_view n,
                                                bool show_deleted) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kGetInfo));
  return ForwardingObjectStore::GetInfo(b, n, show_deleted);
}

Result<std::unique_ptr<ObjectReader>> FaultInjectingStore::Open(std::string_view b,
                                                                std::string_view n,
                                                                const ReadOptions& o) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kOpen));
  return WrapReader(this, ForwardingObjectStore::Open(b, n, o));
}

Result<std::unique_ptr<ObjectReader>> FaultInjectingStore::OpenInfo(const ObjectInfo& i,
                                                                    const ReadOptions& o) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kOpenInfo));
  return WrapReader(this, ForwardingObjectStore::OpenInfo(i, o));
}

Status FaultInjectingStore::Delete(std::string_view b, std::string_view n) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kDelete));
  return ForwardingObjectStore::Delete(b, n);
}

Result<ObjectInfo> FaultInjectingStore::ModifyMeta(std::string_view b, std::string_view n,
                                                   const MetaMutator& m, const ModifyOptions& o) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kModifyMeta));
  return ForwardingObjectStore::ModifyMeta(b, n, m, o);
}

Result<std::vector<ObjectInfo>> FaultInjectingStore::List(std::string_view b, bool show_deleted) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kList));
  return ForwardingObjectStore::List(b, show_deleted);
}

Result<std::unique_ptr<StagedWriter>> FaultInjectingStore::NewStagedWriter(std::string_view b,
                                                                           uint32_t chunk_size) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kNewStagedWriter));
  return ForwardingObjectStore::NewStagedWriter(b, chunk_size);
}

Status FaultInjectingStore::PurgeStaged(std::string_view b, std::string_view nuid) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kPurgeStaged));
  return ForwardingObjectStore::PurgeStaged(b, nuid);
}

Result<ObjectInfo> FaultInjectingStore::Compose(std::string_view b, const ObjectMeta& m,
                                                const std::vector<BlobRange>& parts,
                                                const PutOptions& o) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kCompose));
  return ForwardingObjectStore::Compose(b, m, parts, o);
}

Result<GcReport> FaultInjectingStore::CollectGarbage(std::string_view b, const GcOptions& o) {
  NATSS3_RETURN_IF_ERROR(Enter(Op::kCollectGarbage));
  return ForwardingObjectStore::CollectGarbage(b, o);
}

Result<std::shared_ptr<RecordStore>> FaultInjectingStore::Records(std::string_view name) {
  auto records = ForwardingObjectStore::Records(name);
  if (!records.ok()) return records;
  return std::shared_ptr<RecordStore>(
      std::make_shared<FaultyRecords>(this, std::move(records).value()));
}

}  // namespace natss3::test
