// natss3 core benchmark: raw cnats ceiling vs @nats-io/obj vs the natss3 core, interleaved.
//
// Starts its own nats-server (JetStream, file storage) on 127.0.0.1, then per size class runs
// every contender once per round, rotating the order, and prints medians and their ratios:
//   raw  = pipelined js_PublishAsync of 128 KiB messages (32 in flight) and ordered-consumer
//          replay through cnats: the ceiling;
//   core = natss3 ObjectWriter / ObjectReader;
//   js   = tests/interop/js/ostool.mjs (@nats-io/obj 3.4.0), timed inside node.
// "get unverified" reads the core's object again without the SHA-256 check (raw: its same get),
// and a CPU table splits each transfer's CPU seconds per GiB between client and nats-server.
// Peak RSS above idle (VmHWM after /proc/self/clear_refs) is measured in child processes.
// Usage: see --help. bench/core/run.sh builds and runs it.
#include <nats/nats.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "natss3/nats_store.h"
#include "natss3/object_store.h"

namespace natss3::bench {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr int kRawChunk = 128 * 1024;
constexpr int kRawWindow = 32;

struct Args {
  int rounds = 3;
  std::vector<uint64_t> large_mib = {256, 1024};
  int small_count = 1000;
  bool js = true;
  bool rss = true;
  std::string node = "node";
  std::string js_tool;
  std::string self;
};

// ---- raw cnats ceiling

class RawClient {
 public:
  explicit RawClient(const std::string& url) {
    natsOptions* opts = nullptr;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, url.c_str());
    natsOptions_SetTimeout(opts, 10000);
    Check(natsConnection_Connect(&nc_, opts), "connect");
    natsOptions_Destroy(opts);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 30000;
    jo.PublishAsync.MaxPending = kRawWindow;
    jo.PublishAsync.ErrHandler = &RawClient::OnAsyncError;
    jo.PublishAsync.ErrHandlerClosure = this;
    Check(natsConnection_JetStream(&js_, nc_, &jo), "jetstream");
  }
  ~RawClient() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }

  void CreateStream(const std::string& name, const std::string& subjects) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    const char* subj[] = {subjects.c_str()};
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.AllowDirect = true;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    Check(js_AddStream(&si, js_, &cfg, nullptr, &jerr), "add stream");
    jsStreamInfo_Destroy(si);
  }
  void DeleteStream(const std::string& name) { js_DeleteStream(js_, name.c_str(), nullptr, nullptr); }

  // Pipelined publish of `size` bytes as 128 KiB messages, 32 in flight.
  void PutLarge(const std::string& subject, const std::string& pattern, uint64_t size) {
    async_errors_ = 0;
    for (uint64_t off = 0; off < size; off += kRawChunk) {
      int n = static_cast<int>(std::min<uint64_t>(kRawChunk, size - off));
      const char* p = pattern.data() + (off % pattern.size());
      Check(js_PublishAsync(js_, subject.c_str(), p, n, nullptr), "publish async");
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    Check(js_PublishAsyncComplete(js_, &po), "publish async complete");
    if (async_errors_ > 0) Die("raw put: " + std::to_string(async_errors_) + " async errors");
  }

  // Ordered-consumer replay of every message on `subject`; returns the bytes received.
  uint64_t GetLarge(const std::string& stream, const std::string& subject) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Ordered = true;
    so.Stream = stream.c_str();
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    Check(js_SubscribeSync(&sub, js_, subject.c_str(), nullptr, &so, &jerr), "subscribe");
    natsSubscription_SetPendingLimits(sub, -1, -1);
    uint64_t bytes = 0;
    while (true) {
      natsMsg* m = nullptr;
      Check(natsSubscription_NextMsg(&m, sub, 30000), "next msg");
      bytes += static_cast<uint64_t>(natsMsg_GetDataLength(m));
      jsMsgMetaData* meta = nullptr;
      uint64_t pending = 1;
      if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
        pending = meta->NumPending;
        jsMsgMetaData_Destroy(meta);
      }
      natsMsg_Destroy(m);
      if (pending == 0) break;
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    return bytes;
  }

  // One synchronous publish (wait for the ack) per small message.
  void PutSmall(const std::string& subject, const std::string& data) {
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    Check(js_Publish(&ack, js_, subject.c_str(), data.data(), static_cast<int>(data.size()),
                     nullptr, &jerr),
          "publish");
    jsPubAck_Destroy(ack);
  }
  // Direct get of the last message on a subject.
  size_t GetSmall(const std::string& stream, const std::string& subject) {
    jsDirectGetMsgOptions o;
    jsDirectGetMsgOptions_Init(&o);
    o.LastBySubject = subject.c_str();
    natsMsg* m = nullptr;
    Check(js_DirectGetMsg(&m, js_, stream.c_str(), nullptr, &o), "direct get");
    size_t n = static_cast<size_t>(natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
    return n;
  }

 private:
  static void OnAsyncError(jsCtx*, jsPubAckErr*, void* closure) {
    static_cast<RawClient*>(closure)->async_errors_++;
  }
  static void Check(natsStatus s, const char* what) {
    if (s != NATS_OK) Die(std::string("raw ") + what + ": " + natsStatus_GetText(s));
  }
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::atomic<int> async_errors_{0};
};

