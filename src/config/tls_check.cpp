// Checks of the https settings that need the whole configuration: every
// https binding has a certificate and key, a port is http or https, and the
// key files are private (as OpenSSH refuses a key others can read).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "config/sections.hpp"
#include "config/values.hpp"

namespace gatehouse::config {
namespace {

std::string binding_key(std::size_t s, std::size_t b) {
  return "sites[" + std::to_string(s) + "].bindings[" + std::to_string(b) + "]";
}

// The key file: a regular file that neither group nor others may read or write.
std::string key_file_problem(const Path& key) {
  struct stat st {};
  if (::stat(key.c_str(), &st) != 0)
    return "expected an existing private key file, got " + in_quotes(key.string()) + " (" + std::strerror(errno) + ")";
  if (!S_ISREG(st.st_mode)) return "expected a regular file, got " + in_quotes(key.string()) + " (not a regular file)";
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return "the private key " + in_quotes(key.string()) + " is accessible by group or others (mode " + mode +
           "): refused, as OpenSSH refuses an unprotected key; run chmod 600 " + key.string();
  }
  return {};
}

std::string certificate_problem(const Path& certificate) {
  struct stat st {};
  if (::stat(certificate.c_str(), &st) != 0)
    return "expected an existing certificate file (PEM), got " + in_quotes(certificate.string()) + " (" +
           std::strerror(errno) + ")";
  if (!S_ISREG(st.st_mode))
    return "expected a regular file, got " + in_quotes(certificate.string()) + " (not a regular file)";
  return {};
}

}  // namespace

void check_tls(const Config& config, ReadState& state, bool must_exist) {
  std::map<int, std::pair<std::string, std::string>> scheme_of_port;  // port -> scheme, key of first use
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const Site& site = config.sites[s];
    const std::string site_key = "sites[" + std::to_string(s) + "]";
    bool has_https = false;
    for (std::size_t b = 0; b < site.bindings.size(); ++b) {
      const Binding& binding = site.bindings[b];
      const std::string key = binding_key(s, b);
      const SourcePos pos = state.pos_or(key, site.pos);
      auto [it, fresh] = scheme_of_port.emplace(binding.port, std::pair{binding.scheme, key});
      if (!fresh && it->second.first != binding.scheme)
        state.add(pos, key,
                  "port " + std::to_string(binding.port) + " is " + it->second.first + " for " + it->second.second +
                      " at " + state.pos_or(it->second.second, {}).str() +
                      ": one port cannot serve both http and https");
      if (!binding.https()) continue;
      has_https = true;
      auto certificate = site.certificate_of(binding);
      auto private_key = site.key_of(binding);
      if (!certificate || !private_key) {
        state.add(pos, key,
                  "the https binding " + in_quotes(binding.text) +
                      " needs a certificate and a key: set certificate and key in [sites.tls], or write the "
                      "binding as { url = \"" +
                      binding.text + "\", certificate = \"...\", key = \"...\" }");
        continue;
      }
      if (!must_exist) continue;
      const std::string cert_key = binding.certificate ? key + ".certificate" : site_key + ".tls.certificate";
      const std::string key_key = binding.key ? key + ".key" : site_key + ".tls.key";
      if (auto why = certificate_problem(*certificate); !why.empty())
        state.add(state.pos_or(cert_key, pos), cert_key, why);
      if (auto why = key_file_problem(*private_key); !why.empty()) state.add(state.pos_or(key_key, pos), key_key, why);
    }
    if (site.tls.redirect_to_https && !has_https) {
      const std::string key = site_key + ".tls.redirect_to_https";
      state.add(state.pos_or(key, site.pos), key, "redirect_to_https needs an https binding on the site");
    }
    if (site.tls.ocsp_response && must_exist) {
      const std::string key = site_key + ".tls.ocsp_response";
      if (auto why = certificate_problem(*site.tls.ocsp_response); !why.empty())
        state.add(state.pos_or(key, site.pos), key, why);
    }
  }
}

}  // namespace gatehouse::config
