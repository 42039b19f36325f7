#include "spine/eventstore/chain_verifier.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "keys.h"
#include "spine/eventstore/rocksdb_logger.h"

namespace spine::store {

namespace {

std::string broken_link(std::uint64_t position) {
  return "previous-hash link does not match the hash of record " + std::to_string(position - 1);
}

}  // namespace

bool ChainVerifier::reject(std::uint64_t position, std::string reason) {
  report_.ok = false;
  report_.bad_position = position;
  report_.reason = std::move(reason);
  return false;
}

bool ChainVerifier::check(std::uint64_t key_position, std::string_view bytes) {
  if (!report_.ok) return false;
  const std::uint64_t expected = report_.head_position + 1;
  if (key_position != expected) {
    return reject(expected, "record " + std::to_string(expected) + " is missing (next stored is " +
                              std::to_string(key_position) + ")");
  }
  // The bytes are borrowed for this call only: no owner, and no copy unless
  // they are misaligned for FlatBuffers (RocksDB's blocks do not align values).
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) {
    aligned_copy_.assign(bytes);
    bytes = aligned_copy_;
  }
  auto record = RecordView::parse_shared(nullptr, bytes, key_position);
  if (!record) return reject(key_position, record.error().message);
  if (link_unknown_) {
    first_link_ = record->prev_hash();
    link_unknown_ = false;
  } else if (record->prev_hash() != prev_hash_) {
    return reject(key_position, broken_link(key_position));
  }
  const Digest computed = record->compute_hash();
  if (computed != record->hash()) {
    return reject(key_position, "content does not match its hash (stored " + to_hex(record->hash()) +
                                  ", computed " + to_hex(computed) + ")");
  }
  prev_hash_ = computed;
  report_.head_position = key_position;
  report_.head_hash = computed;
  ++report_.records_checked;
  return true;
}

bool ChainVerifier::check_end(std::uint64_t expected_head_position, const Digest& expected_head_hash) {
  if (!report_.ok) return false;
  if (report_.head_position != expected_head_position) {
    if (report_.head_position < expected_head_position) {
      return reject(report_.head_position + 1, "log ends at position " + std::to_string(report_.head_position) +
                                                 " but the head marker says " + std::to_string(expected_head_position));
    }
    return reject(expected_head_position + 1, "records stored past the head marker " +
                                                std::to_string(expected_head_position));
  }
  if (report_.head_hash != expected_head_hash) {
    return reject(report_.head_position, "the last record's hash differs from the head marker's");
  }
  return true;
}

namespace {

// The log's RocksDB, opened read-only, with its families' handles.
struct ReadOnlyLog {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ReadOnlyLog() = default;
  ReadOnlyLog(const ReadOnlyLog&) = delete;
  ReadOnlyLog& operator=(const ReadOnlyLog&) = delete;
  ~ReadOnlyLog() {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  }
  rocksdb::ColumnFamilyHandle* log() const { return handles[1]; }
  rocksdb::ColumnFamilyHandle* meta() const { return handles[4]; }
};

// Reports progress every this many records per worker.
constexpr std::uint64_t kProgressEvery = 4096;

// One worker's part of the walk: positions [first, last]; `last` is
// UINT64_MAX for the final part, which runs to the end of the log.
struct RangeWalk {
  std::uint64_t first = 1;
  std::uint64_t last = UINT64_MAX;
  ChainVerifier verifier;
  bool ran_out = false;       // the log ended before `last`
  rocksdb::Status status;     // an I/O error while reading
};

void walk_range(const ReadOnlyLog& log, RangeWalk& walk, const std::function<void(std::uint64_t)>& count_progress) {
  if (walk.first > 1) walk.verifier.start_unlinked_after(walk.first - 1);
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(log.db->NewIterator(read_options, log.log()));
  std::uint64_t since_progress = 0;
  ChainVerifier& verifier = walk.verifier;
  bool stopped = false;
  for (it->Seek(keys::position_key(walk.first)); it->Valid() && !stopped; it->Next()) {
    auto position = keys::parse_position_key(it->key().ToStringView());
    if (!position) {
      verifier.reject(verifier.report().head_position + 1, "a log key is not an 8-byte position");
      stopped = true;
    } else if (*position > walk.last && verifier.report().head_position == walk.last) {
      // Past the range with the range complete: the next part's. (Past it with
      // a gap, check() names the missing record and the next one stored, as a
      // single walk would.)
      stopped = true;
    } else if (!verifier.check(*position, it->value().ToStringView())) {
      stopped = true;
    } else if (++since_progress == kProgressEvery) {
      count_progress(since_progress);
      since_progress = 0;
    }
  }
  if (since_progress > 0) count_progress(since_progress);
  if (stopped) return;
  walk.status = it->status();
  walk.ran_out = walk.status.ok();
}

unsigned worker_count(const VerifyOptions& options, std::uint64_t head_position) {
  unsigned wanted = options.threads != 0 ? options.threads : std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  const std::uint64_t per_thread = std::max<std::uint64_t>(1, options.min_records_per_thread);
  const std::uint64_t by_size = std::max<std::uint64_t>(1, head_position / per_thread);
  return static_cast<unsigned>(std::min<std::uint64_t>(wanted, by_size));
}

// Joins the parts in position order into the report a single walk gives.
VerifyReport merge(const std::vector<RangeWalk>& walks) {
  VerifyReport report;
  for (std::size_t w = 0; w < walks.size(); ++w) {
    const VerifyReport& part = walks[w].verifier.report();
    const auto& link = walks[w].verifier.first_link();
    if (w > 0 && link && *link != report.head_hash) {
      report.ok = false;
      report.bad_position = walks[w].first;
      report.reason = broken_link(walks[w].first);
      return report;
    }
    report.records_checked += part.records_checked;
    if (part.records_checked > 0) {  // the part's last good record is the walk's so far
      report.head_position = part.head_position;
      report.head_hash = part.head_hash;
    }
    if (!part.ok) {
      report.ok = false;
      report.bad_position = part.bad_position;
      report.reason = part.reason;
      return report;
    }
    if (walks[w].ran_out) break;  // the log ends here: the parts after it found nothing
  }
  return report;
}

// True for a store whose creation was cut before RocksDB wrote CURRENT: the
// folder exists, CURRENT does not, and no write-ahead log or table file holds
// a byte (appends start only after the open that writes CURRENT returns). A
// folder that lost CURRENT but holds data is not this, and fails to open.
bool creation_cut_before_current(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::exists(fs::path(dir) / "CURRENT", ec)) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string extension = entry.path().extension().string();
    if ((extension == ".log" || extension == ".sst") && entry.file_size(ec) > 0) return false;
  }
  return !ec;
}

}  // namespace

