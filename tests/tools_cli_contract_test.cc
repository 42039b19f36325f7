// The `spine` command line's contract (docs/api.md, "Exit codes"): --help on
// every subcommand, the documented exit codes, machine output on stdout
// (--json parses), and a progress display only when stderr is a terminal.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "support/process.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using Json = nlohmann::json;

std::string spine(const std::string& arguments) { return std::string(SPINE_BINARY) + " " + arguments; }

// Runs `spine` with stderr on a pseudo-terminal; everything it wrote there.
std::string stderr_on_a_terminal(const std::vector<std::string>& arguments) {
  int master = -1;
  const pid_t child = forkpty(&master, nullptr, nullptr, nullptr);
  if (child == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);  // stdout stays machine output; only stderr is the terminal
    std::vector<char*> argv{const_cast<char*>(SPINE_BINARY)};
    for (const std::string& a : arguments) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(SPINE_BINARY, argv.data());
    _exit(127);
  }
  std::string seen;
  char buffer[4096];
  for (ssize_t n; (n = read(master, buffer, sizeof buffer)) > 0;) seen.append(buffer, static_cast<std::size_t>(n));
  close(master);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << seen;
  return seen;
}

class SpineCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_EQ(run_command(spine("load --orders 300 --seed 5 --data " + data())).exit_code, 0);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string data() { return dir_->str("data"); }
  static TempDir* dir_;
};
TempDir* SpineCli::dir_ = nullptr;

TEST_F(SpineCli, EverySubcommandHasHelpOnStdoutAndExitsZero) {
  for (const char* sub : {"", "verify", "export", "import", "replay", "stats", "load", "serve", "relay", "tail",
                          "token", "token create", "token revoke", "token list", "bench", "bench all", "bench append",
                          "bench orders", "bench relay", "bench projections", "bench http"}) {
    CommandOutput help = run_command(spine(std::string(sub) + " --help"));
    EXPECT_EQ(help.exit_code, 0) << sub;
    EXPECT_NE(help.out.find("Usage:"), std::string::npos) << sub << ": " << help.out;
  }
}

TEST_F(SpineCli, UsageErrorsExitTwoAndMissingStoresExitThree) {
  EXPECT_EQ(run_command(spine("")).exit_code, 2);
  EXPECT_EQ(run_command(spine("frobnicate")).exit_code, 2);
  EXPECT_EQ(run_command(spine("stats --data " + data() + " --no-such-flag")).exit_code, 2);
  EXPECT_EQ(run_command(spine("export")).exit_code, 2);
  EXPECT_EQ(run_command(spine("load --data " + dir_->str("x") + " --orders 0")).exit_code, 2);
  EXPECT_EQ(run_command(spine("import --data " + data() + " " + dir_->str("none.ndjson"))).exit_code, 2);  // not empty
  const std::string missing = dir_->str("missing");
  for (const char* sub : {"export", "stats", "replay", "verify"}) {
    EXPECT_EQ(run_command(spine(std::string(sub) + " --data " + missing)).exit_code, 3) << sub;
  }
  EXPECT_EQ(run_command(spine("verify --file " + dir_->str("missing.ndjson"))).exit_code, 3);
  EXPECT_EQ(run_command(spine("token revoke --data " + data() + " tok_nobody")).exit_code, 5);
}

TEST_F(SpineCli, JsonOutputsParseAndCarryTheirFigures) {
  CommandOutput stats = run_command(spine("stats --data " + data() + " --json"));
  ASSERT_EQ(stats.exit_code, 0);
  const Json s = Json::parse(stats.out);
  const std::uint64_t head = s["head_position"];
  EXPECT_GT(head, 1000u);

  CommandOutput verify = run_command(spine("verify --data " + data() + " --json"));
  ASSERT_EQ(verify.exit_code, 0);
  const Json v = Json::parse(verify.out);
  EXPECT_EQ(v["ok"], true);
  EXPECT_EQ(v["head_position"], head);

  CommandOutput created = run_command(spine("token create --data " + data() + " --role auditor --name ann --json"));
  ASSERT_EQ(created.exit_code, 0);
  const Json token = Json::parse(created.out);
  EXPECT_EQ(token["role"], "auditor");
  CommandOutput listed = run_command(spine("token list --data " + data() + " --json"));
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find(token["id"].get<std::string>()), std::string::npos);
  EXPECT_EQ(listed.out.find(token["token"].get<std::string>()), std::string::npos) << "a secret is never listed again";

  CommandOutput loaded = run_command(spine("load --orders 10 --seed 2 --id-prefix more --json --data " + dir_->str("more")));
  ASSERT_EQ(loaded.exit_code, 0);
  const Json l = Json::parse(loaded.out);
  EXPECT_EQ(l["accepted"].get<std::uint64_t>() + l["refused"].get<std::uint64_t>(), l["commands"].get<std::uint64_t>());
  EXPECT_GT(l["head_position"].get<std::uint64_t>(), 0u);
}

