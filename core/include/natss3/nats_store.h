// Factory and options of the NATS JetStream-backed ObjectStore (byte-compatible with nats.go).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "natss3/object_store.h"
#include "natss3/status.h"

namespace natss3 {

struct ConnectOptions {
  // Comma-separated URLs. Empty: $NATS_URL, else nats://127.0.0.1:4222.
  std::string servers;
  std::string user, password;  // user/password auth (also accepted inside the URL)
  std::string token;
  std::string creds_file;       // JWT + nkey .creds file
  std::string nkey_seed_file;   // file holding an nkey seed (SU...)
  std::string tls_ca, tls_cert, tls_key;  // any set: TLS is used
  bool tls_required = false;
  std::string name = "natss3";  // connection name shown by the server
  std::chrono::milliseconds timeout{5000};        // request timeout for API calls
  std::chrono::milliseconds connect_timeout{2000};
  // How long a write (chunk publishes, the meta's conditional publish) waits for JetStream to
  // acknowledge anything before it fails; 0: the request budget, the larger of `timeout` and
  // 12 s (a stream leader election on nats-server 2.9). Front ends whose callers do not retry
  // (a FUSE close, a CLI put) wait longer: an election that needs a second round takes more.
  std::chrono::milliseconds write_budget{0};
  int max_reconnect = -1;  // -1: forever
  std::chrono::milliseconds reconnect_wait{500};   // base wait; grows with jitter
  bool retry_on_failed_connect = false;  // true: Connect succeeds and keeps trying (daemons)
  std::string js_domain;      // JetStream domain
  std::string js_api_prefix;  // JetStream API prefix (default $JS.API)

  // ---- Reclamation (docs/reclamation.md)
  // Orphan chunks younger than this are never purged; this process pins its own uploads and
  // staged blobs once they are a quarter of it old, so other processes leave them alone.
  // Every natss3 process sharing a bucket should use the same value.
  std::chrono::milliseconds gc_grace{60000};
  // Chunks of a version this process replaced or deleted stay this long (readers in other
  // processes finish), then are purged. 0: at once (readers in this process are still safe:
  // see ObjectStore::HoldVersion).
  std::chrono::milliseconds release_grace{0};
  // > 0: this store collects garbage in every bucket this often (first run a few seconds
  // after connecting). Long-running front ends (natss3d, natss3fs) turn it on.
  std::chrono::milliseconds gc_interval{0};
  // Object records (metas) are read through the stream leader (STREAM.MSG.GET), replicas only
  // when no leader answers within the budget. For short-lived processes (natss3ctl): they
  // remember no commits and keep no listing index, so a replica that lags could answer them
  // with the previous version of an object another process just wrote. Chunks are still read
  // from any replica (a lagging one says "not found" and the leader is asked).
  bool leader_reads = false;
};

// Fills ConnectOptions::servers default from the environment (NATS_URL) when empty.
std::string DefaultServers();

// Connects and checks JetStream. Errors: kUnavailable ("no server reachable at ...",
// "JetStream not enabled"), kPermissionDenied ("authorization violation"), kInvalidArgument.
Result<std::shared_ptr<ObjectStore>> ConnectNats(const ConnectOptions& options);

}  // namespace natss3
