// `spine bench http`: in one run, with wrk (Debian) as the client,
// (1) GET /v1/stock/{sku} from Spine's HTTP API against nginx (Debian)
//     serving a static file of the same JSON on the same machine, and
// (2) POST /v1/commands/place-order with keep-alive (durable appends).
// Both servers get the same number of threads; medians over the runs.
#include <fmt/core.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "bench_support.h"
#include "commands.h"
#include "spine/domain/config.h"
#include "spine/commands/command_handler.h"
#include "spine/http/api.h"
#include "spine/projections/read_models.h"
#include "spine/projections/runner.h"

namespace spine::cli {
namespace {

struct WrkFigures {
  double requests_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  std::uint64_t non_2xx = 0;
};

std::string run_and_capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run: " + command);
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  if (pclose(pipe) != 0) throw std::runtime_error("failed: " + command + "\n" + out);
  return out;
}

double to_ms(const std::string& number, const std::string& unit) {
  const double value = std::stod(number);
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  return value;  // ms
}

// Parses wrk's --latency report.
WrkFigures parse_wrk(const std::string& text) {
  WrkFigures f;
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) f.requests_per_second = std::stod(m[1]);
  if (std::regex_search(text, m, std::regex(R"(\n\s+50%\s+([0-9.]+)(us|ms|s))"))) f.p50_ms = to_ms(m[1], m[2]);
  if (std::regex_search(text, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s))"))) f.p99_ms = to_ms(m[1], m[2]);
  if (std::regex_search(text, m, std::regex(R"(Non-2xx or 3xx responses:\s+([0-9]+))"))) f.non_2xx = std::stoull(m[1]);
  if (f.requests_per_second == 0) throw std::runtime_error("cannot read wrk's report:\n" + text);
  return f;
}

WrkFigures run_wrk(const BenchHttpArgs& args, const std::string& url, const std::string& token,
                   const std::string& script) {
  std::string command = fmt::format("wrk -t{} -c{} -d{}s --latency -H 'Authorization: Bearer {}'", args.wrk_threads,
                                    args.connections, args.seconds, token);
  if (!script.empty()) command += " -s " + script;
  return parse_wrk(run_and_capture(command + " " + url + " 2>&1"));
}

