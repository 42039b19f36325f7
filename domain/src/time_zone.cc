#include "spine/domain/time_zone.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/tzrule.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <limits>

namespace spine::domain {

struct TimeZone::Table {
  std::string name;
  std::vector<Transition> transitions;  // ascending; the first from the earliest instant
};

namespace {

constexpr std::int64_t kMicrosPerMilli = 1'000;
// 1900-01-01 and 2200-01-01 in UTC milliseconds: the span the table covers.
constexpr double kFirstMillis = -2'208'988'800'000.0;
constexpr double kLastMillis = 7'258'118'400'000.0;
// Zones change a few times a year at most: an explicit bound on the table.
constexpr std::size_t kMaxTransitions = 4'000;

std::int64_t offset_at(const icu::TimeZone& zone, double millis) {
  std::int32_t raw = 0, dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  zone.getOffset(millis, false, raw, dst, status);
  if (U_FAILURE(status)) return 0;
  return (std::int64_t{raw} + dst) * kMicrosPerMilli;
}

std::vector<TimeZone::Transition> transitions_of(const icu::TimeZone& zone) {
  std::vector<TimeZone::Transition> out{{std::numeric_limits<std::int64_t>::min(), offset_at(zone, kFirstMillis)}};
  const auto* basic = dynamic_cast<const icu::BasicTimeZone*>(&zone);
  if (basic == nullptr) return out;
  icu::TimeZoneTransition transition;
  double at = kFirstMillis;
  while (out.size() < kMaxTransitions && basic->getNextTransition(at, false, transition)) {
    at = transition.getTime();
    if (at > kLastMillis) break;
    const std::int64_t offset = offset_at(zone, at);
    if (offset != out.back().offset_us) out.push_back({static_cast<std::int64_t>(at) * kMicrosPerMilli, offset});
  }
  return out;
}

}  // namespace

TimeZone::TimeZone() {
  static const std::shared_ptr<const Table> shanghai = [] {
    Result<TimeZone> zone = named("Asia/Shanghai");
    if (!zone.ok()) {  // ICU's data is part of the library: without it nothing can be cut into days
      std::fprintf(stderr, "spine: ICU has no Asia/Shanghai zone: %s\n", zone.error().to_string().c_str());
      std::abort();
    }
    return zone->table_;
  }();
  table_ = shanghai;
}

Result<TimeZone> TimeZone::named(std::string_view iana_name) {
  const icu::UnicodeString id = icu::UnicodeString::fromUTF8(icu::StringPiece(iana_name.data(), static_cast<std::int32_t>(iana_name.size())));
  icu::UnicodeString canonical;
  UBool system = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(id, canonical, system, status);
  if (U_FAILURE(status) || !system || iana_name.empty()) {
    return Error{"unknown_time_zone", "time_zone",
                 "'" + std::string(iana_name) + "' is not an IANA time zone name (e.g. Asia/Shanghai)"};
  }
  std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(id));
  auto table = std::make_shared<Table>();
  table->name = std::string(iana_name);
  table->transitions = transitions_of(*zone);
  return TimeZone(std::move(table));
}

const std::string& TimeZone::name() const { return table_->name; }

std::int64_t TimeZone::offset_us(std::int64_t utc_us) const {
  const std::vector<Transition>& t = table_->transitions;
  auto after = std::upper_bound(t.begin(), t.end(), utc_us,
                                [](std::int64_t at, const Transition& tr) { return at < tr.from_utc_us; });
  return std::prev(after)->offset_us;  // the first entry starts at the earliest instant
}

std::int64_t TimeZone::to_utc(std::int64_t local_us) const {
  // Candidates: the wall time read with each offset in force near it; the
  // earliest one that maps back to `local_us` wins.
  const std::int64_t guess = local_us - offset_us(local_us);
  const std::int64_t before = local_us - offset_us(guess - 86'400'000'000LL);
  const std::int64_t after = local_us - offset_us(guess + 86'400'000'000LL);
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  for (const std::int64_t utc : {before, guess, after}) {
    if (to_local(utc) == local_us) best = std::min(best, utc);
  }
  if (best != std::numeric_limits<std::int64_t>::max()) return best;
  return before;  // a skipped wall time: read with the offset before the change
}

}  // namespace spine::domain
