// JsonText: compact JSON written straight into a string, byte for byte what
// nlohmann::json::dump() prints for the same value (no indent, ASCII escapes
// only for '"', '\\' and control characters, UTF-8 passed through). It lets
// hot rows skip building a nlohmann DOM. The caller writes object keys in
// nlohmann's order (sorted by bytes). A string that is not valid UTF-8 marks
// the text invalid: nlohmann would refuse it, so the caller falls back to
// nlohmann and keeps its behaviour (tests/json_text_test.cc compares both).
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spine::projections::internal {

class JsonText {
 public:
  static constexpr int kMaxDepth = 16;  // rows nest three levels at most
  static constexpr std::size_t kInitialCapacity = 256;  // most rows fit: one allocation

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  JsonText() { out_.reserve(kInitialCapacity); }

  // An object member's name given as a literal (plain printable ASCII, no
  // quote or backslash: checked in debug builds), copied without a scan.
  template <std::size_t N>
  void key(const char (&name)[N]) {
    static_assert(N > 1, "an empty name is not a literal worth a fast path");
    assert(plain(std::string_view(name, N - 1)));
    separate();
    out_.push_back('"');
    out_.append(name, N - 1);
    out_.append("\":", 2);
    after_key_ = true;
  }
  // An object member's name; its value follows.
  void key(std::string_view name) {
    separate();
    append_string(name);
    out_.push_back(':');
    after_key_ = true;
  }
  void value(std::int64_t number) { append_integer(number); }
  void value(std::uint64_t number) { append_integer(number); }
  void value(bool flag) {
    separate();
    out_.append(flag ? "true" : "false");
  }
  void value(std::string_view text) {
    separate();
    append_string(text);
  }

  // False once a string was not valid UTF-8 (the text is then incomplete).
  bool valid() const { return valid_; }
  std::string take() {
    assert(depth_ == 0);
    return std::move(out_);
  }

 private:
  template <typename Integer>
  void append_integer(Integer number) {
    separate();
    char digits[24];
    const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), number);
    assert(error == std::errc());
    out_.append(digits, end);
  }
  void open(char bracket) {
    separate();
    assert(depth_ < kMaxDepth);
    out_.push_back(bracket);
    first_[static_cast<std::size_t>(++depth_)] = true;
  }
  void close(char bracket) {
    assert(depth_ > 0);
    --depth_;
    out_.push_back(bracket);
  }
  // A comma before every element but the first of its container; none after a key.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ == 0) return;
    bool& first = first_[static_cast<std::size_t>(depth_)];
    if (!first) out_.push_back(',');
    first = false;
  }
  static bool plain(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\';
    });
  }
  // Copies runs of characters that need no escape (printable ASCII other
  // than '"' and '\\') in one append each.
  void append_string(std::string_view text) {
    out_.push_back('"');
    std::size_t run = 0;  // start of the pending plain run
    for (std::size_t i = 0; i < text.size();) {
      const auto byte = static_cast<unsigned char>(text[i]);
      if (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\') {
        ++i;
        continue;
      }
      out_.append(text.data() + run, i - run);
      if (byte >= 0x80) {
        const std::size_t length = utf8_length(text.substr(i));
        if (length == 0) {
          valid_ = false;
          return;
        }
        out_.append(text.substr(i, length));
        i += length;
      } else {
        append_escaped(static_cast<char>(byte));
        ++i;
      }
      run = i;
    }
    out_.append(text.data() + run, text.size() - run);
    out_.push_back('"');
  }
  void append_escaped(char c) {
    switch (c) {
      case '"': out_.append("\\\""); return;
      case '\\': out_.append("\\\\"); return;
      case '\b': out_.append("\\b"); return;
      case '\f': out_.append("\\f"); return;
      case '\n': out_.append("\\n"); return;
      case '\r': out_.append("\\r"); return;
      case '\t': out_.append("\\t"); return;
      default: break;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(c);
      out_.append("\\u00");
      out_.push_back(kHex[byte >> 4]);
      out_.push_back(kHex[byte & 0xF]);
      return;
    }
    out_.push_back(c);
  }
  // The length of the well-formed UTF-8 sequence `text` starts with (RFC 3629:
  // no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
  static std::size_t utf8_length(std::string_view text) {
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto continuation = [&](std::size_t i) { return i < text.size() && (at(i) & 0xC0) == 0x80; };
    const unsigned char lead = at(0);
    if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
      if (!continuation(1) || !continuation(2)) return 0;
      if (lead == 0xE0 && at(1) < 0xA0) return 0;   // overlong
      if (lead == 0xED && at(1) > 0x9F) return 0;   // surrogate
      return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
      if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
      if (lead == 0xF0 && at(1) < 0x90) return 0;   // overlong
      if (lead == 0xF4 && at(1) > 0x8F) return 0;   // above U+10FFFF
      return 4;
    }
    return 0;
  }

  std::string out_;
  std::array<bool, kMaxDepth + 1> first_{};
  int depth_ = 0;
  bool after_key_ = false;
  bool valid_ = true;
};

// Visits a map keyed by integers in the order of the keys' decimal text, the
// order nlohmann gives an object whose keys are std::to_string(number) ("10"
// before "9"): visit(text, value). When every key is non-negative with as
// many digits as every other (days since the epoch, say), text order is the
// map's own order and nothing is copied.
template <typename Map, typename Visit>
void for_each_by_decimal_text(const Map& by_number, Visit&& visit) {
  if (by_number.empty()) return;
  const auto digits = [](std::int64_t n) { return std::to_string(n).size(); };
  const std::int64_t low = by_number.begin()->first, high = by_number.rbegin()->first;
  if (low >= 0 && digits(low) == digits(high)) {
    for (const auto& [number, value] : by_number) visit(std::string_view(std::to_string(number)), value);
    return;
  }
  std::vector<std::pair<std::string, const typename Map::mapped_type*>> by_text;
  by_text.reserve(by_number.size());
  for (const auto& [number, value] : by_number) by_text.emplace_back(std::to_string(number), &value);
  std::sort(by_text.begin(), by_text.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [text, value] : by_text) visit(std::string_view(text), *value);
}

// Rows of plain types (rows.h, row_text). The integer one takes exactly
// std::int64_t: nlohmann prints a bool or a char differently.
template <std::same_as<std::int64_t> Integer>
void append_json(JsonText& out, const Integer& number) {
  out.value(number);
}
inline void append_json(JsonText& out, const std::string& text) { out.value(std::string_view(text)); }
inline void append_json(JsonText& out, const std::deque<std::int64_t>& numbers) {
  out.begin_array();
  for (std::int64_t number : numbers) out.value(number);
  out.end_array();
}
inline void append_json(JsonText& out, const std::vector<std::pair<std::string, std::int64_t>>& pairs) {
  out.begin_array();
  for (const auto& [text, number] : pairs) {
    out.begin_array();
    out.value(std::string_view(text));
    out.value(number);
    out.end_array();
  }
  out.end_array();
}

}  // namespace spine::projections::internal
