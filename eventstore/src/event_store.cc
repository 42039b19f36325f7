#include "spine/eventstore/event_store.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <pthread.h>

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "byte_arena.h"
#include "keys.h"
#include "record_codec.h"
#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/rocksdb_logger.h"
#include "spine/eventstore/subscription.h"

namespace spine::store {

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error from_rocks(const rocksdb::Status& status, const std::string& what) {
  if (status.IsNoSpace()) return Error{"no_space", "", what + ": disk full: " + status.ToString()};
  if (status.IsCorruption()) return Error{"corruption", "", what + ": " + status.ToString()};
  return Error{"io_error", "", what + ": " + status.ToString()};
}

Error invalid(std::string code, std::string field, std::string message) {
  return Error{std::move(code), std::move(field), std::move(message)};
}

constexpr std::size_t kMaxRequestDigestBytes = 64;

// Two requests under one command id are the same request unless both carry a digest and the digests differ.
bool digests_differ(const std::string& first, const std::string& again) {
  return !first.empty() && !again.empty() && first != again;
}

Error key_reused(const std::string& command_id) {
  return Error{"idempotency_key_reused", "command_id",
               "command id '" + command_id + "' was used before for another request; nothing was appended"};
}

// A name (stream id, event type, command id, actor) must be non-empty unless
// optional, within `max` bytes, and free of control characters (NUL included,
// which the stream index uses as its separator). Returns the broken rule.
std::optional<std::string> name_problem(std::string_view value, std::size_t max, bool required) {
  if (value.empty()) {
    if (!required) return std::nullopt;
    return std::string("must not be empty");
  }
  if (value.size() > max) {
    return "is " + std::to_string(value.size()) + " bytes; the limit is " + std::to_string(max);
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return std::string("must not contain control characters");
  }
  return std::nullopt;
}

std::string indexed(const char* list, std::size_t index, const char* member) {
  return std::string(list) + "[" + std::to_string(index) + "]." + member;
}

EventId random_event_id(std::mt19937_64& rng) {
  EventId id{};
  std::uint64_t a = rng(), b = rng();
  std::memcpy(id.data(), &a, 8);
  std::memcpy(id.data() + 8, &b, 8);
  id[6] = static_cast<std::uint8_t>((id[6] & 0x0f) | 0x40);  // UUID version 4
  id[8] = static_cast<std::uint8_t>((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

bool is_zero(const EventId& id) {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

// Turns RocksDB's own background recovery off: after a failed write the store
// calls DB::Resume() itself before its next write, so that recovery happens at
// a known point of the write path rather than racing it.
class ManualRecovery : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

}  // namespace

std::string ExpectedVersion::to_string() const {
  switch (kind) {
    case Kind::kAny: return "any";
    case Kind::kNoStream: return "no_stream";
    case Kind::kExact: return std::to_string(version);
  }
  return "?";
}

// ---- Impl ----------------------------------------------------------------

constexpr const char* kImportMarkerKey = "import";

class EventStore::Impl {
 public:
  Impl(std::string dir, Options options) : dir_(std::move(dir)), options_(std::move(options)) {}
  ~Impl() { close(); }

  Status open(bool read_only);
  void close();

  Result<AppendResult> append(AppendRequest request);
  void append_async(AppendRequest request, AppendCallback done);
  Result<std::vector<RecordView>> read_all(std::uint64_t from, std::size_t max_count) const;
  Result<std::vector<RecordView>> read_stream(const std::string& stream_id, std::uint64_t from_version,
                                              Direction direction, std::size_t max_count) const;
  Result<RecordView> read_at(std::uint64_t position) const;
  Result<RecordView> read_at_locked(std::uint64_t position) const;
  Result<std::uint64_t> stream_version(const std::string& stream_id) const;
  Result<std::optional<AppendResult>> find_command(const std::string& command_id) const;
  Result<Head> import_records(const std::function<Result<std::optional<std::string>>()>& next);
  Result<std::vector<StreamHead>> stream_heads(const std::string& after, std::size_t max_count) const;

  Head head() const {
    std::lock_guard lock(head_mutex_);
    return head_;
  }
  std::uint64_t wait_for_position(std::uint64_t position, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(head_mutex_);
    head_changed_.wait_for(lock, timeout, [&] { return head_.position >= position || closing_; });
    return head_.position;
  }

  const Options& options() const { return options_; }
  const std::string& dir() const { return dir_; }
  WriteStats write_stats() const {
    std::lock_guard lock(head_mutex_);
    return stats_;
  }

 private:
  struct Pending {
    AppendRequest request;
    std::size_t payload_bytes = 0;
    std::promise<Result<AppendResult>> promise;  // append()
    AppendCallback done;                         // append_async()
    void complete(Result<AppendResult> result) {
      if (done) {
        done(std::move(result));
      } else {
        promise.set_value(std::move(result));
      }
    }
  };
  // The outcome of one request inside a group, before the group is written.
  struct Outcome {
    std::optional<Result<AppendResult>> result;  // set once decided
    bool written_in_batch = false;               // depends on the group's write
    std::optional<std::size_t> duplicate_of;     // same command id earlier in the group
  };

  // The decided results of one written (or failed) group, for its callers.
  struct Answers {
    std::vector<std::unique_ptr<Pending>> callers;
    std::vector<Result<AppendResult>> results;  // one per caller, same order
  };

  std::optional<Error> validate(const AppendRequest& request, std::size_t& payload_bytes) const;
  void writer_loop();
  void answer(Answers& answers);
  void hand_to_notifier(Answers answers);
  void notifier_loop();
  void commit_group(std::vector<std::unique_ptr<Pending>>& group);
  Result<std::uint64_t> current_version(const std::string& stream_id,
                                        const std::unordered_map<std::string, std::uint64_t>& overlay);
  Status recover_head();
  Status resume_after_write_error();
  Status resume_when_due();
  Status probe_free_space() const;
  Status open_db(bool read_only);
  void close_db();
  Result<std::uint64_t> stream_head_locked(std::string_view stream_id) const;

  std::string dir_;
  Options options_;
  bool read_only_ = false;
  // Readers hold it shared while they use db_; a reopen after a write error
  // holds it exclusively.
  mutable std::shared_mutex db_mutex_;
  bool read_only_db_ = false;  // db_ is a read-only fallback after a failed reopen
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;

  // Group-commit queue (bounded: appenders block when it is full).
  std::mutex queue_mutex_;
  std::condition_variable queue_not_empty_;
  std::condition_variable queue_not_full_;
  std::deque<std::unique_ptr<Pending>> queue_;
  bool stopping_ = false;
  std::thread writer_;

  // Groups written, callers not yet answered (bounded: the writer waits).
  static constexpr std::size_t kMaxGroupsToAnswer = 4;
  static constexpr std::size_t kAnswerInlineUpTo = 2;  // callers answered by the writer itself
  std::mutex answers_mutex_;
  std::condition_variable answers_changed_;
  std::deque<Answers> answers_;
  bool notifier_stopping_ = false;
  std::thread notifier_;

  // Owned by the writer thread only.
  static constexpr std::size_t kVersionCacheLimit = 1'000'000;
  // Envelope, key and index bytes per event beyond its payload (a generous estimate).
  static constexpr std::size_t kRecordOverheadEstimate = 256;
  std::unordered_map<std::string, std::uint64_t> version_cache_;
  bool needs_resume_ = false;
  std::chrono::steady_clock::time_point next_resume_at_{};  // while the disk is full
  std::optional<Error> no_space_;                            // the last failed resume's error, until then
  std::mt19937_64 rng_{std::random_device{}()};
  flatbuffers::FlatBufferBuilder builder_{1024};

  // The committed head, read by everyone, written by the writer.
  mutable std::mutex head_mutex_;
  mutable std::condition_variable head_changed_;
  Head head_;
  WriteStats stats_;
  bool closing_ = false;
};

Status EventStore::Impl::open(bool read_only) {
  read_only_ = read_only;
  if (auto opened = open_db(read_only); !opened) return opened;
  if (!read_only) {
    std::string format;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), meta_, keys::kFormatKey, &format);
    if (status.IsNotFound()) {
      rocksdb::WriteOptions write;
      write.sync = true;
      status = db_->Put(write, meta_, keys::kFormatKey, keys::kFormatVersion);
      format = keys::kFormatVersion;
    }
    if (!status.ok()) return from_rocks(status, "reading the format marker");
    if (format != keys::kFormatVersion) {
      return Error{"corruption", "format", "unknown store format '" + format + "' in " + dir_};
    }
  }
  if (auto recovered = recover_head(); !recovered) return recovered;
  if (!read_only) {
    // Named so that `top -H` and profilers show the write path's two stages.
    notifier_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "spine-notify");
      notifier_loop();
    });
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "spine-write");
      writer_loop();
    });
  }
  return ok_status();
}

