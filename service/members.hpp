// The /v1/members API (docs/MEMBERSHIP.md): the configuration as JSON, and the configuration
// change a request asks for, built from the newest configuration this node knows. Refusals come
// back as (HTTP status, message).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "config/hosts.hpp"
#include "core/membership.hpp"

namespace paxos::service {

struct Refusal {
  int status;
  std::string message;
};

// {"epoch", "alpha", "through", "effective_from", "proposers": [{"uid", "address", "http"?}],
// "acceptors": [...], "learners": [...], "retired": [...]}
nlohmann::json membersJson(const core::Membership& membership, const config::Hosts& hosts);

// POST /v1/members {"uid", "role", "address", "http"?, "replaces"?}: adds a node (and removes
// `replaces` in the same change, which keeps the number of acceptors).
std::variant<core::Change, Refusal> addMember(const core::Membership& membership,
                                              const config::Hosts& hosts, std::string_view body);
// DELETE /v1/members/UID.
std::variant<core::Change, Refusal> removeMember(const core::Membership& membership, uint32_t uid);

}  // namespace paxos::service
