#include "spine/domain/command_json.h"
#include "spine/domain/events.h"
#include "spine/domain/event_json.h"
#include "spine/domain/json_reader.h"

#include <flatbuffers/idl.h>

#include <cassert>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

namespace spine::domain {

namespace {

using Json = nlohmann::json;

// "PlaceOrder" -> "place-order".
std::string kebab_case(std::string_view pascal) {
  std::string out;
  for (char c : pascal) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out += '-';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

// events.fbs then commands.fbs as one text (the include line and the first
// root_type dropped), so the parser needs no files.
std::string combined_schema_text() {
  std::string events(events_schema_text());
  const std::size_t root = events.find("root_type Event;");
  assert(root != std::string::npos);
  events.erase(root, std::string_view("root_type Event;").size());
  std::string commands(commands_schema_text());
  const std::size_t include = commands.find("include \"events.fbs\";");
  assert(include != std::string::npos);
  commands.erase(include, std::string_view("include \"events.fbs\";").size());
  return events + "\n" + commands;
}

std::unique_ptr<flatbuffers::Parser> make_parser() {
  auto parser = std::make_unique<flatbuffers::Parser>();
  parser->opts.strict_json = true;
  const std::string text = combined_schema_text();
  const bool parsed = parser->Parse(text.c_str());
  assert(parsed && "the compiled-in commands.fbs must parse");
  (void)parsed;
  return parser;
}

// The parser builds into its own builder, so each thread has its own.
flatbuffers::Parser& thread_parser() {
  thread_local std::unique_ptr<flatbuffers::Parser> parser = make_parser();
  return *parser;
}

const flatbuffers::EnumDef& command_union(const flatbuffers::Parser& parser) {
  const flatbuffers::EnumDef* body = parser.enums_.Lookup("spine.shop.CommandBody");
  assert(body != nullptr && body->is_union);
  return *body;
}

Error shape_error(std::string code, const std::string& path, std::string message) {
  return Error{std::move(code), path, std::move(message)};
}

template <typename T>
bool integer_fits(const Json& value) {
  if (value.is_number_unsigned()) {
    return value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  }
  if (!value.is_number_integer()) return false;
  const std::int64_t v = value.get<std::int64_t>();
  if constexpr (std::is_unsigned_v<T>) {
    return v >= 0 && static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  } else {
    return v >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
           v <= static_cast<std::int64_t>(std::numeric_limits<T>::max());
  }
}

bool integer_in_range(flatbuffers::BaseType type, const Json& value) {
  switch (type) {
    case flatbuffers::BASE_TYPE_CHAR: return integer_fits<std::int8_t>(value);
    case flatbuffers::BASE_TYPE_UCHAR: return integer_fits<std::uint8_t>(value);
    case flatbuffers::BASE_TYPE_SHORT: return integer_fits<std::int16_t>(value);
    case flatbuffers::BASE_TYPE_USHORT: return integer_fits<std::uint16_t>(value);
    case flatbuffers::BASE_TYPE_INT: return integer_fits<std::int32_t>(value);
    case flatbuffers::BASE_TYPE_UINT: return integer_fits<std::uint32_t>(value);
    case flatbuffers::BASE_TYPE_LONG: return integer_fits<std::int64_t>(value);
    case flatbuffers::BASE_TYPE_ULONG: return integer_fits<std::uint64_t>(value);
    default: return false;
  }
}

const char* scalar_type_name(flatbuffers::BaseType type) {
  switch (type) {
    case flatbuffers::BASE_TYPE_BOOL: return "a boolean";
    case flatbuffers::BASE_TYPE_CHAR: return "an integer from -128 to 127";
    case flatbuffers::BASE_TYPE_UCHAR: return "an integer from 0 to 255";
    case flatbuffers::BASE_TYPE_SHORT: return "an integer from -32768 to 32767";
    case flatbuffers::BASE_TYPE_USHORT: return "an integer from 0 to 65535";
    case flatbuffers::BASE_TYPE_INT: return "a 32-bit integer (-2147483648 to 2147483647)";
    case flatbuffers::BASE_TYPE_UINT: return "an integer from 0 to 4294967295";
    case flatbuffers::BASE_TYPE_LONG: return "a 64-bit integer";
    case flatbuffers::BASE_TYPE_ULONG: return "an unsigned 64-bit integer";
    case flatbuffers::BASE_TYPE_FLOAT:
    case flatbuffers::BASE_TYPE_DOUBLE: return "a number";
    case flatbuffers::BASE_TYPE_STRING: return "a string";
    default: return "a value of another type";
  }
}

std::string enum_names(const flatbuffers::EnumDef& def) {
  std::string names;
  for (const flatbuffers::EnumVal* value : def.Vals()) names += (names.empty() ? "" : ", ") + value->name;
  return names;
}

Status check_table(const Json& value, const flatbuffers::StructDef& table, const std::string& path, std::size_t depth);

// One value against one schema type (scalars, strings, enums, tables, vectors).
Status check_value(const Json& value, const flatbuffers::Type& type, const std::string& path, std::size_t depth) {
  if (depth > kMaxJsonDepth) return shape_error("too_deep", path, "nested deeper than the schema allows");
  const flatbuffers::BaseType base = type.base_type;
  if (base == flatbuffers::BASE_TYPE_VECTOR) {
    if (!value.is_array()) return shape_error("invalid_type", path, "must be an array");
    if (value.size() > kMaxArrayItems) {
      return shape_error("too_many", path, "at most " + std::to_string(kMaxArrayItems) + " items");
    }
    const flatbuffers::Type element = type.VectorType();
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (Status item = check_value(value[i], element, path + "[" + std::to_string(i) + "]", depth + 1); !item) {
        return item;
      }
    }
    return ok_status();
  }
  if (base == flatbuffers::BASE_TYPE_STRUCT) {
    return check_table(value, *type.struct_def, path, depth + 1);
  }
  if (base == flatbuffers::BASE_TYPE_STRING) {
    if (!value.is_string()) return shape_error("invalid_type", path, "must be a string");
    return ok_status();
  }
  if (base == flatbuffers::BASE_TYPE_BOOL) {
    if (!value.is_boolean()) return shape_error("invalid_type", path, "must be a boolean");
    return ok_status();
  }
  if (base == flatbuffers::BASE_TYPE_FLOAT || base == flatbuffers::BASE_TYPE_DOUBLE) {
    if (!value.is_number()) return shape_error("invalid_type", path, "must be a number");
    return ok_status();
  }
  if (flatbuffers::IsInteger(base)) {
    if (type.enum_def != nullptr) {
      if (value.is_string()) {
        if (type.enum_def->Lookup(value.get<std::string>()) == nullptr) {
          return shape_error("invalid_enum", path, "must be one of: " + enum_names(*type.enum_def));
        }
        return ok_status();
      }
      if (value.is_number_integer()) {
        const std::int64_t number = value.get<std::int64_t>();
        for (const flatbuffers::EnumVal* v : type.enum_def->Vals()) {
          if (v->GetAsInt64() == number) return ok_status();
        }
      }
      return shape_error("invalid_enum", path, "must be one of: " + enum_names(*type.enum_def));
    }
    if (value.is_number_float()) {
      // An integer literal beyond 64 bits parses as a double: out of range, not a type error.
      const double number = value.get<double>();
      const bool integral = std::trunc(number) == number;
      if (integral && std::fabs(number) >= 9.2e18) {
        return shape_error("out_of_range", path, std::string("must be ") + scalar_type_name(base));
      }
    }
    if (!value.is_number_integer()) {
      return shape_error("invalid_type", path, std::string("must be ") + scalar_type_name(base));
    }
    if (!integer_in_range(base, value)) {
      return shape_error("out_of_range", path, std::string("must be ") + scalar_type_name(base));
    }
    return ok_status();
  }
  return shape_error("invalid_type", path, "this field cannot be set through JSON");
}

Status check_table(const Json& value, const flatbuffers::StructDef& table, const std::string& path, std::size_t depth) {
  if (!value.is_object()) return shape_error("invalid_type", path.empty() ? "body" : path, "must be a JSON object");
  for (const auto& [key, item] : value.items()) {
    const std::string field_path = path.empty() ? key : path + "." + key;
    const flatbuffers::FieldDef* field = table.fields.Lookup(key);
    if (field == nullptr || field->deprecated) {
      return shape_error("unknown_field", field_path, "not a field of " + table.name);
    }
    if (item.is_null()) continue;  // as if absent: the schema default
    if (Status checked = check_value(item, field->value.type, field_path, depth); !checked) return checked;
  }
  return ok_status();
}

// Drops null members (absent = default) so the FlatBuffers parser sees only values.
void drop_nulls(Json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end();) {
      if (it->is_null()) {
        it = value.erase(it);
      } else {
        drop_nulls(*it);
        ++it;
      }
    }
  } else if (value.is_array()) {
    for (Json& item : value) drop_nulls(item);
  }
}

}  // namespace

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const flatbuffers::EnumVal* member : command_union(thread_parser()).Vals()) {
      if (member->name != "NONE") out.push_back(kebab_case(member->name));
    }
    return out;
  }();
  return names;
}

