// The record hash is exactly the one docs/storage.md specifies, recomputed
// here independently (OpenSSL's one-shot SHA256 over the documented bytes), so
// that an auditor's own tool can check the chain without Spine's code.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "spine/eventstore/event_store.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::open_store;
using testing::TempDir;

void put_u64_le(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void put_u32_le(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void put_text(std::string& out, std::string_view text) {
  put_u32_le(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

Digest documented_hash(const RecordView& r) {
  std::string pre = "spine.record.v1";
  put_u64_le(pre, r.position());
  put_text(pre, r.stream_id());
  put_u64_le(pre, r.stream_version());
  put_text(pre, r.event_type());
  const EventId id = r.event_id();
  pre.append(reinterpret_cast<const char*>(id.data()), id.size());
  put_text(pre, r.command_id());
  put_text(pre, r.causation_id());
  put_text(pre, r.actor());
  put_u64_le(pre, static_cast<std::uint64_t>(r.occurred_at_us()));
  put_u64_le(pre, static_cast<std::uint64_t>(r.recorded_at_us()));
  put_u32_le(pre, r.schema_version());
  put_text(pre, r.payload());
  const Digest prev = r.prev_hash();
  pre.append(reinterpret_cast<const char*>(prev.data()), prev.size());
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(pre.data()), pre.size(), out.data());
  return out;
}

TEST(HashChain, EveryRecordHashesAsDocumentedAndLinksToItsPredecessor) {
  TempDir dir;
  auto log = open_store(dir.str());
  for (int i = 0; i < 30; ++i) {
    AppendRequest r;
    r.command_id = "cmd-" + std::to_string(i);
    r.actor = "actor-" + std::to_string(i % 4);
    r.expectations = {{"s" + std::to_string(i % 5), ExpectedVersion::any()}};
    NewEvent e = testing::event("s" + std::to_string(i % 5), "Type" + std::to_string(i), std::string(static_cast<std::size_t>(i * 37), 'z'));
    e.causation_id = i % 2 ? "cause" : "";
    e.schema_version = static_cast<std::uint32_t>(i);
    r.events = {e};
    ASSERT_TRUE(log->append(r));
  }
  auto records = log->read_all(1, 100);
  ASSERT_TRUE(records);
  Digest previous{};
  for (const auto& record : *records) {
    EXPECT_EQ(record.prev_hash(), previous) << "position " << record.position();
    EXPECT_EQ(documented_hash(record), record.hash()) << "position " << record.position();
    previous = record.hash();
  }
  EXPECT_EQ(log->head().hash, previous);
}

// Fields from 4 KiB up are hashed in place rather than gathered with the small
// ones (record_codec.cc); the bytes hashed must be the same either side of that line.
TEST(HashChain, PayloadsAroundAndFarAboveTheGatherLimitHashAsDocumented) {
  TempDir dir;
  auto log = open_store(dir.str());
  const std::size_t sizes[] = {0, 4095, 4096, 4097, 100'000, 1 << 20};
  int i = 0;
  for (std::size_t size : sizes) {
    AppendRequest r;
    r.command_id = "large-" + std::to_string(i);
    r.actor = std::string(200, 'a');
    r.expectations = {{"large", ExpectedVersion::any()}};
    std::string payload(size, '\0');
    for (std::size_t b = 0; b < size; ++b) payload[b] = static_cast<char>((b * 131 + i) & 0xff);
    r.events = {testing::event("large", "Big", payload)};
    ASSERT_TRUE(log->append(r)) << size;
    ++i;
  }
  auto records = log->read_all(1, 100);
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), std::size(sizes));
  for (const auto& record : *records) {
    EXPECT_EQ(record.payload().size(), sizes[record.position() - 1]);
    EXPECT_EQ(documented_hash(record), record.hash()) << "payload of " << record.payload().size() << " bytes";
  }
}

}  // namespace
}  // namespace spine::store
