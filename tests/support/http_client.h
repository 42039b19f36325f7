// A plain HTTP/1.1 client for tests (Boost.Beast, blocking), one keep-alive
// connection per client, plus the `spine serve` process the HTTP tests drive.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"

namespace spine::testing {

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string token = {}) : port_(port), token_(std::move(token)) {}

  HttpAnswer get(const std::string& target) { return send("GET", target, {}, {}); }
  HttpAnswer post(const std::string& target, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return send("POST", target, body, headers);
  }

  HttpAnswer send(const std::string& method, const std::string& target, const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers) {
    namespace bhttp = boost::beast::http;
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!stream_) connect();
        bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
        request.set(bhttp::field::host, "127.0.0.1");
        if (!token_.empty()) request.set(bhttp::field::authorization, "Bearer " + token_);
        for (const auto& [name, value] : headers) request.set(name, value);
        request.body() = body;
        request.prepare_payload();
        bhttp::write(*stream_, request);
        boost::beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(64 << 20);
        bhttp::read(*stream_, buffer, parser);
        auto response = parser.release();
        HttpAnswer answer;
        answer.status = static_cast<int>(response.result_int());
        for (const auto& field : response) {
          std::string name(field.name_string().data(), field.name_string().size());
          for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          answer.headers[name] = std::string(field.value().data(), field.value().size());
        }
        answer.body = std::move(response.body());
        if (!response.keep_alive()) stream_.reset();
        return answer;
      } catch (const boost::system::system_error&) {
        stream_.reset();  // the server closed a kept-alive connection: reconnect once
      }
    }
    return HttpAnswer{};
  }

 private:
  void connect() {
    stream_.emplace(io_);
    stream_->connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
  }

  boost::asio::io_context io_;
  std::optional<boost::beast::tcp_stream> stream_;
  std::uint16_t port_;
  std::string token_;
};

// `spine serve --kafka off --http 127.0.0.1:0` on a data directory, once ready.
struct HttpServe {
  pid_t pid = -1;
  std::uint16_t port = 0;
  std::string admin_token;  // printed at the first start of a store without tokens
  std::string out, err;
  std::string kafka = "off";  // --kafka: off, or a bootstrap list

  bool start(const std::string& data, const std::string& out_path, const std::string& err_path,
             const std::vector<std::string>& extra = {}) {
    out = out_path;
    err = err_path;
    std::vector<std::string> argv{SPINE_BINARY, "serve", "--data", data, "--kafka", kafka, "--http", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid = spawn(argv, out, err);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::string text;
    while ((text = slurp(out)).find("ready") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::size_t http = text.find("http: http://127.0.0.1:");
    if (http == std::string::npos) return false;
    port = static_cast<std::uint16_t>(std::stoi(text.substr(http + 23)));
    const std::size_t token = text.find("spine_");
    if (token != std::string::npos) admin_token = text.substr(token, text.find('\n', token) - token);
    return true;
  }

  // SIGTERM, then the exit status (-1 if it did not exit normally).
  int stop() {
    if (pid <= 0) return -1;
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  ~HttpServe() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace spine::testing
