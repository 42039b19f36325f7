// Who may do and see what: the roles of domain.md §3 as tables, and the
// masking of cost prices and supplier terms. Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "spine/domain/command_json.h"

namespace spine::http {

enum class Role { kAdmin, kOperations, kCustomerService, kWarehouse, kFinance, kAuditor, kSupplier, kStorefront };

std::optional<Role> parse_role(std::string_view name);
std::string_view role_name(Role role);
const std::vector<Role>& all_roles();

// The identity behind a bearer token. For a supplier, `name` is its supplier id.
struct Principal {
  std::string token_id;
  std::string name;
  Role role = Role::kAuditor;
};

// Read endpoints, one per route family (docs/api.md has the matrix).
enum class Query {
  kStock, kOrder, kOrderTimeline, kSkuTimeline, kSkuPrices, kActorTimeline, kKpis,
  kSupplierPerformance, kSupplierTimeline, kAlerts, kRawHistory, kOperations
};

// Whether `role` may run the command `name` (kebab case) at all.
bool may_run_command(Role role, std::string_view name);
// For a supplier: the command must concern its own supplier id. Empty when
// allowed; else the field that names another supplier.
std::string supplier_scope_violation(const Principal& principal, const shop::CommandBodyUnion& body);
bool may_query(Role role, Query query);
// Admin, finance and auditor see cost prices and supplier terms; the rest get them masked.
bool sees_costs(Role role);
// Removes cost prices and supplier terms from `value`, at any depth (the keys
// are listed in docs/api.md, "Masking").
void mask_costs(nlohmann::json& value);

}  // namespace spine::http