namespace {

// The stream id part of a stream index key (everything before the 8-byte
// first version). RocksDB keeps, per memtable, the last insert position of each
// such prefix and starts the next insert of the same stream there: a stream's
// runs arrive in version order, so the skiplist search is skipped.
class StreamIdOfRunKey final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "spine.StreamIdOfRunKey"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    assert(InDomain(key));
    return rocksdb::Slice(key.data(), key.size() - keys::kRunVersionBytes);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > keys::kRunVersionBytes; }
};

}  // namespace

Status EventStore::Impl::open_db(bool read_only) {
  rocksdb::Options db_options;
  db_options.create_if_missing = !read_only;
  db_options.create_missing_column_families = !read_only;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.listeners.push_back(std::make_shared<ManualRecovery>());
  db_options.info_log = make_rocksdb_logger("log", options_.rocksdb_log_level);
  if (options_.env) db_options.env = options_.env.get();

  rocksdb::BlockBasedTableOptions point_lookup_table;
  point_lookup_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions point_lookup_family;
  point_lookup_family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(point_lookup_table));
  // Every append looks its command id up, and nearly always misses: a bloom
  // filter over the memtable's whole keys answers those misses without a
  // skiplist search.
  point_lookup_family.memtable_prefix_bloom_size_ratio = 0.05;
  point_lookup_family.memtable_whole_key_filtering = true;
  rocksdb::ColumnFamilyOptions log_family;  // sequential keys: no bloom filter needed
  log_family.write_buffer_size = 64 << 20;
  rocksdb::ColumnFamilyOptions stream_index_family;
  stream_index_family.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamIdOfRunKey>();

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {keys::kLogFamily, log_family},
      {keys::kStreamsFamily, stream_index_family},
      {keys::kCommandsFamily, point_lookup_family},
      {keys::kMetaFamily, rocksdb::ColumnFamilyOptions()},
  };
  // Made first: RocksDB logs an error for a folder it has to create.
  std::error_code ignored;
  if (!read_only) std::filesystem::create_directories(dir_, ignored);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, dir_, families, &handles_, &raw)
                : rocksdb::DB::Open(db_options, dir_, families, &handles_, &raw);
  if (!status.ok()) return from_rocks(status, "opening " + dir_);
  db_.reset(raw);
  log_ = handles_[1];
  streams_ = handles_[2];
  commands_ = handles_[3];
  meta_ = handles_[4];
  return ok_status();
}

void EventStore::Impl::close_db() {
  if (!db_) return;
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  handles_.clear();
  db_->Close();
  db_.reset();
}

