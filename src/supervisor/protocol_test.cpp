// The supervisor <-> front codec: round trips, and every malformed or hostile
// datagram the supervisor must refuse (the front is assumed compromised).
#include "supervisor/protocol.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace gatehouse::supervisor {
namespace {

TEST(ProtocolTest, SpawnRoundTrips) {
  Spawn s;
  s.pool = 2;
  s.uid = 1001;
  ASSERT_TRUE(put(s.account, "gh-shop"));
  auto bytes = encode({7, s});
  auto back = decode(bytes, 0, Reader::Supervisor);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->id, 7u);
  const auto& got = std::get<Spawn>(back->body);
  EXPECT_EQ(got.pool, 2u);
  EXPECT_EQ(got.uid, 1001u);
  EXPECT_EQ(get(got.account), "gh-shop");
}

TEST(ProtocolTest, WorkerCarriesThreeDescriptorsOnlyWhenStarted) {
  Worker ok;
  ok.worker = 3;
  EXPECT_EQ(fds_of(ok), 3u);
  EXPECT_TRUE(decode(encode({1, ok}), 3, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, ok}), 0, Reader::Front).has_value());
  Worker refused;
  refused.errnum = EPERM;
  EXPECT_TRUE(decode(encode({1, refused}), 0, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, refused}), 3, Reader::Front).has_value());
}

TEST(ProtocolTest, ConnectedAndChildResultCarryADescriptorOnlyOnSuccess) {
  EXPECT_TRUE(decode(encode({1, Connected{}}), 1, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, Connected{}}), 0, Reader::Front).has_value());
  Connected refused;
  refused.errnum = ESRCH;
  EXPECT_TRUE(decode(encode({1, refused}), 0, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, refused}), 1, Reader::Front).has_value());
  ChildResult none;  // no child accepted yet: no pidfd
  EXPECT_TRUE(decode(encode({1, none}), 0, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, none}), 1, Reader::Front).has_value());
  ChildResult found;
  found.pid = 4242;
  found.child = 9;
  auto back = decode(encode({1, found}), 1, Reader::Front);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(std::get<ChildResult>(back->body).child, 9u);
  EXPECT_FALSE(decode(encode({1, found}), 0, Reader::Front).has_value());
  ChildResult negative;
  negative.pid = -1;  // would be kill(-1, ...) somewhere: never
  EXPECT_FALSE(decode(encode({1, negative}), 0, Reader::Front).has_value());
}

TEST(ProtocolTest, ReopenLogsCarriesTheErrorLogOnlyWhenItSaysSo) {
  EXPECT_TRUE(decode(encode({1, ReopenLogs{1}}), 1, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, ReopenLogs{1}}), 0, Reader::Front).has_value());
  EXPECT_TRUE(decode(encode({1, ReopenLogs{0}}), 0, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, ReopenLogs{2}}), 0, Reader::Front).has_value());
}

TEST(ProtocolTest, ConnectChildAndKillTargetsFromTheFront) {
  auto connect = decode(encode({1, Connect{5}}), 0, Reader::Supervisor);
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(std::get<Connect>(connect->body).worker, 5u);
  auto child = decode(encode({1, Child{5, 123456}}), 0, Reader::Supervisor);
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(std::get<Child>(child->body).inode, 123456u);
  EXPECT_FALSE(decode(encode({1, Connect{5}}), 1, Reader::Supervisor).has_value());  // no descriptor from the front
  EXPECT_TRUE(decode(encode({1, Kill{5, 15, static_cast<std::uint32_t>(KillTarget::Group)}}), 0, Reader::Supervisor)
                  .has_value());
  EXPECT_FALSE(decode(encode({1, Kill{5, 15, 3}}), 0, Reader::Supervisor).has_value());  // no such target
  EXPECT_TRUE(decode(encode({1, IniStamp{2}}), 0, Reader::Supervisor).has_value());
  IniStampResult stamp;
  stamp.exists = 2;  // a flag is 0 or 1
  EXPECT_FALSE(decode(encode({1, stamp}), 0, Reader::Front).has_value());
}

TEST(ProtocolTest, EachSideAcceptsOnlyTheOtherSidesTypes) {
  // A front that sends WORKER or HELLO to the supervisor, or a supervisor message replayed back.
  EXPECT_FALSE(decode(encode({1, Hello{}}), 0, Reader::Supervisor).has_value());
  EXPECT_FALSE(decode(encode({1, Stop{}}), 0, Reader::Supervisor).has_value());
  EXPECT_FALSE(decode(encode({1, Spawn{}}), 0, Reader::Front).has_value());
  EXPECT_TRUE(decode(encode({1, Ready{}}), 0, Reader::Supervisor).has_value());
}

