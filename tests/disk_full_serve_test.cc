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

#include "support/command_clients.h"

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
  run_clients(serve.port, admin, "full", kClients, full, [&] {
    std::lock_guard lock(full.mutex);
    return full.no_space >= 50 || full.unexpected.size() >= 20 || full.lost > 0 || std::chrono::steady_clock::now() > deadline;
  });
  loading = false;
  reader.join();
  EXPECT_GE(full.no_space, 50) << "the disk never filled";
  EXPECT_EQ(full.lost, 0);
  EXPECT_TRUE(full.unexpected.empty()) << full.unexpected.size() << " answers, first: " << full.unexpected.front();
  EXPECT_TRUE(failed_reads.empty()) << failed_reads.size() << " reads failed, first: " << failed_reads.front();
  EXPECT_GT(reads.load(), 0);
  ASSERT_EQ(kill(serve.pid, 0), 0) << "spine serve died: " << slurp(dir.str("serve.err")).substr(0, 4000);

  // Space returns: appends work again without a restart (the store retries once a second).
  disk.release();
  Tally recovered;
  const auto recovery_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  run_clients(serve.port, admin, "recovered", kClients, recovered, [&] {
    std::lock_guard lock(recovered.mutex);
    return recovered.acknowledged.size() >= 200 || recovered.unexpected.size() >= 20 ||
           std::chrono::steady_clock::now() > recovery_deadline;
  });
  ASSERT_GE(recovered.acknowledged.size(), 200u) << recovered.no_space << " still no_space";
  EXPECT_EQ(recovered.lost, 0);
  EXPECT_TRUE(recovered.unexpected.empty()) << recovered.unexpected.front();

  // Nothing acknowledged is lost: each key answers its first result again, and
  // the read models reach the head.
  std::vector<Acknowledged> all = full.acknowledged;
  all.insert(all.end(), recovered.acknowledged.begin(), recovered.acknowledged.end());
  expect_each_replayed(serve.port, admin, all);
  expect_stock_equals_replay_after_stop(serve, data, auditor);
}

TEST_P(DiskFullServe, AppendsAnswerNoSpaceReadsGoOnAndNothingAcknowledgedIsLost) { run_scenario(); }

INSTANTIATE_TEST_SUITE_P(ReadModels, DiskFullServe, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "OnTheSameDisk" : "OnAnotherDisk"; });

}  // namespace
}  // namespace spine::testing
