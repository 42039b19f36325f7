// Renders a stored event payload (a spine.shop.Event FlatBuffer) as JSON
// through FlatBuffers reflection over the compiled-in schema: no hand-written
// mapping per event type, so a new field shows up in the JSON by itself.
#pragma once

#include <string>
#include <string_view>

#include "spine/result.h"

namespace spine::domain {

// One-line JSON, e.g. {"body_type":"OrderPaid","body":{"order_id":"o1","amount":1000}}.
// Errors: "payload_invalid" (the bytes fail the FlatBuffers verifier).
Result<std::string> event_payload_to_json(std::string_view payload);

// The inverse: a payload from the JSON event_payload_to_json renders (clients
// of the HTTP API fold streams with it). Errors: "invalid_json" (not that
// JSON), "payload_invalid".
Result<std::string> event_payload_from_json(std::string_view json);

// The schema text the JSON follows (domain/schema/events.fbs).
std::string_view events_schema_text();

}  // namespace spine::domain
