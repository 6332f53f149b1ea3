#pragma once

#include <optional>
#include <span>

#include "attribution/flow_owner.h"

namespace dnsleak::attribution {

// The ends a flow had before this host translated them (source NAT, as
// Docker's masquerade does): asks the kernel's connection tracking for the
// entry whose reply direction matches the ends as they left. Nothing when
// conntrack has no such entry (or cannot be asked); the same ends when no
// translation happened.
std::optional<FlowQuery> originalEnds(const FlowQuery& translated);

// ctnetlink's reply to that request, as received: the original tuple's
// ends, nothing when the reply is an error or does not hold all four.
std::optional<FlowQuery> parseConntrackReply(std::span<const std::uint8_t> reply, std::uint8_t ip_protocol, bool v6);

}  // namespace dnsleak::attribution