// Reads the committed head and checks the log tail against it: the last
// record must sit at the head position, hash to the head hash, and link to
// its predecessor.
Status EventStore::Impl::recover_head() {
  std::string value;
  if (db_->Get(rocksdb::ReadOptions(), meta_, kImportMarkerKey, &value).ok()) {
    return Error{"corruption", "import", "an import into " + dir_ + " did not finish; delete it and import again"};
  }
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), meta_, keys::kHeadKey, &value);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  it->SeekToLast();
  if (status.IsNotFound()) {
    if (it->Valid()) return Error{"corruption", "head", "log has records but no head marker"};
    std::lock_guard lock(head_mutex_);
    head_ = Head{};
    return ok_status();
  }
  if (!status.ok()) return from_rocks(status, "reading the head");
  auto head = keys::decode_head(value);
  if (!head) return Error{"corruption", "head", "head marker is malformed"};
  if (!it->Valid()) return Error{"corruption", "head", "head marker names a record but the log is empty"};
  auto last_position = keys::parse_position_key(it->key().ToStringView());
  if (!last_position || *last_position != head->position) {
    return Error{"corruption", "head",
                 "log ends at position " + std::to_string(last_position.value_or(0)) + " but the head is " +
                     std::to_string(head->position)};
  }
  auto last = RecordView::parse(it->value().ToString(), *last_position);
  if (!last) return last.error();
  if (last->compute_hash() != last->hash() || last->hash() != head->hash) {
    return Error{"corruption", "head", "the last record's hash does not match the head"};
  }
  if (head->position > 1) {
    it->Prev();
    if (!it->Valid()) return Error{"corruption", "head", "record before the head is missing"};
    auto previous = RecordView::parse(it->value().ToString(), head->position - 1);
    if (!previous) return previous.error();
    if (previous->hash() != last->prev_hash()) {
      return Error{"corruption", "head", "the last record does not link to its predecessor"};
    }
  }
  std::lock_guard lock(head_mutex_);
  head_ = *head;
  return ok_status();
}

void EventStore::Impl::close() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_not_empty_.notify_all();
  queue_not_full_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(answers_mutex_);
    notifier_stopping_ = true;
  }
  answers_changed_.notify_all();
  if (notifier_.joinable()) notifier_.join();
  {
    std::lock_guard lock(head_mutex_);
    closing_ = true;
  }
  head_changed_.notify_all();
  std::unique_lock lock(db_mutex_);
  if (db_ && !read_only_ && !read_only_db_) {
    // Everything acknowledged is already in the synced WAL; flushing the memtables now spares the
    // next open (and every read-only tool: export, verify, replay) replaying that WAL. A failure
    // (a full disk) changes nothing: the WAL still holds it all.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    flush.allow_write_stall = true;
    (void)db_->Flush(flush, handles_);
  }
  close_db();
}

std::optional<Error> EventStore::Impl::validate(const AppendRequest& request, std::size_t& payload_bytes) const {
  const Limits& limits = options_.limits;
  if (auto rule = name_problem(request.command_id, limits.max_name_bytes, true)) {
    return invalid("invalid_command_id", "command_id", "command_id " + *rule);
  }
  if (auto rule = name_problem(request.actor, limits.max_name_bytes, true)) {
    return invalid("invalid_actor", "actor", "actor " + *rule);
  }
  if (request.request_digest.size() > kMaxRequestDigestBytes) {
    return invalid("invalid_request_digest", "request_digest",
                   "at most " + std::to_string(kMaxRequestDigestBytes) + " bytes");
  }
  if (request.events.empty()) return invalid("empty_append", "events", "an append must carry at least one event");
  if (request.events.size() > limits.max_events_per_append) {
    return invalid("too_many_events", "events",
                   std::to_string(request.events.size()) + " events in one append; the limit is " +
                       std::to_string(limits.max_events_per_append));
  }
  if (request.expectations.size() > limits.max_streams_per_append) {
    return invalid("too_many_streams", "expectations",
                   std::to_string(request.expectations.size()) + " streams in one append; the limit is " +
                       std::to_string(limits.max_streams_per_append));
  }
  for (std::size_t i = 0; i < request.expectations.size(); ++i) {
    const auto& stream_id = request.expectations[i].stream_id;
    if (auto rule = name_problem(stream_id, limits.max_stream_id_bytes, true)) {
      return invalid("invalid_stream_id", indexed("expectations", i, "stream_id"), "stream_id " + *rule);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (request.expectations[j].stream_id == stream_id) {
        return invalid("duplicate_stream", indexed("expectations", i, "stream_id"),
                       "stream '" + stream_id + "' is named twice");
      }
    }
  }
  payload_bytes = 0;
  const std::string* last_checked_stream = nullptr;  // events usually come in runs of one stream
  for (std::size_t i = 0; i < request.events.size(); ++i) {
    const auto& event = request.events[i];
    if (auto rule = name_problem(event.event_type, limits.max_name_bytes, true)) {
      return invalid("invalid_event_type", indexed("events", i, "event_type"), "event_type " + *rule);
    }
    if (auto rule = name_problem(event.causation_id, limits.max_name_bytes, false)) {
      return invalid("invalid_causation_id", indexed("events", i, "causation_id"), "causation_id " + *rule);
    }
    if (event.payload.size() > limits.max_event_bytes) {
      return invalid("event_too_large", indexed("events", i, "payload"),
                     "payload is " + std::to_string(event.payload.size()) + " bytes; the limit is " +
                         std::to_string(limits.max_event_bytes));
    }
    payload_bytes += event.payload.size();
    if (last_checked_stream != nullptr && *last_checked_stream == event.stream_id) continue;
    if (auto rule = name_problem(event.stream_id, limits.max_stream_id_bytes, true)) {
      return invalid("invalid_stream_id", indexed("events", i, "stream_id"), "stream_id " + *rule);
    }
    const bool named = std::any_of(request.expectations.begin(), request.expectations.end(),
                                   [&](const StreamExpectation& e) { return e.stream_id == event.stream_id; });
    if (!named) {
      return invalid("missing_expectation", indexed("events", i, "stream_id"),
                     "stream '" + event.stream_id + "' is written but has no expected version");
    }
    last_checked_stream = &event.stream_id;
  }
  if (payload_bytes > limits.max_append_bytes) {
    return invalid("append_too_large", "events",
                   std::to_string(payload_bytes) + " payload bytes in one append; the limit is " +
                       std::to_string(limits.max_append_bytes));
  }
  return std::nullopt;
}

