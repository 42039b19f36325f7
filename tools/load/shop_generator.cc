#include "shop_generator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <set>

#include "spine/domain/deadlines.h"
#include "spine/domain/streams.h"

namespace spine::load {
namespace {

constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

struct Sku {
  std::string id, product_id, category, supplier;
  std::int64_t price = 0, cost = 0;
  std::int32_t rating = 0;
  bool high_ticket = false;
  bool slow = false;  // a slow mover: buyers seldom pick it
};

// Weighted choice over a fixed table.
template <typename T>
struct Weighted {
  std::vector<std::pair<T, int>> options;
  T pick(std::mt19937_64& rng) const {
    int total = 0;
    for (const auto& [value, weight] : options) total += weight;
    int roll = std::uniform_int_distribution<int>(0, total - 1)(rng);
    for (const auto& [value, weight] : options) {
      if (roll < weight) return value;
      roll -= weight;
    }
    return options.back().first;
  }
};

class Generator {
 public:
  Generator(CommandPort& port, const LoadOptions& options) : port_(port), options_(options), rng_(options.seed) {}

  Result<LoadFigures> run() {
    if (Status s = set_up(); !s.ok()) return s.error();
    schedule_orders();
    schedule_daily_work();
    while (!agenda_.empty()) {
      Task task = agenda_.top();
      agenda_.pop();
      now_ = task.at;
      if (Status s = task.run(); !s.ok()) return s.error();
    }
    figures_.last_us = now_;
    return figures_;
  }

 private:
  struct Task {
    std::int64_t at;
    std::uint64_t sequence;
    std::function<Status()> run;
    bool operator<(const Task& other) const {  // priority_queue: the earliest first
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };

  void at(std::int64_t when, std::function<Status()> run) { agenda_.push(Task{when, next_task_++, std::move(run)}); }
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  std::string id(const std::string& kind, std::uint64_t n) const { return options_.id_prefix + "-" + kind + "-" + std::to_string(n); }

  // Submits one command at the current simulated time; a refusal is counted.
  // A deadline (its own `command_id`) is counted apart, so the shop's own
  // commands get the same ids and figures whether deadlines are recorded or not.
  template <typename T>
  Result<bool> submit(T command, const std::string& actor, std::string command_id = {}) {
    const bool deadline = !command_id.empty();
    commands::CommandEnvelope envelope;
    envelope.command_id = deadline ? std::move(command_id) : options_.id_prefix + ":" + std::to_string(figures_.commands++);
    envelope.actor = actor;
    envelope.occurred_at_us = now_;
    envelope.body.Set(std::move(command));
    Status outcome = port_.handle(envelope);
    if (outcome.ok()) {
      ++(deadline ? figures_.deadlines : figures_.accepted);
      return true;
    }
    const std::string& code = outcome.error().code;
    // The store or the link failed (http_error: a server error, or a token not allowed): stop.
    // A refusal by the shop's rules is counted.
    if (code == "io_error" || code == "no_space" || code == "corruption" || code == "store_closed" ||
        code == "http_error") {
      return outcome.error();
    }
    if (!deadline) ++figures_.refused;
    return false;
  }

  // The generator plays Spine's deadline service in simulated time: at a
  // deadline's due time it records the deadline, unless what it waits for
  // has happened by then (`still_pending` says). The command id names the
  // deadline, as the service's does, so the two never record one twice.
  void deadline_at(std::string_view kind, std::string subject, std::int64_t due,
                   std::function<Result<bool>()> still_pending) {
    if (!port_.records_deadlines()) return;  // a server records its own
    at(due, [this, kind, subject, due, still_pending]() -> Status {
      auto pending = still_pending();
      if (!pending.ok()) return pending.error();
      if (!*pending) return ok_status();
      shop::RecordDeadlineT c;
      c.kind = std::string(kind);
      c.subject = subject;
      c.due_at = due;
      auto r = submit(std::move(c), "spine-deadlines", domain::deadline_command_id(kind, subject, due));
      return r.ok() ? ok_status() : Status(r.error());
    });
  }
  // Pending while the order has not shipped from `source` and is not cancelled.
  std::function<Result<bool>()> unshipped(const std::string& order_id, const std::string& source) {
    return [this, order_id, source]() -> Result<bool> {
      auto order = order_state(order_id);
      if (!order.ok()) return order.error();
      return order->status != domain::OrderStatus::kCancelled && !order->shipped_sources.contains(source);
    };
  }
  std::int32_t ship_within_hours(const std::string& supplier) const {
    for (const domain::SupplierConfig& s : port_.config().suppliers) {
      if (s.id == supplier) return s.terms.ship_within_hours;
    }
    return port_.config().supplier_defaults.ship_within_hours;
  }

