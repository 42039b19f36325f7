// read_json: nlohmann's SAX parser feeding a DOM builder of our own, which
// checks every limit as each value arrives (json_reader.h).
#include "spine/domain/json_reader.h"

#include <string>
#include <vector>

namespace spine::domain {

namespace {

using Json = nlohmann::json;

// What the DOM costs to hold, per piece, with the allocator's overhead
// (measured with mallinfo2 on glibc: 1 MiB of "{}," holds 30 MB, of "\"\"," 25 MB).
constexpr std::size_t kValueBytes = 16;        // a value's own slot
constexpr std::size_t kArraySlotBytes = 32;    // a slot in a vector that grows by doubling
constexpr std::size_t kContainerBytes = 64;    // the map or vector an object or array allocates
constexpr std::size_t kStringBytes = 48;       // the std::string a string value allocates
constexpr std::size_t kMemberBytes = 96;       // a std::map node: links, key, value
constexpr std::size_t kShortString = 15;       // std::string keeps this many bytes in place

std::size_t heap_bytes(const std::string& text) { return text.size() > kShortString ? text.size() + 17 : 0; }

class BoundedDomBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit BoundedDomBuilder(const JsonLimits& limits) : limits_(limits) {}

  bool null() { return place(Json(nullptr)) != nullptr; }
  bool boolean(bool value) { return place(Json(value)) != nullptr; }
  bool number_integer(number_integer_t value) { return place(Json(value)) != nullptr; }
  bool number_unsigned(number_unsigned_t value) { return place(Json(value)) != nullptr; }
  bool number_float(number_float_t value, const string_t&) { return place(Json(value)) != nullptr; }
  bool string(string_t& value) {
    if (!charge(kStringBytes + heap_bytes(value))) return false;
    return place(Json(std::move(value))) != nullptr;
  }
  bool binary(binary_t&) { return refuse("invalid_json", "body", "binary values are not JSON"); }

  bool start_object(std::size_t) { return open(Json::object()); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_array() { return close(); }

  bool key(string_t& name) {
    Frame& frame = frames_.back();
    if (frame.container->contains(name)) {
      return refuse("duplicate_field", member_path(name), "'" + name + "' is given twice in one object");
    }
    if (!charge(kMemberBytes + heap_bytes(name))) return false;
    frame.key = std::move(name);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) {
    if (error.id == 406) {  // out_of_range.406: a number a double cannot hold
      return refuse("out_of_range", current_path(), "a number beyond the range of a double (about 1.8e308)");
    }
    return refuse("invalid_json", "body", "not valid JSON at byte " + std::to_string(position) + ": " + error.what());
  }

  bool failed() const { return failed_; }
  Error take_error() { return std::move(error_); }
  Json take_root() { return std::move(root_); }

 private:
  struct Frame {
    Json* container;
    std::string key;  // objects: the key of the member that comes next
  };

  bool open(Json container) {
    if (frames_.size() >= limits_.max_depth) {
      return refuse("too_deep", current_path(), "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if (!charge(kContainerBytes)) return false;
    Json* placed = place(std::move(container));
    if (placed == nullptr) return false;
    frames_.push_back(Frame{placed, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  // Puts a complete value where the parse stands; nullptr when a limit refused it.
  Json* place(Json value) {
    if (frames_.empty()) {
      if (!charge(kValueBytes)) return nullptr;
      root_ = std::move(value);
      return &root_;
    }
    Frame& frame = frames_.back();
    if (frame.container->is_object()) {
      return &((*frame.container)[frame.key] = std::move(value));
    }
    if (frame.container->size() >= limits_.max_array_items) {
      refuse("too_many", container_path(), "at most " + std::to_string(limits_.max_array_items) + " items");
      return nullptr;
    }
    if (!charge(kArraySlotBytes)) return nullptr;
    frame.container->push_back(std::move(value));
    return &frame.container->back();
  }

  bool charge(std::size_t bytes) {
    used_ += bytes;
    if (used_ <= limits_.max_memory_bytes) return true;
    return refuse("body_too_large", "body",
                  "the body would take more than " + std::to_string(limits_.max_memory_bytes) +
                      " bytes to hold once parsed");
  }

  bool refuse(std::string code, std::string field, std::string message) {
    if (!failed_) error_ = Error{std::move(code), std::move(field), std::move(message)};
    failed_ = true;
    return false;
  }

  // The path of the innermost open container ("" for the document itself,
  // "lines[2]", "lines[2].spec[0]").
  std::string open_path() const {
    std::string path;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) path = step(path, frames_[i], frames_[i + 1].container);
    return path;
  }

  static std::string step(const std::string& path, const Frame& frame, const Json* child) {
    if (frame.container->is_object()) return path.empty() ? frame.key : path + "." + frame.key;
    const std::size_t index = static_cast<std::size_t>(child - &frame.container->front());
    return (path.empty() ? "body" : path) + "[" + std::to_string(index) + "]";
  }

  std::string container_path() const {
    const std::string path = open_path();
    return path.empty() ? "body" : path;
  }

  // The path of the value about to be placed.
  std::string current_path() const {
    if (frames_.empty()) return "body";
    const std::string outer = open_path();
    const Frame& frame = frames_.back();
    if (frame.container->is_object()) return outer.empty() ? frame.key : outer + "." + frame.key;
    return (outer.empty() ? "body" : outer) + "[" + std::to_string(frame.container->size()) + "]";
  }

  std::string member_path(const std::string& name) const {
    const std::string outer = open_path();
    return outer.empty() ? name : outer + "." + name;
  }

  const JsonLimits& limits_;
  Json root_;
  std::vector<Frame> frames_;
  std::size_t used_ = 0;
  bool failed_ = false;
  Error error_;
};

}  // namespace

Result<nlohmann::json> read_json(std::string_view text, const JsonLimits& limits) {
  BoundedDomBuilder builder(limits);
  bool parsed = false;
  try {
    parsed = Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json, /*strict=*/true);
  } catch (const std::exception& unexpected) {  // the SAX interface reports errors; nothing should throw
    return Error{"invalid_json", "body", std::string("not valid JSON: ") + unexpected.what()};
  }
  if (builder.failed()) return builder.take_error();
  if (!parsed) return Error{"invalid_json", "body", "not valid JSON"};
  return builder.take_root();
}

}  // namespace spine::domain
