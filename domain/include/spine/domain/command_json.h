// Commands from JSON, through FlatBuffers reflection over the compiled-in
// commands.fbs: no hand-written mapping per command, so a field added to the
// schema is accepted by the HTTP API by itself.
//
// Contract: command_from_json() accepts only a JSON object whose keys are the
// fields of the named command's table, each of the schema's type and range
// (enums by name or number). Anything else is refused with code
// "invalid_json" (malformed JSON or invalid UTF-8), "duplicate_field",
// "unknown_field", "invalid_type", "out_of_range" (also a number beyond a
// double), "invalid_enum", "too_many" (an array over kMaxArrayItems),
// "too_deep" or "body_too_large" (more than kMaxCommandParseBytes to hold
// parsed), naming the field's path (e.g. "lines[2].quantity"); see
// json_reader.h. The domain's rules (decide) run afterwards; this is only the
// shape.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spine/fb/commands_generated.h"
#include "spine/result.h"

namespace spine::domain {

inline constexpr std::size_t kMaxArrayItems = 10'000;
inline constexpr std::size_t kMaxJsonDepth = 16;
inline constexpr std::size_t kMaxCommandParseBytes = std::size_t{2} << 20;  // twice the default body limit

// Command names in kebab case, one per member of the CommandBody union
// ("place-order" for PlaceOrder), in schema order.
const std::vector<std::string>& command_names();

// Parses `json` as the body of command `name` (kebab case). Errors:
// "unknown_command" (field "command") or the shape errors listed above.
Result<shop::CommandBodyUnion> command_from_json(std::string_view name, std::string_view json);

// The other way: a command's name (kebab case) and its JSON body, such that
// command_from_json(name, body) gives the same command back. Clients of the
// HTTP API (`spine load --url`) use it. Error "command_invalid" for an empty
// union.
Result<std::pair<std::string, std::string>> command_to_json(const shop::CommandBodyUnion& command);

// The commands schema text (domain/schema/commands.fbs), for documentation.
std::string_view commands_schema_text();

}  // namespace spine::domain
