// Run(): the whole CLI flow; the only place that decides exit codes (through errors.h).
#include "app.h"

#include <signal.h>
#include <unistd.h>

#include "commands.h"
#include "errors.h"
#include "natss3/nats_store.h"
#include "natss3/version.h"


namespace natss3::cli {
namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

Status Dispatch(Session& s) {
  switch (s.inv.command) {
    case Command::kAdd: return RunAdd(s);
    case Command::kEdit: return RunEdit(s);
    case Command::kPut: return RunPut(s);
    case Command::kGet: return RunGet(s);
    case Command::kDel: return RunDel(s);
    case Command::kInfo:
    case Command::kStatus: return RunInfo(s);
    case Command::kLs: return RunLs(s);
    case Command::kSeal: return RunSeal(s);
    case Command::kWatch: return RunWatch(s);
    case Command::kGc: return RunGc(s);
    case Command::kSync: return RunSync(s);
    case Command::kNone: break;
  }
  return InvalidArgument("no command given");
}

// natscli asks for the bucket of `info` when none is given; that needs a terminal.
bool NeedsPicker(const Invocation& inv) {
  return (inv.command == Command::kInfo || inv.command == Command::kStatus) && inv.args.empty();
}

}  // namespace

const char* Version() { return kVersion; }

bool Interrupted() { return g_interrupted.load(); }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes an EPIPE write error, reported normally
}

Result<ObjectStore*> Session::Connect() {
  if (store) return store.get();
  NATSS3_ASSIGN_OR_RETURN(ConnectOptions options, ResolveConnectOptions(inv.connection, env));
  options.name = "natss3ctl";
  options.max_reconnect = 0;  // a CLI fails fast instead of waiting for a server to return
  // A fresh process reads what other processes acknowledged before it started, even from a
  // replica that lags (docs/cluster.md, read-your-writes).
  options.leader_reads = true;
  // A put waits out a stream leader election that takes more than one round (docs/cluster.md)
  // rather than fail: its user would only have to run it again.
  options.write_budget = std::chrono::seconds(30);
  auto connected = ConnectNats(options);
  if (!connected.ok()) {
    const Status& st = connected.status();
    std::string message = st.message();
    if (message.find(options.servers) == std::string::npos &&
        st.code() == Code::kUnavailable) {
      message = "cannot connect to NATS at " + options.servers + ": " + message;
    }
    return Status(st.code(), message);
  }
  store = std::move(connected).value();
  return store.get();
}

int Run(const std::vector<std::string>& argv, Console& console, const EnvLookup& env) {
  try {
    auto parsed = ParseArgs(argv);
    if (!parsed.ok()) return ReportUsageError(parsed.status(), console.err);
    const Invocation& inv = *parsed;
    if (inv.version) {
      console.out << "natss3ctl " << Version() << "\n";
      return kExitOk;
    }
    if (inv.help) {
      console.out << (inv.command == Command::kNone ? MainHelp() : CommandHelp(inv.command_name));
      return kExitOk;
    }
    if (NeedsPicker(inv) && !console.interactive) {
      return ReportUsageError(
          InvalidArgument("a BUCKET argument is required (natss3ctl " + inv.command_name +
                          " offers a list of buckets to pick from only when stdin and stderr are a "
                          "terminal; usage: natss3ctl " + inv.command_name + " BUCKET)"),
          console.err);
    }
    Session session{inv, console, env, 0, 1, false, nullptr};
    session.color = ::isatty(1) == 1 && env("NO_COLOR") == nullptr;
    Status status = Dispatch(session);
    console.out.flush();
    if (!console.out) return ReportFailure(Internal("writing output failed"), console.err);
    if (!status.ok()) return ReportFailure(status, console.err);
    return kExitOk;
  } catch (const std::exception& e) {
    return ReportFailure(Internal(std::string("unexpected error: ") + e.what()), console.err);
  } catch (...) {
    return ReportFailure(Internal("unexpected error"), console.err);
  }
}

}  // namespace natss3::cli
