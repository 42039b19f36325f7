#include "spine/projections/record_json.h"

#include "spine/domain/event_json.h"

namespace spine::projections {

nlohmann::json record_json(const store::RecordView& r) {
  nlohmann::json out{{"position", r.position()},
                     {"stream", std::string(r.stream_id())},
                     {"stream_version", r.stream_version()},
                     {"type", std::string(r.event_type())},
                     {"event_id", store::to_hex(r.event_id())},
                     {"command_id", std::string(r.command_id())},
                     {"causation_id", std::string(r.causation_id())},
                     {"actor", std::string(r.actor())},
                     {"occurred_at_us", r.occurred_at_us()},
                     {"recorded_at_us", r.recorded_at_us()},
                     {"schema_version", r.schema_version()},
                     {"prev_hash", store::to_hex(r.prev_hash())},
                     {"hash", store::to_hex(r.hash())}};
  auto event = domain::event_payload_to_json(r.payload());
  out["event"] = event ? nlohmann::json::parse(*event, nullptr, false) : nlohmann::json(nullptr);
  return out;
}

}  // namespace spine::projections
