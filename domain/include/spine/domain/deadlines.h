// Deadlines: the facts that time passing makes true (a supplier that has not
// shipped 48 h after a forward, supplier stock not reported for 15 minutes, an
// own warehouse that has not shipped 24 h after payment, the end of a bulk
// price change window). Spine records each as a DeadlinePassed event when it
// falls due, so a replay sees what the live server saw (docs/events.md,
// "Deadlines"). The projections arm deadlines; the deadline service records
// them; the command id names the deadline, so each is appended once.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace spine::domain {

inline constexpr std::string_view kSupplierNotShipped = "supplier_not_shipped";   // subject "order:supplier"
inline constexpr std::string_view kStaleSupplierStock = "stale_supplier_stock";   // subject: SKU
inline constexpr std::string_view kOwnNotShipped = "own_not_shipped";             // subject "order:warehouse"
inline constexpr std::string_view kBulkPriceChangeWindow = "bulk_price_change";   // subject: actor
inline constexpr std::array<std::string_view, 4> kDeadlineKinds = {kSupplierNotShipped, kStaleSupplierStock,
                                                                    kOwnNotShipped, kBulkPriceChangeWindow};
inline constexpr std::size_t kMaxDeadlineSubjectBytes = 256;

// A deadline armed by a projection (pending until recorded or met).
struct Deadline {
  std::string kind, subject;
  std::int64_t due_at_us = 0;
  bool operator==(const Deadline&) const = default;
};

bool is_deadline_kind(std::string_view kind);
// "deadline-<kind>": one stream per kind, written without being read.
std::string deadline_stream(std::string_view kind);
// "deadline:<kind>:<subject>:<due_at>": the same deadline always gets the same id.
std::string deadline_command_id(std::string_view kind, std::string_view subject, std::int64_t due_at_us);

}  // namespace spine::domain
