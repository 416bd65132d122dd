// The configuration file and device profiles: the input's first byte picks what reads the
// rest as TOML text: config::LoadCardText (even) or config::LoadProfileText (odd). A card
// that loads must save to a file that loads back and saves to the same text
// (SaveCardText's promise).
//
// Files named in a card (profile_file) are read from disk; inputs naming special files
// (/dev, /proc, /sys: endless or blocking reads, which a configuration written by the
// host's administrator is trusted not to name) are skipped. Relative names resolve
// against a folder that does not exist.
#include <cstdlib>
#include <string>

#include "card/card.h"
#include "config/card_config.h"
#include "config/profile_loader.h"

using namespace softvf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    (void)config::LoadProfileText(text, "fuzz.toml");
    return 0;
  }
  if (text.find("profile_file") != std::string::npos)
    for (const char* special : {"/dev", "/proc", "/sys", "/run"})
      if (text.find(special) != std::string::npos) return 0;
  const std::string dir = "/nonexistent-softvf-fuzz";
  auto card = config::LoadCardText(text, "fuzz.toml", dir);
  if (!card.ok()) return 0;
  const std::string saved = config::SaveCardText(**card);
  auto again = config::LoadCardText(saved, "saved.toml", dir);
  if (!again.ok()) {
    fprintf(stderr, "saved card does not load: %s\n--- saved:\n%s\n", again.status().message().c_str(),
            saved.c_str());
    abort();
  }
  const std::string resaved = config::SaveCardText(**again);
  if (resaved != saved) {
    fprintf(stderr, "--- saved:\n%s\n--- saved again:\n%s\n", saved.c_str(), resaved.c_str());
    abort();
  }
  return 0;
}