Result<AppendResult> EventStore::Impl::append(AppendRequest request) {
  if (read_only_) return Error{"read_only", "", "the store was opened read-only"};
  auto pending = std::make_unique<Pending>();
  if (auto error = validate(request, pending->payload_bytes)) return *error;
  pending->request = std::move(request);
  auto future = pending->promise.get_future();
  {
    std::unique_lock lock(queue_mutex_);
    queue_not_full_.wait(lock, [&] { return queue_.size() < options_.limits.max_pending_appends || stopping_; });
    if (stopping_) return Error{"store_closed", "", "the store is closing"};
    queue_.push_back(std::move(pending));
  }
  queue_not_empty_.notify_one();
  return future.get();
}

void EventStore::Impl::append_async(AppendRequest request, AppendCallback done) {
  assert(done);
  if (read_only_) return done(Error{"read_only", "", "the store was opened read-only"});
  auto pending = std::make_unique<Pending>();
  if (auto error = validate(request, pending->payload_bytes)) return done(std::move(*error));
  pending->request = std::move(request);
  std::optional<Error> refusal;
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) {
      refusal = Error{"store_closed", "", "the store is closing"};
    } else if (queue_.size() >= options_.limits.max_pending_appends) {
      refusal = Error{"overloaded", "",
                      std::to_string(queue_.size()) + " appends are already waiting; the limit is " +
                          std::to_string(options_.limits.max_pending_appends)};
    } else {
      pending->done = std::move(done);
      queue_.push_back(std::move(pending));
    }
  }
  // Called outside the lock: `done` may append again.
  if (refusal) return done(std::move(*refusal));
  queue_not_empty_.notify_one();
}

void EventStore::Impl::writer_loop() {
  std::vector<std::unique_ptr<Pending>> group;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_not_empty_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping and drained
      std::size_t events = 0, bytes = 0;
      while (!queue_.empty()) {
        const auto& next = queue_.front();
        const std::size_t next_events = next->request.events.size();
        if (!group.empty() && (events + next_events > options_.limits.max_group_events ||
                               bytes + next->payload_bytes > options_.limits.max_group_bytes)) {
          break;
        }
        events += next_events;
        bytes += next->payload_bytes;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    queue_not_full_.notify_all();
    commit_group(group);
    group.clear();
  }
}

Result<std::uint64_t> EventStore::Impl::current_version(
    const std::string& stream_id, const std::unordered_map<std::string, std::uint64_t>& overlay) {
  if (auto it = overlay.find(stream_id); it != overlay.end()) return it->second;
  if (auto it = version_cache_.find(stream_id); it != version_cache_.end()) return it->second;
  return stream_head_locked(stream_id);
}

// The stream's head version: the end of its last run in the stream index.
Result<std::uint64_t> EventStore::Impl::stream_head_locked(std::string_view stream_id) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  it->SeekForPrev(keys::stream_index_last_key(stream_id));
  if (!it->status().ok()) return from_rocks(it->status(), "reading the head of " + std::string(stream_id));
  const std::string prefix = keys::stream_index_prefix(stream_id);
  if (!it->Valid() || !it->key().starts_with(prefix)) return std::uint64_t{0};
  auto first = keys::read_u64(it->key().ToStringView(), prefix.size());
  const std::size_t count = it->value().size() / 8;
  if (!first || count == 0 || it->value().size() % 8 != 0) {
    return Error{"corruption", "stream_index", "malformed index entry of stream '" + std::string(stream_id) + "'"};
  }
  return *first + count - 1;
}

// After a failed write RocksDB refuses writes until resumed. Resume() covers
// the common case; when it fails and the disk takes writes again, the DB is
// closed and reopened, which replays the WAL to the last whole
// write. If the read-write open fails, a read-only open keeps reads working.
Status EventStore::Impl::resume_after_write_error() {
  {
    std::shared_lock lock(db_mutex_);
    if (!read_only_db_ && db_->Resume().ok()) {
      needs_resume_ = false;
      return ok_status();
    }
  }
  // Resume() cannot recover from a failed WAL write, full disk or not, so its
  // status says nothing about space: a probe does. While the disk is full a
  // reopen would only fail its own writes.
  if (Status space = probe_free_space(); !space) return space;
  std::unique_lock lock(db_mutex_);
  close_db();
  if (auto reopened = open_db(false); !reopened) {
    const Error error = reopened.error();
    read_only_db_ = true;
    if (auto fallback = open_db(true); !fallback) {
      return Error{error.code, "", error.message + "; read-only reopen failed too: " + fallback.error().message};
    }
    return error;
  }
  read_only_db_ = false;
  version_cache_.clear();
  if (auto recovered = recover_head(); !recovered) return recovered;
  needs_resume_ = false;
  return ok_status();
}

// Whether the store's disk takes a write now: a small file written, synced
// and removed through the store's Env (so injected faults apply to it too).
Status EventStore::Impl::probe_free_space() const {
  constexpr std::size_t kProbeBytes = 1 << 20;
  rocksdb::Env* env = options_.env ? options_.env.get() : rocksdb::Env::Default();
  const std::string path = dir_ + "/SPINE-SPACE-PROBE";
  std::unique_ptr<rocksdb::WritableFile> file;
  rocksdb::Status status = env->NewWritableFile(path, &file, rocksdb::EnvOptions());
  if (status.ok()) status = file->Append(std::string(kProbeBytes, '\0'));
  if (status.ok()) status = file->Sync();
  if (file) (void)file->Close();
  (void)env->DeleteFile(path);  // absent when it could not be made
  return status.ok() ? ok_status() : Status(from_rocks(status, "probing the disk for free space"));
}

