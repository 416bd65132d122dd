#include "vhost_user/endpoint.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace softvf::vhost_user {

namespace {

Result<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Status::Errno(ENAMETOOLONG, "vhost-user socket path is empty or too long: " + path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

Endpoint::~Endpoint() {
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
}

Status Endpoint::Open() {
  if (mode_ == Mode::kClient) return Status::Ok();
  auto addr = Address(path_);
  if (!addr.ok()) return addr.status();
  struct stat st;
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return Status::Errno(EEXIST, path_ + " exists and is not a socket");
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool alive =
        connect(probe, reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) == 0;
    close(probe);
    if (alive) return Status::Errno(EADDRINUSE, path_ + " is served by another process");
    unlink(path_.c_str());
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::Errno(errno, std::string("socket: ") + std::strerror(errno));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) != 0 ||
      listen(fd, 1) != 0) {
    int err = errno;
    close(fd);
    return Status::Errno(err, path_ + ": " + std::strerror(err));
  }
  listen_fd_ = fd;
  return Status::Ok();
}

Result<int> Endpoint::Accept() {
  int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return Status::Errno(errno == EWOULDBLOCK ? EAGAIN : errno, std::strerror(errno));
  return fd;
}

Result<int> Endpoint::Connect() {
  auto addr = Address(path_);
  if (!addr.ok()) return addr.status();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Errno(errno, std::strerror(errno));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) != 0) {
    int err = errno;
    close(fd);
    // Not there yet or refused: the front end may come later; the caller retries.
    if (err == ENOENT || err == ECONNREFUSED) return Status::Errno(EAGAIN, std::strerror(err));
    return Status::Errno(err, path_ + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace softvf::vhost_user
