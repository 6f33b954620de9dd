// natss3d lifecycle.
#include "s3d/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <pthread.h>
#include <sys/resource.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "auth/credentials.h"
#include "natss3/connect_config.h"
#include "natss3/files.h"
#include "natss3/nats_store.h"
#include "natss3/service.h"
#include "s3d/embedded_nats.h"
#include "s3d/http_server.h"
#include "natss3/multipart.h"
#include "s3d/s3_service.h"

namespace natss3::s3d {
namespace {

// The keys natss3d accepts: the credentials file (named, or <data-dir>/credentials.json,
// created with development keys when `may_create` and no root key comes from the environment)
// plus the environment's root key.
Result<std::shared_ptr<const s3::CredentialStore>> LoadCredentials(const DaemonConfig& config,
                                                                   bool may_create,
                                                                   bool* created) {
  std::string path = config.credentials_file;
  const bool root = !config.root_access_key.empty();
  s3::CredentialStore store;
  if (!path.empty()) {
    // A file the user named is never created for them (a typo would silently run with new
    // random keys, written to an unexpected place): a missing one is a startup error.
    auto loaded = s3::CredentialStore::LoadFile(path);
    if (!loaded.ok()) {
      std::string from = config.credentials_source.empty() ? "--credentials" : config.credentials_source;
      std::string message = loaded.status().message() + " (set by " + from + ")";
      if (loaded.status().code() == Code::kNotFound) {
        message += ". natss3d does not create a credentials file you name: create it, e.g. "
                   "{\"credentials\":[{\"access_key\":\"AK...\",\"secret_key\":\"...\","
                   "\"read\":[\"*\"],\"write\":[\"*\"]}]}, or leave the setting unset to use " +
                   config.data_dir + "/credentials.json, created with development keys";
      }
      return Status(loaded.status().code(), message);
    }
    store = std::move(loaded).value();
  } else {
    path = config.data_dir + "/credentials.json";
    if (root || !may_create) {
      auto loaded = s3::CredentialStore::LoadFile(path);
      if (loaded.ok()) {
        store = std::move(loaded).value();
      } else if (loaded.status().code() != Code::kNotFound || !root) {
        return loaded.status();
      }
    } else {
      NATSS3_ASSIGN_OR_RETURN(store, s3::LoadOrCreateDevCredentials(path, created));
    }
  }
  if (root) {
    NATSS3_RETURN_IF_ERROR(store.Add(
        {config.root_access_key, config.root_secret_key, {"*"}, {"*"}}));
  }
  return std::make_shared<const s3::CredentialStore>(std::move(store));
}

// The secret key is printed only when natss3d has just generated it: logs (journald) keep it
// otherwise for as long as they are kept.
void PrintQuickStart(const DaemonConfig& config, const s3::CredentialStore& store, int port,
                     bool tls, bool show_secret) {
  std::string path = config.credentials_file.empty() ? config.data_dir + "/credentials.json"
                                                     : config.credentials_file;
  std::string json = store.ToJson();
  // Show the first key of the file: dev credentials are meant to be copied from here.
  auto start = json.find("\"access_key\"");
  if (start == std::string::npos) return;
  auto quote = [&](size_t from) {
    size_t a = json.find('"', json.find(':', from) + 1);
    size_t b = json.find('"', a + 1);
    return json.substr(a + 1, b - a - 1);
  };
  std::string access = quote(start);
  std::string secret = show_secret ? quote(json.find("\"secret_key\"", start))
                                   : "<the secret_key in " + path + ">";
  std::string scheme = tls ? "https" : "http";
  std::fprintf(stderr,
               "\nnatss3d is serving S3 on %s://127.0.0.1:%d (credentials in %s)\n"
               "  export AWS_ACCESS_KEY_ID=%s\n  export AWS_SECRET_ACCESS_KEY=%s\n"
               "  aws --endpoint-url %s://127.0.0.1:%d s3 ls\n\n",
               scheme.c_str(), port, path.c_str(), access.c_str(), secret.c_str(), scheme.c_str(),
               port);
}

// SIGTERM/SIGINT (stop) and SIGHUP (reload) are blocked in every thread (the mask is set
// before any thread starts) and taken synchronously by the main loop with sigwait: no
// async-signal-safety concerns.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

sigset_t DaemonSignals() {
  sigset_t set = StopSignals();
  sigaddset(&set, SIGHUP);
  return set;
}

// SIGHUP: credentials, TLS certificate and key, log level and access log from the settings as
// they are now (flags, the environment natss3d started with, the config file re-read).
// Anything invalid keeps what is in place. Other settings need a restart.
void Reload(const std::function<Result<DaemonConfig>()>& reparse, const DaemonConfig& running,
            AuthGate& gate, HttpServer& server) {
  NotifyService("RELOADING=1");
  auto fresh = reparse ? reparse() : Result<DaemonConfig>(running);
  if (!fresh.ok()) {
    spdlog::error("reload: settings: {} (nothing changed)", fresh.status().message());
    NotifyService("READY=1");
    return;
  }
  auto credentials = LoadCredentials(*fresh, /*may_create=*/false, nullptr);
  if (credentials.ok()) {
    gate.ReplaceCredentials(*credentials);
  } else {
    spdlog::error("reload: credentials: {} (the previous keys stay)", credentials.status().message());
  }
  std::string tls = "no TLS";
  if (!fresh->tls_cert.empty()) {
    Status reloaded = server.ReloadTls(fresh->tls_cert, fresh->tls_key);
    if (reloaded.ok()) {
      tls = "TLS certificate " + fresh->tls_cert;
    } else {
      tls = "TLS unchanged";
      spdlog::error("reload: {} (the previous certificate stays)", reloaded.message());
    }
  }
  spdlog::set_level(spdlog::level::from_str(fresh->log_level));
  server.SetAccessLog(fresh->access_log);
  if (fresh->listen_host != running.listen_host || fresh->listen_port != running.listen_port ||
      fresh->nats.servers != running.nats.servers || fresh->data_dir != running.data_dir) {
    spdlog::warn("reload: listen address, NATS servers and data directory change on restart only");
  }
  spdlog::info("reloaded: {} keys, {}, log level {}, access log {}",
               credentials.ok() ? std::to_string((*credentials)->size()) : "previous", tls,
               fresh->log_level, fresh->access_log ? "on" : "off");
  NotifyService("READY=1");
}

// After the first stop signal: a second one ends the process at once.
void ExitOnSecondSignal() {
  std::thread([] {
    sigset_t set = StopSignals();
    int signal_number = 0;
    if (sigwait(&set, &signal_number) == 0) {
      std::fprintf(stderr, "natss3d: second signal %d: exiting without waiting\n", signal_number);
      std::_Exit(1);
    }
  }).detach();
}

// Idle keep-alive connections cost a descriptor but no thread: allow many (the soft limit is
// often 1024; httplib spins on accept() while descriptors are exhausted).
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t want = std::min<rlim_t>(limit.rlim_max, 65536);
  if (limit.rlim_cur < want) {
    limit.rlim_cur = want;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int RunDaemon(const DaemonConfig& config, const std::function<Result<DaemonConfig>()>& reparse) {
  RaiseDescriptorLimit();
  sigset_t daemon_signals = DaemonSignals();
  pthread_sigmask(SIG_BLOCK, &daemon_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Logs (access log included) go to stderr, like the quick-start banner, or to the journal
  // with priorities when systemd runs natss3d; stdout stays clean.
  SetUpLogging("natss3d", config.log_level, LogTarget::kAuto);
  // Only natss3d's user may look into its data directory (JetStream store, secrets).
  Status made = MakeDirectory(config.data_dir, 0700);
  if (!made.ok()) {
    spdlog::error("cannot create data directory: {}", made.message());
    return 2;
  }
  bool created = false;
  auto credentials = LoadCredentials(config, /*may_create=*/true, &created);
  if (!credentials.ok()) {
    spdlog::error("credentials: {}", credentials.status().message());
    return 2;
  }
  std::unique_ptr<EmbeddedNats> embedded;
  ConnectOptions nats = config.nats;
  if (config.embedded_nats) {
    EmbeddedNats::Options options;
    options.binary = config.nats_server_binary;
    options.store_dir = config.data_dir + "/nats";
    // Under systemd the server's log joins natss3d's in the journal (which rotates it); else
    // it is a file in the data directory that nats-server rotates at 10 MiB (5 kept).
    if (!StderrIsJournal()) options.log_file = config.data_dir + "/nats-server.log";
    options.config_file = config.data_dir + "/nats-server.conf";
    options.port = config.embedded_nats_port;
    bool new_auth = false;
    auto auth = LoadOrCreateEmbeddedAuth(config.data_dir, &new_auth);
    if (!auth.ok()) {
      spdlog::error("embedded nats-server credentials: {}", auth.status().message());
      return 2;
    }
    options.user = auth->user;
    options.password = auth->password;
    auto started = EmbeddedNats::Start(options);
    if (!started.ok()) {
      spdlog::error("{}", started.status().message());
      return 2;
    }
    embedded = std::move(started).value();
    nats.servers = embedded->url();
    nats.user = auth->user;
    nats.password = auth->password;
    Status context = WriteEmbeddedContext(config.data_dir, nats.servers, *auth);
    if (!context.ok()) spdlog::warn("{}", context.message());
    if (!config.context_file.empty()) {
      Status shared = WriteSharedContext(config.context_file, config.data_dir, nats.servers, *auth);
      if (shared.ok()) {
        spdlog::info("context of the embedded nats-server for group members: {}",
                     config.context_file);
      } else {
        spdlog::warn("context file for group members: {}", shared.message());
      }
    }
    spdlog::info("embedded nats-server pid {} on {} (store {}; user {}, credentials in {}/{})",
                 embedded->pid(), nats.servers, options.store_dir, auth->user, config.data_dir,
                 kLocalContextFile);
  }
  auto store = ConnectNats(nats);
  if (!store.ok()) {
    spdlog::error("cannot connect to NATS: {}", store.status().ToString());
    return 2;
  }
  auto gate = std::make_shared<AuthGate>(*credentials, config.anonymous);
  ServiceOptions service_options{config.domain, config.multipart_expiry};
  auto service = std::make_shared<S3Service>(*store, gate, service_options);
  HttpServer::Options http;
  http.host = config.listen_host;
  http.port = config.listen_port;
  http.tls_cert = config.tls_cert;
  http.tls_key = config.tls_key;
  http.threads = config.threads;
  http.access_log = config.access_log;
  http.shutdown_grace = config.shutdown_grace;
  http.limits = config.http_limits;
  http.domain = config.domain;
  HttpServer server(http, service);
  Status listening = server.Start();
  if (!listening.ok()) {
    spdlog::error("{}", listening.message());
    return 2;
  }
  spdlog::info("natss3d listening on {}:{} (NATS {})", config.listen_host, server.port(),
               nats.servers.empty() ? DefaultServers() : nats.servers);
  if ((config.embedded_nats || created) && config.root_access_key.empty()) {
    PrintQuickStart(config, **credentials, server.port(), !config.tls_cert.empty(), created);
  }
  // S3 answers and NATS is connected: systemd's Type=notify start is complete.
  NotifyService("READY=1\nSTATUS=serving S3 on port " + std::to_string(server.port()));
  const auto watchdog = WatchdogInterval();

  // Health checks and multipart expiry run beside the main thread, which only waits for a stop
  // signal: a slow NATS call never delays the reaction to SIGTERM.
  std::mutex maintenance_mu;
  std::condition_variable maintenance_cv;
  bool stopping = false;
  std::thread maintenance([&] {
    auto expiry_interval = std::clamp<std::chrono::seconds>(config.multipart_expiry / 2,
                                                            std::chrono::seconds(1),
                                                            std::chrono::seconds(600));
    auto next_expiry = std::chrono::steady_clock::now() + expiry_interval;
    std::unique_lock<std::mutex> lock(maintenance_mu);
    while (!maintenance_cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping; })) {
      lock.unlock();
      server.SetNatsUp((*store)->Health().ok());
      // The maintenance loop turns every 500 ms unless natss3d hangs; systemd's watchdog
      // interval is at least a second.
      if (watchdog.count() > 0) NotifyService("WATCHDOG=1");
      if (std::chrono::steady_clock::now() >= next_expiry) {
        next_expiry = std::chrono::steady_clock::now() + expiry_interval;
        auto expired = service->uploads().ExpireOlderThan(Clock::now() - config.multipart_expiry);
        if (expired.ok() && *expired > 0) spdlog::info("expired {} abandoned multipart uploads", *expired);
      }
      lock.lock();
    }
  });
  int signal_number = 0;
  while (true) {
    if (sigwait(&daemon_signals, &signal_number) != 0) continue;
    if (signal_number != SIGHUP) break;
    Reload(reparse, config, *gate, server);
  }
  NotifyService("STOPPING=1");
  ExitOnSecondSignal();
  auto stop_started = std::chrono::steady_clock::now();
  spdlog::info("signal {}: shutting down, finishing requests in progress", signal_number);
  {
    std::lock_guard<std::mutex> lock(maintenance_mu);
    stopping = true;
  }
  maintenance_cv.notify_all();
  server.Stop();
  maintenance.join();
  service.reset();
  store->reset();
  if (embedded) embedded->Stop();
  spdlog::info("natss3d stopped in {} ms",
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - stop_started).count());
  return 0;
}

}  // namespace natss3::s3d
