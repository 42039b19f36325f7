// A full disk under concurrent load, against the real `spine serve`: appends
// answer 503 no_space, reads keep answering, the process lives, nothing it
// acknowledged is lost, and appends work again once space returns, without a
// restart. The disk is a small tmpfs mounted for the test, with the read
// models' database on it or on another disk. Mounting needs root (CI runs as
// root); without it the test is skipped and says so.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "support/http_api_fixture.h"

namespace spine::testing {
namespace {

constexpr int kClients = 6;  // concurrent command clients

// A tmpfs of `megabytes` at `path`, detached when the test ends.
class SmallDisk {
 public:
  SmallDisk(std::string path, int megabytes) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    const std::string size = "size=" + std::to_string(megabytes) + "m";
    mounted_ = mount("tmpfs", path_.c_str(), "tmpfs", 0, size.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::string str(const std::string& name) const { return path_ + "/" + name; }

  // Takes all but `leave_bytes` of the free space with one file.
  bool fill(std::uint64_t leave_bytes) {
    struct statvfs fs {};
    if (statvfs(path_.c_str(), &fs) != 0) return false;
    const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes <= leave_bytes) return true;
    const int fd = open(str("filler").c_str(), O_CREAT | O_WRONLY, 0600);
    if (fd < 0) return false;
    const bool taken = posix_fallocate(fd, 0, static_cast<off_t>(free_bytes - leave_bytes)) == 0;
    close(fd);
    return taken;
  }
  void release() { std::filesystem::remove(str("filler")); }