TEST(ProtocolTest, AWrongSizeIsRefused) {
  auto bytes = encode({1, Spawn{}});
  auto shorter = bytes;
  shorter.pop_back();
  EXPECT_FALSE(decode(shorter, 0, Reader::Supervisor).has_value());  // header size != datagram
  // header patched to agree with a short datagram: still not the type's size
  std::uint32_t size = static_cast<std::uint32_t>(shorter.size());
  std::memcpy(shorter.data() + 4, &size, 4);
  auto r = decode(shorter, 0, Reader::Supervisor);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errnum, EPROTO);
  auto longer = bytes;
  longer.resize(bytes.size() + 8);
  size = static_cast<std::uint32_t>(longer.size());
  std::memcpy(longer.data() + 4, &size, 4);
  EXPECT_FALSE(decode(longer, 0, Reader::Supervisor).has_value());
  EXPECT_FALSE(decode(std::span<const std::byte>(bytes.data(), 3), 0, Reader::Supervisor).has_value());
}

TEST(ProtocolTest, UnknownTypesAreRefused) {
  auto bytes = encode({1, Ready{}});
  for (std::uint32_t type : {0u, 11u, 63u, 68u, 1000u, 0xffffffffu}) {
    std::memcpy(bytes.data(), &type, 4);
    EXPECT_FALSE(decode(bytes, 0, Reader::Supervisor).has_value()) << type;
  }
}

TEST(ProtocolTest, StringsWithoutTheirNulAreRefused) {
  Spawn s;
  std::memset(s.account, 'a', sizeof s.account);  // 33 bytes, no NUL: strnlen would read past it
  EXPECT_FALSE(decode(encode({1, s}), 0, Reader::Supervisor).has_value());
  Auth a;
  std::memset(a.password, 'x', sizeof a.password);
  EXPECT_FALSE(decode(encode({1, a}), 0, Reader::Supervisor).has_value());
}

TEST(ProtocolTest, DescriptorsWhereNoneBelongAreRefused) {
  // SCM_RIGHTS on a SPAWN: a front trying to make the supervisor hold its descriptors.
  EXPECT_FALSE(decode(encode({1, Spawn{}}), 1, Reader::Supervisor).has_value());
  EXPECT_FALSE(decode(encode({1, Ready{}}), 2, Reader::Supervisor).has_value());
}

TEST(ProtocolTest, AnAuthResultWithTooManyGroupsIsRefused) {
  AuthResult r;
  r.n_groups = kMaxGroups + 1;
  EXPECT_FALSE(decode(encode({1, r}), 0, Reader::Front).has_value());
}

TEST(ProtocolTest, OrdersAndUsageAreBounded) {
  EXPECT_TRUE(decode(encode({1, Order{1}}), 0, Reader::Supervisor).has_value());
  EXPECT_TRUE(decode(encode({1, Order{2}}), 0, Reader::Supervisor).has_value());
  EXPECT_FALSE(decode(encode({1, Order{0}}), 0, Reader::Supervisor).has_value());
  EXPECT_TRUE(decode(encode({1, Order{3}}), 0, Reader::Supervisor).has_value());
  EXPECT_TRUE(decode(encode({1, Order{4}}), 0, Reader::Supervisor).has_value());  // drain begun (issue 18)
  EXPECT_TRUE(decode(encode({1, Order{5}}), 0, Reader::Supervisor).has_value());  // drain cancelled
  EXPECT_FALSE(decode(encode({1, Order{6}}), 0, Reader::Supervisor).has_value());
  ReloadResult r;
  r.ok = 1;
  EXPECT_TRUE(decode(encode({1, r}), 0, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, r}), 0, Reader::Supervisor).has_value());
  std::memset(r.json, 'x', sizeof r.json);  // no NUL
  EXPECT_FALSE(decode(encode({1, r}), 0, Reader::Front).has_value());
  EXPECT_TRUE(decode(encode({1, AdminListener{}}), 1, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({1, AdminListener{}}), 0, Reader::Front).has_value());
  Usage u;
  u.n = kMaxGroups;
  EXPECT_TRUE(decode(encode({1, u}), 0, Reader::Supervisor).has_value());
  u.n = kMaxGroups + 1;  // would make the supervisor read past the array
  EXPECT_FALSE(decode(encode({1, u}), 0, Reader::Supervisor).has_value());
}

TEST(ProtocolTest, TheControlSocketTravelsWithItsDescriptor) {
  EXPECT_TRUE(decode(encode({0, ControlListener{}}), 1, Reader::Front).has_value());
  EXPECT_FALSE(decode(encode({0, ControlListener{}}), 0, Reader::Front).has_value());
  Hello h;
  h.control = 2;
  EXPECT_FALSE(decode(encode({0, h}), 0, Reader::Front).has_value());
}

TEST(ProtocolTest, PutRefusesWhatDoesNotFitWithItsNul) {
  char out[4];
  EXPECT_TRUE(put(out, "abc"));
  EXPECT_FALSE(put(out, "abcd"));
}

}  // namespace
}  // namespace gatehouse::supervisor
