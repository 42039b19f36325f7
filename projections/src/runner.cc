#include "spine/projections/runner.h"

#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>

#include "batch_writer.h"
#include "worker_thread.h"
#include "rows.h"
#include "spine/domain/events.h"

namespace spine::projections {
namespace {

using internal::BatchWriter;

using internal::position_key;

using Clock = std::chrono::steady_clock;

// Records per apply chunk: a chunk's records and decoded events (~150 KiB)
// stay in the core's cache while each projection of a lane applies them.
constexpr std::size_t kApplyChunkRecords = 256;

Error db_error(const rocksdb::Status& status, std::string what) {
  return Error{"projection_db_error", "", what + ": " + status.ToString()};
}

// Key prefixes of the projection database (docs/projections.md).
std::string checkpoint_key(std::string_view name) { return "c/" + std::string(name); }
std::string row_prefix(std::string_view name) { return "r/" + std::string(name) + "/"; }
std::string delta_prefix(std::string_view name) { return "d/" + std::string(name) + "/"; }
std::string delta_prefix(std::string_view name, std::uint64_t interval_end) {
  return delta_prefix(name) + position_key(interval_end) + "/";
}
std::string snapshot_marker_prefix(std::string_view name) { return "m/" + std::string(name) + "/"; }
// The layout of the database and the snapshot interval its deltas follow; a
// database of another layout or interval is emptied and rebuilt at open.
constexpr std::string_view kLayoutKey = "layout";
std::string layout_value(std::uint64_t snapshot_every) { return "5 " + std::to_string(snapshot_every); }

// The end of the snapshot interval holding `position` (intervals are
// (k * every, (k + 1) * every]).
std::uint64_t interval_end(std::uint64_t position, std::uint64_t every) { return (position + every - 1) / every * every; }

// The smallest key greater than every key starting with `prefix`.
std::string prefix_end(std::string prefix) {
  assert(!prefix.empty() && prefix.back() != '\xff');
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string encode_checkpoint(std::uint32_t version, std::uint64_t position) {
  return std::to_string(version) + " " + std::to_string(position);
}

bool decode_checkpoint(std::string_view text, std::uint32_t& version, std::uint64_t& position) {
  unsigned long long v = 0, p = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%llu %llu", &v, &p) != 2) return false;
  version = static_cast<std::uint32_t>(v);
  position = p;
  return true;
}

// Puts each row under `prefix`.
class BatchSink : public RowSink {
 public:
  BatchSink(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family, std::string prefix)
      : batch_(batch), family_(family), prefix_(std::move(prefix)) {}
  void put(std::string_view key, std::string_view value) override {
    key_.assign(prefix_).append(key);
    batch_.Put(family_, key_, rocksdb::Slice(value.data(), value.size()));
  }
  void append(std::string_view key, std::string_view bytes) override {
    key_.assign(prefix_).append(key);
    batch_.Merge(family_, key_, rocksdb::Slice(bytes.data(), bytes.size()));
  }

 private:
  rocksdb::WriteBatch& batch_;
  rocksdb::ColumnFamilyHandle* family_;
  std::string prefix_;
  std::string key_;
};

// Decodes a record's payload once for all projections.
struct DecodedRecord {
  Result<shop::EventBodyUnion> event;
  explicit DecodedRecord(const store::RecordView& record)
      : event(domain::decode_event(record.payload(), record.event_type())) {}
  EventContext context(const store::RecordView& record) const {
    return EventContext{record, event.ok() ? &event.value() : nullptr, event.ok() ? nullptr : &event.error()};
  }
};

// A batch of records from the log, each decoded once for all projections.
struct ReadBatch {
  std::vector<store::RecordView> records;
  std::vector<DecodedRecord> decoded;  // one per record
};

Status apply_named(Projection& projection, const EventContext& context) {
  Status status = projection.apply(context);
  if (status.ok()) return status;
  Error error = status.error();
  error.message = "projection " + std::string(projection.name()) + " failed on position " +
                  std::to_string(context.position()) + " (" + std::string(context.record.event_type()) +
                  "): " + error.message;
  return error;
}

// RowSink::append as a RocksDB merge: the operands of a row, oldest first,
// concatenated onto its value. Concatenation is associative, so RocksDB may
// combine operands at any time (flush, compaction, read) and the value read
// back is the same bytes however the appends were batched.
class AppendOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "spine.Append"; }
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::size_t size = in.existing_value == nullptr ? 0 : in.existing_value->size();
    for (const rocksdb::Slice& operand : in.operand_list) size += operand.size();
    out->new_value.clear();
    out->new_value.reserve(size);
    if (in.existing_value != nullptr) out->new_value.append(in.existing_value->data(), in.existing_value->size());
    for (const rocksdb::Slice& operand : in.operand_list) out->new_value.append(operand.data(), operand.size());
    return true;
  }
  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands, std::string* merged,
                         rocksdb::Logger*) const override {
    merged->clear();
    for (const rocksdb::Slice& operand : operands) merged->append(operand.data(), operand.size());
    return true;
  }
};

