#include "spine/commands/command_handler.h"

#include <openssl/evp.h>

#include <cassert>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "spine/domain/streams.h"

namespace spine::commands {

namespace {

std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 16 bytes of SHA-256(command id, 0, index): stable across retries of one command.
store::EventId derive_event_id(const std::string& command_id, std::size_t index) {
  std::string input = command_id;
  input.push_back('\0');
  input += std::to_string(index);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr);
  store::EventId id{};
  std::copy(digest, digest + id.size(), id.begin());
  return id;
}

bool is_conflict(const Error& error) { return error.code == "wrong_expected_version"; }

}  // namespace

// Stream states by stream id, bounded: past capacity, arbitrary entries are
// dropped (they are reloaded from the log when needed).
class CommandHandler::Cache {
 public:
  explicit Cache(std::size_t capacity) : capacity_(capacity) {}

  std::optional<domain::StreamState> get(const std::string& stream_id) const {
    std::lock_guard lock(mutex_);
    auto it = states_.find(stream_id);
    if (it == states_.end()) return std::nullopt;
    return it->second;
  }

  // Stores `state` unless the cache already holds a newer version.
  void put(const std::string& stream_id, domain::StreamState state) {
    std::lock_guard lock(mutex_);
    auto it = states_.find(stream_id);
    if (it != states_.end()) {
      if (it->second.version < state.version) it->second = std::move(state);
      return;
    }
    while (states_.size() >= capacity_ && !states_.empty()) states_.erase(states_.begin());
    states_.emplace(stream_id, std::move(state));
  }

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::unordered_map<std::string, domain::StreamState> states_;
};

struct CommandHandler::Counters {
  std::atomic<std::uint64_t> commands{0}, accepted{0}, refused{0}, deduplicated{0}, conflicts{0}, cache_hits{0},
      cache_misses{0};
};

Result<domain::StreamState> fold_stream(const store::EventStore& store, const std::string& stream_id,
                                        domain::StreamState from, std::uint64_t until_position) {
  constexpr std::size_t kBatch = 1024;
  for (;;) {
    auto records = store.read_stream(stream_id, from.version + 1, store::Direction::kForward, kBatch);
    if (!records) return records.error();
    for (const store::RecordView& record : *records) {
      if (record.position() > until_position) return from;
      assert(record.stream_version() == from.version + 1 && "stream versions are gapless");
      auto event = domain::decode_event(record.payload(), record.event_type());
      if (!event) {
        Error error = event.error();
        error.message += " (position " + std::to_string(record.position()) + ")";
        return error;
      }
      domain::evolve(from.state, *event);
      from.version = record.stream_version();
    }
    if (records->size() < kBatch) return from;
  }
}