// ---- natss3 core

std::shared_ptr<ObjectStore> ConnectCore(const std::string& url) {
  ConnectOptions o;
  o.servers = url;
  o.timeout = std::chrono::milliseconds(30000);
  auto store = ConnectNats(o);
  if (!store.ok()) Die("core connect: " + store.status().ToString());
  return *store;
}

void CoreCreate(ObjectStore& store, const std::string& bucket) {
  BucketConfig c;
  c.bucket = bucket;
  auto r = store.CreateBucket(c);
  if (!r.ok()) Die("core create bucket: " + r.status().ToString());
}

void CorePut(ObjectStore& store, const std::string& bucket, const std::string& name,
             const std::string& pattern, uint64_t size) {
  ObjectMeta meta;
  meta.name = name;
  auto w = store.NewWriter(bucket, meta);
  if (!w.ok()) Die("core writer: " + w.status().ToString());
  for (uint64_t off = 0; off < size; off += pattern.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(pattern.size(), size - off));
    Status s = (*w)->Write(std::string_view(pattern.data(), n));
    if (!s.ok()) Die("core write: " + s.ToString());
  }
  auto info = (*w)->Commit();
  if (!info.ok()) Die("core commit: " + info.status().ToString());
}

uint64_t CoreGet(ObjectStore& store, const std::string& bucket, const std::string& name,
                 bool verify = true) {
  ReadOptions ro;
  ro.verify_digest = verify;
  auto r = store.Open(bucket, name, ro);
  if (!r.ok()) Die("core open: " + r.status().ToString());
  std::vector<char> buf(kMiB);
  uint64_t total = 0;
  while (true) {
    auto n = (*r)->Read(buf.data(), buf.size());
    if (!n.ok()) Die("core read: " + n.status().ToString());
    if (*n == 0) break;
    total += *n;
  }
  return total;
}

// ---- @nats-io/obj through the interop tool

nlohmann::json RunJs(const Args& a, const std::string& url, std::vector<std::string> cmd,
                     long* max_rss_kib = nullptr) {
  std::vector<std::string> argv = {a.node, a.js_tool};
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  std::string out;
  int rc = RunCapture(argv, {{"NATS_URL", url}}, &out, max_rss_kib);
  if (rc != 0) Die("js tool failed (" + std::to_string(rc) + "): " + out);
  auto lines = out.substr(0, out.find_last_not_of('\n') + 1);
  auto j = nlohmann::json::parse(lines.substr(lines.rfind('\n') + 1), nullptr, false);
  if (j.is_discarded()) Die("js tool output: " + out);
  return j;
}