// A full disk is retried at most every no_space_retry_interval; in between,
// appends are refused with the last attempt's error without touching RocksDB.
Status EventStore::Impl::resume_when_due() {
  const auto now = std::chrono::steady_clock::now();
  if (no_space_ && now < next_resume_at_) return *no_space_;
  Status resumed = resume_after_write_error();
  if (!resumed && resumed.error().code == "no_space") {
    no_space_ = resumed.error();
    next_resume_at_ = now + options_.no_space_retry_interval;
  } else {
    no_space_.reset();
  }
  return resumed;
}

// Decides every request of the group against the committed state plus the
// group's earlier requests, writes one batch with one sync, then answers.
void EventStore::Impl::commit_group(std::vector<std::unique_ptr<Pending>>& group) {
  const auto build_start = std::chrono::steady_clock::now();
  std::vector<Outcome> outcomes(group.size());
  if (needs_resume_) {
    if (auto resumed = resume_when_due(); !resumed) {
      for (auto& pending : group) pending->complete(resumed.error());
      return;
    }
  }

  Head head = this->head();
  std::unordered_map<std::string, std::uint64_t> overlay;  // versions written by this group
  std::unordered_map<std::string_view, std::size_t> group_commands;
  // Sized up front so that a large group is not copied as the batch grows.
  std::size_t expected_bytes = 64;
  for (const auto& pending : group) {
    expected_bytes += pending->payload_bytes + pending->request.events.size() * kRecordOverheadEstimate;
  }
  rocksdb::WriteBatch batch(expected_bytes);
  const std::int64_t recorded_at = std::max(now_us(), head.recorded_at_us);
  bool wrote_anything = false;

  for (std::size_t index = 0; index < group.size(); ++index) {
    const AppendRequest& request = group[index]->request;
    Outcome& outcome = outcomes[index];

    // Idempotency: a command seen before (committed, or earlier in this group),
    // when it is the same request.
    if (auto it = group_commands.find(request.command_id); it != group_commands.end()) {
      if (digests_differ(group[it->second]->request.request_digest, request.request_digest)) {
        outcome.result = key_reused(request.command_id);
      } else {
        outcome.duplicate_of = it->second;
      }
      continue;
    }
    std::string stored;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), commands_, request.command_id, &stored);
    if (status.ok()) {
      auto first = keys::decode_append_result(stored);
      if (!first) {
        outcome.result = Error{"corruption", "command_id", "stored result of this command is malformed"};
      } else if (digests_differ(first->request_digest, request.request_digest)) {
        outcome.result = key_reused(request.command_id);
      } else {
        first->deduplicated = true;
        outcome.result = std::move(*first);
      }
      continue;
    }
    if (!status.IsNotFound()) {
      outcome.result = from_rocks(status, "looking up the command id");
      continue;
    }

    // Optimistic concurrency: every named stream at its expected version.
    std::unordered_map<std::string, std::uint64_t> versions;
    std::optional<Error> refusal;
    for (std::size_t i = 0; i < request.expectations.size() && !refusal; ++i) {
      const auto& expectation = request.expectations[i];
      auto current = current_version(expectation.stream_id, overlay);
      if (!current) {
        refusal = current.error();
        break;
      }
      const bool matches = expectation.expected.kind == ExpectedVersion::Kind::kAny ||
                           (expectation.expected.kind == ExpectedVersion::Kind::kNoStream && *current == 0) ||
                           (expectation.expected.kind == ExpectedVersion::Kind::kExact &&
                            *current == expectation.expected.version);
      if (!matches) {
        refusal = Error{"wrong_expected_version", "expectations[" + std::to_string(i) + "]",
                        "stream '" + expectation.stream_id + "' expected version " +
                            expectation.expected.to_string() + ", actual version " + std::to_string(*current)};
      }
      versions[expectation.stream_id] = *current;
    }
    if (refusal) {
      outcome.result = std::move(*refusal);
      continue;
    }

    // Accepted: assign positions and versions, chain and stage the records.
    AppendResult result;
    result.first_position = head.position + 1;
    struct Run {
      const std::string* stream_id;
      std::uint64_t first_version;
      std::uint64_t last_version;
      std::string positions;  // the stream index value
    };
    std::vector<Run> runs;  // one per written stream, in first-write order
    Run* run = nullptr;
    char position_key[8];
    for (const NewEvent& event : request.events) {
      if (run == nullptr || *run->stream_id != event.stream_id) {
        run = nullptr;
        for (auto& existing : runs) {
          if (*existing.stream_id == event.stream_id) run = &existing;
        }
        if (run == nullptr) {
          const std::uint64_t current = versions[event.stream_id];
          runs.push_back(Run{&event.stream_id, current + 1, current, {}});
          run = &runs.back();
        }
      }
      const std::uint64_t position = ++head.position;
      const std::uint64_t version = ++run->last_version;
      codec::RecordFields fields;
      fields.position = position;
      fields.stream_id = event.stream_id;
      fields.stream_version = version;
      fields.event_type = event.event_type;
      fields.event_id = is_zero(event.event_id) ? random_event_id(rng_) : event.event_id;
      fields.command_id = request.command_id;
      fields.causation_id = event.causation_id;
      fields.actor = request.actor;
      fields.recorded_at_us = recorded_at;
      fields.occurred_at_us = event.occurred_at_us == 0 ? recorded_at : event.occurred_at_us;
      fields.schema_version = event.schema_version;
      fields.payload = event.payload;
      fields.prev_hash = head.hash;
      const Digest hash = codec::hash_fields(fields);
      codec::build_record(builder_, fields, hash);
      keys::encode_u64(position_key, position);
      batch.Put(log_, rocksdb::Slice(position_key, 8),
                rocksdb::Slice(reinterpret_cast<const char*>(builder_.GetBufferPointer()), builder_.GetSize()));
      run->positions.append(position_key, 8);
      head.hash = hash;
    }
    result.last_position = head.position;
    result.request_digest = request.request_digest;
    for (const Run& written : runs) {
      batch.Put(streams_, keys::stream_run_key(*written.stream_id, written.first_version), written.positions);
      overlay[*written.stream_id] = written.last_version;
      result.streams.push_back(StreamWrite{*written.stream_id, written.first_version, written.last_version});
    }
    batch.Put(commands_, request.command_id, keys::encode_append_result(result));
    group_commands.emplace(request.command_id, index);
    outcome.result = std::move(result);
    outcome.written_in_batch = true;
    wrote_anything = true;
  }

  std::optional<Error> write_error;
  const auto write_start = std::chrono::steady_clock::now();
  if (wrote_anything) {
    head.recorded_at_us = recorded_at;
    batch.Put(meta_, keys::kHeadKey, keys::encode_head(head));
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    rocksdb::Status status = db_->Write(write_options, &batch);
    if (!status.ok()) {
      needs_resume_ = true;
      write_error = from_rocks(status, "writing the log");
      for (auto& outcome : outcomes) {
        if (outcome.written_in_batch) outcome.result = *write_error;
      }
    } else {
      if (version_cache_.size() + overlay.size() > kVersionCacheLimit) version_cache_.clear();
      for (auto& [stream_id, version] : overlay) version_cache_[stream_id] = version;
      {
        std::lock_guard lock(head_mutex_);
        stats_.events += head.position - head_.position;
        head_ = head;
      }
      head_changed_.notify_all();
    }
  }
  {
    const auto write_end = std::chrono::steady_clock::now();
    using std::chrono::duration_cast, std::chrono::microseconds;
    std::lock_guard lock(head_mutex_);
    stats_.groups += wrote_anything ? 1 : 0;
    stats_.appends += group.size();
    stats_.build_micros += static_cast<std::uint64_t>(duration_cast<microseconds>(write_start - build_start).count());
    stats_.write_micros += static_cast<std::uint64_t>(duration_cast<microseconds>(write_end - write_start).count());
  }

  // Callbacks (append_async) run here and now, so that whatever they append
  // again is queued before the next group is taken; blocked callers
  // (append) are woken by the notifier unless there are only one or two.
  auto result_of = [&](const Outcome& outcome) -> Result<AppendResult> {
    if (!outcome.duplicate_of) {
      assert(outcome.result.has_value());
      return *outcome.result;
    }
    // A repeat of a command decided earlier in this group shares its fate:
    // the first's result (after the write failed, that is the write error).
    const Outcome& first = outcomes[*outcome.duplicate_of];
    if (!first.result->ok()) return first.result->error();
    AppendResult repeat = first.result->value();
    repeat.deduplicated = true;
    return repeat;
  };
  Answers blocked;
  for (std::size_t index = 0; index < group.size(); ++index) {
    Result<AppendResult> result = result_of(outcomes[index]);
    if (group[index]->done) {
      group[index]->complete(std::move(result));
    } else {
      blocked.results.push_back(std::move(result));
      blocked.callers.push_back(std::move(group[index]));
    }
  }
  if (blocked.callers.empty()) return;
  if (blocked.callers.size() <= kAnswerInlineUpTo) {
    answer(blocked);  // one or two wake-ups: cheaper than a hop to the notifier
  } else {
    hand_to_notifier(std::move(blocked));
  }
}

