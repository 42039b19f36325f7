// Internal: the figures of a supplier's agreed terms, defined once for the
// suppliers, KPI and alert projections (docs/projections.md).
// - Ship rate: forwards shipped within the agreed hours over the forwards
//   that are due, that is shipped, or still open when the log recorded their
//   deadline (DeadlinePassed). A forward not yet due is neither in time nor
//   late; a forward whose order is cancelled before it ships leaves both.
// - Return loss rate: returned units written off (damaged) over returned
//   units of the supplier's SKUs.
#pragma once

#include <cstdint>
#include <optional>

#include "calendar.h"

namespace spine::projections::internal {

// True when a forward shipped `took_us` after it was made was in time.
inline bool shipped_in_time(std::int64_t took_us, std::int32_t ship_within_hours) {
  return took_us <= std::int64_t{ship_within_hours} * kMicrosPerHour;
}

struct ForwardTally {
  std::int64_t shipped = 0, shipped_in_time = 0, overdue_open = 0;
  std::int64_t due() const { return shipped + overdue_open; }
  // nullopt while no forward is due.
  std::optional<double> rate() const {
    if (due() == 0) return std::nullopt;
    return static_cast<double>(shipped_in_time) / static_cast<double>(due());
  }
  // Meets `min_rate` (0.95), or nothing is due yet.
  bool meets(double min_rate) const {
    return due() == 0 || static_cast<double>(shipped_in_time) >= min_rate * static_cast<double>(due());
  }
  bool operator==(const ForwardTally&) const = default;
};

struct ReturnTally {
  std::int64_t returned = 0, written_off = 0;
  // nullopt while nothing was returned.
  std::optional<double> loss_rate() const {
    if (returned == 0) return std::nullopt;
    return static_cast<double>(written_off) / static_cast<double>(returned);
  }
  // At most `max_rate` (0.05), or nothing returned yet.
  bool within(double max_rate) const {
    return returned == 0 || static_cast<double>(written_off) <= max_rate * static_cast<double>(returned);
  }
  bool operator==(const ReturnTally&) const = default;
};

}  // namespace spine::projections::internal
