// decide for RecordDeadline: a deadline may be recorded once it has fallen
// due, for a known kind and a bounded subject (see deadlines.h).
#include <algorithm>

#include "decide_internal.h"
#include "spine/domain/deadlines.h"

namespace spine::domain {

bool is_deadline_kind(std::string_view kind) {
  return std::find(kDeadlineKinds.begin(), kDeadlineKinds.end(), kind) != kDeadlineKinds.end();
}

std::string deadline_stream(std::string_view kind) { return "deadline-" + std::string(kind); }

std::string deadline_command_id(std::string_view kind, std::string_view subject, std::int64_t due_at_us) {
  return "deadline:" + std::string(kind) + ":" + std::string(subject) + ":" + std::to_string(due_at_us);
}

namespace detail {

Result<Decision> decide_deadline(const shop::RecordDeadlineT& c, const Context& ctx) {
  if (!is_deadline_kind(c.kind)) {
    std::string kinds;
    for (std::string_view kind : kDeadlineKinds) kinds += (kinds.empty() ? "" : ", ") + std::string(kind);
    return refuse("unknown_deadline_kind", "kind", "kind must be one of " + kinds);
  }
  if (c.subject.empty()) return refuse("required", "subject", "subject is required");
  if (c.subject.size() > kMaxDeadlineSubjectBytes) {
    return refuse("too_long", "subject", "subject is at most " + std::to_string(kMaxDeadlineSubjectBytes) + " bytes");
  }
  if (c.due_at <= 0 || c.due_at > ctx.now_us) {
    return refuse("deadline_not_due", "due_at",
                  "due_at " + std::to_string(c.due_at) + " is not yet due at " + std::to_string(ctx.now_us));
  }
  Decision decision;
  shop::DeadlinePassedT passed;
  passed.kind = c.kind;
  passed.subject = c.subject;
  passed.due_at = c.due_at;
  emit(decision, deadline_stream(c.kind), std::move(passed));
  return decision;
}

}  // namespace detail
}  // namespace spine::domain
