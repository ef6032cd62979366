// paxos-members: the membership API of a running service (docs/MEMBERSHIP.md) for scripts.
//   paxos-members --url http://127.0.0.1:8080 list
//   paxos-members --url URL add UID ROLE HOST:PORT [--http HOST:PORT] [--replaces UID]
//   paxos-members --url URL remove UID
// Prints the answer's JSON (the configuration) on stdout. Exit 0: done; 1: refused or failed
// (the reason on stderr: 409 another change won, 503 no leader...); 2: bad arguments.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "paxos_version.hpp"

using namespace paxos;

int main(int argc, char** argv) {
  CLI::App app{
      "paxos-members: list, add, replace or remove the members of a running key-value "
      "service, through any of its nodes' HTTP API."};
  app.set_version_flag("--version", versionLine("paxos-members"));
  app.require_subcommand(1);
  std::string url = "http://127.0.0.1:8080";
  int timeoutMs = 10000;
  app.add_option("--url", url, "http://HOST:PORT of a node of the service")->capture_default_str();
  app.add_option("--timeout-ms", timeoutMs, "how long to wait for the answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
  app.add_subcommand("list", "print the newest configuration");
  CLI::App* add = app.add_subcommand("add", "add a node, started as a joining node first");
  uint32_t uid = 0;
  std::string role, address, http;
  std::optional<uint32_t> replaces;
  add->add_option("UID", uid, "the new node's UID (never used in this cluster before)")->required();
  add->add_option("ROLE", role, "proposer, acceptor or learner")
      ->required()
      ->check(CLI::IsMember({"proposer", "acceptor", "learner"}));
  add->add_option("ADDRESS", address, "HOST:PORT, where it listens (UDP)")->required();
  add->add_option("--http", http, "a learner's HTTP HOST:PORT (its --http)");
  add->add_option("--replaces", replaces, "a member of the same role removed in the same change");
  CLI::App* remove = app.add_subcommand("remove", "remove a member");
  remove->add_option("UID", uid, "the member's UID")->required();
  CLI11_PARSE(app, argc, argv);

  auto target = test::parseHttpUrl(url);
  if (!target) {
    fmt::print(stderr, "paxos-members: not an http://HOST:PORT URL: {}\n", url);
    return 2;
  }
  std::string method = "GET", path = "/v1/members", body;
  if (*add) {
    nlohmann::json j{{"uid", uid}, {"role", role}, {"address", address}};
    if (!http.empty()) j["http"] = http;
    if (replaces) j["replaces"] = *replaces;
    method = "POST";
    body = j.dump();
  } else if (*remove) {
    method = "DELETE";
    path += "/" + std::to_string(uid);
  }
  test::HttpClient client(target->first, target->second);
  test::HttpResponse r = client.request(method, path, body, {{"Content-Type", "application/json"}},
                                        std::chrono::milliseconds(timeoutMs));
  if (!r.received()) {
    fmt::print(stderr, "paxos-members: no answer from {}: {}\n", url, r.error);
    return 1;
  }
  if (r.status != 200) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string why =
        j.is_object() && j.contains("message") ? j["message"].get<std::string>() : r.body;
    fmt::print(stderr, "paxos-members: {} {}: {}\n", r.status, method, why);
    return 1;
  }
  std::cout << r.body << "\n";
  return 0;
}