// ---- RSS children: `--rss-child <core|raw> <put|get> <bytes> <url> <bucket>`

int RssChild(int argc, char** argv) {
  if (argc < 7) return 2;
  std::string who = argv[2], op = argv[3], url = argv[5], bucket = argv[6];
  uint64_t size = std::stoull(argv[4]);
  std::string pattern = RandomPattern(kMiB);
  std::unique_ptr<RawClient> raw;
  std::shared_ptr<ObjectStore> core;
  if (who == "raw") {
    raw = std::make_unique<RawClient>(url);
  } else {
    core = ConnectCore(url);
  }
  ResetPeakRss();
  long idle = ReadProcStatusKib("VmRSS");
  if (who == "raw") {
    if (op == "put") raw->PutLarge("rss." + bucket, pattern, size);
    else raw->GetLarge("RSS_" + bucket, "rss." + bucket);
  } else {
    if (op == "put") CorePut(*core, bucket, "obj", pattern, size);
    else CoreGet(*core, bucket, "obj");
  }
  long hwm = ReadProcStatusKib("VmHWM");
  std::printf("{\"idle_kib\":%ld,\"hwm_kib\":%ld}\n", idle, hwm);
  return 0;
}

struct RssResult {
  double idle_mib = 0, above_mib = 0;
};

RssResult RunRssChild(const Args& a, const std::string& who, const std::string& op, uint64_t size,
                      const std::string& url, const std::string& bucket) {
  std::string out;
  int rc = RunCapture({a.self, "--rss-child", who, op, std::to_string(size), url, bucket}, {}, &out,
                      nullptr);
  if (rc != 0) Die("rss child failed: " + out);
  auto j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  if (j.is_discarded()) Die("rss child output: " + out);
  RssResult r;
  r.idle_mib = j.value("idle_kib", 0L) / 1024.0;
  r.above_mib = (j.value("hwm_kib", 0L) - j.value("idle_kib", 0L)) / 1024.0;
  return r;
}

// ---- the digests' own cost

// Single-thread CPU seconds per GiB of one digest over `pattern` (OpenSSL, as the core uses).
double DigestSecondsPerGib(const EVP_MD* md, const std::string& pattern) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  const uint64_t total = 512 * kMiB;
  double t = Seconds([&] {
    for (uint64_t off = 0; off < total; off += pattern.size())
      EVP_DigestUpdate(ctx, pattern.data(), pattern.size());
  });
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, out, &n);
  EVP_MD_CTX_free(ctx);
  return t * static_cast<double>(1024 * kMiB) / static_cast<double>(total);
}

// ---- the run

using Samples = std::map<std::string, std::vector<double>>;  // "<what>/<contender>" -> values

// Wall time and the CPU seconds this process (all threads, cnats' included) and nats-server
// spent during one transfer.
struct Timing {
  double wall = 0, client = 0, server = 0;
};
Timing Timed(pid_t server, const std::function<void()>& fn) {
  double c0 = SelfCpuSeconds(), s0 = ProcessCpuSeconds(server);
  double wall = Seconds(fn);
  return {wall, SelfCpuSeconds() - c0, ProcessCpuSeconds(server) - s0};
}

// Records MiB/s under "<row>/<who>" and, when CPU was measured, CPU seconds per GiB under
// "cpu client <row>/<who>" and "cpu server <row>/<who>".
void Record(Samples& s, const std::string& row, const std::string& who, uint64_t size,
            const Timing& t, bool cpu) {
  double mib = static_cast<double>(size) / kMiB;
  s[row + "/" + who].push_back(mib / t.wall);
  if (!cpu) return;
  double gib = mib / 1024.0;
  s["cpu client " + row + "/" + who].push_back(t.client / gib);
  s["cpu server " + row + "/" + who].push_back(t.server / gib);
}

