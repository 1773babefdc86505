// Certificate inspection with OpenSSL's X509 API, and self-signed generation.
#include "tls/certificate.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>

namespace gatehouse::tls {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr read_pem(const config::Path& file) {
  FILE* f = std::fopen(file.c_str(), "re");
  if (!f) return nullptr;
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

std::string subject_of(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

std::vector<std::string> sans_of(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const auto* s = name->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (name->type == GEN_IPADD) {
      const auto* s = name->d.iPAddress;
      if (ASN1_STRING_length(s) == 4) {
        const unsigned char* a = ASN1_STRING_get0_data(s);
        out.push_back(fmt::format("IP:{}.{}.{}.{}", a[0], a[1], a[2], a[3]));
      } else {
        out.push_back("IP:(IPv6)");
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string time_text(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min);
}

// Days from now to notAfter (negative: expired).
int days_left(X509* cert) {
  int days = 0, seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) != 1) return 0;
  return days;
}

bool covers(X509* cert, const std::string& host) {
  if (host == "*") return true;
  return X509_check_host(cert, host.c_str(), host.size(), 0, nullptr) == 1;
}

}  // namespace

std::string certificate_report(const config::Config& config, std::vector<config::Warning>& warnings) {
  std::string out;
  std::map<std::string, X509Ptr> seen;  // file -> certificate, each shown once
  for (std::size_t s = 0; s < config.sites.size(); ++s) {
    const config::Site& site = config.sites[s];
    for (std::size_t b = 0; b < site.bindings.size(); ++b) {
      const config::Binding& binding = site.bindings[b];
      auto file = site.certificate_of(binding);
      if (!binding.https() || !file) continue;
      const std::string key = "sites[" + std::to_string(s) + "].bindings[" + std::to_string(b) + "]";
      const config::SourcePos pos = config.pos_of(key, site.pos);
      auto it = seen.find(file->string());
      if (it == seen.end()) {
        X509Ptr cert = read_pem(*file);
        if (!cert) {
          warnings.push_back({pos, key, "the certificate " + file->string() + " cannot be read as PEM"});
          seen.emplace(file->string(), nullptr);
          continue;
        }
        auto sans = sans_of(cert.get());
        std::string names;
        for (const auto& n : sans) names += (names.empty() ? "" : ", ") + n;
        int days = days_left(cert.get());
        out += fmt::format("certificate {}\n  subject {}\n  names   {}\n  expires {} ({})\n", file->string(),
                           subject_of(cert.get()), names.empty() ? "(none)" : names,
                           time_text(X509_get0_notAfter(cert.get())),
                           days < 0 ? "EXPIRED" : fmt::format("in {} days", days));
        if (days < 0)
          warnings.push_back({pos, key, "the certificate " + file->string() + " has expired"});
        else if (days < 30)
          warnings.push_back({pos, key, fmt::format("the certificate {} expires in {} days", file->string(), days)});
        it = seen.emplace(file->string(), std::move(cert)).first;
      }
      if (!it->second) continue;
      bool ok = covers(it->second.get(), binding.host);
      out += fmt::format("  binding {} [site {}]: {}\n", binding.text, site.name,
                         binding.host == "*" ? "any host (fallback)"
                         : ok                ? "covered"
                                             : "NOT COVERED");
      if (!ok)
        warnings.push_back({pos, key,
                            "the certificate " + file->string() + " does not cover the host " + binding.host +
                                ": browsers will refuse the connection"});
    }
  }
  return out.empty() ? out : out + "\n";
}

Status make_self_signed(const config::Path& certificate, const config::Path& key, const std::string& host) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (!pkey) return std::unexpected(Error::logic("generate key", key.string(), "EVP_EC_gen failed"));
  X509* cert = X509_new();
  auto cleanup = [&] {
    X509_free(cert);
    EVP_PKEY_free(pkey);
  };
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
  X509_set_pubkey(cert, pkey);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Gatehouse demo"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  const std::string san = "DNS:" + host + ",IP:127.0.0.1";
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, pkey, EVP_sha256()) == 0) {
    cleanup();
    return std::unexpected(Error::logic("sign certificate", certificate.string(), "X509_sign failed"));
  }
  // The key is created 0600 before a byte of it is written.
  int kfd = ::open(key.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  FILE* kf = kfd >= 0 ? ::fdopen(kfd, "w") : nullptr;
  FILE* cf = std::fopen(certificate.c_str(), "we");
  bool ok = kf && cf && PEM_write_PrivateKey(kf, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
            PEM_write_X509(cf, cert) == 1;
  if (kf)
    std::fclose(kf);
  else if (kfd >= 0)
    ::close(kfd);
  if (cf) std::fclose(cf);
  cleanup();
  if (!ok) return std::unexpected(Error::sys("write", certificate.string()));
  return {};
}

}  // namespace gatehouse::tls
