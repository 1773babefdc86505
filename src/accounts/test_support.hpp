// Throw-away real accounts for tests: random names, deleted on scope exit even
// when the test fails. Header-only; used by the *_test.cpp files.
#pragma once

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "accounts/command.hpp"
#include "accounts/identity.hpp"
#include "accounts/provision.hpp"

namespace gatehouse::accounts::testing {

// "gh-test-1a2b3c4d": unique enough for parallel test runs on one machine.
inline std::string random_account_name(std::string_view prefix = "gh-test-") {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> dist;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", dist(rd));
  return std::string(prefix) + buf;
}

// Deletes the named accounts (if they exist) when it goes out of scope.
class AccountCleanup {
 public:
  AccountCleanup() = default;
  AccountCleanup(const AccountCleanup&) = delete;
  AccountCleanup& operator=(const AccountCleanup&) = delete;
  ~AccountCleanup() {
    for (const auto& name : names_) (void)delete_system_account(name);
  }
  const std::string& add(std::string name) { return names_.emplace_back(std::move(name)); }

 private:
  std::vector<std::string> names_;
};

// A real system account that exists for the lifetime of the object.
class TestAccount {
 public:
  explicit TestAccount(std::string_view prefix = "gh-test-") {
    auto id = create_system_account(cleanup_.add(random_account_name(prefix)));
    if (!id) throw std::runtime_error(id.error().message());
    identity_ = std::move(*id);
  }
  const Identity& identity() const { return identity_; }
  const std::string& name() const { return identity_.name; }

 private:
  AccountCleanup cleanup_;
  Identity identity_;
};

// A real group, deleted on scope exit; `add_member` uses usermod -a -G.
class TestGroup {
 public:
  TestGroup() : name_(random_account_name("gh-tgrp-")) {
    run({"/usr/sbin/groupadd", "--system", name_});
    auto gid = find_group(name_);
    if (!gid || !*gid) throw std::runtime_error("group " + name_ + " not found after groupadd");
    gid_ = **gid;
  }
  TestGroup(const TestGroup&) = delete;
  TestGroup& operator=(const TestGroup&) = delete;
  ~TestGroup() { (void)run_command({"/usr/sbin/groupdel", name_}); }
  void add_member(const std::string& account) { run({"/usr/sbin/usermod", "-a", "-G", name_, account}); }
  gid_t gid() const { return gid_; }
  const std::string& name() const { return name_; }

 private:
  static void run(const std::vector<std::string>& argv) {
    auto r = run_command(argv);
    if (!r) throw std::runtime_error(r.error().message());
    if (r->exit_code != 0) throw std::runtime_error(command_error(argv, *r).message());
  }
  std::string name_;
  gid_t gid_ = 0;
};

}  // namespace gatehouse::accounts::testing