  Status set_up() {
    now_ = options_.start_us;
    figures_.first_us = now_;
    for (commands::CommandEnvelope registration : commands::configured_registrations(port_.config())) {
      registration.occurred_at_us = now_;
      Status outcome = port_.handle(registration);
      // Already registered (by serve at start, or an earlier load) is fine.
      const bool registered = !outcome.ok() && (outcome.error().code == "supplier_exists" ||
                                                outcome.error().code == "warehouse_exists");
      if (!outcome.ok() && !registered) {
        // Registrations are idempotent by command id; a refusal here means a misconfigured shop.
        return outcome.error();
      }
    }
    const domain::Config& config = port_.config();
    static const std::int32_t kRatings[] = {49, 48, 48, 46, 45, 44, 42, 40};
    for (int p = 0; p < options_.products; ++p) {
      const domain::CategoryConfig& category = config.categories[static_cast<std::size_t>(p) % config.categories.size()];
      shop::ListProductT listing;
      listing.product_id = id("p", static_cast<std::uint64_t>(p));
      listing.title = "Everyday " + category.path.substr(category.path.rfind('/') + 1) + " model " + std::to_string(p);
      listing.description = "Generated listing for load and demos.";
      listing.category = category.path;
      for (const std::string& name : category.required_attributes) {
        auto a = std::make_unique<shop::AttributeT>();
        a->name = name;
        a->value = "standard";
        listing.attributes.push_back(std::move(a));
      }
      const bool dropship = !config.suppliers.empty() && p % 4 == 3;
      if (dropship) listing.supplier_id = config.suppliers[static_cast<std::size_t>(p / 4) % config.suppliers.size()].id;
      listing.rating_tenths = kRatings[pick(0, 7)];
      const std::int64_t base = category.high_ticket ? 1000 * pick(30, 300) : 100 * pick(30, 400);
      const int sku_count = pick(1, 3);
      for (int k = 0; k < sku_count; ++k) {
        Sku sku{listing.product_id + "-" + std::to_string(k), listing.product_id, category.path, listing.supplier_id,
                base + base * k / 10, 0, listing.rating_tenths, category.high_ticket, p % 10 == 9};
        sku.cost = sku.price * pick(45, 60) / 100;
        auto spec = std::make_unique<shop::SkuSpecT>();
        spec->sku_id = sku.id;
        spec->list_price = sku.price;
        spec->cost_price = sku.cost;
        spec->weight_grams = 500;
        listing.skus.push_back(std::move(spec));
        skus_.push_back(std::move(sku));
      }
      // The cheapest SKU must have stock: own stock arrives before the listing goes live.
      auto listed = submit(std::move(listing), "ops-lin");
      if (!listed.ok()) return listed.error();
    }
    for (const Sku& sku : skus_) {
      if (!sku.supplier.empty()) {
        if (Status s = sync_supplier(sku); !s.ok()) return s;
        continue;
      }
      for (const domain::WarehouseConfig& w : config.warehouses) {
        if (chance(0.3)) continue;
        if (Status s = receive(sku, w.id, pick(150, 600)); !s.ok()) return s;
      }
    }
    return ok_status();
  }

  Status receive(const Sku& sku, const std::string& warehouse, int quantity) {
    shop::ReceiveStockT c;
    c.sku_id = sku.id;
    c.warehouse_id = warehouse;
    c.quantity = quantity;
    c.unit_cost = sku.cost;
    c.purchase_ref = id("po", figures_.commands);
    auto r = submit(std::move(c), "wh-zhao");
    return r.ok() ? ok_status() : Status(r.error());
  }

