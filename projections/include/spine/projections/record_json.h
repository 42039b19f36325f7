// One log record as JSON for people and tools (export, the HTTP API's raw
// history): every envelope field, the hashes in hex, and the event rendered
// through FlatBuffers reflection ("event": null for a payload that is not a
// shop event).
#pragma once

#include <nlohmann/json.hpp>

#include "spine/eventstore/record.h"

namespace spine::projections {

nlohmann::json record_json(const store::RecordView& record);

}  // namespace spine::projections
