// Building a Record envelope and hashing its canonical fields.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string_view>

#include "spine/eventstore/record.h"

namespace spine::store::codec {

// Every field of a record except its own hash.
struct RecordFields {
  std::uint64_t position = 0;
  std::string_view stream_id;
  std::uint64_t stream_version = 0;
  std::string_view event_type;
  EventId event_id{};
  std::string_view command_id;
  std::string_view causation_id;
  std::string_view actor;
  std::int64_t occurred_at_us = 0;
  std::int64_t recorded_at_us = 0;
  std::uint32_t schema_version = 0;
  std::string_view payload;
  Digest prev_hash{};
};

// SHA-256 over the canonical encoding of `fields` (docs/storage.md, "Hash chain").
Digest hash_fields(const RecordFields& fields);

// Builds the envelope into `builder` (cleared first); the result is
// builder.GetBufferPointer()/GetSize().
void build_record(flatbuffers::FlatBufferBuilder& builder, const RecordFields& fields, const Digest& hash);

}  // namespace spine::store::codec