  Status sync_supplier(const Sku& sku) {
    shop::SyncSupplierStockT c;
    c.supplier_id = sku.supplier;
    c.sku_id = sku.id;
    c.available = chance(0.05) ? 0 : pick(200, 900);  // now and then the supplier has run dry
    c.reported_at = now_;
    auto r = submit(std::move(c), sku.supplier);
    if (!r.ok()) return r.error();
    if (!*r) return ok_status();
    last_sync_[sku.id] = now_;
    const std::int64_t reported = now_;
    deadline_at(domain::kStaleSupplierStock, sku.id, now_ + port_.config().rules.supplier_stale_minutes * kMinute,
                [this, id = sku.id, reported]() -> Result<bool> { return last_sync_[id] == reported; });
    return ok_status();
  }

  // Order arrivals: `orders_per_day` on average, by hour-of-day weights with
  // the evening peak (20:00-22:00 weighs three times a daytime hour).
  void schedule_orders() {
    static const int kHourWeights[24] = {3, 2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 7, 7, 7, 7, 8, 9, 10, 24, 24, 12, 6};
    Weighted<int> hour;
    for (int h = 0; h < 24; ++h) hour.options.emplace_back(h, kHourWeights[h]);
    const int days = std::max(1, (options_.orders + options_.orders_per_day - 1) / options_.orders_per_day);
    std::vector<std::int64_t> times;
    for (int n = 0; n < options_.orders; ++n) {
      // Local midnight of the start day is start_us (the default is 00:00+08:00).
      times.push_back(options_.start_us + kHour + pick(0, days - 1) * kDay + hour.pick(rng_) * kHour + pick(0, 59) * kMinute +
                      pick(0, 59) * 1'000'000);
    }
    std::sort(times.begin(), times.end());
    horizon_ = options_.start_us + (days + 1) * kDay;
    for (int n = 0; n < options_.orders; ++n) {
      at(times[static_cast<std::size_t>(n)], [this, n] { return place_order(static_cast<std::uint64_t>(n)); });
    }
  }

  void schedule_daily_work() {
    for (std::int64_t day = options_.start_us; day < horizon_; day += kDay) {
      at(day + 30 * kMinute, [this] { return daily_marketing(); });
      at(day + 9 * kHour, [this] { return restock(); });
      at(day + 10 * kHour, [this] { return change_prices(); });
      at(day + 11 * kHour, [this] { return housekeeping(); });
      for (std::int64_t t = day; t < day + kDay; t += 2 * kHour) {
        at(t + 5 * kMinute, [this] { return sync_all_suppliers(); });
      }
    }
  }

  Status place_order(std::uint64_t n) {
    static const Weighted<std::string> kRegion{{{"east", 38}, {"south", 25}, {"north", 22}, {"central_west", 15}}};
    static const Weighted<shop::Channel> kChannel{{{shop::Channel::OrganicSearch, 30}, {shop::Channel::PaidAds, 20},
                                                   {shop::Channel::Social, 15}, {shop::Channel::Livestream, 15},
                                                   {shop::Channel::PrivateDomain, 10}, {shop::Channel::OwnSite, 10}}};
    shop::PlaceOrderT order;
    order.order_id = id("o", n);
    // Members (a small pool) buy 2.3 times as often as other customers.
    const bool member = chance(0.3);
    const auto pool = static_cast<int>(std::max<std::int64_t>(1, options_.orders / (member ? 20 : 2)));
    order.customer_id = (member ? "m-" : "c-") + std::to_string(pick(0, pool - 1));
    order.channel = kChannel.pick(rng_);
    order.device = chance(0.65) ? shop::Device::Mobile : shop::Device::Desktop;
    order.region = kRegion.pick(rng_);
    const int lines = pick(1, 100) <= 70 ? 1 : pick(2, 3);
    std::vector<std::size_t> chosen;
    for (int l = 0; l < lines; ++l) {
      const bool high_ticket = chance(0.25);
      std::size_t index = 0;
      for (int tries = 0; tries < 8; ++tries) {
        index = static_cast<std::size_t>(pick(0, static_cast<int>(skus_.size()) - 1));
        if (skus_[index].slow && !chance(0.02)) continue;
        if (skus_[index].high_ticket == high_ticket && !delisted_.contains(skus_[index].product_id)) break;
      }
      if (delisted_.contains(skus_[index].product_id)) continue;  // the storefront does not show it
      if (std::find(chosen.begin(), chosen.end(), index) != chosen.end()) continue;
      chosen.push_back(index);
      auto line = std::make_unique<shop::OrderLineRequestT>();
      line->sku_id = skus_[index].id;
      line->quantity = pick(1, 100) <= 80 ? 1 : pick(2, 3);
      line->unit_price = skus_[index].price;
      line->discount = chance(0.2) ? skus_[index].price / 10 : 0;
      order.lines.push_back(std::move(line));
    }
    order.shipping_fee = chance(0.6) ? 0 : 800;
    if (order.lines.empty()) return ok_status();
    if (chance(0.08)) {  // a welcome coupon: 5 % of the lines after their discounts
      std::int64_t lines_value = 0;
      for (const auto& line : order.lines) lines_value += line->unit_price * line->quantity - line->discount;
      order.coupon = "WELCOME5";
      order.coupon_discount = lines_value / 20;
    }
    auto placed = submit(std::move(order), "web-checkout");
    if (!placed.ok()) return placed.error();
    if (!*placed) return ok_status();
    const std::string order_id = id("o", n);
    const double roll = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (roll < 0.05) {
      at(now_ + pick(2, 30) * kMinute, [this, order_id] { return fail_payment(order_id, true); });
    } else if (roll < 0.12) {
      at(now_ + pick(30, 180) * kMinute, [this, order_id] { return cancel(order_id); });
    } else {
      at(now_ + pick(1, 15) * kMinute, [this, order_id] { return pay(order_id); });
    }
    return ok_status();
  }