 private:
  std::string path_;
  bool mounted_ = false;
};

struct Command {
  std::string path, body, key;
};

struct Acknowledged {
  Command command;
  std::string answer;  // the 201 body
};

// What the clients saw, answer by answer.
struct Tally {
  std::mutex mutex;
  std::vector<Acknowledged> acknowledged;
  int no_space = 0;
  std::vector<std::string> unexpected;  // any other answer: status and body
};

Command command_for(int client, int sequence) {
  const std::string key = "df-" + std::to_string(client) + "-" + std::to_string(sequence);
  if (sequence % 2 == 0) {
    const Json body = {{"sku_id", kSku}, {"warehouse_id", "wh-shanghai"}, {"quantity", 1}, {"unit_cost", 9000},
                       {"purchase_ref", "po-" + key}};
    return {"/v1/commands/receive-stock", body.dump(), key};
  }
  return {"/v1/commands/place-order", order_body("o-" + key, kSku, 1), key};
}

// Each client sends commands, one at a time with its own key, until `done`.
void run_clients(std::uint16_t port, const std::string& token, int first_sequence, Tally& tally,
                 const std::function<bool()>& done) {
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client(port, token);
      for (int sequence = first_sequence; !done(); ++sequence) {
        const Command command = command_for(c, sequence);
        HttpAnswer answer = client.post(command.path, command.body, {{"Idempotency-Key", command.key}});
        std::lock_guard lock(tally.mutex);
        if (answer.status == 201) {
          tally.acknowledged.push_back({command, answer.body});
        } else if (answer.status == 503 && answer.json().value("code", "") == "no_space") {
          ++tally.no_space;
        } else {
          tally.unexpected.push_back(std::to_string(answer.status) + " " + answer.body);
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
}

class DiskFullServe : public ::testing::TestWithParam<bool> {
 protected:
  // GetParam(): the read models' database on the full disk too.
  void run_scenario();

  TempDir dir;
  HttpServe serve;
};

void DiskFullServe::run_scenario() {
  SmallDisk disk(dir.str("small"), 64);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs (needs root): the full-disk serve test did not run";
  const std::string data = disk.str("data");
  const std::string projections = GetParam() ? disk.str("projections") : dir.str("projections");
  const std::string admin = run_spine("token create --data " + data + " --role admin --name df-admin");
  const std::string auditor = run_spine("token create --data " + data + " --role auditor --name df-auditor");
  ASSERT_EQ(admin.rfind("spine_", 0), 0u) << admin;
  ASSERT_TRUE(serve.start(data, dir.str("serve.out"), dir.str("serve.err"),
                          {"--sample-orders", "20", "--projections", projections}))
      << slurp(dir.str("serve.err"));
  ASSERT_TRUE(disk.fill(3 << 20));

  // The disk fills under load; reads are answered all along.
  Tally full;
  std::atomic<bool> loading{true};
  std::atomic<int> reads{0};
  std::vector<std::string> failed_reads;
  std::thread reader([&] {
    HttpClient client(serve.port, auditor);
    while (loading.load()) {
      for (const std::string& target : {"/v1/stock/" + std::string(kSku), std::string("/healthz")}) {
        HttpAnswer answer = client.get(target);
        if (answer.status != 200) failed_reads.push_back(target + ": " + std::to_string(answer.status) + answer.body);
        ++reads;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  run_clients(serve.port, admin, 0, full, [&] {
    std::lock_guard lock(full.mutex);
    return full.no_space >= 50 || full.unexpected.size() >= 20 || std::chrono::steady_clock::now() > deadline;
  });
  loading = false;
  reader.join();
  EXPECT_GE(full.no_space, 50) << "the disk never filled";
  EXPECT_TRUE(full.unexpected.empty()) << full.unexpected.size() << " answers, first: " << full.unexpected.front();
  EXPECT_TRUE(failed_reads.empty()) << failed_reads.size() << " reads failed, first: " << failed_reads.front();
  EXPECT_GT(reads.load(), 0);
  ASSERT_EQ(kill(serve.pid, 0), 0) << "spine serve died: " << slurp(dir.str("serve.err")).substr(0, 4000);

  // Space returns: appends work again without a restart (the store retries once a second).
  disk.release();
  Tally recovered;
  const auto recovery_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  run_clients(serve.port, admin, 1'000'000, recovered, [&] {
    std::lock_guard lock(recovered.mutex);
    return recovered.acknowledged.size() >= 200 || recovered.unexpected.size() >= 20 ||
           std::chrono::steady_clock::now() > recovery_deadline;
  });
  ASSERT_GE(recovered.acknowledged.size(), 200u) << recovered.no_space << " still no_space";
  EXPECT_TRUE(recovered.unexpected.empty()) << recovered.unexpected.front();

  // Nothing acknowledged is lost: each key answers its first result again, and
  // the read models reach the head.
  HttpClient check(serve.port, admin);
  std::vector<Acknowledged> all = full.acknowledged;
  all.insert(all.end(), recovered.acknowledged.begin(), recovered.acknowledged.end());
  for (const Acknowledged& first : all) {
    HttpAnswer again = check.post(first.command.path, first.command.body, {{"Idempotency-Key", first.command.key}});
    ASSERT_EQ(again.status, 201) << first.command.key << ": " << again.body;
    EXPECT_EQ(again.headers["idempotent-replayed"], "true") << first.command.key;
    EXPECT_EQ(again.body, first.answer) << first.command.key;
  }
  HttpClient reader_after(serve.port, auditor);
  const std::uint64_t head = reader_after.get("/v1/events?limit=1").json().value("position", 0ull);
  HttpAnswer stock = reader_after.get("/v1/stock?min_position=" + std::to_string(head));
  ASSERT_EQ(stock.status, 200) << stock.body;
  EXPECT_EQ(reader_after.get("/readyz").status, 200);
  EXPECT_EQ(serve.stop(), 0);

  // The log's chain is whole, and the live read model is what a replay of the log computes.
  int verified = -1;
  run_spine("verify --data " + data, &verified);
  EXPECT_EQ(verified, 0);
  const std::string replayed = run_spine("replay --data " + data + " --projection stock");
  const Json replay = Json::parse(replayed, nullptr, false);
  ASSERT_FALSE(replay.is_discarded()) << replayed;
  EXPECT_EQ(replay["head_position"], head);
  EXPECT_EQ(replay["models"]["stock"], stock.json()["data"]);
}

TEST_P(DiskFullServe, AppendsAnswerNoSpaceReadsGoOnAndNothingAcknowledgedIsLost) { run_scenario(); }

INSTANTIATE_TEST_SUITE_P(ReadModels, DiskFullServe, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "OnTheSameDisk" : "OnAnotherDisk"; });

}  // namespace
}  // namespace spine::testing
