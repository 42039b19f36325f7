#include "sample_shop.h"

#include <map>
#include <random>

#include "spine/domain/streams.h"

namespace spine::cli {

namespace {

class SampleRun {
 public:
  SampleRun(commands::CommandHandler& handler, std::uint64_t seed) : handler_(handler), rng_(seed) {}

  template <typename T>
  Status submit(T command, const std::string& actor) {
    commands::CommandEnvelope envelope;
    envelope.command_id = "sample:" + std::to_string(figures.commands++);
    envelope.actor = actor;
    envelope.body.Set(std::move(command));
    auto outcome = handler_.handle(envelope);
    if (outcome.ok()) return ok_status();
    // A business refusal (e.g. out of stock) is part of a shop's day; a store error is not.
    if (outcome.error().code == "io_error" || outcome.error().code == "no_space" ||
        outcome.error().code == "corruption" || outcome.error().code == "store_closed") {
      return outcome.error();
    }
    ++figures.refused;
    return ok_status();
  }

  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  SampleFigures figures;

 private:
  commands::CommandHandler& handler_;
  std::mt19937_64 rng_;
};

std::unique_ptr<shop::AttributeT> attribute(const char* name, const char* value) {
  auto a = std::make_unique<shop::AttributeT>();
  a->name = name;
  a->value = value;
  return a;
}

struct SampleProduct {
  const char* id;
  const char* title;
  const char* category;
  std::vector<const char*> attributes;
  std::vector<std::pair<const char*, std::int64_t>> skus;  // id, price (fen)
  const char* supplier;
};

}  // namespace

Result<SampleFigures> load_sample_shop(commands::CommandHandler& handler, int orders, std::uint64_t seed) {
  SampleRun run(handler, seed);
  const std::vector<SampleProduct> products = {
      {"dress-linen", "Linen summer dress", "apparel/women/dresses", {"material", "season", "sleeve", "length", "style"},
       {{"dress-linen-s", 19900}, {"dress-linen-m", 19900}, {"dress-linen-l", 21900}}, ""},
      {"tee-cotton", "Cotton crew-neck T-shirt", "apparel/men/tshirts", {"material", "season", "neckline", "fit", "pattern"},
       {{"tee-cotton-m", 5900}, {"tee-cotton-l", 5900}}, ""},
      {"earbuds-anc", "Noise-cancelling earbuds", "digital/audio/headphones",
       {"connectivity", "battery_hours", "noise_cancelling", "warranty_months", "brand"},
       {{"earbuds-anc-black", 39900}, {"earbuds-anc-white", 41900}}, "sup-shenzhen-audio"},
      {"sheets-silk", "Mulberry silk sheet set", "home/bedding/sheets", {"material", "size", "thread_count", "colour", "care"},
       {{"sheets-silk-queen", 89900}, {"sheets-silk-king", 99900}}, "sup-yiwu-home"},
  };
  std::vector<std::string> skus;
  std::map<std::string, std::int64_t> list_prices;
  for (const SampleProduct& p : products) {
    shop::ListProductT listing;
    listing.product_id = p.id;
    listing.title = p.title;
    listing.description = std::string(p.title) + ", sample listing";
    listing.category = p.category;
    for (const char* name : p.attributes) listing.attributes.push_back(attribute(name, "sample"));
    for (const auto& [sku_id, price] : p.skus) {
      auto sku = std::make_unique<shop::SkuSpecT>();
      sku->sku_id = sku_id;
      sku->list_price = price;
      sku->cost_price = price * 45 / 100;
      sku->weight_grams = 400;
      listing.skus.push_back(std::move(sku));
      skus.push_back(sku_id);
      list_prices[sku_id] = price;
    }
    listing.supplier_id = p.supplier;
    if (Status s = run.submit(std::move(listing), "ops-lin"); !s) return s.error();
  }
  for (const std::string& sku : skus) {
    for (const domain::WarehouseConfig& w : handler.config().warehouses) {
      shop::ReceiveStockT receive;
      receive.sku_id = sku;
      receive.warehouse_id = w.id;
      receive.quantity = run.pick(20, 200);
      receive.unit_cost = 1000;
      receive.purchase_ref = "PO-SAMPLE";
      if (Status s = run.submit(std::move(receive), "wh-zhao"); !s) return s.error();
    }
  }
  static const char* kRegions[] = {"east", "east", "east", "east", "south", "south", "north", "north", "central_west",
                                   "central_west"};
  for (int n = 0; n < orders; ++n) {
    const std::string order_id = "sample-" + std::to_string(n);
    shop::PlaceOrderT order;
    order.order_id = order_id;
    order.customer_id = "cust-" + std::to_string(run.pick(1, orders / 2 + 1));
    order.channel = static_cast<shop::Channel>(run.pick(0, 5));
    order.device = run.pick(0, 99) < 65 ? shop::Device::Mobile : shop::Device::Desktop;
    order.region = kRegions[run.pick(0, 9)];
    auto line = std::make_unique<shop::OrderLineRequestT>();
    line->sku_id = skus[static_cast<std::size_t>(run.pick(0, static_cast<int>(skus.size()) - 1))];
    line->quantity = run.pick(1, 2);
    line->unit_price = list_prices.at(line->sku_id);
    order.lines.push_back(std::move(line));
    order.shipping_fee = 800;
    if (Status s = run.submit(std::move(order), "web-checkout"); !s) return s.error();
    auto state = handler.current_state(domain::order_stream(order_id));
    if (!state.ok() || !std::holds_alternative<domain::OrderState>(state->state)) continue;
    const domain::OrderState placed = std::get<domain::OrderState>(state->state);
    if (run.pick(0, 9) == 0) {
      shop::CancelOrderT cancel;
      cancel.order_id = order_id;
      cancel.reason = "buyer changed mind";
      if (Status s = run.submit(std::move(cancel), "cs-wang"); !s) return s.error();
      continue;
    }
    shop::PayOrderT pay;
    pay.order_id = order_id;
    pay.amount = placed.total;
    if (Status s = run.submit(std::move(pay), "payment-gateway"); !s) return s.error();
    for (const std::string& source : placed.sources) {
      const std::string id = source.substr(source.find(':') + 1);
      const bool supplier = source.starts_with("supplier:");
      if (supplier) {
        shop::ForwardDropshipT forward;
        forward.order_id = order_id;
        forward.supplier_id = id;
        if (Status s = run.submit(std::move(forward), "ops-lin"); !s) return s.error();
      }
      shop::ShipOrderT ship;
      ship.order_id = order_id;
      ship.kind = supplier ? shop::SourceKind::Supplier : shop::SourceKind::Warehouse;
      ship.source_id = id;
      ship.carrier = "SF Express";
      ship.tracking_number = "SF" + std::to_string(1000000 + n);
      if (Status s = run.submit(std::move(ship), supplier ? id : "wh-zhao"); !s) return s.error();
    }
    shop::DeliverOrderT deliver;
    deliver.order_id = order_id;
    if (Status s = run.submit(std::move(deliver), "carrier-sf"); !s) return s.error();
  }
  return run.figures;
}

}  // namespace spine::cli