  Result<domain::OrderState> order_state(const std::string& order_id) {
    auto state = port_.current_state(domain::order_stream(order_id));
    if (!state.ok()) return state.error();
    if (!std::holds_alternative<domain::OrderState>(state->state)) return domain::OrderState{};
    return std::get<domain::OrderState>(state->state);
  }

  Status pay(const std::string& order_id) {
    auto order = order_state(order_id);
    if (!order.ok()) return order.error();
    shop::PayOrderT c;
    c.order_id = order_id;
    c.amount = order->total;
    auto paid = submit(std::move(c), "payment-gateway");
    if (!paid.ok()) return paid.error();
    if (!*paid) return ok_status();
    if (chance(0.03)) {  // the buyer changes their mind before anything ships: a refund is due
      at(now_ + pick(2, 8) * kMinute, [this, order_id] { return cancel(order_id); });
      return ok_status();
    }
    for (const std::string& source : order->sources) {
      const std::string source_id = source.substr(source.find(':') + 1);
      if (source.starts_with("supplier:")) {
        at(now_ + pick(10, 120) * kMinute, [this, order_id, source_id] { return forward(order_id, source_id); });
      } else {
        at(now_ + pick(2, 30) * kHour, [this, order_id, source_id] { return ship(order_id, shop::SourceKind::Warehouse, source_id); });
        deadline_at(domain::kOwnNotShipped, order_id + ":" + source_id,
                    now_ + port_.config().rules.own_ship_within_hours * kHour, unshipped(order_id, source));
      }
    }
    return ok_status();
  }

  Status fail_payment(const std::string& order_id, bool retry) {
    static const Weighted<shop::PaymentFailure> kReason{{{shop::PaymentFailure::CardLimit, 35},
                                                         {shop::PaymentFailure::VerificationTimeout, 30},
                                                         {shop::PaymentFailure::CancelledByBuyer, 20},
                                                         {shop::PaymentFailure::Other, 15}}};
    shop::FailPaymentT c;
    c.order_id = order_id;
    c.reason = kReason.pick(rng_);
    auto failed = submit(std::move(c), "payment-gateway");
    if (!failed.ok()) return failed.error();
    if (retry && chance(0.5)) {
      at(now_ + pick(5, 60) * kMinute, [this, order_id] { return pay(order_id); });
    } else {
      at(now_ + pick(60, 240) * kMinute, [this, order_id] { return cancel(order_id); });
    }
    return ok_status();
  }

  Status cancel(const std::string& order_id) {
    shop::CancelOrderT c;
    c.order_id = order_id;
    c.reason = "not paid";
    auto r = submit(std::move(c), "cs-wang");
    return r.ok() ? ok_status() : Status(r.error());
  }

