// Errors as values at module boundaries: every fallible call returns
// Result<T>, which holds either a T or an Error (a stable code, the field it
// concerns, and a human message), in the manner of RocksDB's Status.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace spine {

// One item of a refusal that concerns several things at once, e.g. each SKU
// an order would oversell: `subject` (the SKU), what was asked and what there is.
struct ErrorDetail {
  std::string subject;
  std::int64_t requested = 0;
  std::int64_t available = 0;
};

// A named amount behind a refusal (e.g. "cost": 20000). Figures, not the
// message, carry what only some readers may see: the HTTP API masks them by
// name, as it masks answers, so a message never quotes a cost.
struct ErrorFigure {
  std::string name;
  std::int64_t value = 0;
};

// A refusal or failure. `code` is stable and machine-readable (snake_case,
// documented in docs/); `field` names the offending input when there is one;
// `message` explains the rule for a person.
struct Error {
  std::string code;
  std::string field;
  std::string message;
  std::vector<ErrorDetail> details = {};  // empty unless the refusal lists items
  std::vector<ErrorFigure> figures = {};  // empty unless the refusal names amounts

  std::string to_string() const {
    std::string text = code;
    if (!field.empty()) text += " (" + field + ")";
    if (!message.empty()) text += ": " + message;
    return text;
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T& value() & { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result of an operation that yields nothing but success or an Error.
struct Ok {};
using Status = Result<Ok>;

inline Status ok_status() { return Ok{}; }

}  // namespace spine