// Turns RocksDB's own background recovery off: after a failed write the
// runner calls DB::Resume() itself before its next cycle, at a known point.
class ManualRecovery : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

}  // namespace

struct Slot {
  std::string name;  // the projection's (fixed)
  std::unique_ptr<Projection> projection;
  std::uint64_t position = 0;  // last record applied in memory
  std::uint64_t unwritten = 0;  // records applied since its rows and checkpoint were last handed to the writer
  bool failed = false;
  std::uint64_t failed_position = 0;
  std::string error;
  // Throughput sampling.
  std::uint64_t applied_total = 0;
  std::uint64_t sample_applied = 0;
  Clock::time_point sample_time = Clock::now();
  double rate = 0;
  double apply_cost = 0;  // seconds per batch (moving average): how the lanes are balanced
  // Guarded by Impl::progress_mutex_: waiters read them without the state lock.
  std::uint64_t written = 0;  // last position whose rows and checkpoint are in the database
  bool stopped = false;       // `failed`, as waiters see it
};

class ProjectionRunner::Impl {
 public:
  Impl(store::EventStore& store, std::unique_ptr<rocksdb::DB> db, rocksdb::ColumnFamilyHandle* deltas,
       RunnerOptions options)
      : store_(store), db_(std::move(db)), deltas_(deltas), options_(options),
        writer_(std::make_unique<internal::BatchWriter>(*db_)) {}
  // A batch still queued is written, and its callback run, while the slots
  // and the progress mutex it touches still exist.
  ~Impl() {
    writer_.reset();
    stop_reading_ahead();
    db_->DestroyColumnFamilyHandle(deltas_);
  }

  Status load(std::vector<std::unique_ptr<Projection>> projections) {
    if (Status s = check_layout(); !s.ok()) return s;
    for (auto& projection : projections) {
      assert(projection->name().find('/') == std::string_view::npos);
      Slot slot;
      slot.name = std::string(projection->name());
      slot.projection = std::move(projection);
      if (Status s = load_slot(slot); !s.ok()) return s;
      slots_.push_back(std::move(slot));
    }
    return ok_status();
  }

