// ControlServer: accepts CLI connections on a Unix socket and dispatches each request to
// the handler registered for its "op". One table row per command (BESS style): the name,
// the handler, and the arguments it requires, checked in one place before the handler runs.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace softvf::control {

using Json = nlohmann::json;
using Handler = std::function<Json(const Json& request)>;

struct Command {
  std::string op;
  std::vector<std::string> required;  // argument names that must be present
  Handler handler;
};

// Builds the uniform error response.
Json ErrorResponse(int errnum, const std::string& message);
Json ErrorResponse(const Status& status);
Json OkResponse();

class ControlServer {
 public:
  ~ControlServer();
  // Creates the socket's folder if needed, replaces a stale socket, binds with mode 0660.
  Status Listen(const std::string& path);
  void Register(Command command);
  // Serves until `stop_fd` becomes readable. Single-threaded: handlers run one at a time.
  void Run(int stop_fd);
  // Handles one request line; exposed for tests and fuzzing.
  std::string HandleLine(const std::string& line);

 private:
  struct Client {
    int fd;
    std::string in;
  };
  void Accept();
  // Returns false when the client is done (answered or broken).
  bool Serve(Client& client);

  int listen_fd_ = -1;
  std::string path_;
  std::map<std::string, Command> commands_;
  std::vector<Client> clients_;
};

}  // namespace softvf::control
