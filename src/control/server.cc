#include "control/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "control/protocol.h"

namespace softvf::control {

Json ErrorResponse(int errnum, const std::string& message) {
  return Json{{"ok", false},
              {"errno", errnum},
              {"error", Status::Errno(errnum).errno_text()},
              {"message", message.empty() ? Status::Errno(errnum).errno_text() : message}};
}

Json ErrorResponse(const Status& status) {
  return ErrorResponse(status.errnum(), status.message());
}

Json OkResponse() {
  return Json{{"ok", true}};
}

ControlServer::~ControlServer() {
  for (Client& c : clients_) close(c.fd);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
}

namespace {

Status MakeParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return Status::Ok();
  std::string dir = path.substr(0, slash);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return Status::Errno(errno, "cannot create " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

// A socket file nobody answers on is left over from a daemon that died: replace it. One
// that answers belongs to a running daemon: refuse to steal it.
Status ClaimSocketPath(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Status::Ok();
  if (!S_ISSOCK(st.st_mode)) return Status::Errno(EEXIST, path + " exists and is not a socket");
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool alive = connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(probe);
  if (alive) return Status::Errno(EADDRINUSE, "another softvf daemon is serving " + path);
  unlink(path.c_str());
  return Status::Ok();
}

}  // namespace

Status ControlServer::Listen(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return Status::Errno(ENAMETOOLONG, "control socket path is too long: " + path);
  SOFTVF_RETURN_IF_ERROR(MakeParentDir(path));
  SOFTVF_RETURN_IF_ERROR(ClaimSocketPath(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::Errno(errno, std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      chmod(path.c_str(), kSocketMode) != 0 || listen(fd, 16) != 0) {
    int err = errno;
    close(fd);
    return Status::Errno(err, path + ": " + std::strerror(err));
  }
  listen_fd_ = fd;
  path_ = path;
  return Status::Ok();
}

void ControlServer::Register(Command command) {
  std::string op = command.op;
  commands_[op] = std::move(command);
}

std::string ControlServer::HandleLine(const std::string& line) {
  Json response;
  Json request = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object()) {
    response = ErrorResponse(EINVAL, "malformed request: not a JSON object");
  } else if (!request.contains("op") || !request["op"].is_string()) {
    response = ErrorResponse(EINVAL, "malformed request: no \"op\"");
  } else {
    auto it = commands_.find(request["op"].get<std::string>());
    if (it == commands_.end()) {
      response =
          ErrorResponse(EOPNOTSUPP, "unknown op \"" + request["op"].get<std::string>() + "\"");
    } else {
      for (const std::string& arg : it->second.required) {
        if (!request.contains(arg)) {
          response = ErrorResponse(EINVAL, "malformed request: \"" + arg + "\" is required");
          break;
        }
      }
      if (response.is_null()) {
        try {
          response = it->second.handler(request);
        } catch (const Json::exception& e) {
          // A request whose arguments have the wrong JSON types.
          response = ErrorResponse(EINVAL, std::string("malformed request: ") + e.what());
        } catch (const std::exception& e) {
          // Anything else a handler could not cope with is this request's failure, never
          // the daemon's: it answers and keeps serving.
          response = ErrorResponse(EINVAL, std::string("request failed: ") + e.what());
        }
      }
    }
  }
  return response.dump() + "\n";
}

void ControlServer::Accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    clients_.push_back(Client{fd, {}});
  }
}

namespace {
// Responses go out in full; a client that stops reading for 5 s is dropped.
void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 5000) > 0) continue;
    }
    return;
  }
}
}  // namespace

bool ControlServer::Serve(Client& c) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      size_t nl = c.in.find('\n');
      if (nl != std::string::npos && nl <= kMaxRequestBytes) {
        WriteAll(c.fd, HandleLine(c.in.substr(0, nl)));
        return false;
      }
      if (c.in.size() > kMaxRequestBytes) {  // with or without its newline yet
        WriteAll(c.fd, ErrorResponse(EMSGSIZE, "request larger than " +
                                                   std::to_string(kMaxRequestBytes) + " bytes")
                               .dump() +
                           "\n");
        return false;
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return false;  // closed or broken before a full request
  }
}

void ControlServer::Run(int stop_fd) {
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({stop_fd, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const Client& c : clients_) fds.push_back({c.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    if (fds[1].revents & POLLIN) Accept();
    std::vector<Client> keep;
    for (size_t i = 0; i < clients_.size(); ++i) {
      Client& c = clients_[i];
      bool open = true;
      if (i + 2 < fds.size() && fds[i + 2].revents) open = Serve(c);
      if (open)
        keep.push_back(std::move(c));
      else
        close(c.fd);
    }
    clients_ = std::move(keep);
  }
}

}  // namespace softvf::control