CommandHandler::CommandHandler(store::EventStore& store, domain::Config config, HandlerOptions options)
    : store_(store),
      config_(std::move(config)),
      options_(std::move(options)),
      cache_(std::make_unique<Cache>(options_.cache_capacity)),
      counters_(std::make_unique<Counters>()) {
  if (!options_.clock) options_.clock = system_now_us;
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

CommandHandler::~CommandHandler() = default;

const domain::Config& CommandHandler::config() const { return config_; }

HandlerStats CommandHandler::stats() const {
  HandlerStats s;
  s.commands = counters_->commands.load();
  s.accepted = counters_->accepted.load();
  s.refused = counters_->refused.load();
  s.deduplicated = counters_->deduplicated.load();
  s.conflicts = counters_->conflicts.load();
  s.cache_hits = counters_->cache_hits.load();
  s.cache_misses = counters_->cache_misses.load();
  return s;
}

Result<domain::StreamState> CommandHandler::stream_state(const std::string& stream_id, bool refresh) {
  std::optional<domain::StreamState> cached = cache_->get(stream_id);
  if (cached && !refresh) {
    counters_->cache_hits.fetch_add(1, std::memory_order_relaxed);
    return std::move(*cached);
  }
  counters_->cache_misses.fetch_add(1, std::memory_order_relaxed);
  auto state = fold_stream(store_, stream_id, cached ? std::move(*cached) : domain::StreamState{});
  if (!state) return state.error();
  cache_->put(stream_id, *state);
  return state;
}

Result<domain::StreamState> CommandHandler::current_state(const std::string& stream_id) {
  return stream_state(stream_id, /*refresh=*/true);
}

Result<domain::LoadedStreams> CommandHandler::load(const CommandEnvelope& command, bool refresh) {
  domain::LoadedStreams loaded;
  for (const store::StreamExpectation& expectation : command.expectations) {
    if (loaded.contains(expectation.stream_id)) continue;
    auto state = stream_state(expectation.stream_id, refresh);
    if (!state) return state.error();
    loaded.put(expectation.stream_id, std::move(*state));
  }
  // A command may name streams through the state of others (an order's
  // SKUs, a SKU's product): ask until nothing new is needed.
  constexpr int kMaxRounds = 4;
  for (int round = 0; round < kMaxRounds; ++round) {
    const std::vector<std::string> needed = domain::streams_to_read(command.body, loaded);
    if (needed.empty()) return loaded;
    for (const std::string& stream_id : needed) {
      auto state = stream_state(stream_id, refresh);
      if (!state) return state.error();
      loaded.put(stream_id, std::move(*state));
    }
  }
  assert(domain::streams_to_read(command.body, loaded).empty() && "stream dependencies deeper than kMaxRounds");
  return loaded;
}

store::AppendRequest CommandHandler::to_append(const CommandEnvelope& command, const domain::LoadedStreams& loaded,
                                               const domain::Decision& decision, std::int64_t occurred_at) const {
  store::AppendRequest request;
  request.command_id = command.command_id;
  request.actor = command.actor;
  request.request_digest = command.request_digest;
  for (const auto& [stream_id, state] : loaded.all()) {
    request.expectations.push_back({stream_id, state.version == 0 ? store::ExpectedVersion::no_stream()
                                                                  : store::ExpectedVersion::exact(state.version)});
  }
  for (std::size_t i = 0; i < decision.events.size(); ++i) {
    const domain::EmittedEvent& emitted = decision.events[i];
    // A stream written but not read (spend, traffic; stock movements that
    // follow from an order's own state) does not constrain the append.
    if (!loaded.contains(emitted.stream_id)) {
      bool named = false;
      for (const auto& e : request.expectations) named = named || e.stream_id == emitted.stream_id;
      if (!named) request.expectations.push_back({emitted.stream_id, store::ExpectedVersion::any()});
    }
    store::NewEvent event;
    event.stream_id = emitted.stream_id;
    event.event_type = std::string(domain::event_type_name(emitted.event));
    event.payload = domain::encode_event(emitted.event);
    event.occurred_at_us = occurred_at;
    event.event_id = derive_event_id(command.command_id, i);
    event.causation_id = command.causation_id;
    request.events.push_back(std::move(event));
  }
  return request;
}

void CommandHandler::remember(const domain::LoadedStreams& loaded, const domain::Decision& decision,
                              const store::AppendResult& result) {
  for (const store::StreamWrite& write : result.streams) {
    domain::StreamState state;
    if (const domain::StreamState* before = loaded.find(write.stream_id)) {
      state = *before;
    } else if (auto cached = cache_->get(write.stream_id)) {
      state = std::move(*cached);
    } else {
      continue;  // not in memory: loaded from the log when next needed
    }
    if (state.version + 1 != write.first_version) continue;  // someone else wrote in between
    for (const domain::EmittedEvent& emitted : decision.events) {
      if (emitted.stream_id == write.stream_id) domain::evolve(state.state, emitted.event);
    }
    state.version = write.last_version;
    cache_->put(write.stream_id, std::move(state));
  }
}

Result<CommandOutcome> CommandHandler::handle(const CommandEnvelope& command) {
  counters_->commands.fetch_add(1, std::memory_order_relaxed);
  auto refused = [&](Error error) -> Result<CommandOutcome> {
    counters_->refused.fetch_add(1, std::memory_order_relaxed);
    return error;
  };
  if (command.command_id.empty()) return refused(Error{"invalid_command_id", "command_id", "a command id is required"});
  if (command.actor.empty()) return refused(Error{"invalid_actor", "actor", "an actor is required"});
  if (command.body.type == shop::CommandBody::NONE) return refused(Error{"unknown_command", "command", "no command given"});

  // A command seen before answers its first result, whatever it carries now.
  // The store deduplicates an accepted decision by itself; only a refusal
  // (a retry that would now be refused, e.g. "order exists") needs a lookup,
  // which keeps the common path free of an extra read.
  auto first_result_or = [&](Error refusal) -> Result<CommandOutcome> {
    auto seen = store_.find_command(command.command_id);
    if (seen && seen->has_value() && !(*seen)->request_digest.empty() && !command.request_digest.empty() &&
        (*seen)->request_digest != command.request_digest) {
      return refused(Error{"idempotency_key_reused", "command_id",
                           "command id '" + command.command_id + "' was used before for another request"});
    }
    if (seen && seen->has_value()) {
      counters_->deduplicated.fetch_add(1, std::memory_order_relaxed);
      return CommandOutcome{std::move(**seen), {}, 0};
    }
    return refused(std::move(refusal));
  };

  const std::int64_t occurred_at = command.occurred_at_us != 0 ? command.occurred_at_us : options_.clock();
  Error last_conflict;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    auto loaded = load(command, /*refresh=*/attempt > 1);
    if (!loaded) return first_result_or(loaded.error());
    for (std::size_t i = 0; i < command.expectations.size(); ++i) {
      const store::StreamExpectation& wanted = command.expectations[i];
      const std::uint64_t actual = loaded->find(wanted.stream_id)->version;
      const bool matches = wanted.expected.kind == store::ExpectedVersion::Kind::kAny ||
                           (wanted.expected.kind == store::ExpectedVersion::Kind::kNoStream && actual == 0) ||
                           (wanted.expected.kind == store::ExpectedVersion::Kind::kExact && actual == wanted.expected.version);
      if (!matches) {
        return first_result_or(Error{"wrong_expected_version", "expectations[" + std::to_string(i) + "]",
                             "stream '" + wanted.stream_id + "' is at version " + std::to_string(actual) +
                                 "; expected " + wanted.expected.to_string()});
      }
    }
    auto decision = domain::decide(command.body, *loaded, config_, occurred_at);
    if (!decision) return first_result_or(decision.error());

    auto appended = store_.append(to_append(command, *loaded, *decision, occurred_at));
    if (appended) {
      CommandOutcome outcome;
      outcome.attempts = attempt;
      if (appended->deduplicated) {
        counters_->deduplicated.fetch_add(1, std::memory_order_relaxed);
      } else {
        counters_->accepted.fetch_add(1, std::memory_order_relaxed);
        remember(*loaded, *decision, *appended);
        for (const auto& e : decision->events) outcome.event_types.emplace_back(domain::event_type_name(e.event));
      }
      outcome.append = std::move(*appended);
      return outcome;
    }
    if (!is_conflict(appended.error())) return refused(appended.error());
    counters_->conflicts.fetch_add(1, std::memory_order_relaxed);
    last_conflict = appended.error();
  }
  last_conflict.message = "gave up after " + std::to_string(options_.max_attempts) +
                          " attempts under contention: " + last_conflict.message;
  return refused(last_conflict);
}

std::vector<CommandEnvelope> configured_registrations(const domain::Config& config) {
  std::vector<CommandEnvelope> commands;
  for (const domain::WarehouseConfig& w : config.warehouses) {
    CommandEnvelope c;
    c.command_id = "config:warehouse:" + w.id;
    c.actor = "system:config";
    shop::RegisterWarehouseT body;
    body.warehouse_id = w.id;
    body.name = w.name.empty() ? w.id : w.name;
    body.region = w.region;
    c.body.Set(std::move(body));
    commands.push_back(std::move(c));
  }
  for (const domain::SupplierConfig& s : config.suppliers) {
    CommandEnvelope c;
    c.command_id = "config:supplier:" + s.id;
    c.actor = "system:config";
    shop::RegisterSupplierT body;
    body.supplier_id = s.id;
    body.name = s.name.empty() ? s.id : s.name;
    body.lead_time_days = s.terms.lead_time_days;
    body.ship_within_hours = s.terms.ship_within_hours;
    body.return_cost_share_bp = s.terms.return_cost_share_bp;
    body.return_window_days = s.terms.return_window_days;
    c.body.Set(std::move(body));
    commands.push_back(std::move(c));
  }
  return commands;
}

}  // namespace spine::commands
