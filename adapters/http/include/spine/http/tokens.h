// Bearer tokens, one per person or integration, each with one role.
//
// Contract: create() returns the secret once; the file keeps only its
// SHA-256, the name, the role and the times. The file (NDJSON, one token per
// line) is shared by `spine token` and a running `spine serve`: writers take
// an exclusive lock and replace it atomically (rename), and authenticate()
// re-reads it whenever it changed, so a revocation takes effect at the next
// request.
#pragma once

#include <cstdint>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "spine/http/access.h"
#include "spine/result.h"

namespace spine::http {

struct TokenRecord {
  std::string id;     // "tok_" + 12 hex: names the token in lists and revocations
  std::string name;   // the person or integration (the actor of its commands)
  Role role = Role::kAuditor;
  std::string sha256_hex;
  std::int64_t created_at_us = 0;
  std::int64_t revoked_at_us = 0;  // 0: live
};

struct CreatedToken {
  TokenRecord record;
  std::string secret;  // "spine_" + 43 base64url characters (256 random bits)
};

class TokenStore {
 public:
  explicit TokenStore(std::string path);

  // Errors: "invalid_name" (empty, over 128 bytes, or not printable ASCII
  // without spaces), "io_error".
  Result<CreatedToken> create(Role role, const std::string& name);
  // Revokes by id, or every live token of a name. Error "not_found".
  Result<std::vector<TokenRecord>> revoke(const std::string& id_or_name);
  Result<std::vector<TokenRecord>> list() const;
  // The principal of a live token with this secret, or nullopt. The file is
  // re-read when it changed (inode, size, mtime), checked at most once per
  // kRecheckInterval: a revocation by another process takes effect within
  // that. Readers share a lock; only a reload takes it exclusively.
  // Until the first load is done, requests wait for it: a valid token is never
  // refused for want of a table, and a reload swaps in a whole new table.
  Result<std::optional<Principal>> authenticate(std::string_view secret);
  // Reads the file now (`spine serve` does, before it listens). Error "tokens_corrupt", "io_error".
  Status load();
  static constexpr std::chrono::microseconds kRecheckInterval{1000};

  const std::string& path() const { return path_; }

 private:
  Result<std::vector<TokenRecord>> read_file() const;
  Status write_file(const std::vector<TokenRecord>& records) const;
  Status reload_if_changed();
  Status load_locked();  // with load_mutex_ held

  std::string path_;
  std::mutex load_mutex_;     // one load at a time
  std::atomic<bool> loaded_{false};
  std::shared_mutex mutex_;  // guards loaded_stamp_ and live_by_hash_
  // When the file was last stat()ed (steady clock, ns); reset by our own writes.
  mutable std::atomic<std::int64_t> last_check_ns_{std::numeric_limits<std::int64_t>::min() / 2};
  struct FileStamp {
    std::int64_t mtime_ns = -1, size = -1;
    std::uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  FileStamp loaded_stamp_;
  std::unordered_map<std::string, Principal> live_by_hash_;
};

std::string sha256_hex(std::string_view text);

}  // namespace spine::http
