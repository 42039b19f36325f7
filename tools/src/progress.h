// A progress line on stderr for long work (export, import, verify, load,
// replay): done/total, rate and ETA, redrawn at most four times a second.
// Shown only when stderr is a terminal, so logs and pipes stay clean.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace spine::cli {

class Progress {
 public:
  // `total` 0: unknown (no percentage or ETA).
  Progress(std::string label, std::uint64_t total)
      : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1),
        started_(std::chrono::steady_clock::now()), last_draw_(started_ - std::chrono::seconds(1)) {}  // the first update draws
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return enabled_; }

  void update(std::uint64_t done) {
    done_ = done;
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(250)) return;
    last_draw_ = now;
    draw(now);
  }

  // Clears the line (once).
  void finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  void draw(std::chrono::steady_clock::time_point now) {
    const double seconds = std::chrono::duration<double>(now - started_).count();
    const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
    if (total_ > 0) {
      const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
      const double eta = rate > 0 && done_ < total_ ? static_cast<double>(total_ - done_) / rate : 0;
      std::fprintf(stderr, "\r\033[K%s: %llu/%llu (%.0f%%) %.0f/s ETA %.0fs", label_.c_str(),
                   static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_), 100 * fraction, rate,
                   eta);
    } else {
      std::fprintf(stderr, "\r\033[K%s: %llu %.0f/s", label_.c_str(), static_cast<unsigned long long>(done_), rate);
    }
    std::fflush(stderr);
  }

  std::string label_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point started_, last_draw_;
};

}  // namespace spine::cli
