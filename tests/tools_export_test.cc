// `spine export`, `verify --file`, `import` and `stats` (the real binary):
// tampering with an export is caught at the right position; export, import,
// export again is byte-identical; the imported store behaves as the original.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "spine/commands/command_handler.h"
#include "support/shop.h"
#include "support/process.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

CommandOutput run(const std::string& arguments) { return run_command(std::string(SPINE_BINARY) + " " + arguments); }

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const std::string& line : lines) out << line << '\n';
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      auto log = open_store(dir.str("original"));
      commands::CommandHandler handler(*log, domain::default_config());
      for (auto& c : commands::configured_registrations(handler.config())) ASSERT_TRUE(handler.handle(c).ok());
      auto envelope = [](const std::string& id, auto body) {
        commands::CommandEnvelope c;
        c.command_id = id;
        c.actor = "ops";
        c.body = wrap(std::move(body));
        return c;
      };
      ASSERT_TRUE(handler.handle(envelope("list", list_product("p1", {"A", "B"}, {10000, 12000}))).ok());
      ASSERT_TRUE(handler.handle(envelope("stock", receive_stock("A", "wh-shanghai", 50))).ok());
      for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(handler.handle(envelope("order-" + std::to_string(i),
                                            place_order("o" + std::to_string(i), "east", {{"A", 1, 10000}})))
                        .ok());
      }
      head = log->head().position;
    }
    export_path = dir.str("export.ndjson");
    CommandOutput exported = run("export --data " + dir.str("original") + " > " + export_path);
    ASSERT_EQ(exported.exit_code, 0);
    lines = read_lines(export_path);
    ASSERT_EQ(lines.size(), head + 1);  // records and the trailer
  }

  // Verifies `changed` (written to a file) and returns the JSON report.
  nlohmann::json verify(const std::vector<std::string>& changed) {
    const std::string path = dir.str("tampered.ndjson");
    write_lines(path, changed);
    CommandOutput verified = run("verify --file " + path + " --json");
    auto report = nlohmann::json::parse(verified.out, nullptr, false);
    EXPECT_FALSE(report.is_discarded()) << verified.out;
    EXPECT_EQ(verified.exit_code, report["ok"].get<bool>() ? 0 : 1);
    return report;
  }

  TempDir dir;
  std::uint64_t head = 0;
  std::string export_path;
  std::vector<std::string> lines;  // lines[i] is position i + 1
};

TEST_F(ExportTest, EachLineCarriesEveryEnvelopeFieldTheHashesAndTheEventAsJson) {
  auto line = nlohmann::json::parse(lines[head - 1]);  // the last OrderPlaced... or StockReserved
  for (const char* key : {"position", "stream", "stream_version", "type", "event_id", "command_id", "causation_id", "actor",
                          "occurred_at_us", "recorded_at_us", "schema_version", "prev_hash", "hash", "envelope", "event"}) {
    EXPECT_TRUE(line.contains(key)) << key;
  }
  EXPECT_EQ(line["event"]["body_type"], line["type"]);
  EXPECT_EQ(nlohmann::json::parse(lines.back())["end"]["head_position"].get<std::uint64_t>(), head);
}

TEST_F(ExportTest, AnUntouchedExportVerifies) {
  auto report = verify(lines);
  EXPECT_TRUE(report["ok"].get<bool>());
  EXPECT_EQ(report["records_checked"].get<std::uint64_t>(), head);
}

TEST_F(ExportTest, AChangedFieldIsCaughtAtItsPosition) {
  auto changed = lines;
  auto line = nlohmann::json::parse(changed[9]);
  line["actor"] = "someone-else";
  changed[9] = line.dump();
  auto report = verify(changed);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["bad_position"].get<std::uint64_t>(), 10u);
  EXPECT_NE(report["reason"].get<std::string>().find("actor"), std::string::npos);
}

TEST_F(ExportTest, AChangedByteInTheEnvelopeIsCaughtAtItsPosition) {
  auto changed = lines;
  auto line = nlohmann::json::parse(changed[14]);
  std::string envelope = line["envelope"];
  envelope[envelope.size() / 2] = envelope[envelope.size() / 2] == 'A' ? 'B' : 'A';
  line["envelope"] = envelope;
  changed[14] = line.dump();
  auto report = verify(changed);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["bad_position"].get<std::uint64_t>(), 15u);
}

