// `spine verify` (the real binary) on a store whose log was tampered with
// underneath RocksDB: a flipped byte, a deleted record, two swapped records, a
// removed tail. It names the first bad position and exits 1; an intact store
// verifies and exits 0.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "spine/eventstore/event_store.h"
#include "support/log_tampering.h"
#include "support/process.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::open_store;
using testing::request;
using testing::TempDir;
using testing::CommandOutput;
using testing::run_command;

CommandOutput run(const std::string& command) { return run_command(command); }

CommandOutput verify(const std::string& dir, bool json = false) {
  return run(std::string(SPINE_BINARY) + " verify --data " + dir + (json ? " --json" : ""));
}

std::string key(std::uint64_t position) { return testing::log_key(position); }
using testing::tamper_with;

class VerifyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = open_store(dir_.str());
    for (int i = 0; i < 20; ++i) {
      auto r = request("c" + std::to_string(i), "stream-" + std::to_string(i % 3));
      r.events[0].payload = "payload number " + std::to_string(i);
      ASSERT_TRUE(log->append(r));
    }
  }
  std::string get(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log, std::uint64_t position) {
    std::string value;
    EXPECT_TRUE(db.Get(rocksdb::ReadOptions(), log, key(position), &value).ok());
    return value;
  }
  TempDir dir_;
};

TEST_F(VerifyCli, IntactStoreVerifiesWithItsHead) {
  auto result = verify(dir_.str());
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("ok: 20 records verified; head position 20"), std::string::npos) << result.out;
  auto json = nlohmann::json::parse(verify(dir_.str(), true).out);
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(json["head_position"], 20);
  EXPECT_EQ(json["head_hash"].get<std::string>().size(), 64u);
}

TEST_F(VerifyCli, FlippedPayloadByteIsNamed) {
  tamper_with(dir_.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
    std::string value = get(db, log, 7);
    const auto at = value.find("payload number 6");
    ASSERT_NE(at, std::string::npos);
    value[at] ^= 0x01;
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, key(7), value).ok());
  });
  auto result = verify(dir_.str());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("first bad position 7:"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("does not match its hash"), std::string::npos) << result.out;
  auto json = nlohmann::json::parse(verify(dir_.str(), true).out);
  EXPECT_EQ(json["ok"], false);
  EXPECT_EQ(json["bad_position"], 7);
  EXPECT_EQ(json["head_position"], 6);
}

TEST_F(VerifyCli, FlippedEnvelopeByteIsNamed) {
  tamper_with(dir_.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
    std::string value = get(db, log, 12);
    value[value.size() / 3] ^= 0x5a;
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, key(12), value).ok());
  });
  auto result = verify(dir_.str());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("first bad position 12:"), std::string::npos) << result.out;
}

TEST_F(VerifyCli, DeletedRecordIsNamed) {
  tamper_with(dir_.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), log, key(9)).ok());
  });
  auto result = verify(dir_.str());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("first bad position 9: record 9 is missing"), std::string::npos) << result.out;
}

TEST_F(VerifyCli, SwappedRecordsAreNamed) {
  tamper_with(dir_.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
    const std::string five = get(db, log, 5), eleven = get(db, log, 11);
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, key(5), eleven).ok());
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, key(11), five).ok());
  });
  auto result = verify(dir_.str());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("first bad position 5:"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("claims position 11"), std::string::npos) << result.out;
}

TEST_F(VerifyCli, RemovedTailIsNamed) {
  tamper_with(dir_.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), log, key(20)).ok());
  });
  auto result = verify(dir_.str());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("first bad position 20:"), std::string::npos) << result.out;
  // The store refuses to open for writing on a tail that disagrees with its head.
  auto opened = EventStore::open(dir_.str());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, "corruption");
}

TEST_F(VerifyCli, RewrittenHistoryWithARecomputedHashBreaksTheNextLink) {
  // Re-hashing the tampered record is not enough: its successor still holds the old hash.
  tamper_with(dir_.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
    // Replace record 3 by record 3 of another, otherwise identical history.
    TempDir other;
    {
      auto fork = open_store(other.str());
      for (int i = 0; i < 3; ++i) {
        auto r = request("c" + std::to_string(i), "stream-" + std::to_string(i % 3));
        r.events[0].payload = i == 2 ? "forged" : "payload number " + std::to_string(i);
        ASSERT_TRUE(fork->append(r));
      }
    }
    auto forked = EventStore::open_read_only(other.str());
    ASSERT_TRUE(forked);
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, key(3), (*forked)->read_at(3)->bytes()).ok());
  });
  auto result = verify(dir_.str());
  EXPECT_EQ(result.exit_code, 1);
  // Records 1 and 2 of the fork differ (event ids, times), so the forged record's link breaks at 3.
  EXPECT_NE(result.out.find("first bad position 3:"), std::string::npos) << result.out;
}

TEST(VerifyCliErrors, MissingStoreExitsThree) {
  TempDir dir;
  auto result = verify(dir.str("does-not-exist"));
  EXPECT_EQ(result.exit_code, 3);
  auto json = nlohmann::json::parse(verify(dir.str("does-not-exist"), true).out);
  EXPECT_EQ(json["ok"], false);
  EXPECT_EQ(json["error"], "io_error");
}

TEST(VerifyCliErrors, UsageErrorExitsTwo) {
  EXPECT_EQ(run(std::string(SPINE_BINARY) + " verify").exit_code, 2);
  EXPECT_EQ(run(std::string(SPINE_BINARY) + " no-such-command").exit_code, 2);
  EXPECT_EQ(run(std::string(SPINE_BINARY) + " verify --help").exit_code, 0);
}

}  // namespace
}  // namespace spine::store
