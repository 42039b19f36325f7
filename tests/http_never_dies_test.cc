// Hostile bodies against the real `spine serve`: numbers beyond a double,
// malformed JSON around them, a corpus of nasty bodies on every command. The
// server answers each with a problem document, appends nothing, and is still
// serving afterwards. And whatever a handler throws, the server answers 500
// `internal` with a request id and keeps serving.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "spine/domain/command_json.h"
#include "spine/http/server.h"
#include "support/http_api_fixture.h"

namespace spine::testing {
namespace {

TEST_F(HttpApi, NumbersBeyondADoubleAreRefusedAsOutOfRangeNamingTheField) {
  const std::uint64_t before = head();
  HttpClient admin = as("admin");
  const std::string digits310(310, '7');
  struct Case {
    std::string body, field;
  };
  const std::vector<Case> cases = {
      {R"({"order_id":"o-n","shipping_fee":1e400})", "shipping_fee"},
      {R"({"order_id":"o-n","shipping_fee":-1e309})", "shipping_fee"},
      {R"({"order_id":"o-n","shipping_fee":)" + digits310 + "}", "shipping_fee"},
      {R"({"lines":[{"sku_id":"a","quantity":1e400}]})", "lines[0].quantity"},
      {R"({"lines":[{"sku_id":"a"},{"quantity":-)" + digits310 + "}]}", "lines[1].quantity"},
      {R"({"order_id":"o-n","shipping_fee":1e400)", "shipping_fee"},  // malformed: never closed
      {R"({"order_id":"o-n" "shipping_fee":1e400})", ""},              // malformed before the number
      {"[1e400]", "body[0]"},
      {"1e400", "body"},
  };
  for (const Case& c : cases) {
    HttpAnswer answer = admin.post("/v1/commands/place-order", c.body);
    ASSERT_NE(answer.status, 0) << "the server died on " << c.body;
    EXPECT_EQ(answer.status, 400) << c.body << ": " << answer.body;
    const Json problem = answer.json();
    if (!c.field.empty()) {
      EXPECT_EQ(problem.value("code", ""), "out_of_range") << c.body << ": " << answer.body;
      EXPECT_EQ(problem.value("field", ""), c.field) << c.body << ": " << answer.body;
    }
    EXPECT_FALSE(problem.value("detail", "").empty()) << c.body;
  }
  EXPECT_EQ(HttpClient(serve.port).get("/healthz").status, 200);
  EXPECT_EQ(head(), before);
}

// Bodies an attacker or a broken integration sends, on every command.
std::vector<std::string> hostile_bodies() {
  const std::string digits(400, '9');
  std::vector<std::string> bodies = {
      "", " ", "null", "true", "0", "-0", "1e400", "\"text\"", "[]", "{", "}", "{}", "{}{}", "{\"a\":}",
      "{\"order_id\":\"\\ud800\"}", "{\"order_id\":\"\\u0000\"}", "{\"order_id\":\"a\"\x00}",
      "{\"lines\":[" + std::string(5000, '[') + "]}", std::string(100000, '['), std::string(100000, '{'),
      "{\"quantity\":" + digits + "}", "{\"quantity\":-" + digits + "}", "{\"quantity\":1e-400}",
      "{\"quantity\":0." + digits + "e99999}", "{\"lines\":[{\"quantity\":1E+309}]}", "{\"x\":NaN}",
      "{\"x\":Infinity}", "{\"x\":-Infinity}", "{\"amount\":1,\"amount\":2}", "\xef\xbb\xbf{}",
      "{\"order_id\":\"\xed\xa0\x80\"}", "{\"changes\":[{\"new_price\":1e400}]}",
      "{\"attributes\":[{\"name\":\"a\",\"value\":1e400}]}",
  };
  std::string many = "[";
  for (int i = 0; i < 60000; ++i) many += "0,";
  many += "0]";
  bodies.push_back(many);
  return bodies;
}

TEST_F(HttpApi, AHostileCorpusOnEveryCommandIsRefusedAndNothingIsAppended) {
  const std::uint64_t before = head();
  HttpClient admin = as("admin");
  for (const std::string& name : domain::command_names()) {
    for (const std::string& body : hostile_bodies()) {
      HttpAnswer answer = admin.post("/v1/commands/" + name, body);
      ASSERT_NE(answer.status, 0) << "the server died on " << name << " " << body.substr(0, 80);
      EXPECT_GE(answer.status, 400) << name << " " << body.substr(0, 80) << ": " << answer.body;
      EXPECT_LT(answer.status, 500) << name << " " << body.substr(0, 80) << ": " << answer.body;
      EXPECT_EQ(answer.headers["content-type"], "application/problem+json") << name << " " << body.substr(0, 80);
    }
  }
  EXPECT_EQ(HttpClient(serve.port).get("/healthz").status, 200);
  EXPECT_EQ(head(), before);
}

// A service whose handler throws what a library might: the server's barrier.
class ThrowingService : public http::HttpService {
 public:
  http::HttpResponse handle(const http::HttpRequest& request) override {
    if (request.target == "/throw/runtime") throw std::runtime_error("a library failed");
    if (request.target == "/throw/int") throw 42;
    if (request.target == "/throw/alloc") throw std::bad_alloc();
    return http::HttpResponse{200, "application/json", {}, R"({"status":"ok"})"};
  }
  bool blocks(const http::HttpRequest& request) const override { return request.method == "POST"; }
};

TEST(HttpServerBarrier, AnExceptionInAHandlerIsAnswered500WithARequestIdAndServingGoesOn) {
  ThrowingService service;
  http::HttpServerOptions options;
  options.port = 0;
  auto server = http::HttpServer::start(options, service);
  ASSERT_TRUE(server) << server.error().to_string();
  HttpClient client((*server)->port());
  std::set<std::string> ids;
  for (const std::string method : {"GET", "POST"}) {  // on an I/O thread and on a worker
    for (const char* target : {"/throw/runtime", "/throw/int", "/throw/alloc"}) {
      HttpAnswer answer = client.send(method, target, "", {});
      EXPECT_EQ(answer.status, 500) << method << " " << target;
      EXPECT_EQ(answer.json().value("code", ""), "internal") << answer.body;
      const std::string id = answer.headers["spine-request-id"];
      EXPECT_FALSE(id.empty()) << method << " " << target;
      EXPECT_NE(answer.body.find(id), std::string::npos) << "the problem names the request id: " << answer.body;
      ids.insert(id);
      EXPECT_EQ(client.get("/fine").status, 200) << "still serving after " << target;
    }
  }
  EXPECT_EQ(ids.size(), 6u) << "each request has its own id";
}

}  // namespace
}  // namespace spine::testing
