// The projection runner's promises: live-built state equals a rebuild byte
// for byte; as-of answers equal a full replay to that point; a failing
// projection stops at its record while the others go on; kill -9 during
// catch-up, then restart, gives the state of a clean rebuild.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "spine/projections/alerts.h"
#include "spine/projections/kpis.h"
#include "spine/projections/runner.h"
#include "spine/projections/stock.h"
#include "support/faulty_file_system.h"
#include "support/history.h"

namespace spine::testing {
namespace {

using projections::ProjectionRunner;

std::map<std::string, std::string> dump_rows(const ProjectionRunner& runner) {
  std::map<std::string, std::string> rows;
  EXPECT_TRUE(runner.for_each_row("", [&](std::string_view key, std::string_view value) {
                rows.emplace(key, value);
                return true;
              }).ok());
  return rows;
}

std::unique_ptr<ProjectionRunner> open_runner(store::EventStore& store, const std::string& dir,
                                              projections::RunnerOptions options = {}) {
  auto runner = ProjectionRunner::open(store, dir, projections::make_read_models(domain::default_config()), options);
  EXPECT_TRUE(runner.ok()) << runner.error().to_string();
  return std::move(runner).value();
}

// Every query answer of the in-memory read models, for comparisons.
nlohmann::json answers(const projections::Projection& p) {
  if (auto stock = dynamic_cast<const projections::StockProjection*>(&p)) return stock->list("");
  if (auto alerts = dynamic_cast<const projections::AlertProjection*>(&p)) return alerts->list(false);
  if (auto kpis = dynamic_cast<const projections::KpiProjection*>(&p)) {
    projections::KpiQuery q;
    q.from_us = load::LoadOptions{}.start_us;
    q.to_us = q.from_us + 60LL * 24 * 3'600'000'000LL;
    q.by = "channel";
    return *kpis->query(q);
  }
  nlohmann::json rows = nlohmann::json::object();
  struct Sink : projections::RowSink {
    nlohmann::json* out;
    void put(std::string_view k, std::string_view v) override { (*out)[std::string(k)] = std::string(v); }
    void append(std::string_view k, std::string_view v) override {
      auto& row = (*out)[std::string(k)];
      row = (row.is_string() ? row.get<std::string>() : std::string()) + std::string(v);
    }
  } sink;
  sink.out = &rows;
  p.write_all_rows(sink);
  return rows;
}

TEST(ProjectionRunner, LiveBuiltStateEqualsARebuildByteForByte) {
  TempDir dir;
  store::Options options;
  options.sync = false;
  auto store = open_store(dir.str("store"), options);
  projections::RunnerOptions runner_options;
  runner_options.snapshot_every = 2'000;
  runner_options.batch_records = 64;  // live: many small batches
  auto live = open_runner(*store, dir.str("live"), runner_options);
  live->start();
  {
    commands::CommandHandler handler(*store, domain::default_config());
    load::LoadOptions load;
    load.orders = 800;
    ASSERT_TRUE(load::generate_shop(handler, load).ok());
  }
  const std::uint64_t head = store->head().position;
  ASSERT_EQ(live->wait_for(head, std::chrono::seconds(60)), head);
  live->stop();

  runner_options.batch_records = 4096;  // rebuild: big batches
  auto rebuilt = open_runner(*store, dir.str("rebuilt"), runner_options);
  ASSERT_TRUE(rebuilt->catch_up().ok());
  const auto live_rows = dump_rows(*live);
  EXPECT_GT(live_rows.size(), 1000u);
  EXPECT_TRUE(live_rows == dump_rows(*rebuilt)) << "live and rebuilt projection databases differ";

  // rebuild() drops one projection and replays it to the same bytes.
  ASSERT_TRUE(live->rebuild("kpis").ok());
  ASSERT_TRUE(live->catch_up().ok());
  EXPECT_TRUE(live_rows == dump_rows(*live));
}

TEST(ProjectionRunner, AsOfAPositionOrATimeEqualsAFullReplayToThatPoint) {
  TempDir dir;
  auto store = generate_history(dir.str("store"), 1'000);
  projections::RunnerOptions runner_options;
  runner_options.snapshot_every = 1'500;
  auto runner = open_runner(*store, dir.str("projections"), runner_options);
  ASSERT_TRUE(runner->catch_up().ok());
  const std::uint64_t head = store->head().position;
  ASSERT_GT(head, 6'000u);
  for (std::uint64_t position : {std::uint64_t{1}, std::uint64_t{1'499}, std::uint64_t{1'500}, std::uint64_t{4'321}, head / 2, head}) {
    for (const std::string name : {"stock", "kpis", "alerts", "prices", "suppliers"}) {
      auto as_of = runner->as_of(name, position);
      ASSERT_TRUE(as_of.ok()) << as_of.error().to_string();
      std::unique_ptr<projections::Projection> replayed;
      ASSERT_TRUE(runner->read(name, [&](const projections::Projection& p, std::uint64_t) { replayed = p.fresh(); }).ok());
      ASSERT_TRUE(projections::replay_in_memory(*store, {replayed.get()}, position).ok());
      EXPECT_EQ(answers(**as_of), answers(*replayed)) << name << " as of " << position;
    }
  }
  // As of a time: the last record recorded at or before it.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5; ++i) {
    const std::uint64_t position = std::uniform_int_distribution<std::uint64_t>(1, head)(rng);
    const std::int64_t time = store->read_at(position)->recorded_at_us();
    auto found = projections::position_at_time(*store, time);
    ASSERT_TRUE(found.ok());
    EXPECT_GE(*found, position);
    EXPECT_LE(store->read_at(*found)->recorded_at_us(), time);
    if (*found < head) {
      EXPECT_GT(store->read_at(*found + 1)->recorded_at_us(), time);
    }
  }
  EXPECT_EQ(*projections::position_at_time(*store, 0), 0u);
  EXPECT_FALSE(runner->as_of("stock", head + 1).ok());
  EXPECT_EQ(runner->as_of("timelines", 5).error().code, "as_of_unsupported");
}

// As-of is served from per-interval deltas (the rows each snapshot interval
// changed), which only add up to the state when every interval followed the
// same spacing from position 0: a database written with another
// snapshot_every (or an older layout) is emptied and rebuilt at open.
TEST(ProjectionRunner, ADatabaseOfAnotherSnapshotIntervalIsRebuiltFromZeroAndReopensFromItsDeltas) {
  TempDir dir;
  auto store = generate_history(dir.str("store"), 300);
  const std::uint64_t head = store->head().position;
  projections::RunnerOptions every_1000;
  every_1000.snapshot_every = 1'000;
  {
    auto runner = open_runner(*store, dir.str("projections"), every_1000);
    ASSERT_TRUE(runner->catch_up().ok());
  }
  projections::RunnerOptions every_700;
  every_700.snapshot_every = 700;
  auto reopened = open_runner(*store, dir.str("projections"), every_700);
  for (const auto& status : reopened->status()) EXPECT_EQ(status.position, 0u) << status.name;
  ASSERT_TRUE(reopened->catch_up().ok());
  auto clean = open_runner(*store, dir.str("clean"), every_700);
  ASSERT_TRUE(clean->catch_up().ok());
  EXPECT_TRUE(dump_rows(*reopened) == dump_rows(*clean));
  // Reopened with the same interval, nothing is rebuilt: the state loaded
  // from the interval deltas answers as the one that wrote them.
  std::map<std::string, nlohmann::json> before;
  for (const std::string name : {"stock", "kpis", "alerts", "prices", "suppliers"}) {
    ASSERT_TRUE(reopened->read(name, [&](const projections::Projection& p, std::uint64_t) { before[name] = answers(p); }).ok());
  }
  reopened.reset();
  auto again = open_runner(*store, dir.str("projections"), every_700);
  for (const auto& status : again->status()) EXPECT_EQ(status.position, head) << status.name;
  for (const auto& [name, answer] : before) {
    ASSERT_TRUE(again->read(name, [&](const projections::Projection& p, std::uint64_t) {
      EXPECT_EQ(answers(p), answer) << name << " after reopening";
    }).ok());
  }
  for (std::uint64_t position : {std::uint64_t{699}, std::uint64_t{700}, std::uint64_t{2'101}, head}) {
    auto as_of = again->as_of("kpis", position);
    ASSERT_TRUE(as_of.ok()) << as_of.error().to_string();
    std::unique_ptr<projections::Projection> replayed;
    ASSERT_TRUE(again->read("kpis", [&](const projections::Projection& p, std::uint64_t) { replayed = p.fresh(); }).ok());
    ASSERT_TRUE(projections::replay_in_memory(*store, {replayed.get()}, position).ok());
    EXPECT_EQ(answers(**as_of), answers(*replayed)) << "kpis as of " << position;
  }
}

// A test projection whose whole state is one number, stored as the row `row_key`.
class OneNumberProjection : public projections::Projection {
 public:
  explicit OneNumberProjection(std::string row_key) : row_key_(std::move(row_key)) {}
  std::uint32_t version() const override { return 1; }
  void take_changed_rows(projections::RowSink& sink) override { sink.put(row_key_, std::to_string(number_)); }
  void write_all_rows(projections::RowSink& sink) const override { sink.put(row_key_, std::to_string(number_)); }
  Status load_row(std::string_view, std::string_view value) override {
    number_ = std::stoull(std::string(value));
    return ok_status();
  }

 protected:
  std::uint64_t number_ = 0;

 private:
  std::string row_key_;
};

// Fails on one chosen position, like a projection meeting an event it cannot handle.
class FailsAt final : public OneNumberProjection {
 public:
  explicit FailsAt(std::uint64_t position) : OneNumberProjection("count"), position_(position) {}
  std::string_view name() const override { return "fails"; }
  Status apply(const projections::EventContext& context) override {
    if (context.position() == position_) return Error{"unexpected_event", "event", "cannot handle this one"};
    ++number_;  // the records counted
    return ok_status();
  }
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<FailsAt>(position_); }

 private:
  std::uint64_t position_;
};

TEST(ProjectionRunner, AFailingProjectionStopsAtItsRecordAndTheOthersGoOn) {
  TempDir dir;
  auto store = generate_history(dir.str("store"), 300);
  const std::uint64_t head = store->head().position;
  auto projections_list = projections::make_read_models(domain::default_config());
  projections_list.push_back(std::make_unique<FailsAt>(1'234));
  projections::RunnerOptions options;
  options.batch_records = 250;
  options.catch_up_write_every = 1'000;  // behind: checkpoints at 1,000, 2,000, ...
  auto runner = ProjectionRunner::open(*store, dir.str("projections"), std::move(projections_list), options);
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE((*runner)->catch_up().ok());
  for (const auto& status : (*runner)->status()) {
    if (status.name == "fails") {
      EXPECT_TRUE(status.failed);
      EXPECT_EQ(status.failed_position, 1'234u);
      EXPECT_NE(status.error.find("position 1234"), std::string::npos) << status.error;
      EXPECT_EQ(status.position, 1'000u);  // its last checkpoint: records 1,001-1,233 were applied, not written
    } else {
      EXPECT_FALSE(status.failed) << status.name;
      EXPECT_EQ(status.position, head) << status.name;
    }
  }
  // Its state stayed at its checkpoint: 1,000 records counted, none skipped.
  ASSERT_TRUE((*runner)->read("fails", [](const projections::Projection& p, std::uint64_t position) {
    EXPECT_EQ(position, 1'000u);
    EXPECT_EQ(answers(p)["count"], "1000");
  }).ok());
}

// Counts the records it applies and notes the position of each write of
// its rows (take_changed_rows) in a list shared with the test.
class NotesWrites final : public OneNumberProjection {
 public:
  explicit NotesWrites(std::shared_ptr<std::vector<std::uint64_t>> writes)
      : OneNumberProjection("position"), writes_(std::move(writes)) {}
  std::string_view name() const override { return "notes"; }
  Status apply(const projections::EventContext& context) override {
    number_ = context.position();  // the last record applied
    return ok_status();
  }
  void take_changed_rows(projections::RowSink& sink) override {
    writes_->push_back(number_);
    OneNumberProjection::take_changed_rows(sink);
  }
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<NotesWrites>(writes_); }

 private:
  std::shared_ptr<std::vector<std::uint64_t>> writes_;
};

// Catching up, a projection's rows and checkpoint are written once per
// catch_up_write_every records and at each snapshot interval's end, not
// after every batch; once the runner has caught up, at the head.
TEST(ProjectionRunner, WhileBehindAProjectionWritesEveryCatchUpWriteEveryRecordsAndAtIntervalEnds) {
  TempDir dir;
  auto store = generate_history(dir.str("store"), 1'000);
  const std::uint64_t head = store->head().position;
  ASSERT_GT(head, 6'000u);
  auto writes = std::make_shared<std::vector<std::uint64_t>>();
  std::vector<std::unique_ptr<projections::Projection>> list;
  list.push_back(std::make_unique<NotesWrites>(writes));
  projections::RunnerOptions options;
  options.batch_records = 100;
  options.snapshot_every = 2'500;
  options.catch_up_write_every = 1'000;
  auto runner = ProjectionRunner::open(*store, dir.str("projections"), std::move(list), options);
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE((*runner)->catch_up().ok());
  std::vector<std::uint64_t> expected;
  for (std::uint64_t interval = 0; interval + 1 <= head; interval += 2'500) {
    for (std::uint64_t p = interval + 1'000; p < interval + 2'500 && p < head; p += 1'000) expected.push_back(p);
    if (interval + 2'500 <= head) expected.push_back(interval + 2'500);
  }
  if (expected.back() != head) expected.push_back(head);
  EXPECT_EQ(*writes, expected);
  EXPECT_EQ((*runner)->status().at(0).position, head);
  EXPECT_EQ((*runner)->wait_for(head, std::chrono::milliseconds(0)), head);
}

// Counts records; at one position it waits until the test opens its gate,
// holding the runner mid-batch (once: its copies from fresh() do not wait).
class PausesAt final : public OneNumberProjection {
 public:
  struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool reached = false, open = false;
  };
  PausesAt(std::uint64_t position, std::shared_ptr<Gate> gate)
      : OneNumberProjection("count"), position_(position), gate_(std::move(gate)) {}
  std::string_view name() const override { return "pauses"; }
  Status apply(const projections::EventContext& context) override {
    ++number_;  // the records counted
    if (gate_ && context.position() == position_) {
      std::unique_lock lock(gate_->mutex);
      gate_->reached = true;
      gate_->changed.notify_all();
      gate_->changed.wait(lock, [&] { return gate_->open; });
    }
    return ok_status();
  }
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<PausesAt>(position_, nullptr); }

 private:
  std::uint64_t position_;
  std::shared_ptr<Gate> gate_;
};

// A rebuild asked for while the runner catches up, with batches read ahead
// of the one being applied: those batches are dropped, the projection
// replays from position 0, and the database ends as a clean rebuild's.
TEST(ProjectionRunner, ARebuildAskedForWhileCatchingUpEndsAsACleanRebuild) {
  TempDir dir;
  auto store = generate_history(dir.str("store"), 1'000);
  const std::uint64_t head = store->head().position;
  ASSERT_GT(head, 6'000u);
  projections::RunnerOptions options;
  options.batch_records = 256;
  options.snapshot_every = 2'000;
  options.catch_up_write_every = 1'000;
  auto open_with = [&](const std::string& name, std::shared_ptr<PausesAt::Gate> gate) {
    auto list = projections::make_read_models(domain::default_config());
    list.push_back(std::make_unique<PausesAt>(3'000, std::move(gate)));
    auto runner = ProjectionRunner::open(*store, dir.str(name), std::move(list), options);
    EXPECT_TRUE(runner.ok()) << runner.error().to_string();
    return std::move(runner).value();
  };
  auto gate = std::make_shared<PausesAt::Gate>();
  auto runner = open_with("projections", gate);
  runner->start();
  {
    std::unique_lock lock(gate->mutex);
    ASSERT_TRUE(gate->changed.wait_for(lock, std::chrono::seconds(30), [&] { return gate->reached; }));
  }
  // Held at position 3,000 while the reader reads on; meanwhile two rebuilds are asked for.
  ASSERT_TRUE(runner->rebuild("kpis").ok());
  ASSERT_TRUE(runner->rebuild("timelines").ok());
  {
    std::lock_guard lock(gate->mutex);
    gate->open = true;
  }
  gate->changed.notify_all();
  ASSERT_EQ(runner->wait_for(head, std::chrono::seconds(60)), head);
  runner->stop();
  auto clean = open_with("clean", nullptr);
  ASSERT_TRUE(clean->catch_up().ok());
  EXPECT_TRUE(dump_rows(*runner) == dump_rows(*clean)) << "a runner rebuilt mid-catch-up differs from a clean rebuild";
}

TEST(ProjectionRunner, KillDuringCatchUpThenRestartGivesTheStateOfACleanRebuild) {
  TempDir dir;
  {
    auto store = generate_history(dir.str("store"), 1'500);
  }
  // Child processes catch up in small batches and are killed at random moments.
  std::mt19937_64 rng(5);
  int killed_mid_way = 0;
  for (int round = 0; round < 6; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto store = store::EventStore::open_read_only(dir.str("store"));
      if (!store.ok()) _exit(2);
      projections::RunnerOptions options;
      options.batch_records = 16;
      options.snapshot_every = 3'000;
      options.catch_up_write_every = 48;  // a write every third batch: kills land between and during writes
      auto runner = ProjectionRunner::open(**store, dir.str("projections"),
                                           projections::make_read_models(domain::default_config()), options);
      if (!runner.ok()) _exit(3);
      _exit((*runner)->catch_up().ok() ? 0 : 4);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 250)(rng)));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) {
      ++killed_mid_way;
    } else {
      ASSERT_EQ(WEXITSTATUS(status), 0);
    }
  }
  EXPECT_GE(killed_mid_way, 3);
  auto store = store::EventStore::open_read_only(dir.str("store"));
  ASSERT_TRUE(store.ok());
  projections::RunnerOptions options;
  options.snapshot_every = 3'000;
  auto resumed = open_runner(**store, dir.str("projections"), options);
  ASSERT_TRUE(resumed->catch_up().ok());
  auto clean = open_runner(**store, dir.str("clean"), options);
  ASSERT_TRUE(clean->catch_up().ok());
  EXPECT_TRUE(dump_rows(*resumed) == dump_rows(*clean)) << "a resumed projection database differs from a clean rebuild";
}

// The runner writes batch N while it applies batch N+1 (a writer thread). A
// write refused by a full disk stops it: catch_up reports the error, every
// status names it, no position passes what the database holds; once space
// returns it resumes from what was written, neither skipping nor repeating.
TEST(ProjectionRunner, AFullDiskStopsTheRunnerAndItResumesExactlyWhenSpaceReturns) {
  TempDir dir;
  store::Options store_options;
  store_options.sync = false;
  auto store = open_store(dir.str("store"), store_options);
  commands::CommandHandler handler(*store, domain::default_config());
  auto generate = [&](const std::string& prefix, std::int64_t start_us) {
    load::LoadOptions load;
    load.orders = 200;
    load.id_prefix = prefix;
    load.start_us = start_us;
    ASSERT_TRUE(load::generate_shop(handler, load).ok());
  };
  generate("first", load::LoadOptions{}.start_us);
  auto faulty = std::make_shared<testing::FaultyFileSystem>();
  projections::RunnerOptions options;
  options.batch_records = 128;  // many batches in the pipeline
  options.snapshot_every = 1'000;
  options.env = std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(faulty).release());
  auto runner = open_runner(*store, dir.str("projections"), options);
  ASSERT_TRUE(runner->catch_up().ok());
  const std::uint64_t first_head = store->head().position;
  generate("second", load::LoadOptions{}.start_us + 30LL * 24 * 3'600'000'000LL);
  const std::uint64_t head = store->head().position;
  ASSERT_GT(head, first_head + 1'000);

  faulty->set_disk_full(true);
  Status refused = runner->catch_up();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "projection_db_error");
  for (const auto& status : runner->status()) {
    EXPECT_NE(status.error.find("projection database write failed"), std::string::npos) << status.name << ": " << status.error;
    EXPECT_GE(status.position, first_head) << status.name;
    EXPECT_LT(status.position, head) << status.name;
  }
  EXPECT_LT(runner->wait_for(head, std::chrono::milliseconds(0)), head);

  faulty->set_disk_full(false);
  Status resumed = runner->catch_up();
  ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
  for (const auto& status : runner->status()) EXPECT_EQ(status.position, head) << status.name;
  auto clean = open_runner(*store, dir.str("clean"), options);
  ASSERT_TRUE(clean->catch_up().ok());
  EXPECT_TRUE(dump_rows(*runner) == dump_rows(*clean)) << "a runner resumed after a full disk differs from a clean rebuild";
}

TEST(ProjectionRunner, ReadYourWritesWaitsForAPosition) {
  TempDir dir;
  store::Options store_options;
  store_options.sync = false;
  auto store = open_store(dir.str("store"), store_options);
  auto runner = open_runner(*store, dir.str("projections"));
  runner->start();
  commands::CommandHandler handler(*store, domain::default_config());
  for (commands::CommandEnvelope registration : commands::configured_registrations(handler.config())) {
    ASSERT_TRUE(handler.handle(registration).ok());
  }
  const std::uint64_t written = store->head().position;
  EXPECT_EQ(runner->wait_for(written, std::chrono::seconds(10)), written);
  EXPECT_LT(runner->wait_for(written + 1, std::chrono::milliseconds(50)), written + 1);  // times out, says where it is
  for (const auto& status : runner->status()) EXPECT_EQ(status.lag, 0u) << status.name;
}

}  // namespace
}  // namespace spine::testing