void LargeRound(const Args& a, const std::string& url, pid_t server, RawClient& raw,
                ObjectStore& core, const std::string& pattern, uint64_t size,
                const std::string& js_file, int round, Samples& s) {
  std::vector<std::string> order = {"raw", "core", "js"};
  if (!a.js) order.pop_back();
  std::rotate(order.begin(), order.begin() + (round % order.size()), order.end());
  const std::string key = HumanSize(size);
  for (const auto& who : order) {
    const std::string bucket = "b" + std::to_string(round) + who + std::to_string(size >> 20);
    Timing put, get;
    if (who == "raw") {
      raw.CreateStream("RAW_" + bucket, "raw." + bucket);
      put = Timed(server, [&] { raw.PutLarge("raw." + bucket, pattern, size); });
      uint64_t got = 0;
      get = Timed(server, [&] { got = raw.GetLarge("RAW_" + bucket, "raw." + bucket); });
      if (got != size) Die("raw get: short read");
      raw.DeleteStream("RAW_" + bucket);
      Record(s, key + " get unverified", who, size, get, true);
    } else if (who == "core") {
      CoreCreate(core, bucket);
      put = Timed(server, [&] { CorePut(core, bucket, "obj", pattern, size); });
      // The same read without the SHA-256 check shows what the digest costs. A second read
      // finds the server's caches warm, so which goes first alternates by round.
      Timing nv;
      for (bool verify : {round % 2 == 0, round % 2 != 0}) {
        uint64_t got = 0;
        Timing t = Timed(server, [&] { got = CoreGet(core, bucket, "obj", verify); });
        if (got != size) Die("core get: short read");
        (verify ? get : nv) = t;
      }
      Record(s, key + " get unverified", who, size, nv, true);
      (void)core.DeleteBucket(bucket);
    } else {
      RunJs(a, url, {"create", "--bucket", bucket});
      put.wall = RunJs(a, url, {"put", "--bucket", bucket, "--name", "obj", "--file", js_file})
                     .value("elapsed_ms", 0.0) / 1000.0;
      auto g = RunJs(a, url, {"get", "--bucket", bucket, "--name", "obj", "--nohash"});
      if (g.value("size", uint64_t{0}) != size) Die("js get: short read");
      get.wall = g.value("elapsed_ms", 0.0) / 1000.0;
      RunJs(a, url, {"del-bucket", "--bucket", bucket});
    }
    Record(s, key + " put", who, size, put, who != "js");
    Record(s, key + " get", who, size, get, who != "js");
    double mib = static_cast<double>(size) / kMiB;
    std::fprintf(stderr, "  round %d %-4s %s: put %.1f MiB/s, get %.1f MiB/s\n", round,
                 who.c_str(), key.c_str(), mib / put.wall, mib / get.wall);
  }
}

void SmallRound(const Args& a, const std::string& url, RawClient& raw, ObjectStore& core,
                const std::string& js_file, int round, Samples& s) {
  const int n = a.small_count;
  const std::string data = RandomPattern(4096);
  std::vector<std::string> order = {"raw", "core", "js"};
  if (!a.js) order.pop_back();
  std::rotate(order.begin(), order.begin() + (round % order.size()), order.end());
  for (const auto& who : order) {
    const std::string bucket = "s" + std::to_string(round) + who;
    double put_s = 0, get_s = 0;
    if (who == "raw") {
      raw.CreateStream("RAW_" + bucket, "small." + bucket + ".>");
      put_s = Seconds([&] {
        for (int i = 0; i < n; i++) raw.PutSmall("small." + bucket + "." + std::to_string(i), data);
      });
      get_s = Seconds([&] {
        for (int i = 0; i < n; i++) raw.GetSmall("RAW_" + bucket, "small." + bucket + "." + std::to_string(i));
      });
      raw.DeleteStream("RAW_" + bucket);
    } else if (who == "core") {
      CoreCreate(core, bucket);
      put_s = Seconds([&] {
        for (int i = 0; i < n; i++) {
          ObjectMeta m;
          m.name = "o-" + std::to_string(i);
          auto r = core.PutBytes(bucket, m, data);
          if (!r.ok()) Die("core small put: " + r.status().ToString());
        }
      });
      get_s = Seconds([&] {
        for (int i = 0; i < n; i++) {
          auto r = core.GetBytes(bucket, "o-" + std::to_string(i));
          if (!r.ok() || r->size() != data.size()) Die("core small get failed");
        }
      });
      (void)core.DeleteBucket(bucket);
    } else {
      RunJs(a, url, {"create", "--bucket", bucket});
      put_s = RunJs(a, url, {"put-bytes-loop", "--bucket", bucket, "--name", "o", "--file", js_file,
                             "--count", std::to_string(n)})
                  .value("seconds", 1.0);
      get_s = RunJs(a, url, {"get-bytes-loop", "--bucket", bucket, "--name", "o", "--count",
                             std::to_string(n)})
                  .value("seconds", 1.0);
      RunJs(a, url, {"del-bucket", "--bucket", bucket});
    }
    s["4 KiB put/" + who].push_back(n / put_s);
    s["4 KiB get/" + who].push_back(n / get_s);
    std::fprintf(stderr, "  round %d %-4s 4 KiB: put %.0f ops/s, get %.0f ops/s\n", round,
                 who.c_str(), n / put_s, n / get_s);
  }
}