  // Reads the checkpoint and (for in-memory projections) the rows of `slot`;
  // drops everything stored under another version.
  Status load_slot(Slot& slot) {
    Projection& projection = *slot.projection;
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), checkpoint_key(projection.name()), &value);
    std::uint32_t version = 0;
    std::uint64_t position = 0;
    if (s.ok()) {
      if (!decode_checkpoint(value, version, position)) {
        return Error{"projection_db_corrupt", checkpoint_key(projection.name()), "unreadable checkpoint"};
      }
    } else if (!s.IsNotFound()) {
      return db_error(s, "reading a checkpoint");
    }
    if (!s.ok() || version != projection.version()) {
      if (Status dropped = drop_rows(projection.name()); !dropped.ok()) return dropped;
      position = 0;
    }
    slot.position = position;
    publish(slot);
    if (position == 0) return ok_status();
    if (!projection.in_memory()) return ok_status();
    // Its rows: under r/ (no snapshot intervals), or the deltas of every
    // interval in order, the current one last (see write_rows).
    auto load_row = [&](std::string_view key, std::string_view row) { return projection.load_row(key, row); };
    if (Status s = for_each(row_prefix(projection.name()), nullptr, load_row); !s.ok()) return s;
    return for_each_delta_row(projection.name(), nullptr, load_row);
  }

  Status drop_rows(std::string_view name) {
    rocksdb::WriteBatch batch;
    for (const std::string& prefix : {row_prefix(name), snapshot_marker_prefix(name)}) {
      batch.DeleteRange(prefix, prefix_end(prefix));
    }
    batch.DeleteRange(deltas_, delta_prefix(name), prefix_end(delta_prefix(name)));
    batch.Delete(checkpoint_key(name));
    rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
    return s.ok() ? ok_status() : Status(db_error(s, "dropping rows"));
  }

  // Visits the rows under `prefix` (and before `end`, when given), stripped
  // of the prefix; stops at the first error.
  Status for_each(const std::string& prefix, const rocksdb::Snapshot* snapshot,
                  const std::function<Status(std::string_view, std::string_view)>& visit,
                  const std::string& before = {}, rocksdb::ColumnFamilyHandle* family = nullptr) const {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    const std::string end = before.empty() ? prefix_end(prefix) : before;
    rocksdb::Slice upper(end);
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family == nullptr ? db_->DefaultColumnFamily() : family));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      const rocksdb::Slice value = it->value();
      Status s = visit(std::string_view(key.data() + prefix.size(), key.size() - prefix.size()),
                       std::string_view(value.data(), value.size()));
      if (!s.ok()) return s;
    }
    return it->status().ok() ? ok_status() : Status(db_error(it->status(), "reading rows"));
  }

  // Makes waiters see what the database holds for `slot` (its position
  // right after a load, when memory and database agree).
  void publish(Slot& slot) {
    {
      std::lock_guard lock(progress_mutex_);
      slot.written = slot.position;
      slot.stopped = slot.failed;
    }
    progress_cv_.notify_all();
  }

  // Waits for every submitted batch. If one failed, nothing after it was
  // written: every projection goes back to its stored state (the error is
  // in its status) and the error is returned.
  Status finish_writes() {
    const rocksdb::Status written = writer_->drain();
    if (written.ok()) return ok_status();
    needs_resume_ = true;
    std::unique_lock state(state_mutex_);
    for (Slot& slot : slots_) reload_after_error(slot, "projection database write failed: " + written.ToString());
    return db_error(written, "writing projection rows");
  }

  // Visits the delta rows of `name` (row key without the interval), interval
  // by interval; with `last_interval_end`, only intervals ending at or
  // before it.
  Status for_each_delta_row(std::string_view name, const rocksdb::Snapshot* snapshot,
                            const std::function<Status(std::string_view, std::string_view)>& visit,
                            std::uint64_t last_interval_end = 0) const {
    constexpr std::size_t kIntervalDigits = 16;
    return for_each(
        delta_prefix(name), snapshot,
        [&](std::string_view key, std::string_view row) -> Status {
          if (key.size() <= kIntervalDigits || key[kIntervalDigits] != '/') {
            return Error{"projection_db_corrupt", std::string(key), "malformed delta row key"};
          }
          return visit(key.substr(kIntervalDigits + 1), row);
        },
        last_interval_end == 0 ? std::string() : prefix_end(delta_prefix(name, last_interval_end)), deltas_);
  }

  void handle_rebuild_requests() {
    std::vector<std::string> requests;
    {
      std::lock_guard lock(rebuild_mutex_);
      requests.swap(rebuild_requests_);
    }
    if (requests.empty()) return;
    (void)finish_writes();  // no batch may land after the drop; a failure is in the statuses
    std::unique_lock state(state_mutex_);
    for (const std::string& name : requests) {
      Slot* slot = find(name);
      if (slot == nullptr) continue;
      if (!drop_rows(name).ok()) continue;  // stays as it was; retried on the next request
      slot->projection = slot->projection->fresh();
      slot->position = 0;
      slot->unwritten = 0;
      slot->failed = false;
      slot->error.clear();
      slot->failed_position = 0;
      publish(*slot);
    }
  }

  Slot* find(std::string_view name) {
    for (Slot& slot : slots_) {
      if (slot.projection->name() == name) return &slot;
    }
    return nullptr;
  }
  const Slot* find(std::string_view name) const { return const_cast<Impl*>(this)->find(name); }

  // The next position some healthy projection needs, or 0 when none does.
  std::uint64_t next_needed() const {
    std::uint64_t next = 0;
    for (const Slot& slot : slots_) {
      if (slot.failed) continue;
      if (next == 0 || slot.position + 1 < next) next = slot.position + 1;
    }
    return next;
  }

  // One cycle: read a bounded batch, apply it, write rows and checkpoints.
  // Returns the number of records read.
  Result<std::size_t> step(std::chrono::milliseconds wait) {
    if (writer_->failed()) {
      if (Status s = finish_writes(); !s.ok()) return s.error();
    }
    if (needs_resume_) {
      // RocksDB refuses writes after a failed one until resumed.
      if (rocksdb::Status resumed = db_->Resume(); !resumed.ok()) return db_error(resumed, "resuming after a failed write");
      needs_resume_ = false;
    }
    handle_rebuild_requests();
    const std::uint64_t from = next_needed();
    if (from == 0) return std::size_t{0};
    if (store_.head().position < from) {
      // Caught up: what catch-up deferred is written before waiting.
      if (Status s = write_deferred(); !s.ok()) return s.error();
      store_.wait_for_position(from, wait);
      if (store_.head().position < from) return std::size_t{0};
    }
    Result<ReadBatch> batch = take_batch(from);
    if (!batch.ok()) return batch.error();
    if (batch->records.empty()) return std::size_t{0};
    // A full batch means the runner is behind: the batches that follow are
    // read and decoded on the reader thread while this one is applied, and
    // the projections may defer their writes (should_write).
    const bool behind = batch->records.size() == batch_limit(from);
    if (behind && !reading_ahead_) read_ahead(batch->records.back().position() + 1);
    const Status applied = apply_and_write(batch->records, batch->decoded, behind);
    const std::size_t count = batch->records.size();
    retire(std::move(*batch));
    if (!applied.ok()) return applied.error();
    return count;
  }

  // Frees an applied batch on the thread that allocated it: the reader
  // takes it before its next read (a free on the allocating thread stays in
  // its malloc cache). Without a read-ahead in progress it is freed here.
  void retire(ReadBatch batch) {
    if (!reading_ahead_) return;  // `batch` is freed here
    {
      std::lock_guard lock(ahead_mutex_);
      retired_.push_back(std::move(batch));
    }
    ahead_cv_.notify_all();
  }

  // How many records the batch starting at `from` may hold: at most
  // batch_records, and never past the end of a snapshot interval.
  std::size_t batch_limit(std::uint64_t from) const {
    std::size_t limit = options_.batch_records;
    if (options_.snapshot_every > 0) {
      const std::uint64_t next_snapshot = ((from - 1) / options_.snapshot_every + 1) * options_.snapshot_every;
      limit = static_cast<std::size_t>(std::min<std::uint64_t>(limit, next_snapshot - from + 1));
    }
    return limit;
  }

  // Reads and decodes the batch starting at `from` (runs on either thread).
  Result<ReadBatch> read_batch(std::uint64_t from) const {
    auto records = store_.read_all(from, batch_limit(from));
    if (!records.ok()) return records.error();
    ReadBatch batch;
    batch.records = std::move(*records);
    batch.decoded.reserve(batch.records.size());
    for (const store::RecordView& record : batch.records) batch.decoded.emplace_back(record);
    return batch;
  }

  // The batch starting at `from`: the next one read ahead if it starts
  // there (the log never changes under it), else read now (the read-ahead,
  // which followed another path, is stopped and its batches dropped).
  Result<ReadBatch> take_batch(std::uint64_t from) {
    if (reading_ahead_) {
      std::unique_lock lock(ahead_mutex_);
      ahead_cv_.wait(lock, [&] { return !ready_.empty() || reader_done_; });
      if (!ready_.empty() && ready_.front().first == from) {
        Result<ReadBatch> batch = std::move(ready_.front().second);
        ready_.pop_front();
        lock.unlock();
        ahead_cv_.notify_all();
        return batch;
      }
      lock.unlock();
      stop_reading_ahead();
    }
    return read_batch(from);
  }

  // Starts the reader thread on the batches from `from` on: it reads and
  // decodes batch after batch, at most kReadAheadBatches waiting, until a
  // batch is not full (the head) or it is stopped.
  void read_ahead(std::uint64_t from) {
    assert(!reading_ahead_);
    reading_ahead_ = true;
    reader_done_ = false;
    stop_reader_ = false;
    reader_.run([this, from] { read_ahead_loop(from); });
  }

  void read_ahead_loop(std::uint64_t from) {
    while (true) {
      std::vector<ReadBatch> retired;
      {
        std::unique_lock lock(ahead_mutex_);
        ahead_cv_.wait(lock, [&] { return ready_.size() < kReadAheadBatches || stop_reader_; });
        if (stop_reader_) break;
        retired.swap(retired_);
      }
      retired.clear();  // freed on this thread, which allocated them
      Result<ReadBatch> batch = read_batch(from);
      const bool full = batch.ok() && batch->records.size() == batch_limit(from);
      const std::uint64_t next = full ? batch->records.back().position() + 1 : 0;
      {
        std::lock_guard lock(ahead_mutex_);
        ready_.emplace_back(from, std::move(batch));
      }
      ahead_cv_.notify_all();
      if (!full) break;
      from = next;
    }
    {
      std::lock_guard lock(ahead_mutex_);
      reader_done_ = true;
    }
    ahead_cv_.notify_all();
  }

  // Stops the reader thread and drops what it read and did not hand over.
  void stop_reading_ahead() {
    if (!reading_ahead_) return;
    {
      std::lock_guard lock(ahead_mutex_);
      stop_reader_ = true;
    }
    ahead_cv_.notify_all();
    reader_.wait();
    reading_ahead_ = false;
    ready_.clear();
    retired_.clear();
  }

  // Applies `records` to every projection that needs them and hands the
  // changed rows and checkpoints to the writer; returns once they are handed
  // over (they are written while the next batch is applied). The projections
  // are split in two lanes, applied side by side: the helper thread takes
  // the costliest (by measured apply time) and this thread the rest. Each
  // lane's rows and checkpoints go in one WriteBatch, so each projection's
  // rows and checkpoint are always written together.
  Status apply_and_write(const std::vector<store::RecordView>& records, const std::vector<DecodedRecord>& decoded,
                         bool behind) {
    std::unique_lock state(state_mutex_);
    std::vector<std::uint64_t> applied(slots_.size(), 0);
    std::vector<char> failed_now(slots_.size(), 0);
    std::array<std::vector<std::size_t>, 2> lanes = assign_lanes();
    std::array<BatchWriter::Write, 2> writes;
    std::array<std::vector<std::pair<Slot*, std::uint64_t>>, 2> positions;  // what each batch writes
    // Records are applied in chunks small enough to stay in the core's cache
    // while every projection of the lane takes them in turn; a projection's
    // apply cost is the sum of its chunks.
    auto run_lane = [&](std::size_t lane) {
      std::vector<double> cost(lanes[lane].size(), 0.0);
      for (std::size_t chunk = 0; chunk < records.size(); chunk += kApplyChunkRecords) {
        const std::size_t chunk_end = std::min(records.size(), chunk + kApplyChunkRecords);
        for (std::size_t k = 0; k < lanes[lane].size(); ++k) {
          const std::size_t i = lanes[lane][k];
          Slot& slot = slots_[i];
          if (slot.failed) continue;
          const auto started = Clock::now();
          apply_records(slot, records, decoded, chunk, chunk_end, applied[i], failed_now[i]);
          cost[k] += std::chrono::duration<double>(Clock::now() - started).count();
        }
      }
      for (std::size_t k = 0; k < lanes[lane].size(); ++k) {
        const std::size_t i = lanes[lane][k];
        Slot& slot = slots_[i];
        if (!failed_now[i] && applied[i] > 0) {
          slot.unwritten += applied[i];
          slot.applied_total += applied[i];
          sample_rate(slot);
        }
        if (!failed_now[i] && should_write(slot, behind)) {
          write_rows(slot, writes[lane].batch);
          positions[lane].emplace_back(&slot, slot.position);
        }
        slot.apply_cost = 0.8 * slot.apply_cost + 0.2 * cost[k];
      }
    };
    if (!lanes[1].empty()) helper_.run([&] { run_lane(1); });
    run_lane(0);
    if (!lanes[1].empty()) helper_.wait();
    state.unlock();

    std::vector<BatchWriter::Write> handed_over;
    for (std::size_t lane = 0; lane < 2; ++lane) {
      if (positions[lane].empty()) continue;
      handed_over.push_back(written_when_done(std::move(writes[lane]), std::move(positions[lane])));
    }
    const bool any_failed = std::find(failed_now.begin(), failed_now.end(), 1) != failed_now.end();
    const bool handed = handed_over.empty() || writer_->submit(std::move(handed_over));
    if (!handed || any_failed) {
      // A refused batch means an earlier one failed; a projection that failed
      // now restarts from what is stored, so everything before must be written.
      if (Status s = finish_writes(); !s.ok()) return s;
    }
    if (!any_failed) return ok_status();
    state.lock();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!failed_now[i]) continue;
      // Its unflushed state is discarded: it restarts from what is stored.
      Slot& slot = slots_[i];
      const std::string error = slot.error;
      const std::uint64_t failed_position = slot.failed_position;
      reload_after_error(slot, error);
      slot.failed = true;
      slot.failed_position = failed_position;
      publish(slot);
    }
    return ok_status();
  }

  // Whether `slot`'s applied records are written now. Live, after every
  // batch. While the runner is behind, a projection writes once per
  // catch_up_write_every records it applies, and at each snapshot
  // interval's end (its delta must be complete there): the rows a batch
  // changes again in the next one are written once, and a crash replays at
  // most that many records. What is deferred is written as soon as the
  // runner catches up (write_deferred).
  bool should_write(const Slot& slot, bool behind) const {
    if (slot.unwritten == 0) return false;
    if (!behind || slot.unwritten >= options_.catch_up_write_every) return true;
    return options_.snapshot_every > 0 && slot.position == interval_end(slot.position, options_.snapshot_every);
  }

  // `write` with a callback that publishes `positions` (slot, checkpoint
  // written) to waiters once the batch is in the database.
  BatchWriter::Write written_when_done(BatchWriter::Write write, std::vector<std::pair<Slot*, std::uint64_t>> positions) {
    write.on_written = [this, written = std::move(positions)] {
      {
        std::lock_guard lock(progress_mutex_);
        for (const auto& [slot, position] : written) slot->written = position;
      }
      progress_cv_.notify_all();
    };
    return write;
  }

  // Hands every healthy projection's deferred rows and checkpoint to the
  // writer (one WriteBatch). Called once the runner has caught up, and
  // before catch_up() or stop() return.
  Status write_deferred() {
    std::unique_lock state(state_mutex_);
    BatchWriter::Write write;
    std::vector<std::pair<Slot*, std::uint64_t>> positions;
    for (Slot& slot : slots_) {
      if (slot.failed || slot.unwritten == 0) continue;
      write_rows(slot, write.batch);
      positions.emplace_back(&slot, slot.position);
    }
    state.unlock();
    if (positions.empty()) return ok_status();
    std::vector<BatchWriter::Write> handed_over;
    handed_over.push_back(written_when_done(std::move(write), std::move(positions)));
    if (!writer_->submit(std::move(handed_over))) return finish_writes();  // an earlier write failed
    return ok_status();
  }

  // Applies records [begin, end) that `slot` has not applied yet, counting
  // them in `applied`; on a failure marks the slot failed (and `failed_now`)
  // and stops.
  static void apply_records(Slot& slot, const std::vector<store::RecordView>& records,
                            const std::vector<DecodedRecord>& decoded, std::size_t begin, std::size_t end,
                            std::uint64_t& applied, char& failed_now) {
    for (std::size_t r = begin; r < end; ++r) {
      const std::uint64_t position = records[r].position();
      if (slot.position >= position) continue;
      Status s = apply_named(*slot.projection, decoded[r].context(records[r]));
      if (!s.ok()) {
        slot.failed = true;
        slot.failed_position = position;
        slot.error = s.error().to_string();
        failed_now = 1;
        return;
      }
      slot.position = position;
      ++applied;
    }
  }

  // The changed rows and the checkpoint of `slot` into `batch`. An
  // in-memory projection's rows go to its snapshot interval's delta, and the
  // batch that ends an interval marks it complete (a batch never crosses an
  // interval's end: step() cuts it there); other rows go under r/.
  void write_rows(Slot& slot, rocksdb::WriteBatch& batch) {
    Projection& projection = *slot.projection;
    const bool deltas = projection.in_memory() && options_.snapshot_every > 0;
    const std::uint64_t end = deltas ? interval_end(slot.position, options_.snapshot_every) : 0;
    BatchSink rows(batch, deltas ? deltas_ : db_->DefaultColumnFamily(),
                   deltas ? delta_prefix(projection.name(), end) : row_prefix(projection.name()));
    projection.take_changed_rows(rows);
    batch.Put(checkpoint_key(projection.name()), encode_checkpoint(projection.version(), slot.position));
    slot.unwritten = 0;
    if (deltas && slot.position == end) batch.Put(snapshot_marker_prefix(projection.name()) + position_key(end), "");
  }

  // Empties a database of another layout or snapshot interval (its
  // projections are then rebuilt from 0) and records the current one.
  Status check_layout() {
    const std::string expected = layout_value(options_.snapshot_every);
    std::string stored;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(kLayoutKey), &stored);
    if (s.ok() && stored == expected) return ok_status();
    if (!s.ok() && !s.IsNotFound()) return db_error(s, "reading the layout");
    rocksdb::WriteBatch batch;
    batch.DeleteRange(std::string(1, '\0'), std::string(1, '\x7f'));
    batch.DeleteRange(deltas_, std::string(1, '\0'), std::string(1, '\x7f'));
    batch.Put(std::string(kLayoutKey), expected);
    s = db_->Write(rocksdb::WriteOptions(), &batch);
    return s.ok() ? ok_status() : Status(db_error(s, "resetting the layout"));
  }

  // Splits the healthy projections in two lanes of about equal measured cost
  // (largest first, each to the lighter lane; the helper's lane 1 wins ties,
  // since this thread also reads and decodes the batch).
  std::array<std::vector<std::size_t>, 2> assign_lanes() const {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].failed) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return slots_[a].apply_cost > slots_[b].apply_cost; });
    std::array<std::vector<std::size_t>, 2> lanes;
    std::array<double, 2> load{0, 0};
    for (std::size_t i : order) {
      const std::size_t lane = load[1] <= load[0] ? 1 : 0;
      lanes[lane].push_back(i);
      load[lane] += std::max(slots_[i].apply_cost, 1e-9);
    }
    if (lanes[0].empty()) std::swap(lanes[0], lanes[1]);
    return lanes;
  }

  void reload_after_error(Slot& slot, const std::string& error) {
    slot.projection = slot.projection->fresh();
    slot.unwritten = 0;
    Status s = load_slot(slot);
    slot.error = s.ok() ? error : error + "; reload: " + s.error().to_string();
  }

  static void sample_rate(Slot& slot) {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - slot.sample_time).count();
    if (elapsed < 1.0) return;
    slot.rate = static_cast<double>(slot.applied_total - slot.sample_applied) / elapsed;
    slot.sample_applied = slot.applied_total;
    slot.sample_time = now;
  }

  static constexpr std::chrono::milliseconds kStopCheck{50};  // how soon a waiting runner sees stop()
  void run() {
    while (!stopping_.load()) {
      auto stepped = step(options_.live_wait);
      if (!stepped.ok()) {
        std::unique_lock state(state_mutex_);
        last_error_ = stepped.error().to_string();
        state.unlock();
        for (auto waited = std::chrono::milliseconds(0); waited < options_.retry_wait && !stopping_.load();
             waited += kStopCheck) {
          std::this_thread::sleep_for(kStopCheck);
        }
      }
    }
  }

  store::EventStore& store_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* deltas_;  // the "deltas" family (see open)
  RunnerOptions options_;
  std::unique_ptr<internal::BatchWriter> writer_;  // after db_: stopped before it closes
  internal::WorkerThread helper_{"spine-projapply"};  // applies the second lane
  // Read-ahead (the runner's thread and reader_): batches read and decoded
  // on reader_ while earlier ones are applied, handed over through ready_.
  static constexpr std::size_t kReadAheadBatches = 2;  // read, waiting to be applied (at most)
  bool reading_ahead_ = false;  // the runner's thread only: reader_ runs read_ahead_loop
  std::mutex ahead_mutex_;      // guards the four below
  std::condition_variable ahead_cv_;
  std::deque<std::pair<std::uint64_t, Result<ReadBatch>>> ready_;  // (first position, batch), in log order
  std::vector<ReadBatch> retired_;  // applied, to be freed by reader_
  bool reader_done_ = false;        // read_ahead_loop has returned
  bool stop_reader_ = false;
  internal::WorkerThread reader_{"spine-projread"};  // after what it uses: stopped before they go
  std::vector<Slot> slots_;                        // fixed after load
  bool needs_resume_ = false;                      // a write failed: DB::Resume() before the next (runner thread)
  mutable std::shared_mutex state_mutex_;   // held exclusively while applying a batch
  mutable std::mutex progress_mutex_;       // guards each slot's `written` and `stopped`
  mutable std::condition_variable progress_cv_;
  std::mutex rebuild_mutex_;
  std::vector<std::string> rebuild_requests_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::string last_error_;
};

