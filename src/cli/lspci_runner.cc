#include "cli/lspci_runner.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

namespace softvf::cli {

namespace {

struct KernelInfo {
  std::string driver, module;
};

bool IsDeviceLine(const std::string& line) {
  return !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
         line.find(':') != std::string::npos;
}

std::string KernelLines(const KernelInfo& k) {
  std::string out;
  if (!k.driver.empty()) out += "\tKernel driver in use: " + k.driver + "\n";
  if (!k.module.empty()) out += "\tKernel modules: " + k.module + "\n";
  return out;
}

bool WantsKernelLines(const std::vector<std::string>& args) {
  bool want = false;
  for (const std::string& a : args) {
    if (a.size() < 2 || a[0] != '-' || a[1] == '-') continue;
    for (char c : a.substr(1)) {
      if (c == 'm') return false;  // machine-readable output has its own shape
      if (c == 'k' || c == 'v') want = true;
    }
  }
  return want;
}

// Reads a pipe to its end. lspci reads its whole dump before it writes, and writes little
// to stderr, so draining stdout first and then stderr cannot deadlock.
std::string ReadAll(int fd) {
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

std::string AddKernelLines(const std::string& text, const nlohmann::json& functions) {
  std::map<std::string, KernelInfo> by_slot;
  for (const auto& f : functions) {
    KernelInfo k{f.value("driver", ""), f.value("module", "")};
    std::string slot = f["slot"].get<std::string>();
    by_slot[slot] = k;
    if (slot.rfind("0000:", 0) == 0) by_slot[slot.substr(5)] = k;
  }
  std::string out, pending;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (IsDeviceLine(line) || line.empty()) {
      out += pending;
      pending.clear();
    }
    if (IsDeviceLine(line)) {
      auto it = by_slot.find(line.substr(0, line.find(' ')));
      if (it != by_slot.end()) pending = KernelLines(it->second);
    }
    out += line + "\n";
  }
  out += pending;
  return out;
}

int RunLspci(const std::string& dump, const nlohmann::json& functions,
             const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "-F" || a == "-A" || a == "-H1" || a == "-H2" || a == "-O") {
      std::fprintf(stderr, "softvf lspci: %s is not available: the card is read from the daemon\n",
                   a.c_str());
      return 2;
    }
  }
  // The dump lives in an anonymous file the child reads through /dev/fd.
  int mem = memfd_create("softvf-lspci-dump", 0);
  if (mem < 0 || write(mem, dump.data(), dump.size()) != static_cast<ssize_t>(dump.size())) {
    std::perror("softvf lspci: memfd");
    return 1;
  }
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) {
    std::perror("softvf lspci: pipe");
    return 1;
  }
  std::string path = "/dev/fd/" + std::to_string(mem);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
    // Names come from pci.ids alone: libpci would otherwise prefer udev's hwdb where
    // one is installed, and the same card would read differently on different hosts.
    std::vector<std::string> argv_s = {"lspci", "-O", "hwdb.disable=1", "-F", path};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    execvp("lspci", argv.data());
    std::fprintf(stderr, "softvf lspci: cannot run lspci (%s); install pciutils\n",
                 std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::string text = ReadAll(out[0]);
  close(out[0]);
  // lspci looks up kernel modules through libkmod for -k/-v; a dump has no kernel behind
  // it, so that complaint is noise. Everything else lspci says goes through.
  std::string errors = ReadAll(err[0]);
  close(err[0]);
  for (size_t pos = 0; pos < errors.size();) {
    size_t nl = errors.find('\n', pos);
    std::string line =
        errors.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos + 1);
    pos = nl == std::string::npos ? errors.size() : nl + 1;
    if (line.find("libkmod") == std::string::npos) std::fputs(line.c_str(), stderr);
  }
  close(mem);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WantsKernelLines(args)) text = AddKernelLines(text, functions);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace softvf::cli
