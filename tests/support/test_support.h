// Helpers shared by the tests: a temporary directory that removes itself and
// builders for append requests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

#include "spine/eventstore/event_store.h"

namespace spine::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("TMPDIR");
    path_ = std::filesystem::path(base ? base : "/tmp") /
            ("spine-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str(const std::string& child = "store") const { return (path_ / child).string(); }

 private:
  std::filesystem::path path_;
};

// RFC 3339 UTC text with microseconds ("2026-12-02T05:31:12.123456Z"), as
// the read models and the API write times.
inline std::string rfc3339(std::int64_t utc_us) {
  const std::time_t seconds = static_cast<std::time_t>(utc_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(utc_us % 1'000'000));
  return text;
}

inline store::NewEvent event(const std::string& stream, const std::string& type = "Happened",
                             const std::string& payload = "payload") {
  store::NewEvent e;
  e.stream_id = stream;
  e.event_type = type;
  e.payload = payload;
  return e;
}

// One command writing `count` events to one stream.
inline store::AppendRequest request(const std::string& command_id, const std::string& stream,
                                    store::ExpectedVersion expected = store::ExpectedVersion::any(),
                                    std::size_t count = 1) {
  store::AppendRequest r;
  r.command_id = command_id;
  r.actor = "tester";
  r.expectations.push_back({stream, expected});
  for (std::size_t i = 0; i < count; ++i) r.events.push_back(event(stream));
  return r;
}

inline std::unique_ptr<store::EventStore> open_store(const std::string& dir, store::Options options = {}) {
  auto opened = store::EventStore::open(dir, std::move(options));
  if (!opened) throw std::runtime_error("open failed: " + opened.error().to_string());
  return std::move(*opened);
}

}  // namespace spine::testing
