// libFuzzer: the request target and query parser (adapters/http/src/target.cc).
// Any bytes give a target or a refusal naming the rule; percent-decoding
// never makes a segment or parameter longer than the text it came from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto target = spine::http::internal::parse_target(text);
  if (!target) {
    if (target.error().code.empty()) std::abort();
    return 0;
  }
  for (const std::string& segment : target->segments) {
    if (segment.size() > text.size()) std::abort();
  }
  for (const auto& [name, value] : target->parameters) {
    if (name.size() + value.size() > text.size()) std::abort();
  }
  return 0;
}
