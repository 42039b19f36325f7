// kill -9 at random moments: after each, the reopened store holds every
// acknowledged event, no partial append, and the chain verifies.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <rocksdb/db.h>

#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/event_store.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::TempDir;

struct Ack {
  std::uint64_t first = 0, last = 0;
  std::string stream;
  std::uint64_t version = 0;
};

// Starts the writer, lets it run for `run_for`, kill -9s it, and returns every
// line it had acknowledged before dying.
std::vector<Ack> run_and_kill(const std::string& dir, int run, std::chrono::milliseconds run_for) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    const std::string run_text = std::to_string(run);
    execl(SPINE_CRASH_WRITER, SPINE_CRASH_WRITER, dir.c_str(), run_text.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::this_thread::sleep_for(run_for);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "writer died on its own: " << status;

  std::vector<Ack> acks;
  FILE* in = fdopen(fds[0], "r");
  char line[512];
  while (std::fgets(line, sizeof line, in) != nullptr) {
    std::istringstream fields(line);
    std::string word;
    Ack ack;
    fields >> word >> ack.first >> ack.last >> ack.stream >> ack.version;
    if (word == "ack" && fields) acks.push_back(ack);  // a torn last line was never complete
  }
  fclose(in);
  return acks;
}

// A bare RocksDB database in `dir` with the default family and `family`.
bool create_database_with_family(const std::string& dir, const std::string& family) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) return false;
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  if (!db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), family, &handle).ok()) return false;
  return db->DestroyColumnFamilyHandle(handle).ok();
}

// A writer killed while it creates a new store leaves RocksDB's column
// families created up to the kill (default, log, ...): verify calls that log
// empty and intact (nothing can have been appended yet), and the next open
// completes the store.
TEST(CrashRecovery, AStoreKilledWhileBeingCreatedVerifiesEmptyAndOpens) {
  TempDir dir;
  const std::string store_dir = dir.str("store");
  ASSERT_TRUE(create_database_with_family(store_dir, "log"));
  auto report = verify_store(store_dir);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->head_position, 0u);
  auto opened = EventStore::open(store_dir);
  ASSERT_TRUE(opened) << opened.error().to_string();
  EXPECT_EQ((*opened)->head().position, 0u);
  AppendRequest request;
  request.command_id = "first";
  request.actor = "test";
  request.expectations.push_back({"s-1", ExpectedVersion::no_stream()});
  NewEvent event;
  event.stream_id = "s-1";
  event.event_type = "Happened";
  event.payload = "payload";
  request.events.push_back(event);
  ASSERT_TRUE((*opened)->append(request).ok());
  opened->reset();
  auto after = verify_store(store_dir);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->ok);
  EXPECT_EQ(after->head_position, 1u);

  // Cut before RocksDB wrote CURRENT (seen under ASan on a loaded machine):
  // the folder and RocksDB's first files, no data: empty and intact. A folder
  // that lost CURRENT but holds a write-ahead log with data is not.
  const std::string cut_dir = dir.str("cut");
  std::filesystem::create_directories(cut_dir);
  std::ofstream(cut_dir + "/LOCK").flush();
  std::ofstream(cut_dir + "/IDENTITY") << "a1b2c3\n";
  auto cut = verify_store(cut_dir);
  ASSERT_TRUE(cut) << cut.error().to_string();
  EXPECT_TRUE(cut->ok);
  EXPECT_EQ(cut->head_position, 0u);
  auto completed = EventStore::open(cut_dir);
  ASSERT_TRUE(completed) << completed.error().to_string();
  EXPECT_EQ((*completed)->head().position, 0u);
  completed->reset();
  EXPECT_TRUE(verify_store(cut_dir).ok());
  const std::string lost_dir = dir.str("lost-current");
  std::filesystem::create_directories(lost_dir);
  std::ofstream(lost_dir + "/000001.log") << "records";
  EXPECT_FALSE(verify_store(lost_dir).ok());

  // A RocksDB database of something else is not taken for an empty store.
  const std::string other_dir = dir.str("other");
  ASSERT_TRUE(create_database_with_family(other_dir, "orders"));
  EXPECT_FALSE(verify_store(other_dir).ok());
}

TEST(CrashRecovery, KillNineNeverLosesAnAcknowledgedEvent) {
  TempDir dir;
  const std::string store_dir = dir.str();
  std::mt19937 rng(20261124);
  std::uint64_t total_acked = 0;
  for (int run = 0; run < 20; ++run) {
    const auto run_for = std::chrono::milliseconds(150 + rng() % 350);
    const auto acks = run_and_kill(store_dir, run, run_for);
    total_acked += acks.size();

    auto report = verify_store(store_dir);
    ASSERT_TRUE(report) << report.error().to_string();
    ASSERT_TRUE(report->ok) << "run " << run << ": bad position " << report->bad_position << ": " << report->reason;

    auto opened = EventStore::open(store_dir);
    ASSERT_TRUE(opened) << "run " << run << ": " << opened.error().to_string();
    auto& log = **opened;
    const std::uint64_t head = log.head().position;
    EXPECT_EQ(head, report->head_position);
    for (const Ack& ack : acks) {
      ASSERT_LE(ack.last, head) << "run " << run << ": acknowledged position lost";
      auto first = log.read_at(ack.first);
      ASSERT_TRUE(first) << first.error().to_string();
      EXPECT_EQ(first->stream_id(), ack.stream);
      auto last = log.read_at(ack.last);
      ASSERT_TRUE(last);
      EXPECT_EQ(last->stream_id(), ack.stream);
      EXPECT_EQ(last->stream_version(), ack.version);
      EXPECT_EQ(last->command_id(), first->command_id());
      EXPECT_GE(*log.stream_version(ack.stream), ack.version);
    }
    // No partial append: every command's records are contiguous and complete,
    // so the command recorded at the head ends exactly at the head.
    if (head > 0) {
      auto tail = log.read_stream(std::string(log.read_at(head)->stream_id()), UINT64_MAX, Direction::kBackward, 1);
      ASSERT_TRUE(tail);
      EXPECT_EQ(tail->front().position(), head);
    }
  }
  EXPECT_GT(total_acked, 20u) << "the writer should have acknowledged appends before being killed";

  // The whole surviving log: positions gapless, each stream's versions gapless, commands whole.
  auto log = EventStore::open(store_dir);
  ASSERT_TRUE(log);
  std::map<std::string, std::uint64_t> versions;
  for (std::uint64_t next = 1;;) {
    auto batch = (*log)->read_all(next, 5'000);
    ASSERT_TRUE(batch);
    if (batch->empty()) break;
    for (const auto& record : *batch) {
      EXPECT_EQ(record.position(), next++);
      EXPECT_EQ(record.stream_version(), ++versions[std::string(record.stream_id())]);
    }
  }
  for (const auto& [stream, version] : versions) EXPECT_EQ(*(*log)->stream_version(stream), version);
}

}  // namespace
}  // namespace spine::store
