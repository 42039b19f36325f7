// verify_store walks the log in position ranges side by side; whatever was
// done to the log, its report must be the one a single walk from position 1
// gives: the same first bad position, the same reason, the same head. Each
// case tampers with a copy of one 200-record store at or beside the borders of
// the ranges (4 workers: 1-50, 51-100, 101-150, 151-end).
#include <gtest/gtest.h>

#include <filesystem>

#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/event_store.h"
#include "support/log_tampering.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::log_key;
using testing::open_store;
using testing::request;
using testing::tamper_with;
using testing::TempDir;

constexpr int kRecords = 200;

// A store of kRecords one-event appends over three streams, with `payload_of(i)` as payloads.
void fill(const std::string& dir, const std::function<std::string(int)>& payload_of) {
  auto log = open_store(dir);
  for (int i = 0; i < kRecords; ++i) {
    auto r = request("c" + std::to_string(i), "stream-" + std::to_string(i % 3));
    r.events[0].payload = payload_of(i);
    ASSERT_TRUE(log->append(r));
  }
}

std::string payload_number(int i) { return "payload number " + std::to_string(i); }

VerifyReport walk(const std::string& dir, unsigned threads) {
  VerifyOptions options;
  options.threads = threads;
  options.min_records_per_thread = 1;
  auto report = verify_store(dir, {}, options);
  EXPECT_TRUE(report) << report.error().to_string();
  return report ? *report : VerifyReport{};
}

class VerifyInRanges : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pristine_ = new TempDir();
    fill(pristine_->str(), payload_number);
  }
  static void TearDownTestSuite() {
    delete pristine_;
    pristine_ = nullptr;
  }

  // Tampers with a fresh copy of the store, then checks every split against the single walk.
  void expect_same_report_as_one_walk(
      const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& tamper, bool expect_ok = false) {
    TempDir copy;
    std::filesystem::copy(pristine_->str(), copy.str(), std::filesystem::copy_options::recursive |
                                                            std::filesystem::copy_options::overwrite_existing);
    tamper_with(copy.str(), tamper);
    const VerifyReport single = walk(copy.str(), 1);
    EXPECT_EQ(single.ok, expect_ok) << single.reason;
    for (unsigned threads : {2u, 3u, 4u, 7u}) {
      const VerifyReport split = walk(copy.str(), threads);
      EXPECT_EQ(split.ok, single.ok) << threads << " workers";
      EXPECT_EQ(split.bad_position, single.bad_position) << threads << " workers: " << split.reason;
      EXPECT_EQ(split.reason, single.reason) << threads << " workers";
      EXPECT_EQ(split.records_checked, single.records_checked) << threads << " workers";
      EXPECT_EQ(split.head_position, single.head_position) << threads << " workers";
      EXPECT_EQ(split.head_hash, single.head_hash) << threads << " workers";
    }
  }

  static std::string get(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log, std::uint64_t position) {
    std::string value;
    EXPECT_TRUE(db.Get(rocksdb::ReadOptions(), log, log_key(position), &value).ok());
    return value;
  }

  static TempDir* pristine_;
};

TempDir* VerifyInRanges::pristine_ = nullptr;

TEST_F(VerifyInRanges, AnIntactLogGivesTheSameHeadAndCount) {
  expect_same_report_as_one_walk([](rocksdb::DB&, rocksdb::ColumnFamilyHandle*) {}, true);
}

TEST_F(VerifyInRanges, AFlippedPayloadByteIsNamedAtTheSamePositionWhereverItIs) {
  for (std::uint64_t position : {1, 50, 51, 52, 100, 101, 150, 151, 200}) {
    SCOPED_TRACE("position " + std::to_string(position));
    expect_same_report_as_one_walk([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
      std::string value = get(db, log, position);
      const auto at = value.find("payload number");
      ASSERT_NE(at, std::string::npos);
      value[at] ^= 0x01;
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, log_key(position), value).ok());
    });
  }
}

TEST_F(VerifyInRanges, ADeletedRecordOrRunIsNamedAtTheSamePosition) {
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> runs = {
      {1, 1}, {50, 50}, {51, 51}, {49, 52}, {51, 100}, {100, 101}, {150, 150}, {151, 151}, {200, 200}, {120, 200}};
  for (const auto& [first, last] : runs) {
    SCOPED_TRACE("deleted " + std::to_string(first) + ".." + std::to_string(last));
    expect_same_report_as_one_walk([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
      for (std::uint64_t p = first; p <= last; ++p) ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), log, log_key(p)).ok());
    });
  }
}

TEST_F(VerifyInRanges, SwappedRecordsAreNamedAtTheSamePosition) {
  for (auto [a, b] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{{50, 51}, {5, 151}, {100, 101}}) {
    SCOPED_TRACE("swapped " + std::to_string(a) + " and " + std::to_string(b));
    expect_same_report_as_one_walk([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
      const std::string first = get(db, log, a), second = get(db, log, b);
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, log_key(a), second).ok());
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, log_key(b), first).ok());
    });
  }
}

TEST_F(VerifyInRanges, ARecordStoredPastTheHeadIsNamedAtTheSamePosition) {
  expect_same_report_as_one_walk([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, log_key(kRecords + 1), get(db, log, kRecords)).ok());
  });
}

// A record replaced by a self-consistent one from another history hashes
// right; only its link to the record before breaks. On a range's first
// record, that link is checked where the ranges are joined.
TEST_F(VerifyInRanges, AForgedRecordWithItsOwnValidHashBreaksTheSameLink) {
  TempDir other;
  fill(other.str(), [](int i) { return "forged " + std::to_string(i); });
  auto forked = EventStore::open_read_only(other.str());
  ASSERT_TRUE(forked);
  for (std::uint64_t position : {2, 51, 52, 101, 151, 200}) {
    SCOPED_TRACE("forged " + std::to_string(position));
    const std::string forged((*forked)->read_at(position)->bytes());
    expect_same_report_as_one_walk([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, log_key(position), forged).ok());
    });
  }
}

}  // namespace
}  // namespace spine::store
