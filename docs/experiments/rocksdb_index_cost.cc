// What Spine's two index entries per append cost inside RocksDB alone, with no
// Spine code: one thread writes WriteBatches of 64 appends into a store laid
// out like Spine's (families log, streams, commands, meta; the same options),
// and prints events/s, the Write call's time and the thread's CPU per batch.
// Not built by CMake: an experiment kept so that docs/benchmarks.md's figures
// can be produced again. Build and run from the repository root:
//
//   g++ -O2 -std=c++20 docs/experiments/rocksdb_index_cost.cc -o /tmp/index_cost -lrocksdb
//   /tmp/index_cost MODE SYNC SECONDS      e.g. /tmp/index_cost full-hint 1 3
//
// MODE is a dash-separated set of words:
//   raw       only the log records (the `spine bench append` ceiling);
//   full      records + one stream run + one command lookup and result per append;
//   nocmd     records + stream runs, no command entries;
//   hint      the streams family's memtable insert hint by stream id (as Spine sets it);
//   smallbuf  4 MiB write buffers for streams and commands;
//   pipe      Write(sync=false) on this thread, SyncWAL() on a second one, at most
//             4 batches written and not yet synced (an open loop: the next batch
//             never waits for the previous one's answer).
// SYNC is 1 for sync=true writes (ignored by `pipe`, which syncs with SyncWAL), 0 for none.
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

void encode_u64(char* out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

double thread_cpu_seconds() {
  rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

// The stream id part of a stream run key (Spine's StreamIdOfRunKey).
class StreamIdOfRunKey final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "experiment.StreamIdOfRunKey"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > 8; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODE SYNC SECONDS\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const bool sync = std::atoi(argv[2]) != 0;
  const double seconds = std::atof(argv[3]);
  auto has = [&](const char* word) { return mode.find(word) != std::string::npos; };
  const std::string dir = "/tmp/index-cost-" + mode;
  std::filesystem::remove_all(dir);

  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.bytes_per_sync = 1 << 20;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions commands;
  commands.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  commands.memtable_prefix_bloom_size_ratio = 0.05;
  commands.memtable_whole_key_filtering = true;
  rocksdb::ColumnFamilyOptions log;
  log.write_buffer_size = 64 << 20;
  rocksdb::ColumnFamilyOptions streams;
  if (has("hint")) streams.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamIdOfRunKey>();
  if (has("smallbuf")) streams.write_buffer_size = commands.write_buffer_size = 4 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {"default", {}}, {"log", log}, {"streams", streams}, {"commands", commands}, {"meta", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (auto status = rocksdb::DB::Open(options, dir, families, &handles, &db); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }

  const bool with_streams = !has("raw");
  const bool with_commands = with_streams && !has("nocmd");
  const bool pipelined = has("pipe");
  const std::string record(400, 'x');  // about Spine's envelope of a 256-byte payload
  std::uint64_t position = 0, command = 0;
  std::vector<std::uint64_t> versions(64, 0);
  rocksdb::WriteOptions write_options;
  write_options.sync = sync && !pipelined;

  std::atomic<long> written{0}, synced{0};
  std::atomic<bool> stop{false};
  long syncs = 0;
  std::thread syncer;
  if (pipelined) {
    syncer = std::thread([&] {
      while (!stop) {
        const long upto = written.load();
        if (upto == synced.load()) {
          std::this_thread::yield();
          continue;
        }
        if (auto status = db->SyncWAL(); !status.ok()) {
          std::fprintf(stderr, "%s\n", status.ToString().c_str());
          std::abort();
        }
        synced = upto;
        ++syncs;
      }
    });
  }

  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  long batches = 0;
  double write_seconds = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    rocksdb::WriteBatch batch(64 * 600);
    for (int i = 0; i < 64; ++i) {
      char key[8];
      encode_u64(key, ++position);
      batch.Put(handles[1], rocksdb::Slice(key, 8), record);
      if (with_streams) {
        std::string run_key = "stream-" + std::to_string(i);
        run_key.push_back('\0');
        char version[8];
        encode_u64(version, ++versions[i]);
        run_key.append(version, 8);
        batch.Put(handles[2], run_key, rocksdb::Slice(key, 8));
      }
      if (with_commands) {
        const std::string command_id = "bench-" + std::to_string(++command);
        std::string stored;
        (void)db->Get(rocksdb::ReadOptions(), handles[3], command_id, &stored);  // Spine's duplicate check
        batch.Put(handles[3], command_id, std::string(40, 'r'));
      }
    }
    if (with_streams) batch.Put(handles[4], "head", std::string(48, 'h'));
    if (pipelined) {
      while (written.load() - synced.load() >= 4) std::this_thread::yield();
    }
    const auto write_start = std::chrono::steady_clock::now();
    if (auto status = db->Write(write_options, &batch); !status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
    write_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
    written = ++batches;
  }
  if (pipelined) {
    while (synced.load() < written.load()) std::this_thread::yield();
    stop = true;
    syncer.join();
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-22s sync=%d events/s=%8.0f  write/batch=%5.0f us  cpu/batch=%5.0f us%s\n", mode.c_str(), sync,
              batches * 64 / elapsed, write_seconds / batches * 1e6,
              (thread_cpu_seconds() - cpu_start) / batches * 1e6,
              pipelined ? ("  syncs=" + std::to_string(syncs)).c_str() : "");
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  delete db;
  std::filesystem::remove_all(dir);
  return 0;
}
