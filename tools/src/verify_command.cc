#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "progress.h"
#include "spine/eventstore/chain_verifier.h"

namespace spine::cli {

int print_verify_report(const store::VerifyReport& report, bool json) {
  if (json) {
    nlohmann::json out{{"ok", report.ok},
                       {"records_checked", report.records_checked},
                       {"head_position", report.head_position},
                       {"head_hash", store::to_hex(report.head_hash)}};
    if (!report.ok) {
      out["bad_position"] = report.bad_position;
      out["reason"] = report.reason;
    }
    fmt::print("{}\n", out.dump());
  } else if (report.ok) {
    fmt::print("ok: {} records verified; head position {} hash {}\n", report.records_checked, report.head_position,
               store::to_hex(report.head_hash));
  } else {
    fmt::print("corrupt: first bad position {}: {}\n", report.bad_position, report.reason);
  }
  return report.ok ? kExitOk : kExitVerifyFailed;
}

int run_verify(const VerifyArgs& args) {
  Progress progress("verify", 0);
  auto report = store::verify_store(args.data_dir, [&](std::uint64_t position) { progress.update(position); });
  progress.finish();
  if (!report) {
    if (args.json) {
      fmt::print("{}\n", nlohmann::json{{"ok", false}, {"error", report.error().code},
                                        {"message", report.error().message}}.dump());
    } else {
      fmt::print(stderr, "error: {}\n", report.error().to_string());
    }
    return kExitIoError;
  }
  return print_verify_report(*report, args.json);
}

}  // namespace spine::cli
