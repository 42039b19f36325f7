// Verification of the hash chain, record by record, so that a live store and
// an exported file are checked by the same code. The first failure is kept:
// its position and the reason.
#pragma once

#include <functional>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spine/eventstore/record.h"

namespace spine::store {

struct VerifyReport {
  bool ok = true;
  std::uint64_t records_checked = 0;
  std::uint64_t head_position = 0;   // last good position
  Digest head_hash{};                // hash of the last good record
  std::uint64_t bad_position = 0;    // first bad position when !ok
  std::string reason;                // why it is bad
};

class ChainVerifier {
 public:
  // Checks the next record, whose key in the log is `key_position`, given as
  // raw envelope bytes (read only during the call). Returns false (and keeps
  // the report) at the first failure.
  bool check(std::uint64_t key_position, std::string_view bytes);
  // Checks that the log ended where the store's head says it does.
  bool check_end(std::uint64_t expected_head_position, const Digest& expected_head_hash);

  // Starts the chain after `position` whose hash is `hash` (a partial export
  // that begins past position 1 is checked from its first record's link).
  void start_after(std::uint64_t position, const Digest& hash) {
    report_.head_position = position;
    report_.head_hash = hash;
    prev_hash_ = hash;
  }

  // Starts the chain after `position` without knowing that record's hash: the
  // next record's link is not checked but kept (first_link()), for whoever split
  // the walk to check against the end of the part before.
  void start_unlinked_after(std::uint64_t position) {
    report_.head_position = position;
    link_unknown_ = true;
  }
  const std::optional<Digest>& first_link() const { return first_link_; }

  // Records a failure found outside check() (e.g. an unreadable key); returns false.
  bool reject(std::uint64_t position, std::string reason);

  const VerifyReport& report() const { return report_; }

 private:
  VerifyReport report_;
  Digest prev_hash_{};
  bool link_unknown_ = false;
  std::optional<Digest> first_link_;
  std::string aligned_copy_;  // a record whose bytes do not start 8-byte aligned is checked here
};

struct VerifyOptions {
  // Workers walking contiguous ranges of positions at once; 0: one per core, at most 8.
  unsigned threads = 0;
  // Fewer workers when the log holds fewer records than this per worker.
  std::uint64_t min_records_per_thread = 1 << 18;
};

// Walks the whole log of the store in `dir` (opened read-only), in position
// ranges checked side by side; the report is the one a single walk from
// position 1 gives (the first bad position and its reason). `on_progress`,
// when given, is called now and then, one call at a time, with the number of
// records checked so far (progress displays).
Result<VerifyReport> verify_store(const std::string& dir,
                                  const std::function<void(std::uint64_t checked)>& on_progress = {},
                                  const VerifyOptions& options = {});

}  // namespace spine::store
