#include "spine/http/access.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace spine::http {

namespace {

struct RoleName {
  Role role;
  std::string_view name;
};
constexpr std::array<RoleName, 8> kRoles = {{
    {Role::kAdmin, "admin"},
    {Role::kOperations, "operations"},
    {Role::kCustomerService, "customer_service"},
    {Role::kWarehouse, "warehouse"},
    {Role::kFinance, "finance"},
    {Role::kAuditor, "auditor"},
    {Role::kSupplier, "supplier"},
    {Role::kStorefront, "storefront"},
}};

bool contains(std::initializer_list<std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Keys that carry a cost price, a value at cost, or a supplier's terms.
constexpr std::array<std::string_view, 14> kMaskedKeys = {
    "cost_price", "unit_cost", "cost", "dropship_cost", "gross_profit", "below_cost", "average_inventory_value",
    "lead_time_days", "ship_within_hours", "return_cost_share_bp", "return_window_days", "shop_share",
    "supplier_share", "cogs"};

}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  for (const RoleName& r : kRoles) {
    if (r.name == name) return r.role;
  }
  return std::nullopt;
}

std::string_view role_name(Role role) {
  for (const RoleName& r : kRoles) {
    if (r.role == role) return r.name;
  }
  return "unknown";
}

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles = [] {
    std::vector<Role> out;
    for (const RoleName& r : kRoles) out.push_back(r.role);
    return out;
  }();
  return roles;
}

bool may_run_command(Role role, std::string_view name) {
  // Appended only by the deadline service, when a deadline has fallen due.
  if (name == "record-deadline") return false;
  switch (role) {
    case Role::kAdmin: return true;
    case Role::kOperations:
      return contains({"list-product", "update-product", "delist-product", "relist-product", "change-prices",
                       "record-spend", "record-traffic"},
                      name);
    case Role::kCustomerService:
      return contains({"cancel-order", "request-return", "approve-return", "reject-return"}, name);
    case Role::kWarehouse:
      return contains({"receive-stock", "adjust-stock", "transfer-stock", "receive-transfer", "forward-dropship",
                       "ship-order", "deliver-order", "receive-return"},
                      name);
    case Role::kFinance: return contains({"issue-refund"}, name);
    case Role::kAuditor: return false;
    case Role::kSupplier: return contains({"acknowledge-dropship", "ship-order", "sync-supplier-stock"}, name);
    case Role::kStorefront:
      return contains({"place-order", "pay-order", "fail-payment", "cancel-order", "request-return"}, name);
  }
  return false;
}

std::string supplier_scope_violation(const Principal& principal, const shop::CommandBodyUnion& body) {
  if (principal.role != Role::kSupplier) return {};
  if (const auto* ack = body.AsAcknowledgeDropship()) {
    return ack->supplier_id == principal.name ? "" : "supplier_id";
  }
  if (const auto* sync = body.AsSyncSupplierStock()) {
    return sync->supplier_id == principal.name ? "" : "supplier_id";
  }
  if (const auto* ship = body.AsShipOrder()) {
    if (ship->kind != shop::SourceKind::Supplier) return "kind";
    return ship->source_id == principal.name ? "" : "source_id";
  }
  return "command";
}

bool may_query(Role role, Query query) {
  switch (role) {
    case Role::kAdmin:
    case Role::kFinance:
    case Role::kAuditor: return true;
    case Role::kOperations:
      return query == Query::kStock || query == Query::kSkuTimeline || query == Query::kSkuPrices ||
             query == Query::kKpis || query == Query::kAlerts || query == Query::kActorTimeline ||
             query == Query::kOperations;
    case Role::kCustomerService:
      return query == Query::kOrder || query == Query::kOrderTimeline || query == Query::kSkuTimeline ||
             query == Query::kActorTimeline || query == Query::kOperations;
    case Role::kWarehouse:
      return query == Query::kStock || query == Query::kOrder || query == Query::kOrderTimeline ||
             query == Query::kSkuTimeline || query == Query::kAlerts || query == Query::kOperations;
    case Role::kSupplier:
      // Its own forwards and SKUs: the route checks that the id is its own.
      return query == Query::kSupplierPerformance || query == Query::kSupplierTimeline;
    case Role::kStorefront: return query == Query::kOrder || query == Query::kStock || query == Query::kOperations;
  }
  return false;
}

bool sees_costs(Role role) { return role == Role::kAdmin || role == Role::kFinance || role == Role::kAuditor; }

void mask_costs(nlohmann::json& value) {
  if (value.is_object()) {
    for (std::string_view key : kMaskedKeys) value.erase(std::string(key));
    for (auto& item : value) mask_costs(item);
  } else if (value.is_array()) {
    for (auto& item : value) mask_costs(item);
  }
}

}  // namespace spine::http
