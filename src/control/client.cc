#include "control/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace softvf::control {

Result<nlohmann::json> Call(const std::string& path, const nlohmann::json& request) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return Status::Errno(ENAMETOOLONG, "control socket path is too long: " + path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Errno(errno, std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    return Status::Errno(err, "cannot reach the softvf daemon at " + path + ": " +
                                  std::strerror(err) + " (is `softvf daemon` running?)");
  }
  std::string out = request.dump() + "\n";
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      close(fd);
      return Status::Errno(err, std::string("sending to the daemon: ") + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  // The daemon answers one line and closes its side. Read to that close, not only to the
  // newline: when the CLI returns, the daemon holds no fd for this request, so whoever
  // counts the daemon's fds right after a command (tests/guest/test_soak.py) sees none.
  std::string in;
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // Only the first line is the response.
  if (size_t nl = in.find('\n'); nl != std::string::npos) in.resize(nl);
  nlohmann::json response = nlohmann::json::parse(in, nullptr, false);
  if (response.is_discarded() || !response.is_object())
    return Status::Errno(EPROTO, "the daemon sent a malformed response");
  return response;
}

}  // namespace softvf::control
