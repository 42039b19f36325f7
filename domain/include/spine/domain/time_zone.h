// The shop's time zone (an IANA name, shop.toml's `time_zone`), for cutting
// local hours and days. Built once from ICU's zone data into an immutable
// table of UTC offsets (1900 to 2200), so lookups are a binary search, safe
// from any thread, and a copy shares the table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spine/result.h"

namespace spine::domain {

class TimeZone {
 public:
  // Asia/Shanghai (+08:00 all year), the handbook's shops' zone.
  TimeZone();
  // The zone named `iana_name` ("Europe/Berlin"); an unknown name is refused
  // with code unknown_time_zone.
  static Result<TimeZone> named(std::string_view iana_name);

  const std::string& name() const;
  // Local time minus UTC at the UTC instant `utc_us`, in microseconds.
  std::int64_t offset_us(std::int64_t utc_us) const;
  std::int64_t to_local(std::int64_t utc_us) const { return utc_us + offset_us(utc_us); }
  // The UTC instant of local wall time `local_us`. A wall time that happens
  // twice (clocks set back) is its first; one that never happens (clocks set
  // forward) is read with the offset before the change.
  std::int64_t to_utc(std::int64_t local_us) const;

  struct Transition {
    std::int64_t from_utc_us;  // the offset holds from here to the next transition
    std::int64_t offset_us;
  };

 private:
  struct Table;
  explicit TimeZone(std::shared_ptr<const Table> table) : table_(std::move(table)) {}
  std::shared_ptr<const Table> table_;
};

}  // namespace spine::domain
