// JSON text to a DOM within stated limits, for input from outside.
//
// Contract: read_json() never throws and refuses, naming the path of the
// offending value ("lines[2].quantity"; "body" for the document itself,
// "body[3]" inside a top-level array):
//   invalid_json     malformed JSON or invalid UTF-8 (field "body");
//   out_of_range     a number beyond a double (1e400, -1e309, 310 digits);
//   duplicate_field  a key given twice in one object;
//   too_deep         nesting beyond max_depth;
//   too_many         an array of more than max_array_items;
//   body_too_large   a document whose DOM would hold more than
//                    max_memory_bytes (charged as it is built, so the parse
//                    itself never holds more than about that).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "spine/result.h"

namespace spine::domain {

struct JsonLimits {
  std::size_t max_depth = 16;
  std::size_t max_array_items = 10'000;
  std::size_t max_memory_bytes = std::size_t{2} << 20;
};

Result<nlohmann::json> read_json(std::string_view text, const JsonLimits& limits = {});

}  // namespace spine::domain