ProjectionRunner::ProjectionRunner(store::EventStore& store, std::unique_ptr<Impl> impl)
    : store_(store), impl_(std::move(impl)) {}

ProjectionRunner::~ProjectionRunner() { stop(); }

Result<std::unique_ptr<ProjectionRunner>> ProjectionRunner::open(store::EventStore& store, const std::string& dir,
                                                                 std::vector<std::unique_ptr<Projection>> projections,
                                                                 RunnerOptions options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  if (options.env) db_options.env = options.env.get();
  db_options.listeners.push_back(std::make_shared<ManualRecovery>());
  db_options.info_log = store::make_rocksdb_logger("projections", options.rocksdb_log_level);
  // The "deltas" family takes the vector memtable (no skiplist): its inserts
  // are appends, sorted once when the memtable is flushed. It holds the
  // in-memory projections' interval deltas, which are only read at open and
  // by as-of (an iterator over a vector memtable sorts a copy of it).
  db_options.allow_concurrent_memtable_write = false;  // only the skiplist supports it
  rocksdb::ColumnFamilyOptions rows_options;
  rows_options.compression = rocksdb::kLZ4Compression;
  rows_options.merge_operator = std::make_shared<AppendOperator>();
  rocksdb::ColumnFamilyOptions deltas_options = rows_options;
  deltas_options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rows_options}, {"deltas", deltas_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  std::error_code ignored;
  std::filesystem::create_directories(dir, ignored);  // made first: RocksDB logs an error for a folder it creates
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, families, &handles, &raw);
  if (!s.ok()) return db_error(s, "opening " + dir);
  std::unique_ptr<rocksdb::DB> db(raw);
  db->DestroyColumnFamilyHandle(handles[0]);  // the default family: db->DefaultColumnFamily()
  auto impl = std::make_unique<Impl>(store, std::move(db), handles[1], options);
  if (Status loaded = impl->load(std::move(projections)); !loaded.ok()) return loaded.error();
  return std::unique_ptr<ProjectionRunner>(new ProjectionRunner(store, std::move(impl)));
}

