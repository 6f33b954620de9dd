// NatsServer: launches nats-server with a generated config file and waits for readiness.
#include "support/nats_server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace natss3::test {

std::unique_ptr<NatsServer> NatsServer::Start(Options options) {
  std::unique_ptr<NatsServer> s(new NatsServer());
  s->options_ = std::move(options);
  if (s->options_.store_dir.empty()) {
    s->owned_dir_ = std::make_unique<TempDir>("natss3-nats");
    s->store_dir_ = s->owned_dir_->path();
  } else {
    s->store_dir_ = s->options_.store_dir;
  }
  s->port_ = s->options_.port ? s->options_.port : FreePort();
  if (!s->Launch()) {
    ADD_FAILURE() << "nats-server did not start (is it installed? apt-get install nats-server)";
    return nullptr;
  }
  return s;
}

std::unique_ptr<NatsServer> NatsServer::Start() { return Start(Options()); }

NatsServer::~NatsServer() { Stop(); }

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

bool NatsServer::Launch() {
  config_path_ = store_dir_ + "/nats-server.conf";
  std::ostringstream c;
  c << "listen: 127.0.0.1:" << port_ << "\n";
  if (!options_.server_name.empty()) c << "server_name: " << options_.server_name << "\n";
  if (options_.jetstream) c << "jetstream { store_dir: \"" << store_dir_ << "/js\" }\n";
  if (!options_.cluster_name.empty()) {
    c << "cluster { name: " << options_.cluster_name << "\n  listen: 127.0.0.1:"
      << options_.cluster_port << "\n  routes: [";
    for (size_t i = 0; i < options_.routes.size(); ++i)
      c << (i ? ", " : "") << "\"" << options_.routes[i] << "\"";
    c << "]\n}\n";
  }
  c << options_.config_text << "\n";
  {
    std::ofstream f(config_path_);
    f << c.str();
  }
  Subprocess::Options o;
  o.argv = {"nats-server", "-c", config_path_};
  for (auto& a : options_.extra_args) o.argv.push_back(a);
  o.stdout_file = store_dir_ + "/nats-server.log";
  o.stderr_file = store_dir_ + "/nats-server.log";
  process_ = std::make_unique<Subprocess>(o);
  if (!process_->Start()) return false;
  if (!WaitForPort(port_, std::chrono::milliseconds(15000))) return false;
  return process_->running();
}

void NatsServer::Stop() {
  if (process_) process_->Stop(std::chrono::milliseconds(10000));
}

void NatsServer::Kill() {
  if (process_) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::milliseconds(5000));
  }
}

bool NatsServer::Restart() {
  Stop();
  return Launch();
}

void NatsServer::Pause() {
  if (process_) process_->Signal(SIGSTOP);
}

void NatsServer::Resume() {
  if (process_) process_->Signal(SIGCONT);
}

bool NatsServer::running() { return process_ && process_->running(); }

std::unique_ptr<NatsServer::Cluster> NatsServer::Cluster::Start(int nodes) {
  std::unique_ptr<Cluster> cl(new Cluster());
  cl->dir_ = std::make_unique<TempDir>("natss3-cluster");
  std::vector<int> cluster_ports;
  for (int i = 0; i < nodes; ++i) cluster_ports.push_back(FreePort());
  for (int i = 0; i < nodes; ++i) {
    Options o;
    o.server_name = "n" + std::to_string(i + 1);
    o.cluster_name = "natss3test";
    o.cluster_port = cluster_ports[i];
    o.store_dir = cl->dir_->File(o.server_name);
    std::filesystem::create_directories(o.store_dir);
    for (int j = 0; j < nodes; ++j)
      if (j != i) o.routes.push_back("nats-route://127.0.0.1:" + std::to_string(cluster_ports[j]));
    auto s = NatsServer::Start(o);
    if (!s) return nullptr;
    cl->nodes_.push_back(std::move(s));
  }
  return cl;
}

std::vector<std::string> NatsServer::Cluster::urls() const {
  std::vector<std::string> u;
  for (auto& n : nodes_) u.push_back(n->url());
  return u;
}

std::string NatsServer::Cluster::url_list() const {
  std::string s;
  for (auto& n : nodes_) s += (s.empty() ? "" : ",") + n->url();
  return s;
}

}  // namespace natss3::test
