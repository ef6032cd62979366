// What the cluster runs (docs/MULTI.md): basic decides one value, as the seed (001) did; multi
// runs a replicated log of decided values (seed 004). Every node of a run must agree on it, so
// it is part of Hosts::hash(). Alone in this header because the protocol core needs it and
// nothing else of the hosts file.
#pragma once

namespace paxos::config {

enum class Mode { basic, multi };

}  // namespace paxos::config