Status ProjectionRunner::catch_up() {
  if (impl_->thread_.joinable()) return Error{"runner_busy", "", "the runner is following the log in the background"};
  const std::uint64_t head = store_.head().position;
  while (true) {
    const std::uint64_t next = impl_->next_needed();
    if (next == 0 || next > head) break;
    auto stepped = impl_->step(std::chrono::milliseconds(0));
    if (!stepped.ok()) return stepped.error();
    if (*stepped == 0) break;
  }
  if (Status s = impl_->write_deferred(); !s.ok()) return s;
  return impl_->finish_writes();
}

void ProjectionRunner::start() {
  if (impl_->thread_.joinable()) return;
  impl_->stopping_ = false;
  impl_->thread_ = std::thread([this] { impl_->run(); });
}

void ProjectionRunner::stop() {
  if (!impl_ || !impl_->thread_.joinable()) return;
  impl_->stopping_ = true;
  impl_->thread_.join();
  (void)impl_->write_deferred();  // what catch-up deferred; a failure is in the statuses
  (void)impl_->finish_writes();
}

Status ProjectionRunner::rebuild(std::string_view name) {
  if (impl_->find(name) == nullptr) return Error{"not_found", "projection", "no projection " + std::string(name)};
  {
    std::lock_guard lock(impl_->rebuild_mutex_);
    impl_->rebuild_requests_.emplace_back(name);
  }
  if (!impl_->thread_.joinable()) impl_->handle_rebuild_requests();
  return ok_status();
}

