// ApiRelay: JetStream API requests made by cnats, answered with every answer read.
//
// cnats's own API calls (a watch's ordered consumer create, its resets) keep the first answer
// of a request. During a JetStream meta election a server that knows no meta leader answers
// every API request "temporarily unavailable", often ahead of the server that really answers
// (NatsConnection::RequestAll). A JetStream context whose API prefix is the relay's sends its
// requests here instead: each is passed on to the real API prefix with RequestAll on a worker
// thread, and the answer chosen is sent back to the caller's reply subject.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nats/handles.h"
#include "natss3/status.h"

namespace natss3::natsw {

class NatsConnection;

class ApiRelay {
 public:
  // Subscribes the relay's subjects on `conn`, which must outlive the relay, and checks that a
  // request to them is answered: an account without publish permission on the inbox subjects
  // (`_INBOX.>`) gets Unavailable instead of a relay whose requests go nowhere.
  static Result<std::unique_ptr<ApiRelay>> Start(const NatsConnection& conn);
  ~ApiRelay();
  ApiRelay(const ApiRelay&) = delete;
  ApiRelay& operator=(const ApiRelay&) = delete;

  // The API prefix to give a JetStream context (jsOptions::Prefix).
  const std::string& prefix() const { return prefix_; }
  // How long the relay waits for a real answer; a relayed request must wait longer.
  static constexpr std::chrono::milliseconds kAnswerWait{1000};
  // How long Start waits for each of its two check requests' answer (one round trip through
  // the server).
  static constexpr std::chrono::milliseconds kProbeWait{500};

 private:
  struct Request {
    std::string subject;  // the real API subject
    std::string payload;
    std::string reply;
  };
  explicit ApiRelay(const NatsConnection& conn) : conn_(conn) {}
  static void OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void OnComplete(void* closure);
  void Work();

  const NatsConnection& conn_;
  std::string prefix_;
  SubPtr sub_;
  std::promise<void> completed_;  // set by cnats once no callback can run any more
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace natss3::natsw