Result<VerifyReport> verify_store(const std::string& dir, const std::function<void(std::uint64_t)>& on_progress,
                                  const VerifyOptions& options) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), keys::kLogFamily, keys::kStreamsFamily,
                           keys::kCommandsFamily, keys::kMetaFamily}) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = false;
  db_options.info_log = make_rocksdb_logger("verify", RocksLogLevel::error);
  // A store killed while it was being created has its families in creation
  // order up to the kill: nothing can have been appended (appends start after
  // the open that creates them all returns), so its log is empty and intact.
  if (creation_cut_before_current(dir)) return VerifyReport{};
  std::vector<std::string> present;
  if (rocksdb::DB::ListColumnFamilies(db_options, dir, &present).ok() && present.size() < families.size()) {
    bool creation_prefix = true;
    for (std::size_t i = 0; i < present.size(); ++i) creation_prefix = creation_prefix && present[i] == families[i].name;
    if (creation_prefix) return VerifyReport{};
  }
  ReadOnlyLog log;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::OpenForReadOnly(db_options, dir, families, &log.handles, &raw);
  if (!status.ok()) return Error{"io_error", "data", "cannot open " + dir + ": " + status.ToString()};
  log.db.reset(raw);

  // The head marker says where the log should end; it also sizes the parts.
  Head head;
  std::string head_value;
  if (log.db->Get(rocksdb::ReadOptions(), log.meta(), keys::kHeadKey, &head_value).ok()) {
    if (auto decoded = keys::decode_head(head_value)) head = *decoded;
  }

  const unsigned workers = worker_count(options, head.position);
  std::vector<RangeWalk> walks(workers);
  for (unsigned w = 0; w < workers; ++w) {
    walks[w].first = 1 + head.position * w / workers;
    walks[w].last = w + 1 == workers ? UINT64_MAX : head.position * (w + 1) / workers;
  }
  std::mutex progress_mutex;
  std::uint64_t checked = 0;
  auto count_progress = [&](std::uint64_t more) {
    if (!on_progress) return;
    std::lock_guard lock(progress_mutex);
    checked += more;
    on_progress(checked);
  };
  {
    std::vector<std::jthread> helpers;
    for (unsigned w = 1; w < workers; ++w) {
      helpers.emplace_back([&, w] { walk_range(log, walks[w], count_progress); });
    }
    walk_range(log, walks[0], count_progress);
  }  // the helpers are joined here
  for (const auto& walk : walks) {
    if (!walk.status.ok()) return Error{"io_error", "data", "reading the log: " + walk.status.ToString()};
  }

  VerifyReport report = merge(walks);
  if (!report.ok) return report;
  ChainVerifier end_check;
  end_check.start_after(report.head_position, report.head_hash);
  end_check.check_end(head.position, head.hash);
  VerifyReport ended = end_check.report();
  ended.records_checked = report.records_checked;
  return ended;
}

}  // namespace spine::store