Result<std::pair<std::string, std::string>> command_to_json(const shop::CommandBodyUnion& command) {
  if (command.type == shop::CommandBody::NONE) return Error{"command_invalid", "command", "the command has no body"};
  const std::string bytes = encode_command(command);
  std::string text;
  if (!flatbuffers::GenerateText(thread_parser(), bytes.data(), &text)) {
    return Error{"command_invalid", "command", "the command cannot be rendered as JSON"};
  }
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.contains("body_type") || !root.contains("body")) {
    return Error{"command_invalid", "command", "the command's JSON lacks its body"};
  }
  return std::pair{kebab_case(root["body_type"].get<std::string>()), root["body"].dump()};
}

Result<shop::CommandBodyUnion> command_from_json(std::string_view name, std::string_view json) {
  flatbuffers::Parser& parser = thread_parser();
  const flatbuffers::EnumVal* member = nullptr;
  for (const flatbuffers::EnumVal* candidate : command_union(parser).Vals()) {
    if (candidate->name != "NONE" && kebab_case(candidate->name) == name) member = candidate;
  }
  if (member == nullptr) {
    return Error{"unknown_command", "command", "no command named '" + std::string(name) + "' (see docs/api.md)"};
  }
  auto parsed = read_json(json, JsonLimits{kMaxJsonDepth, kMaxArrayItems, kMaxCommandParseBytes});
  if (!parsed) return parsed.error();
  Json body = std::move(*parsed);
  if (Status shaped = check_table(body, *member->union_type.struct_def, "", 0); !shaped) return shaped.error();
  drop_nulls(body);
  const std::string text = Json{{"body_type", member->name}, {"body", std::move(body)}}.dump();
  if (!parser.ParseJson(text.c_str())) {
    return Error{"invalid_json", "body", "rejected by the schema: " + parser.error_};
  }
  flatbuffers::Verifier verifier(parser.builder_.GetBufferPointer(), parser.builder_.GetSize());
  if (!shop::VerifyCommandBuffer(verifier)) {
    return Error{"invalid_json", "body", "the command does not verify against commands.fbs"};
  }
  std::unique_ptr<shop::CommandT> command(shop::GetCommand(parser.builder_.GetBufferPointer())->UnPack());
  return std::move(command->body);
}

}  // namespace spine::domain
