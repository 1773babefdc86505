// PAM conversation and session for one Basic authentication attempt.
#include "accounts/pam_auth.hpp"

#include <security/pam_appl.h>
#include <string.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace gatehouse::accounts {
namespace {

// What the conversation answers with; PAM hands it back as appdata_ptr.
struct Answers {
  const char* password;
};

void free_responses(pam_response* responses, int count) {
  for (int i = 0; i < count; ++i) {
    if (responses[i].resp == nullptr) continue;
    explicit_bzero(responses[i].resp, strlen(responses[i].resp));
    free(responses[i].resp);
  }
  free(responses);
}

// PAM owns what we return: the array and each string must come from malloc,
// PAM frees them. Only a hidden prompt gets the password; a visible prompt
// would be a question we cannot answer (one-time codes, a user name PAM
// already has), so the attempt fails rather than guessing.
extern "C" int converse(int count, const pam_message** messages, pam_response** out, void* data) noexcept {
  if (count <= 0 || count > PAM_MAX_NUM_MSG || out == nullptr) return PAM_CONV_ERR;
  auto* responses = static_cast<pam_response*>(calloc(static_cast<std::size_t>(count), sizeof(pam_response)));
  if (responses == nullptr) return PAM_BUF_ERR;
  const auto* answers = static_cast<const Answers*>(data);
  for (int i = 0; i < count; ++i) {
    switch (messages[i]->msg_style) {
      case PAM_PROMPT_ECHO_OFF:
        responses[i].resp = strdup(answers->password);
        if (responses[i].resp == nullptr) {
          free_responses(responses, count);
          return PAM_BUF_ERR;
        }
        break;
      case PAM_ERROR_MSG:
      case PAM_TEXT_INFO:
        break;  // nobody to show it to
      default:
        free_responses(responses, count);
        return PAM_CONV_ERR;
    }
  }
  *out = responses;
  return PAM_SUCCESS;
}

// The application takes over delays (PAM_FAIL_DELAY): pam_unix would
// otherwise sleep about two seconds in a pool thread on every failure.
extern "C" void no_fail_delay(int, unsigned, void*) noexcept {}

// pam_end on every path, with the last status so modules clean up right.
class PamSession {
 public:
  PamSession() = default;
  PamSession(const PamSession&) = delete;
  PamSession& operator=(const PamSession&) = delete;
  ~PamSession() {
    if (handle_ != nullptr) pam_end(handle_, status_);
  }
  pam_handle_t** out() { return &handle_; }
  pam_handle_t* get() const { return handle_; }
  int track(int status) { return status_ = status; }

 private:
  pam_handle_t* handle_ = nullptr;
  int status_ = PAM_SUCCESS;
};

// Wipes a password copy when it goes out of scope.
class SecretCopy {
 public:
  explicit SecretCopy(std::string_view text) : text_(text) {}
  SecretCopy(const SecretCopy&) = delete;
  SecretCopy& operator=(const SecretCopy&) = delete;
  ~SecretCopy() { explicit_bzero(text_.data(), text_.size()); }
  const char* c_str() const { return text_.c_str(); }

 private:
  std::string text_;
};

Error pam_error(const char* op, std::string_view user, pam_handle_t* handle, int status) {
  return Error::logic(op, std::string(user), pam_strerror(handle, status));
}

AuthOutcome denied(std::string reason) { return AuthOutcome{false, {}, std::move(reason)}; }

bool is_denial(int status) {
  switch (status) {
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
    case PAM_MAXTRIES:
    case PAM_CRED_INSUFFICIENT:
    case PAM_ACCT_EXPIRED:
    case PAM_NEW_AUTHTOK_REQD:  // an expired password cannot be changed over HTTP
    case PAM_PERM_DENIED:
      return true;
    default:
      return false;
  }
}

// Runs the two PAM steps; a denial is an outcome, anything else an error.
Result<AuthOutcome> run_pam(PamSession& session, std::string_view user) {
  pam_handle_t* h = session.get();
  constexpr int kFlags = PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;
  int status = session.track(pam_authenticate(h, kFlags));
  if (status != PAM_SUCCESS) {
    if (is_denial(status)) return denied(std::string("pam_authenticate: ") + pam_strerror(h, status));
    return std::unexpected(pam_error("pam_authenticate", user, h, status));
  }
  status = session.track(pam_acct_mgmt(h, kFlags));
  if (status != PAM_SUCCESS) {
    if (is_denial(status)) return denied(std::string("pam_acct_mgmt: ") + pam_strerror(h, status));
    return std::unexpected(pam_error("pam_acct_mgmt", user, h, status));
  }
  // A module may map the name it was given to another account.
  const void* item = nullptr;
  status = session.track(pam_get_item(h, PAM_USER, &item));
  if (status != PAM_SUCCESS || item == nullptr) return std::unexpected(pam_error("pam_get_item", user, h, status));
  return admit_account(static_cast<const char*>(item));
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

}  // namespace

bool is_login_name(std::string_view name) {
  if (name.size() > 32) return false;  // useradd's limit
  if (!name.empty() && name.back() == '$') name.remove_suffix(1);
  if (name.empty() || name.front() == '-' || name == "." || name == "..") return false;
  bool all_digits = true;
  for (char c : name) {
    if (!is_name_char(c)) return false;
    all_digits = all_digits && c >= '0' && c <= '9';
  }
  return !all_digits;
}

Result<std::filesystem::path> find_pam_service(std::string_view service) {
  for (const char* dir : {"/etc/pam.d/", "/usr/lib/pam.d/"}) {
    std::filesystem::path file = std::string(dir) + std::string(service);
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) return file;
  }
  Error error = Error::sys("find PAM service", "/etc/pam.d/" + std::string(service), ENOENT);
  error.detail = "basic authentication needs it; run `make` as root to install it";
  return std::unexpected(error);
}

Result<AuthOutcome> authenticate(std::string_view user, std::string_view password, std::string_view remote_address,
                                 std::string_view service) {
  if (!is_login_name(user)) return denied("not a valid account name");
  if (password.empty()) return denied("empty password");
  if (password.find('\0') != std::string_view::npos) return denied("password contains NUL");

  const std::string user_z(user);
  const std::string service_z(service);
  const SecretCopy password_z(password);
  Answers answers{password_z.c_str()};
  const pam_conv conversation{&converse, &answers};
  PamSession session;
  const int status = session.track(pam_start(service_z.c_str(), user_z.c_str(), &conversation, session.out()));
  if (status != PAM_SUCCESS) return std::unexpected(pam_error("pam_start", user, session.get(), status));

  const auto no_delay = &no_fail_delay;
  if (int s = session.track(pam_set_item(session.get(), PAM_FAIL_DELAY, reinterpret_cast<const void*>(no_delay)));
      s != PAM_SUCCESS)
    return std::unexpected(pam_error("pam_set_item PAM_FAIL_DELAY", user, session.get(), s));
  if (!remote_address.empty()) {
    const std::string rhost(remote_address);
    if (int s = session.track(pam_set_item(session.get(), PAM_RHOST, rhost.c_str())); s != PAM_SUCCESS)
      return std::unexpected(pam_error("pam_set_item PAM_RHOST", user, session.get(), s));
  }
  return run_pam(session, user);
}

Result<AuthOutcome> admit_account(const std::string& user) {
  auto identity = resolve_identity(user);
  if (!identity) return std::unexpected(identity.error());
  if (identity->uid == 0) return denied("account " + user + " has uid 0; root never logs in over HTTP");
  return AuthOutcome{true, std::move(*identity), {}};
}

}  // namespace gatehouse::accounts