TEST_F(SpineCli, ProgressIsShownOnATerminalAndNeverInAPipe) {
  const std::string on_terminal = stderr_on_a_terminal({"export", "--data", data()});
  EXPECT_NE(on_terminal.find("export: "), std::string::npos) << on_terminal;
  EXPECT_NE(on_terminal.find("ETA"), std::string::npos) << on_terminal;
  const std::string replay_terminal = stderr_on_a_terminal({"replay", "--data", data(), "--projection", "stock"});
  EXPECT_NE(replay_terminal.find("replay: "), std::string::npos) << replay_terminal;
  const std::string verify_terminal = stderr_on_a_terminal({"verify", "--data", data()});
  EXPECT_NE(verify_terminal.find("verify: "), std::string::npos) << verify_terminal;

  const std::string err = dir_->str("export.err");
  ASSERT_EQ(std::system((spine("export --data " + data()) + " >/dev/null 2>" + err).c_str()), 0);
  const std::string piped = slurp(err);
  EXPECT_EQ(piped.find('\r'), std::string::npos) << piped;
  EXPECT_EQ(piped.find("ETA"), std::string::npos) << piped;
  EXPECT_NE(piped.find("exported"), std::string::npos) << "the summary still goes to stderr";
}

TEST_F(SpineCli, BenchAllPrintsOneTableOfEveryBenchmarkItRan) {
  CommandOutput table = run_command(spine("bench all --quick --only append --only orders --json --dir " + dir_->str("bench")));
  ASSERT_EQ(table.exit_code, 0) << table.out;
  const Json t = Json::parse(table.out);
  std::set<std::string> benchmarks;
  for (const Json& row : t["rows"]) {
    benchmarks.insert(row["benchmark"]);
    EXPECT_GT(row["spine"].get<double>(), 0) << row.dump();
    if (!row["ceiling"].is_null()) {
      EXPECT_NEAR(row["ratio"].get<double>(), row["spine"].get<double>() / row["ceiling"].get<double>(), 1e-9);
    }
  }
  EXPECT_EQ(benchmarks, (std::set<std::string>{"append", "orders"}));
  EXPECT_EQ(t["rows"].size(), 7u) << "batches of 1, 100, 1000, 64 appenders, 64 async appends, the read; place-order";
  EXPECT_EQ(t["failed"], Json::array());
}

TEST_F(SpineCli, BenchAllQuickRunsTheOtherBenchmarksWithTheirOwnFlags) {
  std::string only = "--only relay --only projections";
  const bool have_wrk = std::system("command -v wrk >/dev/null && command -v nginx >/dev/null") == 0;
  if (have_wrk) only += " --only http";  // needs tools/install-deps --bench
  CommandOutput table = run_command(spine("bench all --quick " + only + " --json --dir " + dir_->str("bench-others")));
  ASSERT_EQ(table.exit_code, 0) << table.out;
  const Json t = Json::parse(table.out);
  EXPECT_EQ(t["failed"], Json::array());
  std::set<std::string> benchmarks;
  for (const Json& row : t["rows"]) benchmarks.insert(row["benchmark"]);
  std::set<std::string> expected{"relay", "projections"};
  if (have_wrk) expected.insert("http");
  EXPECT_EQ(benchmarks, expected);
}

}  // namespace
}  // namespace spine::testing
