// control::Call against a stand-in daemon on a real Unix socket: the CLI returns only once
// the daemon has closed its side, so no fd of a finished command is left in the daemon.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "control/client.h"
#include "temp_dir.h"

namespace softvf::control {
namespace {

class StandInDaemon {
 public:
  StandInDaemon() : path_(dir_.File("control.sock")) {
    EXPECT_FALSE(dir_.path().empty());
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 1), 0);
  }
  ~StandInDaemon() {
    if (thread_.joinable()) thread_.join();
    close(listen_fd_);
  }

  // Serves one request: reads it, answers `reply`, then holds the connection open for a
  // while before closing it (a daemon busy between its answer and its close).
  void ServeOnce(std::string reply) {
    thread_ = std::thread([this, reply] {
      int fd = accept(listen_fd_, nullptr, nullptr);
      ASSERT_GE(fd, 0);
      char buf[4096];
      std::string in;
      while (in.find('\n') == std::string::npos) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      request_ = in;
      ASSERT_EQ(send(fd, reply.data(), reply.size(), MSG_NOSIGNAL), ssize_t(reply.size()));
      // Not synchronisation: it only widens the window in which a client that stopped at
      // the newline would already have returned.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      closed_ = true;
      close(fd);
    });
  }

  const std::string& path() const { return path_; }
  bool closed() const { return closed_; }
  // What the client sent; waits for the stand-in to finish first (it writes request_).
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  softvf::testing::TempDir dir_{"softvf-client"};
  std::string path_;
  int listen_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> closed_{false};
  std::string request_;
};

TEST(ControlClient, ReturnsOnlyAfterTheDaemonClosedTheConnection) {
  StandInDaemon daemon;
  daemon.ServeOnce("{\"ok\":true,\"n\":7}\n");
  auto r = Call(daemon.path(), nlohmann::json{{"cmd", "stats"}});
  EXPECT_TRUE(daemon.closed());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)["n"], 7);
}

TEST(ControlClient, SendsOneLineAndTakesTheFirstLineOfTheAnswer) {
  StandInDaemon daemon;
  daemon.ServeOnce("{\"ok\":true}\nnot json\n");
  auto r = Call(daemon.path(), nlohmann::json{{"cmd", "x"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, (nlohmann::json{{"ok", true}}));
  EXPECT_EQ(daemon.request(), "{\"cmd\":\"x\"}\n");
}

TEST(ControlClient, AnAnswerThatIsNotAnObjectIsEproto) {
  StandInDaemon daemon;
  daemon.ServeOnce("[1,2]\n");
  auto r = Call(daemon.path(), nlohmann::json{{"cmd", "x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().errnum(), EPROTO);
}

}  // namespace
}  // namespace softvf::control
