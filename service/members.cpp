#include "service/members.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace paxos::service {

using json = nlohmann::json;

namespace {

std::vector<uint32_t>* listOf(core::Configuration& c, wire::Role role) {
  switch (role) {
    case wire::Role::proposer:
      return &c.proposers;
    case wire::Role::acceptor:
      return &c.acceptors;
    case wire::Role::learner:
      return &c.learners;
    case wire::Role::none:
      break;
  }
  return nullptr;
}

std::optional<wire::Role> parseRole(const std::string& word) {
  if (word == "proposer") return wire::Role::proposer;
  if (word == "acceptor") return wire::Role::acceptor;
  if (word == "learner") return wire::Role::learner;
  return std::nullopt;
}

// The next configuration, before `edit`: the newest with the epoch after it.
core::Change next(const core::Membership& membership) {
  const core::Configuration& latest = membership.latest();
  core::Change change{latest.epoch, latest};
  change.next.epoch = latest.epoch + 1;
  return change;
}

// Drops `uid` from its role (an acceptor is retired for good) and its address.
void drop(core::Configuration& c, uint32_t uid) {
  if (c.roleOf(uid) == wire::Role::acceptor) {
    c.retired.push_back(uid);
    std::sort(c.retired.begin(), c.retired.end());
  }
  std::erase(*listOf(c, c.roleOf(uid)), uid);
  c.addresses.erase(uid);
}

std::variant<core::Change, Refusal> checked(core::Change change) {
  if (auto why = change.next.invalid()) return Refusal{409, *why};
  return change;
}

}  // namespace

json membersJson(const core::Membership& membership, const config::Hosts& hosts) {
  const core::Configuration& c = membership.latest();
  auto list = [&](const std::vector<uint32_t>& uids) {
    json out = json::array();
    for (uint32_t uid : uids) {
      json m{{"uid", uid}};
      if (auto text = membership.addressOf(uid)) {
        if (auto a = config::parseMemberAddress(*text)) {
          m["address"] = config::httpText(a->udp);
          if (a->http) m["http"] = config::httpText(*a->http);
        }
      } else if (uid < uint32_t(hosts.size())) {
        const auto& host = hosts.hosts[uid];
        m["address"] = fmt::format("{}:{}", host.name, host.port);
        if (host.http) m["http"] = config::httpText(*host.http);
      }
      out.push_back(m);
    }
    return out;
  };
  return {{"epoch", c.epoch},
          {"alpha", membership.alpha()},
          {"through", membership.through()},
          {"effective_from", membership.configs().rbegin()->first},
          {"proposers", list(c.proposers)},
          {"acceptors", list(c.acceptors)},
          {"learners", list(c.learners)},
          {"retired", c.retired}};
}

std::variant<core::Change, Refusal> addMember(const core::Membership& membership,
                                              const config::Hosts& hosts, std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object())
    return Refusal{400, "expected a JSON object {\"uid\", \"role\", \"address\"}"};
  if (!j.contains("uid") || !j["uid"].is_number_unsigned() ||
      j["uid"].get<uint64_t>() >= core::kChangeBit)
    return Refusal{400, fmt::format("uid: expected a number 0..{}", core::kChangeBit - 1)};
  uint32_t uid = j["uid"].get<uint32_t>();
  auto role = j.contains("role") && j["role"].is_string() ? parseRole(j["role"].get<std::string>())
                                                          : std::nullopt;
  if (!role) return Refusal{400, "role: expected proposer, acceptor or learner"};
  core::Change change = next(membership);
  core::Configuration& c = change.next;
  if (c.contains(uid)) return Refusal{409, fmt::format("UID {} is a member already", uid)};
  if (std::binary_search(c.retired.begin(), c.retired.end(), uid) ||
      (uid < uint32_t(hosts.size()) && *role == wire::Role::acceptor))
    return Refusal{409, fmt::format("UID {} was an acceptor of this cluster: a node under it may "
                                    "have lost the promises it made; add the machine under a "
                                    "new UID",
                                    uid)};
  if (uid < uint32_t(hosts.size()))
    return Refusal{409,
                   fmt::format("UID {} is in the hosts file: a new node takes a new UID", uid)};
  auto text = [&](const char* key) -> std::optional<std::string> {
    if (j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return std::nullopt;
  };
  auto udp = text("address");
  auto address = udp ? config::parseHttpAddress(*udp) : std::nullopt;
  if (!address) return Refusal{400, "address: expected HOST:PORT, where the node listens (UDP)"};
  config::MemberAddress member{*address, std::nullopt};
  if (auto http = text("http")) {
    member.http = config::parseHttpAddress(*http);
    if (!member.http || *role != wire::Role::learner)
      return Refusal{400, "http: expected HOST:PORT, for a learner"};
  }
  if (j.contains("replaces")) {
    if (!j["replaces"].is_number_unsigned())
      return Refusal{400, "replaces: expected the UID of a member"};
    uint32_t old = j["replaces"].get<uint32_t>();
    if (c.roleOf(old) != *role)
      return Refusal{409, fmt::format("UID {} is no {} of the newest configuration (epoch {})", old,
                                      wire::roleName(*role), c.epoch)};
    drop(c, old);
  }
  auto& list = *listOf(c, *role);
  list.insert(std::upper_bound(list.begin(), list.end(), uid), uid);
  c.addresses[uid] = config::memberAddressText(member);
  return checked(std::move(change));
}

std::variant<core::Change, Refusal> removeMember(const core::Membership& membership, uint32_t uid) {
  core::Change change = next(membership);
  if (!change.next.contains(uid))
    return Refusal{404, fmt::format("UID {} is no member of the newest configuration (epoch {})",
                                    uid, change.next.epoch - 1)};
  drop(change.next, uid);
  return checked(std::move(change));
}

}  // namespace paxos::service
