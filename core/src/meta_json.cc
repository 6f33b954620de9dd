// Meta JSON codec. nlohmann::ordered_json keeps Go's field order.
#include "meta_json.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace natss3 {

using ojson = nlohmann::ordered_json;

namespace {

// Go's encoding/json escapes <, > and & inside strings; outside strings they cannot occur.
std::string GoEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

}  // namespace

std::string MarshalObjectInfo(const ObjectInfo& info) {
  const ObjectMeta& m = info.meta;
  ojson j;
  j["name"] = m.name;
  if (!m.description.empty()) j["description"] = m.description;
  if (!m.headers.empty()) {
    ojson h = ojson::object();
    for (const auto& [k, v] : m.headers) h[k] = v;  // std::map: sorted like Go
    j["headers"] = h;
  }
  if (!m.metadata.empty()) {
    ojson md = ojson::object();
    for (const auto& [k, v] : m.metadata) md[k] = v;
    j["metadata"] = md;
  }
  ojson opts = ojson::object();
  if (m.link) {
    ojson l;
    l["bucket"] = m.link->bucket;
    if (!m.link->name.empty()) l["name"] = m.link->name;
    opts["link"] = l;
  }
  if (m.max_chunk_size) opts["max_chunk_size"] = m.max_chunk_size;
  if (!opts.empty()) j["options"] = opts;
  j["bucket"] = info.bucket;
  j["nuid"] = info.nuid;
  j["size"] = info.size;
  j["mtime"] = "0001-01-01T00:00:00Z";
  j["chunks"] = info.chunks;
  if (!info.digest.empty()) j["digest"] = info.digest;
  if (info.deleted) j["deleted"] = true;
  return GoEscape(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<ObjectInfo> UnmarshalObjectInfo(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("object meta is not valid JSON");
  ObjectInfo info;
  auto str = [&](const nlohmann::json& o, const char* key) -> std::string {
    auto it = o.find(key);
    return (it != o.end() && it->is_string()) ? it->get<std::string>() : std::string();
  };
  auto num = [&](const nlohmann::json& o, const char* key) -> uint64_t {
    auto it = o.find(key);
    return (it != o.end() && it->is_number()) ? it->get<uint64_t>() : 0;
  };
  info.meta.name = str(j, "name");
  info.meta.description = str(j, "description");
  if (auto h = j.find("headers"); h != j.end() && h->is_object()) {
    for (auto& [k, v] : h->items()) {
      std::vector<std::string> vals;
      if (v.is_array()) {
        for (auto& e : v)
          if (e.is_string()) vals.push_back(e.get<std::string>());
      } else if (v.is_string()) {
        vals.push_back(v.get<std::string>());
      }
      info.meta.headers[k] = std::move(vals);
    }
  }
  if (auto md = j.find("metadata"); md != j.end() && md->is_object()) {
    for (auto& [k, v] : md->items())
      if (v.is_string()) info.meta.metadata[k] = v.get<std::string>();
  }
  if (auto o = j.find("options"); o != j.end() && o->is_object()) {
    info.meta.max_chunk_size = static_cast<uint32_t>(num(*o, "max_chunk_size"));
    if (auto l = o->find("link"); l != o->end() && l->is_object()) {
      info.meta.link = ObjectLink{str(*l, "bucket"), str(*l, "name")};
    }
  }
  info.bucket = str(j, "bucket");
  info.nuid = str(j, "nuid");
  info.size = num(j, "size");
  info.chunks = static_cast<uint32_t>(num(j, "chunks"));
  info.digest = str(j, "digest");
  if (auto d = j.find("deleted"); d != j.end() && d->is_boolean()) info.deleted = d->get<bool>();
  return info;
}

std::string FormatRfc3339(TimePoint t) {
  auto ns = t.time_since_epoch().count();
  time_t secs = static_cast<time_t>(ns / 1000000000);
  long frac = static_cast<long>(ns % 1000000000);
  if (frac < 0) frac += 1000000000, secs -= 1;
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

TimePoint ParseRfc3339(std::string_view s) {
  int Y, M, D, h, m, sec;
  if (s.size() < 19 ||
      std::sscanf(std::string(s.substr(0, 19)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &Y, &M, &D, &h,
                  &m, &sec) != 6) {
    return TimePoint{};
  }
  struct tm tm {};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  int64_t secs = timegm(&tm);
  int64_t frac = 0;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    int digits = 0;
    for (++i; i < s.size() && isdigit(static_cast<unsigned char>(s[i])); ++i, ++digits)
      if (digits < 9) frac = frac * 10 + (s[i] - '0');
    for (; digits < 9; ++digits) frac *= 10;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-') && i + 5 < s.size() + 0) {
    int oh = 0, om = 0;
    std::sscanf(std::string(s.substr(i + 1)).c_str(), "%2d:%2d", &oh, &om);
    int64_t off = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    secs -= off;
  }
  return TimePoint(std::chrono::nanoseconds(secs * 1000000000LL + frac));
}

}  // namespace natss3