std::vector<ProjectionStatus> ProjectionRunner::status() const {
  std::shared_lock state(impl_->state_mutex_);
  std::lock_guard progress(impl_->progress_mutex_);
  const std::uint64_t head = store_.head().position;
  std::vector<ProjectionStatus> out;
  for (const Slot& slot : impl_->slots_) {
    ProjectionStatus status;
    status.name = slot.name;
    status.version = slot.projection->version();
    status.position = slot.written;
    status.lag = head > slot.written ? head - slot.written : 0;
    const double idle = std::chrono::duration<double>(Clock::now() - slot.sample_time).count();
    status.events_per_second =
        idle > 2.0 ? static_cast<double>(slot.applied_total - slot.sample_applied) / idle : slot.rate;
    status.failed = slot.failed;
    status.failed_position = slot.failed_position;
    status.error = slot.error;
    out.push_back(std::move(status));
  }
  return out;
}

std::uint64_t ProjectionRunner::wait_for(std::uint64_t position, std::chrono::milliseconds timeout,
                                         std::string_view name) const {
  // Under progress_mutex_ only: a waiter never holds up the runner's apply.
  auto lowest = [&] {
    std::uint64_t low = UINT64_MAX;
    for (const Slot& slot : impl_->slots_) {
      if (!name.empty() && slot.name != name) continue;
      if (slot.stopped && name.empty()) continue;
      low = std::min(low, slot.written);
    }
    return low == UINT64_MAX ? 0 : low;
  };
  std::unique_lock progress(impl_->progress_mutex_);
  impl_->progress_cv_.wait_for(progress, timeout, [&] { return lowest() >= position; });
  return lowest();
}