  Status forward(const std::string& order_id, const std::string& supplier) {
    shop::ForwardDropshipT c;
    c.order_id = order_id;
    c.supplier_id = supplier;
    auto r = submit(std::move(c), "ops-lin");
    if (!r.ok()) return r.error();
    if (!*r) return ok_status();
    deadline_at(domain::kSupplierNotShipped, order_id + ":" + supplier, now_ + ship_within_hours(supplier) * kHour,
                unshipped(order_id, "supplier:" + supplier));
    // Most suppliers ship within 48 hours; a few are late.
    const std::int64_t delay = chance(0.93) ? pick(4, 46) * kHour : pick(49, 80) * kHour;
    at(now_ + pick(1, 3) * kHour, [this, order_id, supplier]() -> Status {
      shop::AcknowledgeDropshipT ack;
      ack.order_id = order_id;
      ack.supplier_id = supplier;
      ack.tracking_number = "YT" + std::to_string(pick(100000, 999999));
      auto acked = submit(std::move(ack), supplier);
      return acked.ok() ? ok_status() : Status(acked.error());
    });
    at(now_ + delay, [this, order_id, supplier] { return ship(order_id, shop::SourceKind::Supplier, supplier); });
    return ok_status();
  }

  Status ship(const std::string& order_id, shop::SourceKind kind, const std::string& source) {
    shop::ShipOrderT c;
    c.order_id = order_id;
    c.kind = kind;
    c.source_id = source;
    c.carrier = kind == shop::SourceKind::Supplier ? "YTO" : "SF Express";
    c.tracking_number = "SF" + std::to_string(pick(1000000, 9999999));
    auto shipped = submit(std::move(c), kind == shop::SourceKind::Supplier ? source : "wh-zhao");
    if (!shipped.ok()) return shipped.error();
    if (!*shipped) return ok_status();
    auto order = order_state(order_id);
    if (!order.ok()) return order.error();
    if (order->status == domain::OrderStatus::kShipped) {
      at(now_ + pick(30, 96) * kHour, [this, order_id] { return deliver(order_id); });
    }
    return ok_status();
  }

  Status deliver(const std::string& order_id) {
    shop::DeliverOrderT c;
    c.order_id = order_id;
    auto delivered = submit(std::move(c), "carrier-sf");
    if (!delivered.ok()) return delivered.error();
    if (!*delivered) return ok_status();
    auto order = order_state(order_id);
    if (!order.ok()) return order.error();
    if (order->lines.empty()) return ok_status();
    // Returns by rating: under 5 % at 4.8+, 18 % at 4.2 and below.
    const domain::OrderLineState& line = order->lines[static_cast<std::size_t>(pick(0, static_cast<int>(order->lines.size()) - 1))];
    std::int32_t rating = 0;
    for (const Sku& sku : skus_) {
      if (sku.id == line.sku_id) rating = sku.rating;
    }
    const double rate = rating >= 48 ? 0.04 : rating <= 42 ? 0.18 : 0.09;
    if (!chance(rate)) return ok_status();
    const std::int64_t quantity = line.quantity;
    const std::string sku_id = line.sku_id;
    at(now_ + pick(4, 120) * kHour, [this, order_id, sku_id, quantity] { return request_return(order_id, sku_id, quantity); });
    return ok_status();
  }