TEST_F(ExportTest, ARemovedLineIsCaughtAtTheMissingPosition) {
  auto changed = lines;
  changed.erase(changed.begin() + 19);
  auto report = verify(changed);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["bad_position"].get<std::uint64_t>(), 20u);
  EXPECT_NE(report["reason"].get<std::string>().find("missing"), std::string::npos);
}

TEST_F(ExportTest, TwoSwappedLinesAreCaughtAtTheFirst) {
  auto changed = lines;
  std::swap(changed[29], changed[30]);
  auto report = verify(changed);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["bad_position"].get<std::uint64_t>(), 30u);
}

TEST_F(ExportTest, ATruncatedTailIsCaught) {
  auto without_tail = std::vector<std::string>(lines.begin(), lines.end() - 4);  // trailer and 3 records gone
  auto report = verify(without_tail);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["bad_position"].get<std::uint64_t>(), head - 2);
  EXPECT_NE(report["reason"].get<std::string>().find("trailer"), std::string::npos);
  auto cut_mid_line = lines;
  cut_mid_line.pop_back();
  cut_mid_line.back() = cut_mid_line.back().substr(0, cut_mid_line.back().size() / 2);
  auto cut = verify(cut_mid_line);
  EXPECT_FALSE(cut["ok"].get<bool>());
  EXPECT_EQ(cut["bad_position"].get<std::uint64_t>(), head);
}

// Found by the export-line fuzzer: a trailer of the wrong shape ended
// `verify --file` with an uncaught nlohmann type_error (exit 134).
TEST_F(ExportTest, ATrailerOfTheWrongShapeIsAReportNotACrash) {
  const nlohmann::json good = nlohmann::json::parse(lines.back());
  std::vector<nlohmann::json> trailers = {
      nlohmann::json{{"end", 5}}, nlohmann::json{{"end", nullptr}}, nlohmann::json{{"end", nlohmann::json::array()}},
      nlohmann::json{{"end", {{"head_position", "x"}, {"head_hash", good["end"]["head_hash"]}, {"records", head}}}},
      nlohmann::json{{"end", {{"head_position", head}, {"head_hash", 7}, {"records", head}}}},
      nlohmann::json{{"end", {{"head_position", head}, {"head_hash", good["end"]["head_hash"]}}}},
      nlohmann::json{{"end", {{"head_position", head}, {"head_hash", good["end"]["head_hash"]}, {"records", head + 1}}}}};
  for (const nlohmann::json& trailer : trailers) {
    auto changed = lines;
    changed.back() = trailer.dump();
    auto report = verify(changed);
    EXPECT_FALSE(report.value("ok", true)) << trailer.dump();
    EXPECT_NE(report.value("reason", std::string()).find("trailer"), std::string::npos) << trailer.dump();
  }
}

TEST_F(ExportTest, ALineLongerThanTheLimitIsRefusedWithoutReadingItWhole) {
  auto changed = lines;
  changed.insert(changed.begin() + 5, std::string(17u << 20, 'x'));  // over the 16 MiB line limit
  auto report = verify(changed);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["bad_position"].get<std::uint64_t>(), 6u);
  EXPECT_NE(report["reason"].get<std::string>().find("longer than"), std::string::npos);
}

