// Verification of the hash chain, record by record, so that a live store and
// an exported file are checked by the same code. The first failure is kept:
// its position and the reason.
#pragma once

#include <functional>

#include <cstdint>
#include <optional>
#include <string>

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
  // raw envelope bytes. Returns false (and keeps the report) at the first failure.
  bool check(std::uint64_t key_position, const std::string& bytes);
  // Checks that the log ended where the store's head says it does.
  bool check_end(std::uint64_t expected_head_position, const Digest& expected_head_hash);

  // Starts the chain after `position` whose hash is `hash` (a partial export
  // that begins past position 1 is checked from its first record's link).
  void start_after(std::uint64_t position, const Digest& hash) {
    report_.head_position = position;
    report_.head_hash = hash;
    prev_hash_ = hash;
  }

  // Records a failure found outside check() (e.g. an unreadable key); returns false.
  bool reject(std::uint64_t position, std::string reason);

  const VerifyReport& report() const { return report_; }

 private:
  VerifyReport report_;
  Digest prev_hash_{};
};

// Walks the whole log of the store in `dir` (opened read-only). `on_record`,
// when given, is called with each position checked (progress displays).
Result<VerifyReport> verify_store(const std::string& dir,
                                  const std::function<void(std::uint64_t position)>& on_record = {});

}  // namespace spine::store