// nginx in the foreground on its own prefix, serving `root`; stopped by the destructor.
class Nginx {
 public:
  Nginx(const std::filesystem::path& prefix, int port, int workers) {
    std::filesystem::create_directories(prefix / "logs");
    const std::filesystem::path config = prefix / "nginx.conf";
    std::ofstream(config) << fmt::format(R"(worker_processes {};
pid {}/nginx.pid;
error_log {}/logs/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  # A tuned static server: descriptors and stat results cached, no per-request open/close.
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  sendfile on;
  tcp_nodelay on;
  client_body_temp_path {}/tmp-body; proxy_temp_path {}/tmp-proxy; fastcgi_temp_path {}/tmp-fcgi;
  uwsgi_temp_path {}/tmp-uwsgi; scgi_temp_path {}/tmp-scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{};
    location / {{ root {}/www; default_type application/json; }}
  }}
}}
)", workers, prefix.string(), prefix.string(), prefix.string(), prefix.string(), prefix.string(), prefix.string(),
                                         prefix.string(), port, prefix.string());
    pid_ = fork();
    if (pid_ == 0) {
      execlp("nginx", "nginx", "-p", prefix.c_str(), "-c", config.c_str(), "-g", "daemon off;", nullptr);
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ~Nginx() {
    if (pid_ > 0) {
      kill(pid_, SIGQUIT);
      waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

int free_port() {
  // Let the kernel choose: bind port 0 through a throwaway server socket.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

int run_bench_http(const BenchHttpArgs& args) {
  try {
    for (const char* tool : {"wrk", "nginx"}) {
      if (std::system(fmt::format("command -v {} >/dev/null", tool).c_str()) != 0) {
        fmt::print(stderr, "error: {} is not installed (tools/install-deps --bench installs wrk and nginx-light)\n", tool);
        return kExitIoError;
      }
    }
    BenchDirs dirs(args.work_dir, "http");
    const std::filesystem::path root = dirs.fresh("run");
    std::filesystem::create_directories(root);
    auto opened = store::EventStore::open((root / "store").string());
    if (!opened) throw std::runtime_error(opened.error().to_string());
    store::EventStore& log = **opened;
    commands::CommandHandler handler(log, domain::default_config());
    fmt::print(stderr, "setting up a shop of {} products with stock...\n", args.products);
    set_up_bench_shop(handler, args.products);
    auto runner = projections::ProjectionRunner::open(log, (root / "projections").string(),
                                                      projections::make_read_models(handler.config()));
    if (!runner) throw std::runtime_error(runner.error().to_string());
    (*runner)->start();
    http::TokenStore tokens((root / "tokens.ndjson").string());
    auto token = tokens.create(http::Role::kAdmin, "bench");
    if (!token) throw std::runtime_error(token.error().to_string());
    http::Api api(log, handler, **runner, tokens);
    http::HttpServerOptions options;
    options.port = 0;
    options.io_threads = args.server_threads;
    auto server = http::HttpServer::start(options, api);
    if (!server) throw std::runtime_error(server.error().to_string());
    const std::string base = fmt::format("http://127.0.0.1:{}", (*server)->port());
    const std::string target = "/v1/stock/" + args.sku;
    // The same API rendering every answer (no reuse while the model stays put): the cost of a read
    // right after the log moved.
    http::ApiOptions render_options;
    render_options.reuse_rendered_stock = false;
    http::Api rendering_api(log, handler, **runner, tokens, render_options);
    auto rendering_server = http::HttpServer::start(options, rendering_api);
    if (!rendering_server) throw std::runtime_error(rendering_server.error().to_string());
    const std::string rendering_base = fmt::format("http://127.0.0.1:{}", (*rendering_server)->port());

    // nginx serves the very bytes Spine answers, from a file.
    (*runner)->wait_for(log.head().position, std::chrono::seconds(30));
    const http::HttpResponse sample = api.handle(http::HttpRequest{
        "GET", target, {{"authorization", "Bearer " + token->secret}}, "", "bench"});
    if (sample.status != 200) throw std::runtime_error("GET " + target + ": " + sample.body);
    std::filesystem::create_directories(root / "nginx" / "www" / "v1" / "stock");
    std::ofstream(root / "nginx" / "www" / "v1" / "stock" / args.sku) << sample.body;
    const int nginx_port = free_port();
    Nginx nginx(root / "nginx", nginx_port, args.server_threads);
    const std::string nginx_url = fmt::format("http://127.0.0.1:{}{}", nginx_port, target);

    std::vector<double> spine_rps, nginx_rps, spine_p99, nginx_p99, order_rps, order_p99, order_p50, render_rps, render_p99;
    const std::string script = (root / "orders.lua").string();
    std::ofstream(script) << R"(-- one new order per request, one unit of a random SKU "pK-0", ids unique per thread
local counter = 0
local thread_id = 0
local next_id = 0
function setup(thread) thread:set("tid", next_id); next_id = next_id + 1 end
function init(args) thread_id = tid end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  local sku = string.format("p%d-0", math.random(0, PRODUCTS - 1))
  local body = string.format('{"order_id":"bench-%s-%d-%d","customer_id":"c%d","channel":"OwnSite","device":"Mobile","region":"east","lines":[{"sku_id":"%s","quantity":1,"unit_price":9900}]}',
      RUN, thread_id, counter, counter % 1000, sku)
  return wrk.format(nil, "/v1/commands/place-order", nil, body)
end
)";
    std::uint64_t order_errors = 0;
    for (int r = 0; r < args.repeats; ++r) {
      const WrkFigures s = run_wrk(args, base + target, token->secret, "");
      const WrkFigures n = run_wrk(args, nginx_url, token->secret, "");
      const WrkFigures rendered = run_wrk(args, rendering_base + target, token->secret, "");
      render_rps.push_back(rendered.requests_per_second);
      render_p99.push_back(rendered.p99_ms);
      spine_rps.push_back(s.requests_per_second);
      spine_p99.push_back(s.p99_ms);
      nginx_rps.push_back(n.requests_per_second);
      nginx_p99.push_back(n.p99_ms);
      // Each run's order ids differ (RUN), so no order is a replay.
      const std::string orders_script = (root / "orders-run.lua").string();
      std::ofstream(orders_script) << "RUN = \"" << r << "\"\nPRODUCTS = " << args.products << "\n"
                                   << std::ifstream(script).rdbuf();
      const WrkFigures o = run_wrk(args, base + "/v1/commands/place-order", token->secret, orders_script);
      order_rps.push_back(o.requests_per_second);
      order_p50.push_back(o.p50_ms);
      order_p99.push_back(o.p99_ms);
      order_errors += o.non_2xx + s.non_2xx;
      fmt::print(stderr, "run {}: GET spine {:.0f}/s (p99 {:.2f} ms), rendering every time {:.0f}/s, nginx {:.0f}/s (p99 {:.2f} ms); place-order {:.0f}/s (p99 {:.2f} ms, {} non-2xx)\n",
                 r + 1, s.requests_per_second, s.p99_ms, rendered.requests_per_second, n.requests_per_second, n.p99_ms,
                 o.requests_per_second, o.p99_ms, o.non_2xx);
    }
    (*server)->shutdown();
    (*rendering_server)->shutdown();
    (*runner)->stop();
    const double ratio = median(spine_rps) / median(nginx_rps);
    if (args.json) {
      fmt::print("{}\n", nlohmann::json{{"response_bytes", sample.body.size()},
                                        {"spine_requests_per_second", median(spine_rps)},
                                        {"nginx_requests_per_second", median(nginx_rps)},
                                        {"ratio", ratio},
                                        {"target", 0.6},
                                        {"met", ratio >= 0.6},
                                        {"spine_p99_ms", median(spine_p99)},
                                        {"nginx_p99_ms", median(nginx_p99)},
                                        {"rendering_requests_per_second", median(render_rps)},
                                        {"rendering_p99_ms", median(render_p99)},
                                        {"orders_requests_per_second", median(order_rps)},
                                        {"orders_p50_ms", median(order_p50)},
                                        {"orders_p99_ms", median(order_p99)},
                                        {"orders_non_2xx", order_errors}}
                             .dump(2));
      return args.check && ratio < 0.6 ? kExitBelowTarget : kExitOk;
    }
    fmt::print("wrk -t{} -c{} -d{}s, server threads {}, response {} bytes, {} runs (medians)\n", args.wrk_threads,
               args.connections, args.seconds, args.server_threads, sample.body.size(), args.repeats);
    fmt::print("{:<44} {:>12} {:>12} {:>7} {:>7}\n", "measure", "spine", "nginx", "ratio", "target");
    fmt::print("{:<44} {:>12.0f} {:>12.0f} {:>7.3f} {:>7}\n", "GET /v1/stock/{sku} (requests/s)", median(spine_rps),
               median(nginx_rps), ratio, "0.6");
    fmt::print("{:<44} {:>12.2f} {:>12.2f}\n", "  p99 latency (ms)", median(spine_p99), median(nginx_p99));
    fmt::print("{:<44} {:>12.0f} {:>12.0f} {:>7.3f} {:>7}\n", "  rendering every answer (requests/s)", median(render_rps),
               median(nginx_rps), median(render_rps) / median(nginx_rps), "-");
    fmt::print("{:<44} {:>12.0f}   p50 {:.2f} ms  p99 {:.2f} ms  ({} non-2xx in all runs)\n",
               "POST /v1/commands/place-order (requests/s)", median(order_rps), median(order_p50), median(order_p99),
               order_errors);
    return args.check && ratio < 0.6 ? kExitBelowTarget : kExitOk;
  } catch (const std::exception& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return kExitIoError;
  }
}

}  // namespace spine::cli