Status ProjectionRunner::read(std::string_view name,
                              const std::function<void(const Projection&, std::uint64_t)>& reader) const {
  std::shared_lock state(impl_->state_mutex_);
  const Slot* slot = impl_->find(name);
  if (slot == nullptr) return Error{"not_found", "projection", "no projection " + std::string(name)};
  reader(*slot->projection, slot->position);
  return ok_status();
}

Result<std::unique_ptr<Projection>> ProjectionRunner::as_of(std::string_view name, std::uint64_t position) const {
  std::unique_ptr<Projection> projection;
  {
    std::shared_lock state(impl_->state_mutex_);
    const Slot* slot = impl_->find(name);
    if (slot == nullptr) return Error{"not_found", "projection", "no projection " + std::string(name)};
    if (!slot->projection->in_memory()) {
      return Error{"as_of_unsupported", "projection", std::string(name) + " is an index: filter its rows by position"};
    }
    projection = slot->projection->fresh();
  }
  if (position > store_.head().position) {
    return Error{"position_out_of_range", "as_of", "position " + std::to_string(position) + " is past the log head"};
  }
  // The state at the latest complete snapshot interval at or before
  // `position`: the deltas of every interval up to it, in order (a later
  // value of a row replaces an earlier one; an empty one erases it), read
  // from one consistent view.
  const rocksdb::Snapshot* view = impl_->db_->GetSnapshot();
  std::uint64_t snapshot_position = 0;
  Status s = impl_->for_each(snapshot_marker_prefix(name), view, [&](std::string_view key, std::string_view) {
    const std::uint64_t p = std::stoull(std::string(key), nullptr, 16);
    if (p <= position) snapshot_position = std::max(snapshot_position, p);
    return ok_status();
  });
  if (s.ok() && snapshot_position > 0) {
    s = impl_->for_each_delta_row(
        name, view, [&](std::string_view key, std::string_view row) { return projection->load_row(key, row); },
        snapshot_position);
  }
  impl_->db_->ReleaseSnapshot(view);
  if (!s.ok()) return s.error();
  if (position > snapshot_position) {
    s = store::for_each_record(store_, snapshot_position + 1, position, [&](const store::RecordView& record) {
      const DecodedRecord decoded(record);
      return apply_named(*projection, decoded.context(record));
    });
    if (!s.ok()) return s.error();
  }
  return projection;
}

