// TomlReader: typed, checked access to a parsed TOML document whose every error names
// the file, the line and the key (e.g. "card.toml:14: adapter[0].port[1].numvfs: ...").
// Only the loaders include it; toml++ stays out of every other translation unit.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace softvf::config {

// Thrown inside a loader, caught at its boundary and turned into a Status.
struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class TomlTable {
 public:
  TomlTable(const toml::table& table, std::string file, std::string path)
      : table_(&table), file_(std::move(file)), path_(std::move(path)) {}

  bool Has(const std::string& key) const { return table_->contains(key); }
  std::string String(const std::string& key, std::optional<std::string> fallback = {}) const;
  uint64_t Uint(const std::string& key, uint64_t max, std::optional<uint64_t> fallback = {}) const;
  bool Bool(const std::string& key, std::optional<bool> fallback = {}) const;
  std::vector<std::string> Strings(const std::string& key) const;
  std::optional<TomlTable> Table(const std::string& key) const;
  std::vector<TomlTable> Tables(const std::string& key) const;  // array of tables
  // Every key must be one of `allowed`; catches typos a person would otherwise miss.
  void AllowOnly(const std::vector<std::string>& allowed) const;

  [[noreturn]] void Fail(const std::string& key, const std::string& message) const;
  std::string KeyPath(const std::string& key) const;

 private:
  const toml::node* Node(const std::string& key) const { return table_->get(key); }
  [[noreturn]] void FailAt(const toml::source_region& where, const std::string& key,
                           const std::string& message) const;
  const toml::table* table_;
  std::string file_;
  std::string path_;
};

// Parses `text` (named `file` in messages); throws LoadError on a syntax error.
toml::table ParseToml(const std::string& text, const std::string& file);

}  // namespace softvf::config
