// Every limit and malformed request is refused with a stable code and the
// offending field, and nothing is written.
#include <gtest/gtest.h>

#include "spine/eventstore/event_store.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::event;
using testing::open_store;
using testing::request;
using testing::TempDir;

class Refusals : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = open_store(dir_.str());
    ASSERT_TRUE(log_->append(request("seed", "s")));
    before_ = log_->head();
  }
  // Appends, expects the refusal, and checks that the log did not move.
  void expect_refused(AppendRequest r, const std::string& code, const std::string& field) {
    auto result = log_->append(std::move(r));
    ASSERT_FALSE(result) << "expected " << code;
    EXPECT_EQ(result.error().code, code) << result.error().to_string();
    EXPECT_EQ(result.error().field, field) << result.error().to_string();
    EXPECT_FALSE(result.error().message.empty());
    EXPECT_EQ(log_->head().position, before_.position);
    EXPECT_EQ(log_->head().hash, before_.hash);
    auto heads = log_->stream_heads("", 100);
    ASSERT_TRUE(heads);
    EXPECT_EQ(heads->size(), 1u);
  }
  TempDir dir_;
  std::unique_ptr<EventStore> log_;
  Head before_;
};

TEST_F(Refusals, EventOverOneMebibyte) {
  auto r = request("c", "s");
  r.events[0].payload.assign((1 << 20) + 1, 'x');
  expect_refused(r, "event_too_large", "events[0].payload");
}

TEST_F(Refusals, EventOfExactlyOneMebibyteIsAccepted) {
  auto r = request("c", "s");
  r.events[0].payload.assign(1 << 20, 'x');
  auto result = log_->append(r);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(log_->read_at(result->first_position)->payload().size(), std::size_t{1} << 20);
}

TEST_F(Refusals, MoreThanTenThousandEvents) {
  expect_refused(request("c", "s", ExpectedVersion::any(), 10'001), "too_many_events", "events");
}

TEST_F(Refusals, TenThousandEventsAreAccepted) {
  auto result = log_->append(request("c", "s", ExpectedVersion::any(), 10'000));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->last_position - result->first_position + 1, 10'000u);
}

TEST_F(Refusals, EmptyStreamId) {
  auto r = request("c", "s");
  r.events[0].stream_id = "";
  r.expectations.push_back({"", ExpectedVersion::any()});
  expect_refused(r, "invalid_stream_id", "expectations[1].stream_id");
  auto only_event = request("c", "s");
  only_event.events[0].stream_id = "";
  expect_refused(only_event, "invalid_stream_id", "events[0].stream_id");
}

TEST_F(Refusals, OverLongStreamId) {
  const std::string long_id(201, 'a');
  expect_refused(request("c", long_id), "invalid_stream_id", "expectations[0].stream_id");
}

TEST_F(Refusals, StreamIdWithControlCharacters) {
  expect_refused(request("c", std::string("a\0b", 3)), "invalid_stream_id", "expectations[0].stream_id");
  expect_refused(request("c", "line\nbreak"), "invalid_stream_id", "expectations[0].stream_id");
}

TEST_F(Refusals, MissingCommandIdOrActor) {
  auto no_command = request("", "s");
  expect_refused(no_command, "invalid_command_id", "command_id");
  auto no_actor = request("c", "s");
  no_actor.actor = "";
  expect_refused(no_actor, "invalid_actor", "actor");
}

TEST_F(Refusals, NoEvents) {
  auto r = request("c", "s");
  r.events.clear();
  expect_refused(r, "empty_append", "events");
}

TEST_F(Refusals, EventTypeMissing) {
  auto r = request("c", "s");
  r.events[0].event_type = "";
  expect_refused(r, "invalid_event_type", "events[0].event_type");
}

TEST_F(Refusals, StreamWrittenWithoutAnExpectation) {
  auto r = request("c", "s");
  r.events.push_back(event("unnamed"));
  expect_refused(r, "missing_expectation", "events[1].stream_id");
}

TEST_F(Refusals, StreamNamedTwice) {
  auto r = request("c", "s");
  r.expectations.push_back({"s", ExpectedVersion::any()});
  expect_refused(r, "duplicate_stream", "expectations[1].stream_id");
}

TEST_F(Refusals, AppendOverTheTotalSizeLimit) {
  auto r = request("c", "s", ExpectedVersion::any(), 65);
  for (auto& e : r.events) e.payload.assign(1 << 20, 'x');  // 65 MiB in all
  expect_refused(r, "append_too_large", "events");
}

}  // namespace
}  // namespace spine::store
