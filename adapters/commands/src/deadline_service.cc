#include "spine/commands/deadline_service.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace spine::commands {

namespace {

std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CommandEnvelope record_command(const domain::Deadline& deadline, const std::string& actor) {
  shop::RecordDeadlineT record;
  record.kind = deadline.kind;
  record.subject = deadline.subject;
  record.due_at = deadline.due_at_us;
  CommandEnvelope command;
  command.command_id = domain::deadline_command_id(deadline.kind, deadline.subject, deadline.due_at_us);
  command.actor = actor;
  command.body.Set(std::move(record));
  // occurred_at: the handler's clock, when the service saw it due (due_at says when it fell due).
  return command;
}

}  // namespace

struct DeadlineService::State {
  State(CommandHandler& h, DeadlineSource s, DeadlineServiceOptions o)
      : handler(h), source(std::move(s)), options(std::move(o)) {}
  CommandHandler& handler;
  DeadlineSource source;
  DeadlineServiceOptions options;
  mutable std::mutex mutex;  // guards stats, stopping
  std::condition_variable wake;
  bool stopping = false;
  DeadlineServiceStats stats;
  std::thread thread;
};

DeadlineService::DeadlineService(CommandHandler& handler, DeadlineSource source, DeadlineServiceOptions options)
    : state_(std::make_unique<State>(handler, std::move(source), std::move(options))) {
  if (!state_->options.clock) state_->options.clock = system_now_us;
  if (state_->options.batch_limit == 0) state_->options.batch_limit = 1;
}

DeadlineService::~DeadlineService() { stop(); }

std::size_t DeadlineService::record_due() {
  const std::vector<domain::Deadline> due = state_->source(state_->options.clock(), state_->options.batch_limit);
  std::size_t recorded = 0, deduplicated = 0, failed = 0;
  std::string last_error;
  for (const domain::Deadline& deadline : due) {
    auto outcome = state_->handler.handle(record_command(deadline, state_->options.actor));
    if (!outcome) {
      ++failed;
      last_error = outcome.error().to_string();
    } else if (outcome->event_types.empty()) {
      ++deduplicated;  // recorded before; the projection has not applied it yet
    } else {
      ++recorded;
    }
  }
  std::lock_guard lock(state_->mutex);
  ++state_->stats.ticks;
  state_->stats.recorded += recorded;
  state_->stats.deduplicated += deduplicated;
  state_->stats.failed += failed;
  if (!last_error.empty()) state_->stats.last_error = std::move(last_error);
  return recorded;
}

void DeadlineService::start() {
  std::lock_guard lock(state_->mutex);
  if (state_->thread.joinable()) return;
  state_->stopping = false;
  state_->thread = std::thread([this] {
    std::unique_lock lock(state_->mutex);
    while (!state_->stopping) {
      lock.unlock();
      record_due();
      lock.lock();
      state_->wake.wait_for(lock, state_->options.interval, [this] { return state_->stopping; });
    }
  });
}

void DeadlineService::stop() {
  std::thread thread;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    thread = std::move(state_->thread);
  }
  state_->wake.notify_all();
  if (thread.joinable()) thread.join();
}

DeadlineServiceStats DeadlineService::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

}  // namespace spine::commands