Status ProjectionRunner::for_each_row(std::string_view prefix,
                                      const std::function<bool(std::string_view, std::string_view)>& visit) const {
  // The default family, then (for a prefix that can name them) the deltas.
  std::vector<rocksdb::ColumnFamilyHandle*> families = {impl_->db_->DefaultColumnFamily()};
  if (prefix.starts_with("d/") || std::string_view("d/").starts_with(prefix)) families.push_back(impl_->deltas_);
  const std::string start(prefix);
  for (rocksdb::ColumnFamilyHandle* family : families) {
    std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(rocksdb::ReadOptions(), family));
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      if (!visit(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()))) {
        return ok_status();
      }
    }
    if (!it->status().ok()) return db_error(it->status(), "reading rows");
  }
  return ok_status();
}

Result<std::uint64_t> position_at_time(const store::EventStore& store, std::int64_t time_us) {
  std::uint64_t low = 0, high = store.head().position;  // answer in [low, high]
  while (low < high) {
    const std::uint64_t mid = low + (high - low + 1) / 2;
    auto record = store.read_at(mid);
    if (!record.ok()) return record.error();
    if (record->recorded_at_us() <= time_us) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}

Status replay_in_memory(const store::EventStore& store, const std::vector<Projection*>& projections,
                        std::uint64_t until) {
  return store::for_each_record(store, 1, until, [&](const store::RecordView& record) {
    const DecodedRecord decoded(record);
    const EventContext context = decoded.context(record);
    for (Projection* projection : projections) {
      if (Status s = apply_named(*projection, context); !s.ok()) return s;
    }
    return ok_status();
  });
}

}  // namespace spine::projections