void PrintSummary(const Args& a, const Samples& s, const std::vector<std::string>& rows,
                  const std::vector<std::string>& rss_lines, double sha256_s, double md5_s) {
  std::printf("\nnatss3 core benchmark: medians of %d interleaved rounds (MiB/s; 4 KiB rows: ops/s)\n",
              a.rounds);
  std::printf("%-22s %10s %10s %10s %10s %10s\n", "", "raw", "core", "js", "core/raw", "core/js");
  for (const auto& row : rows) {
    auto med = [&](const std::string& who) {
      auto it = s.find(row + "/" + who);
      return it == s.end() ? 0.0 : Median(it->second);
    };
    double raw = med("raw"), core = med("core"), js = med("js");
    std::printf("%-22s %10.1f %10.1f %10.1f %9.0f%% %9.2fx\n", row.c_str(), raw, core, js,
                raw > 0 ? 100.0 * core / raw : 0.0, js > 0 ? core / js : 0.0);
  }
  std::printf("\nCPU seconds per GiB, medians (client: this process, cnats threads included; "
              "server: nats-server):\n");
  std::printf("%-22s %15s %15s\n", "", "raw cl/srv", "core cl/srv");
  for (const auto& row : rows) {
    auto med = [&](const std::string& side, const std::string& who) {
      auto it = s.find("cpu " + side + " " + row + "/" + who);
      return it == s.end() ? -1.0 : Median(it->second);
    };
    if (med("client", "core") < 0) continue;
    std::printf("%-22s %7.2f/%-7.2f %7.2f/%-7.2f\n", row.c_str(), med("client", "raw"),
                med("server", "raw"), med("client", "core"), med("server", "core"));
  }
  std::printf("Digests alone (one thread, hot data): SHA-256 %.2f s/GiB, MD5 %.2f s/GiB; a core "
              "put\ncomputes both, a verified core get SHA-256, raw neither.\n",
              sha256_s, md5_s);
  std::printf("\nPeak RSS above idle (VmHWM - VmRSS before the transfer), one process per transfer:\n");
  for (const auto& l : rss_lines) std::printf("  %s\n", l.c_str());
  std::printf("\nTargets: core put >= 80%% of raw, get >= 80%% of raw, >= 4x js put; "
              "RSS above idle <= 64 MiB and flat from 16 MiB to 1 GiB.\n");
}

void Usage() {
  std::fprintf(stderr,
               "usage: natss3_bench_core [--rounds N] [--large MiB,MiB] [--small-count N]\n"
               "         [--no-js] [--no-rss] [--node PATH] [--js-tool PATH/ostool.mjs]\n");
}