TEST_F(ExportTest, ExportImportExportIsByteIdenticalAndTheImportBehavesAsTheOriginal) {
  CommandOutput imported = run("import --data " + dir.str("imported") + " " + export_path);
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  CommandOutput again = run("export --data " + dir.str("imported"));
  ASSERT_EQ(again.exit_code, 0);
  std::ifstream original(export_path);
  std::stringstream original_text;
  original_text << original.rdbuf();
  EXPECT_EQ(again.out, original_text.str());
  EXPECT_EQ(run("verify --data " + dir.str("imported")).exit_code, 0);
  // The read models rebuilt from the import equal the original's, every one of them.
  CommandOutput models_original = run("replay --data " + dir.str("original"));
  CommandOutput models_imported = run("replay --data " + dir.str("imported"));
  ASSERT_EQ(models_original.exit_code, 0);
  ASSERT_EQ(models_imported.exit_code, 0);
  ASSERT_NE(models_original.out.find("\"stock\""), std::string::npos);
  EXPECT_EQ(models_imported.out, models_original.out);

  auto a = store::EventStore::open_read_only(dir.str("original"));
  auto b = open_store(dir.str("imported"));
  ASSERT_TRUE(a.ok());
  // Every stream's state, folded from either log, is the same.
  auto heads = (*a)->stream_heads("", 10'000);
  ASSERT_TRUE(heads.ok());
  ASSERT_GT(heads->size(), 20u);
  for (const store::StreamHead& h : *heads) {
    EXPECT_EQ(*b->stream_version(h.stream_id), h.version) << h.stream_id;
    EXPECT_EQ(*commands::fold_stream(**a, h.stream_id, {}), *commands::fold_stream(*b, h.stream_id, {})) << h.stream_id;
  }
  // Idempotency survives: a retried command answers its first result.
  auto first = (*a)->find_command("order-3");
  auto imported_first = b->find_command("order-3");
  ASSERT_TRUE(first.ok() && imported_first.ok() && first->has_value() && imported_first->has_value());
  EXPECT_EQ((*imported_first)->first_position, (*first)->first_position);
  EXPECT_EQ((*imported_first)->streams.size(), (*first)->streams.size());
  // And the imported store takes new commands after its head.
  commands::CommandHandler handler(*b, domain::default_config());
  commands::CommandEnvelope c;
  c.command_id = "after-import";
  c.actor = "ops";
  c.body = wrap(place_order("o-new", "east", {{"A", 1, 10000}}));
  auto outcome = handler.handle(c);
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(outcome->append.first_position, head + 1);
}

TEST_F(ExportTest, ImportRefusesAnExportThatDoesNotVerifyAndCreatesNothing) {
  auto changed = lines;
  std::swap(changed[5], changed[6]);
  write_lines(dir.str("bad.ndjson"), changed);
  CommandOutput imported = run("import --data " + dir.str("never") + " " + dir.str("bad.ndjson"));
  EXPECT_EQ(imported.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.str("never")));
  EXPECT_EQ(run("import --data " + dir.str("original") + " " + export_path).exit_code, 2);  // not a new directory
}

TEST_F(ExportTest, StatsCountEventsByTypeAndFamily) {
  CommandOutput stats = run("stats --data " + dir.str("original") + " --json");
  ASSERT_EQ(stats.exit_code, 0);
  auto json = nlohmann::json::parse(stats.out);
  EXPECT_EQ(json["head_position"].get<std::uint64_t>(), head);
  EXPECT_EQ(json["events_by_type"]["OrderPlaced"].get<int>(), 20);
  EXPECT_EQ(json["events_by_type"]["StockReserved"].get<int>(), 20);
  EXPECT_EQ(json["events_by_stream_family"]["order"].get<int>(), 20);
  EXPECT_GT(json["bytes_on_disk"].get<std::uint64_t>(), 0u);
}

}  // namespace
}  // namespace spine::testing

namespace spine::testing {
namespace {

TEST(ImportRecords, AnImportInterruptedAfterABatchLeavesAStoreThatRefusesToOpen) {
  TempDir dir;
  store::Options fast;
  fast.sync = false;
  auto source = open_store(dir.str("source"), fast);
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(source->append(request("c" + std::to_string(i), "s-" + std::to_string(i % 7),
                                                                   store::ExpectedVersion::any(), 100)).ok());
  std::uint64_t next_position = 1;
  {
    auto target = open_store(dir.str("target"));
    auto imported = target->import_records([&]() -> Result<std::optional<std::string>> {
      if (next_position == 11'000) return Error{"io_error", "", "the export file became unreadable"};
      auto record = source->read_at(next_position++);
      if (!record) return record.error();
      return std::optional<std::string>(record->bytes());
    });
    ASSERT_FALSE(imported.ok());
    EXPECT_EQ(imported.error().code, "io_error");
  }
  auto reopened = store::EventStore::open(dir.str("target"));
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("did not finish"), std::string::npos) << reopened.error().to_string();
}

TEST(ImportRecords, OnlyAnEmptyStoreAcceptsAnImport) {
  TempDir dir;
  auto target = open_store(dir.str());
  ASSERT_TRUE(target->append(request("c1", "s")).ok());
  auto refused = target->import_records([]() -> Result<std::optional<std::string>> { return std::optional<std::string>(); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "not_empty");
}

}  // namespace
}  // namespace spine::testing
