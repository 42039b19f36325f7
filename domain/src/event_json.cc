#include "spine/domain/event_json.h"

#include <flatbuffers/idl.h>

#include <cassert>
#include <mutex>

#include "spine/fb/events_generated.h"

namespace spine::domain {

namespace {

// The parser holds the schema; GenerateText only reads it, but the parser is
// not documented as thread-safe, so renderings are serialised.
struct SchemaParser {
  std::mutex mutex;
  flatbuffers::Parser parser;
  SchemaParser() {
    parser.opts.strict_json = true;
    parser.opts.indent_step = -1;  // one line
    parser.opts.output_default_scalars_in_json = true;
    const std::string text(events_schema_text());
    const bool parsed = parser.Parse(text.c_str());
    assert(parsed && "the compiled-in events.fbs must parse");
    (void)parsed;
  }
};

SchemaParser& schema() {
  static SchemaParser instance;
  return instance;
}

}  // namespace

Result<std::string> event_payload_to_json(std::string_view payload) {
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  if (!shop::VerifyEventBuffer(verifier)) {
    return Error{"payload_invalid", "payload", "the payload is not a valid shop.Event FlatBuffer"};
  }
  SchemaParser& s = schema();
  std::lock_guard lock(s.mutex);
  std::string json;
  if (!flatbuffers::GenerateText(s.parser, payload.data(), &json)) {
    return Error{"payload_invalid", "payload", "the payload cannot be rendered as JSON"};
  }
  while (!json.empty() && (json.back() == '\n' || json.back() == ' ')) json.pop_back();
  return json;
}

Result<std::string> event_payload_from_json(std::string_view json) {
  SchemaParser& s = schema();
  std::lock_guard lock(s.mutex);
  const std::string text(json);
  if (!s.parser.ParseJson(text.c_str())) {
    return Error{"invalid_json", "event", "not the JSON of a shop.Event: " + s.parser.error_};
  }
  std::string payload(reinterpret_cast<const char*>(s.parser.builder_.GetBufferPointer()), s.parser.builder_.GetSize());
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  if (!shop::VerifyEventBuffer(verifier)) {
    return Error{"payload_invalid", "event", "the JSON does not make a valid shop.Event"};
  }
  return payload;
}

}  // namespace spine::domain