  Status request_return(const std::string& order_id, const std::string& sku_id, std::int64_t quantity) {
    static const Weighted<shop::ReturnReason> kReason{{{shop::ReturnReason::SizeMismatch, 30},
                                                       {shop::ReturnReason::QualityProblem, 20},
                                                       {shop::ReturnReason::DamagedInTransit, 10},
                                                       {shop::ReturnReason::NotAsDescribed, 15},
                                                       {shop::ReturnReason::NoReason7Day, 25}}};
    shop::RequestReturnT c;
    c.order_id = order_id;
    c.return_id = "r1";
    c.reason = kReason.pick(rng_);
    auto line = std::make_unique<shop::LineQuantityT>();
    line->sku_id = sku_id;
    line->quantity = static_cast<std::int32_t>(quantity);
    c.lines.push_back(std::move(line));
    auto requested = submit(std::move(c), "cs-wang");
    if (!requested.ok()) return requested.error();
    if (!*requested) return ok_status();
    at(now_ + pick(1, 24) * kHour, [this, order_id]() -> Status {
      if (chance(0.1)) {
        shop::RejectReturnT reject;
        reject.order_id = order_id;
        reject.return_id = "r1";
        reject.reason = "outside the policy";
        auto r = submit(std::move(reject), "cs-wang");
        return r.ok() ? ok_status() : Status(r.error());
      }
      shop::ApproveReturnT approve;
      approve.order_id = order_id;
      approve.return_id = "r1";
      approve.shipping_cost = 1200;
      auto approved = submit(std::move(approve), "cs-wang");
      if (!approved.ok()) return approved.error();
      if (*approved) at(now_ + pick(24, 96) * kHour, [this, order_id] { return receive_return(order_id); });
      return ok_status();
    });
    return ok_status();
  }

  Status receive_return(const std::string& order_id) {
    const domain::Config& config = port_.config();
    shop::ReceiveReturnT c;
    c.order_id = order_id;
    c.return_id = "r1";
    c.warehouse_id = config.warehouses[static_cast<std::size_t>(pick(0, static_cast<int>(config.warehouses.size()) - 1))].id;
    c.condition = chance(0.8) ? shop::ReturnCondition::Resellable : shop::ReturnCondition::Damaged;
    auto received = submit(std::move(c), "wh-zhao");
    if (!received.ok()) return received.error();
    if (!*received) return ok_status();
    auto order = order_state(order_id);
    if (!order.ok()) return order.error();
    auto r = order->returns.find("r1");
    if (r == order->returns.end()) return ok_status();
    std::int64_t amount = 0;
    for (const auto& [sku_id, quantity] : r->second.lines) {
      if (const domain::OrderLineState* line = order->find_line(sku_id)) {
        amount += line->value() * quantity / std::max<std::int64_t>(1, line->quantity);
      }
    }
    amount = std::min(amount, order->paid - order->refunded);
    if (amount <= 0) return ok_status();
    shop::IssueRefundT refund;
    refund.order_id = order_id;
    refund.refund_id = "f1";
    refund.return_id = "r1";
    refund.amount = amount;
    refund.reason = "return received";
    auto refunded = submit(std::move(refund), "fin-chen");
    return refunded.ok() ? ok_status() : Status(refunded.error());
  }

  Status sync_all_suppliers() {
    for (const Sku& sku : skus_) {
      // One report in twelve goes missing, so stale-stock alerts happen.
      if (sku.supplier.empty() || chance(1.0 / 12)) continue;
      if (Status s = sync_supplier(sku); !s.ok()) return s;
    }
    return ok_status();
  }

  Status restock() {
    for (const Sku& sku : skus_) {
      if (!sku.supplier.empty()) continue;
      auto state = port_.current_state(domain::stock_stream(sku.id));
      if (!state.ok()) return state.error();
      if (!std::holds_alternative<domain::StockState>(state->state)) continue;
      const domain::StockState& stock = std::get<domain::StockState>(state->state);
      if (stock.available() >= 120) continue;
      const auto& warehouses = port_.config().warehouses;
      if (Status s = receive(sku, warehouses[static_cast<std::size_t>(pick(0, static_cast<int>(warehouses.size()) - 1))].id,
                             pick(200, 500));
          !s.ok()) {
        return s;
      }
    }
    return ok_status();
  }

