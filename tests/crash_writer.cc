// Test helper for the crash test: appends in a loop from several threads and
// prints "ack FIRST LAST STREAM VERSION" (flushed) after each acknowledged
// append, until it is killed.
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "spine/eventstore/event_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_writer DIR RUN\n");
    return 2;
  }
  auto opened = spine::store::EventStore::open(argv[1]);
  if (!opened) {
    std::fprintf(stderr, "open failed: %s\n", opened.error().to_string().c_str());
    return 3;
  }
  auto& log = **opened;
  const std::string run = argv[2];
  std::mutex out;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t * 7919 + std::stoi(run)));
      const std::string stream = "stream-" + std::to_string(t);
      auto version = log.stream_version(stream);
      if (!version) std::abort();
      std::uint64_t current = *version;
      for (std::uint64_t i = 0;; ++i) {
        spine::store::AppendRequest request;
        request.command_id = "run" + run + "-t" + std::to_string(t) + "-" + std::to_string(i);
        request.actor = "crash-writer";
        request.expectations.push_back({stream, spine::store::ExpectedVersion::exact(current)});
        const int events = 1 + static_cast<int>(rng() % 50);
        for (int e = 0; e < events; ++e) {
          spine::store::NewEvent event;
          event.stream_id = stream;
          event.event_type = "Tick";
          event.payload = std::string(static_cast<std::size_t>(rng() % 2000), static_cast<char>('a' + t));
          request.events.push_back(std::move(event));
        }
        auto result = log.append(std::move(request));
        if (!result) {
          std::fprintf(stderr, "append failed: %s\n", result.error().to_string().c_str());
          std::abort();
        }
        current = result->streams[0].last_version;
        std::lock_guard lock(out);
        std::printf("ack %llu %llu %s %llu\n", static_cast<unsigned long long>(result->first_position),
                    static_cast<unsigned long long>(result->last_position), stream.c_str(),
                    static_cast<unsigned long long>(current));
        std::fflush(stdout);
      }
    });
  }
  for (auto& thread : threads) thread.join();
}