void EventStore::Impl::answer(Answers& answers) {
  for (std::size_t index = 0; index < answers.callers.size(); ++index) {
    answers.callers[index]->complete(std::move(answers.results[index]));
  }
}

// Waking each caller costs a futex call; for a large group the notifier
// thread does it while the writer goes on with the next group.
void EventStore::Impl::hand_to_notifier(Answers answers) {
  {
    std::unique_lock lock(answers_mutex_);
    answers_changed_.wait(lock, [&] { return answers_.size() < kMaxGroupsToAnswer; });
    answers_.push_back(std::move(answers));
  }
  answers_changed_.notify_all();
}

void EventStore::Impl::notifier_loop() {
  for (;;) {
    Answers answers;
    {
      std::unique_lock lock(answers_mutex_);
      answers_changed_.wait(lock, [&] { return !answers_.empty() || notifier_stopping_; });
      if (answers_.empty()) return;  // stopping and drained
      answers = std::move(answers_.front());
      answers_.pop_front();
    }
    answers_changed_.notify_all();
    answer(answers);
  }
}

Result<RecordView> EventStore::Impl::read_at(std::uint64_t position) const {
  std::shared_lock lock(db_mutex_);
  return read_at_locked(position);
}

Result<RecordView> EventStore::Impl::read_at_locked(std::uint64_t position) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), log_, keys::position_key(position), &value);
  if (status.IsNotFound()) return Error{"not_found", "position", "no record at position " + std::to_string(position)};
  if (!status.ok()) return from_rocks(status, "reading position " + std::to_string(position));
  return RecordView::parse(std::move(value), position);
}