  Status change_prices() {
    ++price_days_;
    shop::ChangePricesT c;
    // Every fifth day one operator reprices more than 20 SKUs at once (a
    // promotion), which the bulk-change alert watches for.
    const bool bulk = price_days_ % 5 == 0;
    const int count = bulk ? std::min<int>(static_cast<int>(skus_.size()), 25) : pick(1, 3);
    std::vector<std::size_t> indexes(skus_.size());
    for (std::size_t i = 0; i < indexes.size(); ++i) indexes[i] = i;
    std::shuffle(indexes.begin(), indexes.end(), rng_);
    for (int k = 0; k < count; ++k) {
      Sku& sku = skus_[indexes[static_cast<std::size_t>(k)]];
      const int percent = bulk ? pick(85, 95) : pick(92, 108);
      const std::int64_t new_price = std::max<std::int64_t>(sku.cost * 105 / 100, sku.price * percent / 100);
      auto change = std::make_unique<shop::PriceChangeT>();
      change->product_id = sku.product_id;
      change->sku_id = sku.id;
      change->new_price = new_price;
      change->reason = bulk ? "promotion" : "market adjustment";
      c.changes.push_back(std::move(change));
    }
    auto changed = submit(std::move(c), bulk ? "ops-promo" : "ops-lin");
    if (!changed.ok()) return changed.error();
    if (*changed && bulk) {  // its alert clears when the window ends without another change
      deadline_at(domain::kBulkPriceChangeWindow, "ops-promo",
                  now_ + port_.config().rules.bulk_price_change_minutes * kMinute,
                  []() -> Result<bool> { return true; });
    }
    if (*changed) {
      // Keep our own price list in step with what was accepted.
      for (int k = 0; k < count; ++k) {
        Sku& sku = skus_[indexes[static_cast<std::size_t>(k)]];
        auto state = port_.current_state(domain::product_stream(sku.product_id));
        if (!state.ok()) return state.error();
        if (const auto* product = std::get_if<domain::ProductState>(&state->state)) {
          if (const domain::ProductSku* found = product->find_sku(sku.id)) sku.price = found->price;
        }
      }
    }
    return ok_status();
  }

  // The catalog and warehouse work of a day, on a generator of its own so the
  // shop's orders draw the same numbers: a stock count correction every day;
  // every third day a transfer between warehouses, received the next day;
  // weekly a product delisted for two days and a product's title updated.
  Status housekeeping() {
    ++housekeeping_days_;
    auto draw = [this](int low, int high) { return std::uniform_int_distribution<int>(low, high)(housekeeping_rng_); };
    std::vector<const Sku*> own;
    for (const Sku& sku : skus_) {
      if (sku.supplier.empty()) own.push_back(&sku);
    }
    const auto& warehouses = port_.config().warehouses;
    if (own.empty() || warehouses.size() < 2) return ok_status();
    const Sku& counted = *own[static_cast<std::size_t>(draw(0, static_cast<int>(own.size()) - 1))];
    shop::AdjustStockT count;
    count.sku_id = counted.id;
    count.warehouse_id = warehouses[static_cast<std::size_t>(draw(0, static_cast<int>(warehouses.size()) - 1))].id;
    count.delta = draw(0, 1) == 0 ? -1 : 2;
    count.reason = shop::AdjustReason::StockCount;
    count.note = "cycle count";
    if (auto r = submit(std::move(count), "wh-zhao"); !r.ok()) return r.error();
    if (housekeeping_days_ % 3 == 0) {
      if (Status s = transfer(*own[static_cast<std::size_t>(draw(0, static_cast<int>(own.size()) - 1))]); !s.ok()) return s;
    }
    if (housekeeping_days_ % 7 == 2) {
      const std::string product = skus_[static_cast<std::size_t>(draw(0, static_cast<int>(skus_.size()) - 1))].product_id;
      shop::DelistProductT delist;
      delist.product_id = product;
      delist.reason = "quality review";
      auto delisted = submit(std::move(delist), "ops-lin");
      if (!delisted.ok()) return delisted.error();
      if (*delisted) {
        delisted_.insert(product);
        at(now_ + 2 * kDay, [this, product]() -> Status {
          delisted_.erase(product);
          shop::RelistProductT relist;
          relist.product_id = product;
          auto r = submit(std::move(relist), "ops-lin");
          return r.ok() ? ok_status() : Status(r.error());
        });
      }
    }
    if (housekeeping_days_ % 7 == 4) {
      shop::UpdateProductT update;
      update.product_id = skus_[static_cast<std::size_t>(draw(0, static_cast<int>(skus_.size()) - 1))].product_id;
      update.title = "Everyday essentials, new edition " + std::to_string(housekeeping_days_);
      update.rating_tenths = draw(38, 50);  // the platform's rating moved
      if (auto r = submit(std::move(update), "ops-lin"); !r.ok()) return r.error();
    }
    return ok_status();
  }

