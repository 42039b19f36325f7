// Domain events and commands as FlatBuffers (domain/schema/*.fbs), with the
// object API (`shop::...T` structs) used by decide/evolve, and the codec that
// turns an event into the payload bytes stored in the log and back.
#pragma once

#include <string>
#include <string_view>

#include "spine/fb/commands_generated.h"
#include "spine/fb/events_generated.h"
#include "spine/result.h"

namespace spine::domain {

// The event's type name as stored in the envelope ("OrderPlaced").
std::string_view event_type_name(const shop::EventBodyUnion& event);
std::string_view command_name(const shop::CommandBodyUnion& command);

// Payload bytes: one shop.Event FlatBuffer.
std::string encode_event(const shop::EventBodyUnion& event);
// Verifies and unpacks a payload; `event_type` must match the union member.
// Errors: "payload_invalid" (fails the FlatBuffers verifier or type mismatch).
Result<shop::EventBodyUnion> decode_event(std::string_view payload, std::string_view event_type);

// Command bytes (a shop.Command FlatBuffer), for tests and tools.
std::string encode_command(const shop::CommandBodyUnion& command);
Result<shop::CommandBodyUnion> decode_command(std::string_view bytes);

}  // namespace spine::domain
