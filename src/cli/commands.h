// The CLI's subcommands. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace softvf::cli {

struct Context {
  std::string socket;
  bool json = false;
};

int LspciCommand(const Context& ctx, const std::vector<std::string>& args);
int SriovCommand(const Context& ctx, const std::vector<std::string>& args);
int LinkCommand(const Context& ctx, const std::vector<std::string>& args);
int IommuCommand(const Context& ctx, const std::vector<std::string>& args);
int SaveCommand(const Context& ctx, const std::vector<std::string>& args);
int AttachCommand(const Context& ctx, const std::vector<std::string>& args);
int DetachCommand(const Context& ctx, const std::vector<std::string>& args);
int StatsCommand(const Context& ctx, const std::vector<std::string>& args);
int FdbCommand(const Context& ctx, const std::vector<std::string>& args);

}  // namespace softvf::cli
