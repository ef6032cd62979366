// Standard base64 (RFC 4648, with padding) for ?encoding=base64: values that are bytes, not text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace paxos::service {

std::string encodeBase64(std::string_view bytes);
// nullopt unless `text` is canonical padded base64.
std::optional<std::string> decodeBase64(std::string_view text);

}  // namespace paxos::service
