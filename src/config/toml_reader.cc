#include "config/toml_reader.h"

#include <algorithm>

namespace softvf::config {

toml::table ParseToml(const std::string& text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw LoadError(file + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
  }
}

std::string TomlTable::KeyPath(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void TomlTable::FailAt(const toml::source_region& where, const std::string& key,
                       const std::string& message) const {
  throw LoadError(file_ + ":" + std::to_string(where.begin.line) + ": " + KeyPath(key) + ": " +
                  message);
}

void TomlTable::Fail(const std::string& key, const std::string& message) const {
  const toml::node* n = Node(key);
  FailAt(n ? n->source() : table_->source(), key, message);
}

std::string TomlTable::String(const std::string& key, std::optional<std::string> fallback) const {
  const toml::node* n = Node(key);
  if (!n) {
    if (fallback) return *fallback;
    Fail(key, "missing (a string is required)");
  }
  if (!n->is_string()) Fail(key, "must be a string");
  return std::string(*n->value<std::string_view>());
}

uint64_t TomlTable::Uint(const std::string& key, uint64_t max,
                         std::optional<uint64_t> fallback) const {
  const toml::node* n = Node(key);
  if (!n) {
    if (fallback) return *fallback;
    Fail(key, "missing (a number is required)");
  }
  if (!n->is_integer()) Fail(key, "must be an integer");
  int64_t v = *n->value<int64_t>();
  if (v < 0 || static_cast<uint64_t>(v) > max)
    Fail(key, std::to_string(v) + " is out of range (0.." + std::to_string(max) + ")");
  return static_cast<uint64_t>(v);
}

bool TomlTable::Bool(const std::string& key, std::optional<bool> fallback) const {
  const toml::node* n = Node(key);
  if (!n) {
    if (fallback) return *fallback;
    Fail(key, "missing (true or false is required)");
  }
  if (!n->is_boolean()) Fail(key, "must be true or false");
  return *n->value<bool>();
}

std::vector<std::string> TomlTable::Strings(const std::string& key) const {
  std::vector<std::string> out;
  const toml::node* n = Node(key);
  if (!n) return out;
  const toml::array* arr = n->as_array();
  if (!arr) Fail(key, "must be an array of strings");
  for (const toml::node& e : *arr) {
    if (!e.is_string()) FailAt(e.source(), key, "must be an array of strings");
    out.emplace_back(*e.value<std::string_view>());
  }
  return out;
}

std::optional<TomlTable> TomlTable::Table(const std::string& key) const {
  const toml::node* n = Node(key);
  if (!n) return std::nullopt;
  if (!n->is_table()) Fail(key, "must be a table");
  return TomlTable(*n->as_table(), file_, KeyPath(key));
}

std::vector<TomlTable> TomlTable::Tables(const std::string& key) const {
  std::vector<TomlTable> out;
  const toml::node* n = Node(key);
  if (!n) return out;
  const toml::array* arr = n->as_array();
  if (!arr) Fail(key, "must be an array of tables ([[" + KeyPath(key) + "]])");
  size_t i = 0;
  for (const toml::node& e : *arr) {
    std::string path = KeyPath(key) + "[" + std::to_string(i++) + "]";
    if (!e.is_table()) FailAt(e.source(), key, "must be an array of tables");
    out.emplace_back(*e.as_table(), file_, path);
  }
  return out;
}

void TomlTable::AllowOnly(const std::vector<std::string>& allowed) const {
  for (const auto& [k, v] : *table_) {
    std::string key(k.str());
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      FailAt(v.source(), key, "unknown key");
  }
}

}  // namespace softvf::config
