// TrackedTable (the rows of the in-memory projections): a flush writes the
// final state of every row touched since the last one, whatever happened to
// it in between, and listings come back in key order.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../projections/src/rows.h"

namespace spine::testing {
namespace {

using projections::internal::TrackedTable;

// Puts and appends in the order received, as a WriteBatch applies them.
struct RecordingSink : projections::RowSink {
  std::vector<std::pair<std::string, std::string>> puts;
  void put(std::string_view key, std::string_view value) override { puts.emplace_back(key, value); }
  void append(std::string_view, std::string_view) override { ADD_FAILURE() << "tables only put"; }
  // The state after applying the puts in order (later wins).
  std::map<std::string, std::string> final_state() const {
    std::map<std::string, std::string> state;
    for (const auto& [key, value] : puts) state[key] = value;
    return state;
  }
};

std::map<std::string, std::string> flushed(TrackedTable<std::int64_t>& table) {
  RecordingSink sink;
  table.flush("t/", sink);
  return sink.final_state();
}

TEST(TrackedTable, AFlushWritesEachChangedRowsCurrentValueOnce) {
  TrackedTable<std::int64_t> table;
  table.write("b") = 1;
  table.write("a") = 2;
  table.write("b") += 40;
  RecordingSink sink;
  table.flush("t/", sink);
  EXPECT_EQ(sink.puts.size(), 2u);
  EXPECT_EQ(sink.final_state(), (std::map<std::string, std::string>{{"t/a", "2"}, {"t/b", "41"}}));
  EXPECT_TRUE(flushed(table).empty());  // nothing changed since
  table.write("a") = 3;
  EXPECT_EQ(flushed(table), (std::map<std::string, std::string>{{"t/a", "3"}}));
}

TEST(TrackedTable, ARowErasedAfterAWriteEndsAsATombstone) {
  TrackedTable<std::int64_t> table;
  table.write("a") = 1;
  table.write("b") = 2;
  table.write("c") = 3;
  table.erase("b");  // changed, then erased before any flush
  EXPECT_FALSE(table.contains("b"));
  EXPECT_EQ(flushed(table), (std::map<std::string, std::string>{{"t/a", "1"}, {"t/b", ""}, {"t/c", "3"}}));
  table.erase("a");
  table.erase("never-there");
  EXPECT_EQ(flushed(table), (std::map<std::string, std::string>{{"t/a", ""}, {"t/never-there", ""}}));
  EXPECT_EQ(table.size(), 1u);
}

TEST(TrackedTable, ARowErasedThenWrittenAgainEndsWithItsNewValue) {
  TrackedTable<std::int64_t> table;
  table.write("a") = 1;
  EXPECT_FALSE(flushed(table).empty());
  table.erase("a");
  table.write("a") = 7;
  table.erase("a");
  table.write("a") = 8;
  EXPECT_EQ(flushed(table), (std::map<std::string, std::string>{{"t/a", "8"}}));
  ASSERT_NE(table.find("a"), nullptr);
  EXPECT_EQ(*table.find("a"), 8);
}

// Many rows, erased in an order that moves rows around the changed list:
// every surviving row is written, every erased one is a tombstone.
TEST(TrackedTable, ManyWritesAndErasesFlushToTheStateOfAPlainMap) {
  TrackedTable<std::int64_t> table;
  std::map<std::string, std::int64_t> expected;
  std::map<std::string, std::string> on_disk;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 300; ++i) {
      const std::string key = "k" + std::to_string((i * 37 + round * 11) % 211);
      if ((i + round) % 4 == 0) {
        table.erase(key);
        expected.erase(key);
      } else {
        table.write(key) += i;
        expected[key] += i;
      }
    }
    for (const auto& [key, value] : flushed(table)) on_disk[key] = value;
    std::map<std::string, std::string> want;
    for (const auto& [key, value] : on_disk) {
      if (!value.empty()) want[key] = value;
    }
    std::map<std::string, std::string> from_model;
    for (const auto& [key, value] : expected) from_model["t/" + key] = std::to_string(value);
    EXPECT_EQ(want, from_model) << "round " << round;
  }
}

TEST(TrackedTable, SortedListsRowsInKeyOrderAndLoadRestoresThem) {
  TrackedTable<std::int64_t> table;
  for (const char* key : {"m", "b", "z", "a", "ba"}) table.write(key) = static_cast<std::int64_t>(key[0]);
  std::vector<std::string> keys;
  for (const auto& [key, row] : table.sorted()) keys.emplace_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "ba", "m", "z"}));

  RecordingSink all;
  table.write_all("t/", all);
  TrackedTable<std::int64_t> restored;
  for (const auto& [key, value] : all.puts) restored.load(std::string_view(key).substr(2), value);
  restored.load("m", "");  // a tombstone erases
  std::int64_t sum = 0;
  restored.for_each([&](std::string_view, std::int64_t value) { sum += value; });
  EXPECT_EQ(sum, 'b' + 'z' + 'a' + 'b');
  EXPECT_EQ(restored.find("m"), nullptr);
  EXPECT_TRUE(flushed(restored).empty());  // loading is not a change
}

}  // namespace
}  // namespace spine::testing