Result<std::vector<RecordView>> EventStore::Impl::read_all(std::uint64_t from, std::size_t max_count) const {
  std::vector<RecordView> records;
  max_count = std::min(max_count, options_.limits.max_read_batch);
  const std::uint64_t head_position = head().position;
  if (from > head_position || max_count == 0) return records;
  std::shared_lock lock(db_mutex_);
  records.reserve(std::min<std::uint64_t>(max_count, head_position - std::max<std::uint64_t>(from, 1) + 1));
  rocksdb::ReadOptions read_options;
  const std::string upper = keys::position_key(head_position + 1);  // only committed records
  rocksdb::Slice upper_bound(upper);
  read_options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, log_));
  // The batch's records share one arena: a few allocations, and the records
  // lie in log order in memory for whoever walks through them.
  auto arena = std::make_shared<internal::ByteArena>();
  std::size_t bytes = 0;
  for (it->Seek(keys::position_key(std::max<std::uint64_t>(from, 1)));
       it->Valid() && records.size() < max_count && bytes < options_.limits.max_read_batch_bytes; it->Next()) {
    auto position = keys::parse_position_key(it->key().ToStringView());
    if (!position) return Error{"corruption", "key", "malformed log key"};
    auto record = RecordView::parse_shared(arena, arena->copy(it->value().ToStringView()), *position);
    if (!record) return record.error();
    bytes += record->bytes().size();
    records.push_back(std::move(*record));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "reading the log");
  return records;
}

Result<std::vector<RecordView>> EventStore::Impl::read_stream(const std::string& stream_id, std::uint64_t from_version,
                                                              Direction direction, std::size_t max_count) const {
  std::vector<RecordView> records;
  max_count = std::min(max_count, options_.limits.max_read_batch);
  std::shared_lock lock(db_mutex_);
  const std::string prefix = keys::stream_index_prefix(stream_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  // The run holding `from_version` starts at or before it.
  it->SeekForPrev(keys::stream_run_key(stream_id, from_version));
  if (direction == Direction::kForward && (!it->Valid() || !it->key().starts_with(prefix))) {
    it->Seek(keys::stream_run_key(stream_id, from_version));
  }
  std::size_t bytes = 0;
  auto full = [&] { return records.size() >= max_count || bytes >= options_.limits.max_read_batch_bytes; };
  while (it->Valid() && it->key().starts_with(prefix) && !full()) {
    auto first_version = keys::read_u64(it->key().ToStringView(), prefix.size());
    const std::string_view positions = it->value().ToStringView();
    if (!first_version || positions.empty() || positions.size() % 8 != 0) {
      return Error{"corruption", "stream_index", "malformed index entry of stream '" + stream_id + "'"};
    }
    const std::size_t count = positions.size() / 8;
    for (std::size_t step = 0; step < count && !full(); ++step) {
      const std::size_t i = direction == Direction::kForward ? step : count - 1 - step;
      const std::uint64_t version = *first_version + i;
      if (direction == Direction::kForward ? version < from_version : version > from_version) continue;
      auto record = read_at_locked(*keys::read_u64(positions, i * 8));
      if (!record) return record.error();
      if (record->stream_id() != stream_id || record->stream_version() != version) {
        return Error{"corruption", "stream_index", "stream index of '" + stream_id + "' points to another record"};
      }
      bytes += record->bytes().size();
      records.push_back(std::move(*record));
    }
    if (direction == Direction::kForward) it->Next(); else it->Prev();
  }
  if (!it->status().ok()) return from_rocks(it->status(), "reading stream " + stream_id);
  return records;
}

Result<std::uint64_t> EventStore::Impl::stream_version(const std::string& stream_id) const {
  std::shared_lock lock(db_mutex_);
  return stream_head_locked(stream_id);
}

Result<Head> EventStore::Impl::import_records(const std::function<Result<std::optional<std::string>>()>& next) {
  if (read_only_) return Error{"read_only", "", "the store was opened read-only"};
  if (head().position != 0) return Error{"not_empty", "", "import needs an empty store; " + dir_ + " has records"};
  constexpr std::size_t kBatchRecords = 10'000;
  ChainVerifier verifier;
  Head head;
  rocksdb::WriteBatch batch;
  std::size_t in_batch = 0;
  std::unordered_map<std::string, std::uint64_t> versions;  // stream -> last version imported

  // The records of one command (consecutive, same command id) form one
  // append: its stream runs and its stored result, as the writer makes them.
  struct Append {
    std::string command_id;
    AppendResult result;
    struct Run {
      std::string stream_id;
      std::uint64_t first_version;
      std::string positions;  // the stream index value
    };
    std::vector<Run> runs;  // first-write order
  };
  std::optional<Append> current;
  // Until the last batch, the store is marked as an unfinished import, which
  // open() refuses: an interrupted import must be deleted and redone.
  batch.Put(meta_, kImportMarkerKey, "in progress");
  auto finish_append = [&] {
    if (!current) return;
    for (const auto& run : current->runs) {
      const std::uint64_t last = run.first_version + run.positions.size() / 8 - 1;
      batch.Put(streams_, keys::stream_run_key(run.stream_id, run.first_version), run.positions);
      current->result.streams.push_back(StreamWrite{run.stream_id, run.first_version, last});
    }
    batch.Put(commands_, current->command_id, keys::encode_append_result(current->result));
    current.reset();
  };
  auto flush = [&](bool sync) -> Status {
    batch.Put(meta_, keys::kHeadKey, keys::encode_head(head));
    rocksdb::WriteOptions options;
    options.sync = sync;
    rocksdb::Status status = db_->Write(options, &batch);
    batch.Clear();
    in_batch = 0;
    if (!status.ok()) return from_rocks(status, "importing");
    return ok_status();
  };

  for (;;) {
    auto bytes = next();
    if (!bytes) return bytes.error();
    if (!bytes->has_value()) break;
    const std::uint64_t position = head.position + 1;
    if (!verifier.check(position, **bytes)) {
      return Error{"corruption", "position " + std::to_string(verifier.report().bad_position), verifier.report().reason};
    }
    auto record = RecordView::parse(std::move(**bytes), position);
    if (!record) return record.error();
    const std::string stream_id(record->stream_id());
    if (record->stream_version() != versions[stream_id] + 1) {
      return Error{"corruption", "position " + std::to_string(position),
                   "stream '" + stream_id + "' jumps from version " + std::to_string(versions[stream_id]) + " to " +
                       std::to_string(record->stream_version())};
    }
    versions[stream_id] = record->stream_version();
    if (!current || current->command_id != record->command_id()) {
      finish_append();
      current.emplace();
      current->command_id = std::string(record->command_id());
      current->result.first_position = position;
    }
    current->result.last_position = position;
    char key[8];
    keys::encode_u64(key, position);
    auto run = std::find_if(current->runs.begin(), current->runs.end(),
                            [&](const auto& r) { return r.stream_id == stream_id; });
    if (run == current->runs.end()) {
      current->runs.push_back({stream_id, record->stream_version(), std::string()});
      run = current->runs.end() - 1;
    }
    run->positions.append(key, 8);
    batch.Put(log_, rocksdb::Slice(key, 8), record->bytes());
    head.position = position;
    head.hash = record->hash();
    head.recorded_at_us = record->recorded_at_us();
    if (++in_batch >= kBatchRecords) {
      if (Status s = flush(false); !s) return s.error();
    }
  }
  finish_append();
  batch.Delete(meta_, kImportMarkerKey);
  if (Status s = flush(true); !s) return s.error();
  {
    std::lock_guard lock(head_mutex_);
    head_ = head;
  }
  head_changed_.notify_all();
  return head;
}

Result<std::optional<AppendResult>> EventStore::Impl::find_command(const std::string& command_id) const {
  std::shared_lock lock(db_mutex_);
  std::string stored;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), commands_, command_id, &stored);
  if (status.IsNotFound()) return std::optional<AppendResult>();
  if (!status.ok()) return from_rocks(status, "looking up the command id");
  auto first = keys::decode_append_result(stored);
  if (!first) return Error{"corruption", "command_id", "stored result of this command is malformed"};
  first->deduplicated = true;
  return first;
}

