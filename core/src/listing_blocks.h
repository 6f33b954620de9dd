// ListingBlocks: the compact sorted storage of a ListingIndex (not public).
//
// Entries live in sorted blocks of at most kBlockBytes of encoded records; a block is found by
// binary search on its first key, a record inside it by a scan that skips whole records. A
// record holds only what listings and FUSE stat need, packed (ListingIndex::Entry is built on
// demand):
//
//   varint key length, key bytes, varint length of the fields, then the fields:
//   flags (1 byte), varint revision, varint size, mtime (8 bytes, ns since the epoch, LE),
//   nuid (17 bytes when it is 22 base62 characters, else varint length + bytes),
//   MD5 (16 raw bytes), Natss3-Etag (varint length + bytes), digest (32 raw bytes when it is
//   "SHA-256=" + padded base64url, else varint length + bytes; kept only without an MD5 or
//   Natss3-Etag, the only case a listing's ETag needs it), headers (varint id of an interned,
//   reference-counted header set: the headers minus the MD5 and Natss3-Etag ones).
//
// A small open-addressing table maps a 16-bit fingerprint of each nuid to the block holding it,
// so a rename (same nuid, new name) finds the old name without a per-nuid map.
//
// Not thread-safe: the owning ListingIndex locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "natss3/listing_index.h"

namespace natss3::listing {

class Blocks {
 public:
  using Entry = ListingIndex::Entry;
  static constexpr size_t kBlockBytes = 4096;

  Blocks();
  ~Blocks();
  Blocks(const Blocks&) = delete;
  Blocks& operator=(const Blocks&) = delete;

  // A position in key order; valid until the next change.
  struct Cursor {
    size_t block = 0;
    size_t offset = 0;  // of the record in the block's data
  };

  bool Find(std::string_view name, Entry* out) const;  // out may be null
  // The revision and nuid of `name`'s entry without building it; false when absent.
  bool Peek(std::string_view name, uint64_t* revision, std::string* nuid) const;
  void Put(const Entry& e);  // inserts or replaces e.name
  bool Erase(std::string_view name);
  // Names of live entries whose nuid is `nuid` (usually none or one).
  std::vector<std::string> NamesOfNuid(std::string_view nuid) const;
  size_t size() const { return size_; }
  // Bytes held (blocks, nuid table, header sets), for measurements.
  size_t MemoryBytes() const;
  // Sizes the nuid table for `entries` (before a bulk load of that many).
  void Reserve(size_t entries);
  // Returns unused capacity (after a bulk load).
  void Compact();

  Cursor LowerBound(std::string_view key) const;  // first record >= key
  Cursor UpperBound(std::string_view key) const;  // first record > key
  bool AtEnd(const Cursor& c) const { return c.block >= blocks_.size(); }
  std::string_view KeyAt(const Cursor& c) const;
  void Next(Cursor* c) const;
  void Decode(const Cursor& c, Entry* out) const;
  // Nuid of the record at c (cheaper than Decode).
  std::string NuidAt(const Cursor& c) const;

  // Snapshot form of the fields of the record at c: as stored, except that the header set is
  // inline (varint length + encoded headers) instead of its id.
  std::string ExportFields(const Cursor& c) const;
  // Adds a record in snapshot form to blocks filled only this way (a snapshot being loaded);
  // `name` must sort after the previous one. False (nothing added) when the fields are
  // malformed or the name out of order.
  bool AppendExported(std::string_view name, std::string_view fields);

 private:
  struct Block;
  struct Fields;
  size_t BlockFor(std::string_view key) const;  // index of the block that may hold key
  // Offset of the first record >= key in block b (data size when none); *found when equal.
  size_t Seek(const Block& b, std::string_view key, bool* found) const;
  std::string Encode(const Entry& e);
  uint32_t InternHeaders(const std::string& encoded);  // takes a reference
  void Release(std::string_view record);               // drops the record's header-set reference
  void Split(size_t b, size_t inserted_at);  // inserted_at: offset of the record just added
  uint32_t NewBlockId();

  // nuid fingerprint table
  void NuidInsert(std::string_view nuid, uint32_t block_id);
  void NuidErase(std::string_view nuid, uint32_t block_id);
  // Makes room for the inserts of one change (a split moves a block's records); rebuilds the
  // table from the blocks when it fills up with entries and erased slots.
  void NuidReserve();
  void RebuildNuids(size_t slots);  // from the blocks, into a table of that many slots

  std::vector<std::unique_ptr<Block>> blocks_;  // sorted by first key, none empty
  std::vector<Block*> by_id_;                   // block id -> block (null when free)
  std::vector<uint32_t> free_ids_;
  size_t size_ = 0;
  std::string last_appended_;  // by AppendExported
  // Linear probing over two parallel arrays (6 bytes a slot), between 60% and 85% full.
  // Erased slots stay as kErased until the next rebuild (a 16-bit fingerprint cannot tell a
  // slot's home, which backward-shift deletion would need).
  std::vector<uint16_t> slot_fp_;  // 0: empty, 1: erased, else the fingerprint
  std::vector<uint32_t> slot_id_;
  size_t slots_live_ = 0, slots_filled_ = 0;
  struct HeaderSet {
    std::string encoded;
    uint32_t refs = 0;
  };
  std::vector<HeaderSet> header_sets_;  // id - 1 -> set (id 0: no headers)
  std::vector<uint32_t> free_header_sets_;
  std::unordered_map<std::string, uint32_t> header_ids_;
};

}  // namespace natss3::listing
