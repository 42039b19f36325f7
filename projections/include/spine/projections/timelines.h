// Timelines (domain.md §2): per order, per SKU, per actor (the audit trail)
// and per supplier. The projection is an index over the log: a timeline's
// positions, in windows of 65,536 log positions, one row per (timeline,
// window) holding each position's 2-byte offset in the window, appended to
// as the log grows. A timeline is read in order by one prefix scan, and each
// entry is the log's own record (nothing copied, nothing to drift).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "spine/projections/projection.h"

namespace spine::projections {

class ProjectionRunner;

enum class TimelineKind { kOrder, kSku, kActor, kSupplier };

class TimelineProjection final : public Projection {
 public:
  std::string_view name() const override { return "timelines"; }
  std::uint32_t version() const override { return 2; }
  Status apply(const EventContext& context) override;
  void take_changed_rows(RowSink& sink) override;
  void write_all_rows(RowSink&) const override {}
  Status load_row(std::string_view, std::string_view) override { return ok_status(); }
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<TimelineProjection>(); }
  bool in_memory() const override { return false; }

 private:
  // Offsets not yet handed to the runner, by row key; at most one batch's.
  std::unordered_map<std::string, std::string> pending_;
  std::string key_;  // scratch
  std::vector<std::pair<TimelineKind, std::string_view>> memberships_;  // scratch
};

struct TimelineQuery {
  TimelineKind kind = TimelineKind::kOrder;
  std::string id;
  std::uint64_t after_position = 0;   // paging: entries after this position
  std::uint64_t until_position = 0;   // as-of: entries up to this position (0: all)
  std::size_t limit = 1000;
};

// The entries of one timeline, each the full record (envelope fields and the
// event as JSON), oldest first: {"entries": [...], "next_after": P or null}.
Result<nlohmann::json> read_timeline(const ProjectionRunner& runner, const TimelineQuery& query);

// One timeline entry: the record's envelope fields and its event as JSON
// (the shape of read_timeline's entries).
nlohmann::json timeline_entry_json(const store::RecordView& record);

// The ids a record belongs to, per kind (exposed for tests and tools).
std::vector<std::pair<TimelineKind, std::string>> timeline_memberships(const store::RecordView& record,
                                                                       const shop::EventBodyUnion* event);
// The same into `out` (cleared first), as views into `record` and `event`:
// valid while both live.
void timeline_membership_views(const store::RecordView& record, const shop::EventBodyUnion* event,
                               std::vector<std::pair<TimelineKind, std::string_view>>& out);

}  // namespace spine::projections
