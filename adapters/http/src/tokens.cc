#include "spine/http/tokens.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace spine::http {

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string base64url(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | data[i];
    count += 8;
    while (count >= 6) {
      out += kAlphabet[(bits >> (count - 6)) & 63];
      count -= 6;
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
  return out;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

nlohmann::json to_json(const TokenRecord& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"role", std::string(role_name(r.role))},
          {"sha256", r.sha256_hex},
          {"created_at_us", r.created_at_us},
          {"revoked_at_us", r.revoked_at_us}};
}

// Held for the whole read-modify-write of the file by `spine token`. Creates
// the file's directory (tokens may be made before the store's first start).
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(open_lock(path)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  bool ok() const { return fd_ >= 0; }

 private:
  static int open_lock(const std::string& path) {
    std::error_code ignored;
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
    return ::open((path + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  }
  int fd_;
};

}  // namespace

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return hex(digest, length);
}

TokenStore::TokenStore(std::string path) : path_(std::move(path)) {}

Result<std::vector<TokenRecord>> TokenStore::read_file() const {
  std::vector<TokenRecord> records;
  std::ifstream in(path_);
  if (!in) return records;  // no file yet: no tokens
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    const std::string where = path_ + ":" + std::to_string(number);
    if (j.is_discarded() || !j.is_object()) return Error{"tokens_corrupt", where, "not a JSON object"};
    TokenRecord r;
    try {
      r.id = j.at("id").get<std::string>();
      r.name = j.at("name").get<std::string>();
      auto role = parse_role(j.at("role").get<std::string>());
      if (!role) return Error{"tokens_corrupt", where, "unknown role"};
      r.role = *role;
      r.sha256_hex = j.at("sha256").get<std::string>();
      r.created_at_us = j.at("created_at_us").get<std::int64_t>();
      r.revoked_at_us = j.at("revoked_at_us").get<std::int64_t>();
    } catch (const nlohmann::json::exception& error) {
      return Error{"tokens_corrupt", where, error.what()};
    }
    records.push_back(std::move(r));
  }
  return records;
}

Status TokenStore::write_file(const std::vector<TokenRecord>& records) const {
  const std::string temporary = path_ + ".tmp";
  const int fd = ::open(temporary.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"io_error", path_, "cannot write the token file"};
  std::string text;
  for (const TokenRecord& r : records) text += to_json(r).dump() + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || std::rename(temporary.c_str(), path_.c_str()) != 0) {
    return Error{"io_error", path_, "cannot write the token file"};
  }
  last_check_ns_.store(std::numeric_limits<std::int64_t>::min() / 2);  // our own change: re-read at once
  return ok_status();
}

Result<CreatedToken> TokenStore::create(Role role, const std::string& name) {
  if (!valid_name(name)) {
    return Error{"invalid_name", "name", "1-128 printable ASCII characters without spaces"};
  }
  unsigned char secret_bytes[32];
  unsigned char id_bytes[6];
  if (RAND_bytes(secret_bytes, sizeof secret_bytes) != 1 || RAND_bytes(id_bytes, sizeof id_bytes) != 1) {
    return Error{"io_error", "token", "no randomness available"};
  }
  CreatedToken created;
  created.secret = "spine_" + base64url(secret_bytes, sizeof secret_bytes);
  created.record.id = "tok_" + hex(id_bytes, sizeof id_bytes);
  created.record.name = name;
  created.record.role = role;
  created.record.sha256_hex = sha256_hex(created.secret);
  created.record.created_at_us = now_us();
  FileLock lock(path_);
  if (!lock.ok()) return Error{"io_error", path_, "cannot lock the token file"};
  auto records = read_file();
  if (!records) return records.error();
  records->push_back(created.record);
  if (Status written = write_file(*records); !written) return written.error();
  return created;
}

Result<std::vector<TokenRecord>> TokenStore::revoke(const std::string& id_or_name) {
  FileLock lock(path_);
  if (!lock.ok()) return Error{"io_error", path_, "cannot lock the token file"};
  auto records = read_file();
  if (!records) return records.error();
  std::vector<TokenRecord> revoked;
  const std::int64_t now = now_us();
  for (TokenRecord& r : *records) {
    if ((r.id == id_or_name || r.name == id_or_name) && r.revoked_at_us == 0) {
      r.revoked_at_us = now;
      revoked.push_back(r);
    }
  }
  if (revoked.empty()) return Error{"not_found", "token", "no live token with id or name '" + id_or_name + "'"};
  if (Status written = write_file(*records); !written) return written.error();
  return revoked;
}

Result<std::vector<TokenRecord>> TokenStore::list() const { return read_file(); }

Status TokenStore::load() {
  std::lock_guard guard(load_mutex_);
  return load_locked();
}

Status TokenStore::reload_if_changed() {
  if (!loaded_.load(std::memory_order_acquire)) return load();  // the first requests wait for the first load
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch()).count();
  std::int64_t checked = last_check_ns_.load(std::memory_order_relaxed);
  if (now - checked < std::chrono::nanoseconds(kRecheckInterval).count()) return ok_status();
  // One thread checks; the others go on with the table loaded (at most kRecheckInterval old).
  if (!last_check_ns_.compare_exchange_strong(checked, now, std::memory_order_relaxed)) return ok_status();
  std::lock_guard guard(load_mutex_);
  return load_locked();
}

Status TokenStore::load_locked() {
  struct stat info {};
  FileStamp stamp;
  if (::stat(path_.c_str(), &info) == 0) {
    stamp.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
    stamp.size = info.st_size;
    stamp.inode = info.st_ino;
  }
  if (loaded_.load(std::memory_order_acquire)) {
    std::shared_lock lock(mutex_);
    if (stamp == loaded_stamp_) return ok_status();
  }
  auto records = read_file();
  if (!records) {
    last_check_ns_.store(std::numeric_limits<std::int64_t>::min() / 2);  // try again on the next request
    return records.error();
  }
  std::unordered_map<std::string, Principal> live;
  for (const TokenRecord& r : *records) {
    if (r.revoked_at_us == 0) live[r.sha256_hex] = Principal{r.id, r.name, r.role};
  }
  {
    std::unique_lock lock(mutex_);
    live_by_hash_ = std::move(live);
    loaded_stamp_ = stamp;
  }
  loaded_.store(true, std::memory_order_release);
  return ok_status();
}

Result<std::optional<Principal>> TokenStore::authenticate(std::string_view secret) {
  const std::string hash = sha256_hex(secret);
  if (Status reloaded = reload_if_changed(); !reloaded) return reloaded.error();
  std::shared_lock lock(mutex_);
  auto found = live_by_hash_.find(hash);
  if (found == live_by_hash_.end()) return std::optional<Principal>{};
  return std::optional<Principal>{found->second};
}

}  // namespace spine::http
