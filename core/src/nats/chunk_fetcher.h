// ChunkFetcher: one reader's direct gets of an object's chunks, and the failover rules for them.
//
// Chunks are fetched by stream sequence, pipelined: Request() publishes a direct get whose
// answer comes to a private inbox (reply subject <inbox>.<chunk number>), Await() takes the
// answers in any order and keeps those that came early. Nothing is pushed that was not asked
// for, so a slow reader cannot cause a slow-consumer disconnect.
//
// Failover (docs/cluster.md): any replica answers a direct get, so reads go on while a cluster
// elects a new stream leader.
// - A direct get with no answer within the store's attempt timeout (the server it went to may
//   be gone) is fetched again with GetStored, which tries another replica and the leader.
// - A replica that answers "missing" may lag behind: the leader's answer overrules it.
// - In replicated buckets, "not found" is asked of the leader again a few times while the
//   object's meta still names this version: around a leader change a server still catching up
//   can answer for a moment as if chunks of a committed object were gone.
// - A stream without direct gets (no responders) is read one leader get per chunk.
// A chunk whose message is gone or now holds another subject is kDataLoss (the object was
// deleted or replaced during the read).
//
// Budget: the caller decides how many chunks are requested and not yet taken (its window);
// Keep()/Await() hold at most those. Not thread-safe: one reader thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "nats/handles.h"
#include "nats/nats_store.h"

namespace natss3::natsw {

// A chunk's bytes, left in the cnats message that carried them: no copy per chunk (copies and
// their large allocations were a third of a large get's client CPU). Copies share the message.
class Chunk {
 public:
  Chunk() = default;
  // Freed by FreeMsgNow: every chunk arrives on a core subscription or as a request reply.
  explicit Chunk(MsgPtr msg) : msg_(msg.release(), &FreeMsgNow) {}
  const char* data() const { return msg_ ? natsMsg_GetData(msg_.get()) : ""; }
  size_t size() const { return msg_ ? static_cast<size_t>(natsMsg_GetDataLength(msg_.get())) : 0; }
  std::string_view view() const { return {data(), size()}; }

 private:
  std::shared_ptr<natsMsg> msg_;
};

class ChunkFetcher {
 public:
  // `info` must outlive the fetcher (the reader owns both).
  ChunkFetcher(NatsObjectStore* store, const ObjectInfo& info,
               std::chrono::milliseconds idle_timeout);

  const std::string& stream() const { return stream_; }
  const std::string& subject() const { return subject_; }

  // Subscribes to the inbox the answers come to (once; Request() does it when needed).
  Status OpenInbox();
  // Asks for chunk `k`, stored at stream sequence `seq`. On a stream without direct gets the
  // chunk is fetched from the leader at once (no pipelining).
  Status Request(size_t k, uint64_t seq);
  // Chunk `k`: a kept one, else the answer to its Request(). kDeadlineExceeded when nothing
  // came for the idle timeout; kDataLoss when the chunk is gone.
  Result<Chunk> Await(size_t k);

  // Chunks that arrived (or were kept) and are not yet taken by Await().
  bool Has(size_t k) const { return arrived_.count(k) != 0; }
  size_t held() const { return arrived_.size(); }
  void Keep(size_t k, Chunk data) { arrived_[k] = std::move(data); }

  // One synchronous get of the chunk subject (GetStored, with the "not found" retries above).
  Result<StoredMsg> GetChunk(const MsgQuery& q, bool leader = false);
  // The object's first chunk message (next by subject from the stream's start); kDataLoss when
  // the object has no chunks left.
  Result<StoredMsg> FirstChunkMessage();
  bool ChunksExist() { return FirstChunkMessage().status().code() != Code::kDataLoss; }

 private:
  struct Pending {
    uint64_t seq = 0;
    std::chrono::steady_clock::time_point sent;
  };

  std::optional<Chunk> TakeArrived(size_t k);
  Status ResendOverdue();
  Result<Chunk> FetchChunk(uint64_t seq, bool leader);
  // Handles one answer on the inbox; the chunk when it is `k`, else nullopt.
  Result<std::optional<Chunk>> OnAnswer(MsgPtr msg, size_t k);
  bool Replicated();
  bool StillCurrent();

  NatsObjectStore* store_;
  const ObjectInfo& info_;
  const std::chrono::milliseconds idle_timeout_;
  const std::string stream_, subject_;
  std::string inbox_;
  SubPtr replies_;
  std::map<size_t, Chunk> arrived_;
  std::map<size_t, Pending> pending_;  // chunk -> its direct get in flight
  std::optional<bool> replicated_;
};

}  // namespace natss3::natsw
