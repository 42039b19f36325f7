// libFuzzer: the command JSON parser (domain/src/command_json.cc and
// json_reader.cc). The first byte picks the command, the rest is its body.
// Whatever the bytes, parsing returns a command or a refusal, never throws or
// crashes; an accepted command renders to JSON that parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "spine/domain/command_json.h"
#include "spine/domain/events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& names = spine::domain::command_names();
  const std::string& name = names[data[0] % names.size()];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = spine::domain::command_from_json(name, body);
  if (!parsed) {
    if (parsed.error().code.empty() || parsed.error().message.empty()) std::abort();  // every refusal explains itself
    return 0;
  }
  auto rendered = spine::domain::command_to_json(*parsed);
  if (!rendered) std::abort();
  auto again = spine::domain::command_from_json(rendered->first, rendered->second);
  if (!again || spine::domain::encode_command(*again) != spine::domain::encode_command(*parsed)) std::abort();
  return 0;
}
