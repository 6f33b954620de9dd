// ListingBlocks: packed records in sorted blocks (layout in listing_blocks.h).
#include "listing_blocks.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "natss3/names.h"

namespace natss3::listing {
namespace {

enum Flag : uint8_t {
  kLink = 1,
  kMd5 = 2,          // 16 raw bytes; the kMd5Header is rebuilt from them
  kDigestRaw = 4,    // 32 raw bytes of "SHA-256=<base64url>"
  kDigestStr = 8,    // varint length + bytes
  kNuidPacked = 16,  // 22 base62 characters, 6 bits each, in 17 bytes
  kNuidStr = 32,     // varint length + bytes
  kHeaders = 64,     // varint id of the header set
};
constexpr size_t kPackedNuid = 17;
constexpr std::string_view kDigestPrefix = "SHA-256=";

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t GetVarint(const char*& p) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<uint8_t>(*p++);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

std::string_view GetString(const char*& p) {
  size_t n = GetVarint(p);
  std::string_view s(p, n);
  p += n;
  return s;
}

int NuidCode(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

char NuidChar(int code) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return kAlphabet[code];
}

// 4 characters (24 bits) in 3 bytes, five times, then 2 characters (12 bits) in 2 bytes.
bool PackNuid(std::string_view nuid, std::string* out) {
  if (nuid.size() != 22) return false;
  unsigned char packed[kPackedNuid] = {};
  int codes[22];
  for (size_t i = 0; i < 22; ++i)
    if ((codes[i] = NuidCode(nuid[i])) < 0) return false;
  for (size_t g = 0; g < 5; ++g) {
    uint32_t v = static_cast<uint32_t>(codes[4 * g] << 18 | codes[4 * g + 1] << 12 |
                                       codes[4 * g + 2] << 6 | codes[4 * g + 3]);
    packed[3 * g] = static_cast<unsigned char>(v >> 16);
    packed[3 * g + 1] = static_cast<unsigned char>(v >> 8);
    packed[3 * g + 2] = static_cast<unsigned char>(v);
  }
  uint32_t v = static_cast<uint32_t>(codes[20] << 6 | codes[21]);
  packed[15] = static_cast<unsigned char>(v >> 8);
  packed[16] = static_cast<unsigned char>(v);
  out->append(reinterpret_cast<const char*>(packed), kPackedNuid);
  return true;
}

void UnpackNuidInto(const char* p, char* nuid) {
  auto byte = [p](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  for (size_t g = 0; g < 5; ++g) {
    uint32_t v = byte(3 * g) << 16 | byte(3 * g + 1) << 8 | byte(3 * g + 2);
    nuid[4 * g] = NuidChar(static_cast<int>(v >> 18 & 63));
    nuid[4 * g + 1] = NuidChar(static_cast<int>(v >> 12 & 63));
    nuid[4 * g + 2] = NuidChar(static_cast<int>(v >> 6 & 63));
    nuid[4 * g + 3] = NuidChar(static_cast<int>(v & 63));
  }
  uint32_t v = byte(15) << 8 | byte(16);
  nuid[20] = NuidChar(static_cast<int>(v >> 6 & 63));
  nuid[21] = NuidChar(static_cast<int>(v & 63));
}

std::string UnpackNuid(const char* p) {
  std::string nuid(22, '0');
  UnpackNuidInto(p, nuid.data());
  return nuid;
}

std::string UrlToStd(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  return s;
}

std::string StdToUrl(std::string s) {
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

// 32 raw bytes when `digest` is the canonical "SHA-256=<padded base64url>" of them.
std::optional<std::string> PackDigest(const std::string& digest) {
  if (digest.size() != kDigestPrefix.size() + 44 || digest.compare(0, 8, kDigestPrefix) != 0)
    return std::nullopt;
  auto raw = Base64Decode(UrlToStd(digest.substr(kDigestPrefix.size())));
  if (!raw || raw->size() != 32) return std::nullopt;
  if (std::string(kDigestPrefix) + StdToUrl(Base64Encode(*raw)) != digest) return std::nullopt;
  return raw;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string HexDecode16(std::string_view hex) {
  std::string raw(16, '\0');
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i < 16; ++i)
    raw[i] = static_cast<char>((nib(hex[2 * i]) << 4) | nib(hex[2 * i + 1]));
  return raw;
}

std::string HeaderValue(const Headers& h, std::string_view key) {
  for (const auto& [k, v] : h)
    if (k.size() == key.size() && ::strncasecmp(k.data(), key.data(), k.size()) == 0 && !v.empty())
      return v.front();
  return {};
}

std::string EncodeHeaders(const Headers& headers) {
  std::string out;
  for (const auto& [k, values] : headers) {
    PutString(&out, k);
    PutVarint(&out, values.size());
    for (const auto& v : values) PutString(&out, v);
  }
  return out;
}

Headers DecodeHeaders(std::string_view encoded) {
  Headers headers;
  const char* p = encoded.data();
  const char* end = p + encoded.size();
  while (p < end) {
    std::string key(GetString(p));
    size_t n = GetVarint(p);
    auto& values = headers[key];
    for (size_t i = 0; i < n; ++i) values.emplace_back(GetString(p));
  }
  return headers;
}

// A nuid's home slot (low bits) and fingerprint (high 16 bits, never 0).
struct NuidHash {
  uint64_t home;
  uint16_t fp;
};

NuidHash HashNuid(std::string_view nuid) {
  auto h = static_cast<uint64_t>(std::hash<std::string_view>{}(nuid));
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  auto fp = static_cast<uint16_t>(h >> 48);
  return NuidHash{h, fp < 2 ? uint16_t{2} : fp};  // 0 and 1 mark empty and erased slots
}

// A record's parts.
struct Record {
  std::string_view key;
  const char* fields = nullptr;
  const char* end = nullptr;
};

Record ParseAt(std::string_view data, size_t offset) {
  const char* p = data.data() + offset;
  Record r;
  r.key = GetString(p);
  size_t n = GetVarint(p);
  r.fields = p;
  r.end = p + n;
  return r;
}

// Fields up to the nuid.
struct Head {
  uint8_t flags = 0;
  uint64_t revision = 0, size = 0;
  int64_t mtime_ns = 0;
  const char* rest = nullptr;  // the nuid
};

Head ParseHead(const char* p) {
  Head h;
  h.flags = static_cast<uint8_t>(*p++);
  h.revision = GetVarint(p);
  h.size = GetVarint(p);
  uint64_t t = 0;
  for (int i = 0; i < 8; ++i) t |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  p += 8;
  h.mtime_ns = static_cast<int64_t>(t);
  h.rest = p;
  return h;
}

std::string ReadNuid(uint8_t flags, const char*& p) {
  if (flags & kNuidPacked) {
    std::string n = UnpackNuid(p);
    p += kPackedNuid;
    return n;
  }
  if (flags & kNuidStr) return std::string(GetString(p));
  return {};
}

// Like ReadNuid without an allocation: a packed nuid is unpacked into buf.
std::string_view NuidView(uint8_t flags, const char*& p, char (&buf)[22]) {
  if (flags & kNuidPacked) {
    UnpackNuidInto(p, buf);
    p += kPackedNuid;
    return std::string_view(buf, 22);
  }
  if (flags & kNuidStr) return GetString(p);
  return {};
}

}  // namespace

struct Blocks::Block {
  std::string data;
  uint32_t count = 0;
  uint32_t id = 0;
};

Blocks::Blocks() : slot_fp_(1024), slot_id_(1024) {}
Blocks::~Blocks() = default;

uint32_t Blocks::NewBlockId() {
  if (!free_ids_.empty()) {
    uint32_t id = free_ids_.back();
    free_ids_.pop_back();
    return id;
  }
  by_id_.push_back(nullptr);
  return static_cast<uint32_t>(by_id_.size() - 1);
}

std::string Blocks::Encode(const Entry& e) {
  Headers headers = e.headers;
  std::string md5;
  if (auto it = headers.find(kMd5Header); it != headers.end() && it->second.size() == 1 &&
                                          it->second[0].size() == 32 && IsLowerHex(it->second[0])) {
    md5 = HexDecode16(it->second[0]);
    headers.erase(it);
  }
  uint8_t flags = 0;
  if (e.is_link) flags |= kLink;
  if (!md5.empty()) flags |= kMd5;
  std::optional<std::string> digest;
  bool keep_digest = !e.digest.empty() && HeaderValue(e.headers, kMd5Header).empty() &&
                     HeaderValue(e.headers, "Natss3-Etag").empty();
  if (keep_digest) {
    digest = PackDigest(e.digest);
    flags |= digest ? kDigestRaw : kDigestStr;
  }
  std::string nuid;
  if (PackNuid(e.nuid, &nuid))
    flags |= kNuidPacked;
  else if (!e.nuid.empty())
    flags |= kNuidStr;
  uint32_t header_id = 0;
  if (!headers.empty()) {
    flags |= kHeaders;
    header_id = InternHeaders(EncodeHeaders(headers));
  }

  std::string fields;
  fields.push_back(static_cast<char>(flags));
  PutVarint(&fields, e.revision);
  PutVarint(&fields, e.size);
  auto t = static_cast<uint64_t>(e.mtime.time_since_epoch().count());
  for (int i = 0; i < 8; ++i) fields.push_back(static_cast<char>(t >> (8 * i)));
  if (flags & kNuidPacked) fields += nuid;
  if (flags & kNuidStr) PutString(&fields, e.nuid);
  if (flags & kMd5) fields += md5;
  if (flags & kDigestRaw) fields += *digest;
  if (flags & kDigestStr) PutString(&fields, e.digest);
  if (flags & kHeaders) PutVarint(&fields, header_id);

  std::string record;
  record.reserve(e.name.size() + fields.size() + 4);
  PutString(&record, e.name);
  PutString(&record, fields);
  return record;
}

uint32_t Blocks::InternHeaders(const std::string& encoded) {
  auto [it, added] = header_ids_.try_emplace(encoded, 0);
  if (added) {
    if (!free_header_sets_.empty()) {
      it->second = free_header_sets_.back();
      free_header_sets_.pop_back();
      header_sets_[it->second - 1].encoded = encoded;
    } else {
      header_sets_.push_back({encoded, 0});
      it->second = static_cast<uint32_t>(header_sets_.size());
    }
  }
  header_sets_[it->second - 1].refs++;
  return it->second;
}

void Blocks::Release(std::string_view record_bytes) {
  Record r = ParseAt(record_bytes, 0);
  Head h = ParseHead(r.fields);
  if (!(h.flags & kHeaders)) return;
  const char* p = h.rest;
  if (h.flags & kNuidPacked) p += kPackedNuid;
  if (h.flags & kNuidStr) GetString(p);
  if (h.flags & kMd5) p += 16;
  if (h.flags & kDigestRaw) p += 32;
  if (h.flags & kDigestStr) GetString(p);
  auto id = static_cast<uint32_t>(GetVarint(p));
  HeaderSet& set = header_sets_[id - 1];
  if (--set.refs == 0) {
    header_ids_.erase(set.encoded);
    set.encoded.clear();
    set.encoded.shrink_to_fit();
    free_header_sets_.push_back(id);
  }
}

void Blocks::Decode(const Cursor& c, Entry* out) const {
  Record r = ParseAt(blocks_[c.block]->data, c.offset);
  Head h = ParseHead(r.fields);
  Entry e;
  e.name = std::string(r.key);
  e.revision = h.revision;
  e.size = h.size;
  e.mtime = TimePoint(std::chrono::nanoseconds(h.mtime_ns));
  e.is_link = h.flags & kLink;
  const char* p = h.rest;
  e.nuid = ReadNuid(h.flags, p);
  std::string md5;
  if (h.flags & kMd5) {
    md5 = HexEncode(std::string_view(p, 16));
    p += 16;
  }
  if (h.flags & kDigestRaw) {
    e.digest = std::string(kDigestPrefix) + StdToUrl(Base64Encode(std::string_view(p, 32)));
    p += 32;
  }
  if (h.flags & kDigestStr) e.digest = std::string(GetString(p));
  if (h.flags & kHeaders) {
    auto id = static_cast<uint32_t>(GetVarint(p));
    e.headers = DecodeHeaders(header_sets_[id - 1].encoded);
  }
  if (!md5.empty()) e.headers[kMd5Header] = {md5};
  e.md5_hex = HeaderValue(e.headers, kMd5Header);
  e.etag = HeaderValue(e.headers, "Natss3-Etag");
  e.content_type = HeaderValue(e.headers, "Content-Type");
  *out = std::move(e);
}

std::string Blocks::NuidAt(const Cursor& c) const {
  Record r = ParseAt(blocks_[c.block]->data, c.offset);
  Head h = ParseHead(r.fields);
  const char* p = h.rest;
  return ReadNuid(h.flags, p);
}

std::string_view Blocks::KeyAt(const Cursor& c) const {
  return ParseAt(blocks_[c.block]->data, c.offset).key;
}

void Blocks::Next(Cursor* c) const {
  const std::string& data = blocks_[c->block]->data;
  Record r = ParseAt(data, c->offset);
  c->offset = static_cast<size_t>(r.end - data.data());
  if (c->offset >= data.size()) {
    ++c->block;
    c->offset = 0;
  }
}

size_t Blocks::BlockFor(std::string_view key) const {
  // The last block whose first key <= key (0 when key sorts before every block).
  size_t lo = 0, hi = blocks_.size();
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (ParseAt(blocks_[mid]->data, 0).key <= key)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

size_t Blocks::Seek(const Block& b, std::string_view key, bool* found) const {
  size_t offset = 0;
  *found = false;
  while (offset < b.data.size()) {
    Record r = ParseAt(b.data, offset);
    int cmp = r.key.compare(key);
    if (cmp >= 0) {
      *found = cmp == 0;
      return offset;
    }
    offset = static_cast<size_t>(r.end - b.data.data());
  }
  return offset;
}

Blocks::Cursor Blocks::LowerBound(std::string_view key) const {
  if (blocks_.empty()) return Cursor{0, 0};
  size_t b = BlockFor(key);
  bool found = false;
  size_t offset = Seek(*blocks_[b], key, &found);
  if (offset >= blocks_[b]->data.size()) return Cursor{b + 1, 0};
  return Cursor{b, offset};
}

Blocks::Cursor Blocks::UpperBound(std::string_view key) const {
  Cursor c = LowerBound(key);
  if (!AtEnd(c) && KeyAt(c) == key) Next(&c);
  return c;
}

bool Blocks::Find(std::string_view name, Entry* out) const {
  Cursor c = LowerBound(name);
  if (AtEnd(c) || KeyAt(c) != name) return false;
  if (out) Decode(c, out);
  return true;
}

bool Blocks::Peek(std::string_view name, uint64_t* revision, std::string* nuid) const {
  Cursor c = LowerBound(name);
  if (AtEnd(c)) return false;
  Record r = ParseAt(blocks_[c.block]->data, c.offset);
  if (r.key != name) return false;
  Head h = ParseHead(r.fields);
  if (revision) *revision = h.revision;
  if (nuid) {
    const char* p = h.rest;
    *nuid = ReadNuid(h.flags, p);
  }
  return true;
}

void Blocks::Put(const Entry& e) {
  NuidReserve();
  std::string record = Encode(e);
  if (blocks_.empty()) {
    auto b = std::make_unique<Block>();
    b->id = NewBlockId();
    b->data = std::move(record);
    b->count = 1;
    by_id_[b->id] = b.get();
    if (!e.nuid.empty()) NuidInsert(e.nuid, b->id);
    blocks_.push_back(std::move(b));
    size_ = 1;
    return;
  }
  size_t bi = BlockFor(e.name);
  Block& b = *blocks_[bi];
  bool found = false;
  size_t offset = Seek(b, e.name, &found);
  if (found) {
    Record old = ParseAt(b.data, offset);
    size_t old_len = static_cast<size_t>(old.end - b.data.data()) - offset;
    Head h = ParseHead(old.fields);
    const char* p = h.rest;
    char buf[22];
    std::string_view old_nuid = NuidView(h.flags, p, buf);
    if (!old_nuid.empty()) NuidErase(old_nuid, b.id);
    Release(std::string_view(b.data.data() + offset, old_len));
    if (b.data.size() - old_len + record.size() > b.data.capacity())
      b.data.reserve(b.data.size() - old_len + record.size() + 256);
    b.data.replace(offset, old_len, record);
  } else {
    if (b.data.size() + record.size() > b.data.capacity())
      b.data.reserve(b.data.size() + record.size() + 256);
    b.data.insert(offset, record);
    ++b.count;
    ++size_;
  }
  if (!e.nuid.empty()) NuidInsert(e.nuid, b.id);
  if (b.data.size() > kBlockBytes && b.count > 1) Split(bi, found ? 0 : offset);
}

void Blocks::Split(size_t bi, size_t inserted_at) {
  Block& b = *blocks_[bi];
  // A record appended at the end (a replay in key order) starts the new block alone, so a
  // bucket loaded in order leaves full blocks; otherwise the block is halved.
  bool appended = ParseAt(b.data, inserted_at).end == b.data.data() + b.data.size();
  size_t half = appended ? inserted_at : b.data.size() / 2, offset = 0;
  uint32_t left = 0;
  while (offset < half || left == 0) {
    offset = static_cast<size_t>(ParseAt(b.data, offset).end - b.data.data());
    ++left;
  }
  if (offset >= b.data.size()) return;  // one huge record: nothing to split
  auto nb = std::make_unique<Block>();
  nb->id = NewBlockId();
  by_id_[nb->id] = nb.get();
  nb->data = b.data.substr(offset);
  nb->count = b.count - left;
  b.data.resize(offset);
  b.data.shrink_to_fit();
  b.count = left;
  for (size_t o = 0; o < nb->data.size();) {
    Record r = ParseAt(nb->data, o);
    Head h = ParseHead(r.fields);
    const char* p = h.rest;
    char buf[22];
    std::string_view nuid = NuidView(h.flags, p, buf);
    if (!nuid.empty()) {
      NuidErase(nuid, b.id);
      NuidInsert(nuid, nb->id);
    }
    o = static_cast<size_t>(r.end - nb->data.data());
  }
  blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(bi) + 1, std::move(nb));
}

bool Blocks::Erase(std::string_view name) {
  if (blocks_.empty()) return false;
  size_t bi = BlockFor(name);
  Block& b = *blocks_[bi];
  bool found = false;
  size_t offset = Seek(b, name, &found);
  if (!found) return false;
  Record r = ParseAt(b.data, offset);
  size_t len = static_cast<size_t>(r.end - b.data.data()) - offset;
  Head h = ParseHead(r.fields);
  const char* p = h.rest;
  char buf[22];
  std::string_view nuid = NuidView(h.flags, p, buf);
  if (!nuid.empty()) NuidErase(nuid, b.id);
  Release(std::string_view(b.data.data() + offset, len));
  b.data.erase(offset, len);
  --b.count;
  --size_;
  if (b.count == 0) {
    by_id_[b.id] = nullptr;
    free_ids_.push_back(b.id);
    blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(bi));
  } else if (b.data.capacity() > 2 * b.data.size() + 512) {
    b.data.shrink_to_fit();
  }
  return true;
}

constexpr uint16_t kEmpty = 0, kErased = 1;

// The slot of a hash in a table of n slots (any n: multiply-shift range reduction), and the
// next slot of linear probing.
size_t HomeSlot(uint64_t home, size_t n) {
  return static_cast<size_t>(((home & 0xffffffffULL) * n) >> 32);
}
size_t NextSlot(size_t i, size_t n) { return i + 1 == n ? 0 : i + 1; }
// A change inserts at most the records a split moves: half a block, of records of 14 bytes or more.
constexpr size_t kMaxMovedRecords = 512;

std::vector<std::string> Blocks::NamesOfNuid(std::string_view nuid) const {
  std::vector<std::string> names;
  if (nuid.empty()) return names;
  NuidHash h = HashNuid(nuid);
  size_t n = slot_fp_.size();
  std::vector<uint32_t> ids;
  for (size_t i = HomeSlot(h.home, n); slot_fp_[i] != kEmpty; i = NextSlot(i, n))
    if (slot_fp_[i] == h.fp && std::find(ids.begin(), ids.end(), slot_id_[i]) == ids.end())
      ids.push_back(slot_id_[i]);
  for (uint32_t id : ids) {
    const Block* b = by_id_[id];
    if (!b) continue;
    for (size_t o = 0; o < b->data.size();) {
      Record r = ParseAt(b->data, o);
      Head head = ParseHead(r.fields);
      const char* p = head.rest;
      char buf[22];
      if (NuidView(head.flags, p, buf) == nuid) names.emplace_back(r.key);
      o = static_cast<size_t>(r.end - b->data.data());
    }
  }
  return names;
}

void Blocks::Reserve(size_t entries) {
  if ((entries + kMaxMovedRecords) * 20 <= slot_fp_.size() * 17) return;
  RebuildNuids((entries + kMaxMovedRecords) * 5 / 3);
}

void Blocks::NuidReserve() {
  size_t cap = slot_fp_.size();
  if ((slots_filled_ + kMaxMovedRecords) * 20 <= cap * 17) return;
  RebuildNuids((slots_live_ + kMaxMovedRecords) * 5 / 3);  // 60% full
}

void Blocks::RebuildNuids(size_t want) {
  want = std::max<size_t>(1024, want);
  slot_fp_.assign(want, kEmpty);
  slot_id_.assign(want, 0);
  slot_fp_.shrink_to_fit();
  slot_id_.shrink_to_fit();
  slots_live_ = slots_filled_ = 0;
  for (const auto& b : blocks_) {
    for (size_t o = 0; o < b->data.size();) {
      Record r = ParseAt(b->data, o);
      Head head = ParseHead(r.fields);
      const char* p = head.rest;
      char buf[22];
      if (std::string_view nuid = NuidView(head.flags, p, buf); !nuid.empty())
        NuidInsert(nuid, b->id);
      o = static_cast<size_t>(r.end - b->data.data());
    }
  }
}

void Blocks::NuidInsert(std::string_view nuid, uint32_t block_id) {
  NuidHash h = HashNuid(nuid);
  size_t n = slot_fp_.size();
  size_t i = HomeSlot(h.home, n);
  while (slot_fp_[i] > kErased) i = NextSlot(i, n);
  if (slot_fp_[i] == kEmpty) ++slots_filled_;
  slot_fp_[i] = h.fp;
  slot_id_[i] = block_id;
  ++slots_live_;
}

void Blocks::NuidErase(std::string_view nuid, uint32_t block_id) {
  NuidHash h = HashNuid(nuid);
  size_t n = slot_fp_.size();
  for (size_t i = HomeSlot(h.home, n); slot_fp_[i] != kEmpty; i = NextSlot(i, n)) {
    if (slot_fp_[i] == h.fp && slot_id_[i] == block_id) {
      slot_fp_[i] = kErased;
      --slots_live_;
      return;
    }
  }
}

namespace {

// Bounded reads for fields that come from outside (a snapshot).
struct Bounded {
  const char* p;
  const char* end;
  bool ok = true;
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) break;
      auto b = static_cast<uint8_t>(*p++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  void Skip(uint64_t n) {
    if (static_cast<uint64_t>(end - p) < n) {
      ok = false;
      p = end;
    } else {
      p += n;
    }
  }
};

// Offset in `fields` of the headers part (the end when there is none); npos when malformed.
size_t HeadersOffset(std::string_view fields, uint8_t* flags_out) {
  Bounded b{fields.data(), fields.data() + fields.size()};
  if (fields.empty()) return std::string_view::npos;
  auto flags = static_cast<uint8_t>(*b.p++);
  if (flags & 0x80) return std::string_view::npos;
  b.Varint();  // revision
  b.Varint();  // size
  b.Skip(8);   // mtime
  if (flags & kNuidPacked) b.Skip(kPackedNuid);
  if (flags & kNuidStr) b.Skip(b.Varint());
  if (flags & kMd5) b.Skip(16);
  if (flags & kDigestRaw) b.Skip(32);
  if (flags & kDigestStr) b.Skip(b.Varint());
  if (!b.ok) return std::string_view::npos;
  *flags_out = flags;
  return static_cast<size_t>(b.p - fields.data());
}

}  // namespace

std::string Blocks::ExportFields(const Cursor& c) const {
  Record r = ParseAt(blocks_[c.block]->data, c.offset);
  std::string_view fields(r.fields, static_cast<size_t>(r.end - r.fields));
  uint8_t flags = 0;
  size_t at = HeadersOffset(fields, &flags);
  std::string out(fields.substr(0, at));
  if (flags & kHeaders) {
    const char* p = fields.data() + at;
    auto id = static_cast<uint32_t>(GetVarint(p));
    PutString(&out, header_sets_[id - 1].encoded);
  }
  return out;
}

bool Blocks::AppendExported(std::string_view name, std::string_view fields) {
  uint8_t flags = 0;
  size_t at = HeadersOffset(fields, &flags);
  if (at == std::string_view::npos) return false;
  std::string_view headers;
  if (flags & kHeaders) {
    Bounded b{fields.data() + at, fields.data() + fields.size()};
    uint64_t n = b.Varint();
    const char* start = b.p;
    b.Skip(n);
    if (!b.ok || b.p != b.end || n == 0) return false;
    headers = std::string_view(start, n);
    // The encoded headers must parse to the end.
    Bounded h{headers.data(), headers.data() + headers.size()};
    while (h.ok && h.p < h.end) {
      h.Skip(h.Varint());
      for (uint64_t v = h.Varint(); h.ok && v > 0; --v) h.Skip(h.Varint());
    }
    if (!h.ok) return false;
  } else if (at != fields.size()) {
    return false;
  }
  if (name <= last_appended_ && size_ > 0) return false;
  NuidReserve();
  std::string stored(fields.substr(0, at));
  if (flags & kHeaders) PutVarint(&stored, InternHeaders(std::string(headers)));
  std::string record;
  PutString(&record, name);
  PutString(&record, stored);
  if (blocks_.empty() || blocks_.back()->data.size() + record.size() > kBlockBytes) {
    auto b = std::make_unique<Block>();
    b->id = NewBlockId();
    by_id_[b->id] = b.get();
    b->data.reserve(kBlockBytes);
    blocks_.push_back(std::move(b));
  }
  Block& b = *blocks_.back();
  b.data += record;
  ++b.count;
  ++size_;
  last_appended_.assign(name);
  const char* p = stored.data() + 1;
  GetVarint(p);
  GetVarint(p);
  p += 8;
  char buf[22];
  if (std::string_view nuid = NuidView(flags, p, buf); !nuid.empty()) NuidInsert(nuid, b.id);
  return true;
}

void Blocks::Compact() {
  for (auto& b : blocks_) b->data.shrink_to_fit();
}

size_t Blocks::MemoryBytes() const {
  size_t n = slot_fp_.size() * (sizeof(uint16_t) + sizeof(uint32_t)) +
             blocks_.capacity() * sizeof(void*) + by_id_.capacity() * sizeof(void*);
  for (const auto& b : blocks_) n += sizeof(Block) + b->data.capacity();
  for (const auto& s : header_sets_) n += sizeof(HeaderSet) + s.encoded.capacity();
  return n;
}

}  // namespace natss3::listing