Result<std::vector<StreamHead>> EventStore::Impl::stream_heads(const std::string& after, std::size_t max_count) const {
  std::vector<StreamHead> heads;
  max_count = std::min(max_count, options_.limits.max_read_batch);
  std::shared_lock lock(db_mutex_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  it->Seek(after.empty() ? std::string() : keys::stream_index_next_stream(after));
  while (it->Valid() && heads.size() < max_count) {
    const std::string_view key = it->key().ToStringView();
    const auto separator = key.find('\0');
    if (separator == std::string_view::npos) return Error{"corruption", "stream_index", "malformed index key"};
    std::string stream_id(key.substr(0, separator));
    auto version = stream_head_locked(stream_id);
    if (!version) return version.error();
    it->Seek(keys::stream_index_next_stream(stream_id));
    heads.push_back(StreamHead{std::move(stream_id), *version});
  }
  if (!it->status().ok()) return from_rocks(it->status(), "listing stream heads");
  return heads;
}

// ---- EventStore ------------------------------------------------------------

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;

Result<std::unique_ptr<EventStore>> EventStore::open(const std::string& dir, Options options) {
  const bool verify = options.verify_chain_on_open;
  if (verify) {
    // Walk the chain before taking the write lock; a store that does not exist yet has nothing to walk.
    auto probe = rocksdb::Env::Default()->FileExists(dir + "/CURRENT");
    if (probe.ok()) {
      auto report = verify_store(dir);
      if (!report) return report.error();
      if (!report->ok) {
        return Error{"corruption", "position",
                     "hash chain broken at position " + std::to_string(report->bad_position) + ": " + report->reason};
      }
    }
  }
  options.verify_chain_on_open = false;
  auto impl = std::make_unique<Impl>(dir, std::move(options));
  if (auto opened = impl->open(false); !opened) return opened.error();
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

Result<std::unique_ptr<EventStore>> EventStore::open_read_only(const std::string& dir, Options options) {
  options.verify_chain_on_open = false;
  auto impl = std::make_unique<Impl>(dir, std::move(options));
  if (auto opened = impl->open(true); !opened) return opened.error();
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

Result<AppendResult> EventStore::append(AppendRequest request) { return impl_->append(std::move(request)); }
void EventStore::append_async(AppendRequest request, AppendCallback done) {
  impl_->append_async(std::move(request), std::move(done));
}

Result<std::vector<RecordView>> EventStore::read_stream(const std::string& stream_id, std::uint64_t from_version,
                                                        Direction direction, std::size_t max_count) const {
  return impl_->read_stream(stream_id, from_version, direction, max_count);
}
Result<std::vector<RecordView>> EventStore::read_all(std::uint64_t from_position, std::size_t max_count) const {
  return impl_->read_all(from_position, max_count);
}
Result<RecordView> EventStore::read_at(std::uint64_t position) const { return impl_->read_at(position); }
Result<std::uint64_t> EventStore::stream_version(const std::string& stream_id) const {
  return impl_->stream_version(stream_id);
}
Result<Head> EventStore::import_records(const std::function<Result<std::optional<std::string>>()>& next) {
  return impl_->import_records(next);
}
Result<std::optional<AppendResult>> EventStore::find_command(const std::string& command_id) const {
  return impl_->find_command(command_id);
}
Result<std::vector<StreamHead>> EventStore::stream_heads(const std::string& after_stream_id,
                                                         std::size_t max_count) const {
  return impl_->stream_heads(after_stream_id, max_count);
}
Head EventStore::head() const { return impl_->head(); }
WriteStats EventStore::write_stats() const { return impl_->write_stats(); }
std::unique_ptr<Subscription> EventStore::subscribe(std::uint64_t from_position) {
  return std::make_unique<Subscription>(*this, from_position);
}
std::uint64_t EventStore::wait_for_position(std::uint64_t position, std::chrono::milliseconds timeout) const {
  return impl_->wait_for_position(position, timeout);
}
const Limits& EventStore::limits() const { return impl_->options().limits; }
const std::string& EventStore::directory() const { return impl_->dir(); }

}  // namespace spine::store
