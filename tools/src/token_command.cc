// `spine token create|revoke|list`: bearer tokens of the HTTP API. Works
// beside a running `spine serve` (the file is locked and replaced atomically;
// the server re-reads it on the next request).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "spine/http/tokens.h"

namespace spine::cli {

namespace {

nlohmann::json token_json(const http::TokenRecord& r) {
  return {{"id", r.id}, {"name", r.name}, {"role", std::string(http::role_name(r.role))},
          {"created_at_us", r.created_at_us}, {"revoked_at_us", r.revoked_at_us}};
}

}  // namespace

std::string token_file_of(const std::string& data_dir, const std::string& explicit_file) {
  return explicit_file.empty() ? data_dir + "/tokens.ndjson" : explicit_file;
}

int run_token_create(const TokenArgs& args) {
  auto role = http::parse_role(args.role);
  if (!role) {
    fmt::print(stderr, "error: unknown role '{}' (admin, operations, customer_service, warehouse, finance, auditor, "
                       "supplier, storefront)\n", args.role);
    return kExitUsage;
  }
  http::TokenStore tokens(token_file_of(args.data_dir, args.token_file));
  auto created = tokens.create(*role, args.name);
  if (!created) {
    fmt::print(stderr, "error: {}\n", created.error().to_string());
    return created.error().code == "invalid_name" ? kExitUsage : kExitIoError;
  }
  if (args.json) {
    nlohmann::json out = token_json(created->record);
    out["token"] = created->secret;
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("{}\n", created->secret);
    fmt::print(stderr, "token {} for {} ({}): shown once, only its hash is kept in {}\n", created->record.id,
               created->record.name, args.role, tokens.path());
  }
  return kExitOk;
}

int run_token_revoke(const TokenArgs& args) {
  http::TokenStore tokens(token_file_of(args.data_dir, args.token_file));
  auto revoked = tokens.revoke(args.id_or_name);
  if (!revoked) {
    fmt::print(stderr, "error: {}\n", revoked.error().to_string());
    return revoked.error().code == "not_found" ? kExitNotFound : kExitIoError;
  }
  for (const http::TokenRecord& r : *revoked) {
    if (args.json) {
      fmt::print("{}\n", token_json(r).dump());
    } else {
      fmt::print("revoked {} ({}, {})\n", r.id, r.name, http::role_name(r.role));
    }
  }
  return kExitOk;
}

int run_token_list(const TokenArgs& args) {
  http::TokenStore tokens(token_file_of(args.data_dir, args.token_file));
  auto list = tokens.list();
  if (!list) {
    fmt::print(stderr, "error: {}\n", list.error().to_string());
    return kExitIoError;
  }
  for (const http::TokenRecord& r : *list) {
    if (args.json) {
      fmt::print("{}\n", token_json(r).dump());
    } else {
      fmt::print("{}  {:<16} {:<28} {}\n", r.id, http::role_name(r.role), r.name,
                 r.revoked_at_us == 0 ? "live" : "revoked");
    }
  }
  return kExitOk;
}

}  // namespace spine::cli