  // 20 units of `sku` from the warehouse holding most of it to another, received a day later.
  Status transfer(const Sku& sku) {
    auto state = port_.current_state(domain::stock_stream(sku.id));
    if (!state.ok()) return state.error();
    const auto* stock = std::get_if<domain::StockState>(&state->state);
    if (stock == nullptr) return ok_status();
    std::string from;
    std::int64_t most = 0;
    for (const auto& [id, w] : stock->warehouses) {
      if (w.available() > most) most = w.available(), from = id;
    }
    if (most < 40) return ok_status();
    std::string to;
    for (const domain::WarehouseConfig& w : port_.config().warehouses) {
      if (w.id != from) to = w.id;
    }
    shop::TransferStockT move;
    move.transfer_id = id("t", housekeeping_days_);
    move.sku_id = sku.id;
    move.from_warehouse = from;
    move.to_warehouse = to;
    move.quantity = 20;
    auto moved = submit(std::move(move), "wh-zhao");
    if (!moved.ok()) return moved.error();
    if (!*moved) return ok_status();
    at(now_ + kDay, [this, transfer_id = id("t", housekeeping_days_), sku_id = sku.id]() -> Status {
      shop::ReceiveTransferT receive;
      receive.transfer_id = transfer_id;
      receive.sku_id = sku_id;
      auto r = submit(std::move(receive), "wh-zhao");
      return r.ok() ? ok_status() : Status(r.error());
    });
    return ok_status();
  }

  Status daily_marketing() {
    // The shop's local day (+08:00) as "YYYY-MM-DD".
    const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(
        std::chrono::sys_time<std::chrono::microseconds>{std::chrono::microseconds{now_ + 8 * kHour}})};
    char day_text[48];
    std::snprintf(day_text, sizeof day_text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    for (std::size_t i = 0; i < skus_.size(); i += 3) {
      const Sku& sku = skus_[i];
      shop::RecordSpendT spend;
      spend.channel = shop::Channel::PaidAds;
      spend.sku_id = sku.id;
      spend.day = day_text;
      spend.kind = shop::SpendKind::Ads;
      spend.amount = 100 * pick(50, 2000);
      auto spent = submit(std::move(spend), "ops-lin");
      if (!spent.ok()) return spent.error();
      shop::RecordTrafficT traffic;
      traffic.channel = shop::Channel::PaidAds;
      traffic.sku_id = sku.id;
      traffic.period_start = now_;
      traffic.period_end = now_ + kDay;
      traffic.impressions = pick(2000, 20000);
      traffic.clicks = traffic.impressions * pick(1, 6) / 100;
      traffic.visitors = traffic.clicks * pick(70, 95) / 100;
      traffic.page_views = traffic.visitors * pick(2, 4);
      traffic.add_to_carts = traffic.visitors * pick(5, 15) / 100;
      auto recorded = submit(std::move(traffic), "ops-lin");
      if (!recorded.ok()) return recorded.error();
    }
    return ok_status();
  }

  CommandPort& port_;
  LoadOptions options_;
  std::mt19937_64 rng_;
  std::priority_queue<Task> agenda_;
  std::uint64_t next_task_ = 0;
  std::vector<Sku> skus_;
  std::int64_t now_ = 0;
  std::int64_t horizon_ = 0;
  int price_days_ = 0;
  int housekeeping_days_ = 0;
  std::set<std::string> delisted_;  // products off sale: the storefront offers none of their SKUs
  std::mt19937_64 housekeeping_rng_{options_.seed ^ 0x5eedULL};
  std::map<std::string, std::int64_t> last_sync_;  // SKU -> its latest accepted report
  LoadFigures figures_;
};

}  // namespace

Result<LoadFigures> generate_shop(commands::CommandHandler& handler, const LoadOptions& options) {
  HandlerPort port(handler);
  return generate_shop(port, options);
}

Result<LoadFigures> generate_shop(CommandPort& port, const LoadOptions& options) {
  if (options.orders < 0 || options.products < 1 || options.orders_per_day < 1) {
    return Error{"invalid_argument", "orders", "orders >= 0, products >= 1, orders_per_day >= 1"};
  }
  Generator generator(port, options);
  return generator.run();
}

}  // namespace spine::load
