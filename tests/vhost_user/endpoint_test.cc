#include "vhost_user/endpoint.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "temp_dir.h"

namespace softvf::vhost_user {
namespace {

// A path in a directory of the test's own, removed when the test ends.
class EndpointTest : public ::testing::Test {
 protected:
  std::string TempPath(const char* name) {
    EXPECT_FALSE(dir_.path().empty());
    return dir_.File(name);
  }

 private:
  softvf::testing::TempDir dir_{"softvf-ep"};
};

int ConnectTo(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_F(EndpointTest, ServerAcceptsAFrontEnd) {
  std::string path = TempPath("vf0.sock");
  Endpoint ep(path, Mode::kServer);
  ASSERT_TRUE(ep.Open().ok());
  EXPECT_EQ(ep.Accept().status().errnum(), EAGAIN);  // nobody yet
  int fe = ConnectTo(path);
  ASSERT_GE(fe, 0);
  auto conn = ep.Accept();
  ASSERT_TRUE(conn.ok());
  close(*conn);
  close(fe);
}

TEST_F(EndpointTest, StaleSocketFileIsReplacedLiveOneIsRefused) {
  std::string path = TempPath("vf0.sock");
  {
    Endpoint old(path, Mode::kServer);
    ASSERT_TRUE(old.Open().ok());
    Endpoint second(path, Mode::kServer);
    Status st = second.Open();
    EXPECT_EQ(st.errnum(), EADDRINUSE);
    EXPECT_EQ(st.message(), path + " is served by another process");
  }
  // A socket file left behind by a process that died (bound, never unlinked).
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  close(fd);
  Endpoint fresh(path, Mode::kServer);
  EXPECT_TRUE(fresh.Open().ok());
}

TEST_F(EndpointTest, ServerRefusesAPathThatIsNotASocket) {
  std::string path = TempPath("file");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fclose(f);
  Endpoint ep(path, Mode::kServer);
  EXPECT_EQ(ep.Open().errnum(), EEXIST);
}

TEST_F(EndpointTest, ClientRetriesUntilTheFrontEndListens) {
  std::string path = TempPath("qemu.sock");
  Endpoint client(path, Mode::kClient);
  ASSERT_TRUE(client.Open().ok());
  EXPECT_EQ(client.Connect().status().errnum(), EAGAIN);
  Endpoint qemu(path, Mode::kServer);  // stands in for QEMU's server=on socket
  ASSERT_TRUE(qemu.Open().ok());
  auto fd = client.Connect();
  ASSERT_TRUE(fd.ok());
  close(*fd);
}

}  // namespace
}  // namespace softvf::vhost_user
