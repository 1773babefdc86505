// What `check` shows of each https binding's certificate (subject, names,
// expiry, whether it covers the binding's host), and the self-signed pair
// the embedded demo makes on its first start.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/model.hpp"

namespace gatehouse::tls {

// The certificate report of every https binding, one block per certificate;
// warnings (expiry under 30 days, a host the certificate does not cover,
// an unreadable file) go to `warnings`.
std::string certificate_report(const config::Config& config, std::vector<config::Warning>& warnings);

// A self-signed P-256 certificate for `host` (and 127.0.0.1) valid for a year,
// written to `certificate` (0644) and `key` (0600).
Status make_self_signed(const config::Path& certificate, const config::Path& key, const std::string& host);

}  // namespace gatehouse::tls