int Main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--rss-child") return RssChild(argc, argv);
  Args a;
  a.self = SelfExe();
  for (int i = 1; i < argc; i++) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--rounds") a.rounds = std::stoi(next());
    else if (k == "--large") {
      a.large_mib.clear();
      std::stringstream ss(next());
      for (std::string v; std::getline(ss, v, ',');) a.large_mib.push_back(std::stoull(v));
    } else if (k == "--small-count") a.small_count = std::stoi(next());
    else if (k == "--no-js") a.js = false;
    else if (k == "--no-rss") a.rss = false;
    else if (k == "--node") a.node = next();
    else if (k == "--js-tool") a.js_tool = next();
    else {
      Usage();
      return 2;
    }
  }
  if (a.js && a.js_tool.empty()) Die("--js-tool is required unless --no-js");

  TempDir dir;
  ServerProcess server(dir.path() + "/store");
  const std::string url = server.url();
  std::fprintf(stderr, "nats-server at %s, store %s\n", url.c_str(), dir.path().c_str());
  RawClient raw(url);
  auto core = ConnectCore(url);
  const std::string pattern = RandomPattern(kMiB);

  Samples samples;
  std::vector<std::string> rows;
  for (uint64_t mib : a.large_mib) {
    const uint64_t size = mib * kMiB;
    std::string js_file;
    if (a.js) {
      js_file = dir.path() + "/input.bin";
      WritePatternFile(js_file, pattern, size);
    }
    std::fprintf(stderr, "%s objects:\n", HumanSize(size).c_str());
    for (int r = 0; r < a.rounds; r++)
      LargeRound(a, url, server.pid(), raw, *core, pattern, size, js_file, r, samples);
    rows.push_back(HumanSize(size) + " put");
    rows.push_back(HumanSize(size) + " get");
    rows.push_back(HumanSize(size) + " get unverified");
    if (!js_file.empty()) std::filesystem::remove(js_file);
  }
  if (a.small_count > 0) {
    std::string js_file = dir.path() + "/small.bin";
    WritePatternFile(js_file, RandomPattern(4096), 4096);
    std::fprintf(stderr, "4 KiB objects x %d:\n", a.small_count);
    for (int r = 0; r < a.rounds; r++) SmallRound(a, url, raw, *core, js_file, r, samples);
    rows.push_back("4 KiB put");
    rows.push_back("4 KiB get");
  }

  std::vector<std::string> rss_lines;
  if (a.rss) {
    for (uint64_t size : {16 * kMiB, 1024 * kMiB}) {
      const std::string bucket = "rss" + std::to_string(size >> 20);
      CoreCreate(*core, bucket);
      RssResult cp = RunRssChild(a, "core", "put", size, url, bucket);
      RssResult cg = RunRssChild(a, "core", "get", size, url, bucket);
      (void)core->DeleteBucket(bucket);
      raw.CreateStream("RSS_" + bucket, "rss." + bucket);
      RssResult rp = RunRssChild(a, "raw", "put", size, url, bucket);
      RssResult rg = RunRssChild(a, "raw", "get", size, url, bucket);
      raw.DeleteStream("RSS_" + bucket);
      char line[256];
      std::snprintf(line, sizeof(line),
                    "%-8s core put %6.1f MiB, core get %6.1f MiB | raw put %6.1f MiB, raw get "
                    "%6.1f MiB (idle %.1f MiB)",
                    HumanSize(size).c_str(), cp.above_mib, cg.above_mib, rp.above_mib,
                    rg.above_mib, cp.idle_mib);
      rss_lines.push_back(line);
    }
  }
  const std::string hash_input = RandomPattern(kMiB, 99);
  double sha256_s = DigestSecondsPerGib(EVP_sha256(), hash_input);
  double md5_s = DigestSecondsPerGib(EVP_md5(), hash_input);
  PrintSummary(a, samples, rows, rss_lines, sha256_s, md5_s);
  return 0;
}

}  // namespace
}  // namespace natss3::bench

int main(int argc, char** argv) { return natss3::bench::Main(argc, argv); }
