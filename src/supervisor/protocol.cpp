// The supervisor <-> front codec: fixed-size records, strict decoding.
#include "supervisor/protocol.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

namespace gatehouse::supervisor {
namespace {

template <class T>
constexpr Type type_of() {
  if constexpr (std::is_same_v<T, Hello>) return Type::Hello;
  if constexpr (std::is_same_v<T, Listener>) return Type::Listener;
  if constexpr (std::is_same_v<T, Worker>) return Type::Worker;
  if constexpr (std::is_same_v<T, AuthResult>) return Type::AuthResult;
  if constexpr (std::is_same_v<T, ReopenLogs>) return Type::ReopenLogs;
  if constexpr (std::is_same_v<T, Stop>) return Type::Stop;
  if constexpr (std::is_same_v<T, Ready>) return Type::Ready;
  if constexpr (std::is_same_v<T, Spawn>) return Type::Spawn;
  if constexpr (std::is_same_v<T, Kill>) return Type::Kill;
  if constexpr (std::is_same_v<T, Auth>) return Type::Auth;
  if constexpr (std::is_same_v<T, ControlListener>) return Type::ControlListener;
  if constexpr (std::is_same_v<T, UsageResult>) return Type::UsageResult;
  if constexpr (std::is_same_v<T, Order>) return Type::Order;
  if constexpr (std::is_same_v<T, Usage>) return Type::Usage;
  if constexpr (std::is_same_v<T, Resolve>) return Type::Resolve;
  if constexpr (std::is_same_v<T, AdminListener>) return Type::AdminListener;
  if constexpr (std::is_same_v<T, ReloadResult>) return Type::ReloadResult;
  if constexpr (std::is_same_v<T, Connected>) return Type::Connected;
  if constexpr (std::is_same_v<T, ChildResult>) return Type::ChildResult;
  if constexpr (std::is_same_v<T, Connect>) return Type::Connect;
  if constexpr (std::is_same_v<T, Child>) return Type::Child;
  if constexpr (std::is_same_v<T, IniStamp>) return Type::IniStamp;
  if constexpr (std::is_same_v<T, IniStampResult>) return Type::IniStampResult;
  if constexpr (std::is_same_v<T, Adopt>) return Type::Adopt;
}

// An empty struct still has size 1 in C++: it travels as no bytes.
template <class T>
constexpr std::size_t body_size() {
  return std::is_empty_v<T> ? 0 : sizeof(T);
}

Error refused(std::string detail) {
  Error e = Error::logic("decode supervisor message", "", std::move(detail));
  e.errnum = EPROTO;
  return e;
}

template <std::size_t N>
bool terminated(const char (&s)[N]) {
  return ::memchr(s, '\0', N) != nullptr;
}

// The checks past the size: strings, counts, the descriptors a Worker carries.
std::string invalid(const Body& body, std::size_t fds) {
  if (auto* l = std::get_if<Listener>(&body); l && (!terminated(l->ip) || l->port == 0 || l->port > 65535))
    return "listener: bad address";
  if (auto* w = std::get_if<Worker>(&body); w && !terminated(w->detail)) return "worker: detail without NUL";
  if (auto* w = std::get_if<Worker>(&body); w && fds != (w->errnum == 0 ? 3u : 0u))
    return fmt::format("worker: {} descriptors with errnum {}", fds, w->errnum);
  if (auto* a = std::get_if<AuthResult>(&body);
      a && (a->n_groups > kMaxGroups || !terminated(a->name) || !terminated(a->reason) || a->outcome > 2))
    return "auth result: bad field";
  if (auto* s = std::get_if<Spawn>(&body); s && !terminated(s->account)) return "spawn: account without NUL";
  if (auto* a = std::get_if<Auth>(&body);
      a && (!terminated(a->user) || !terminated(a->password) || !terminated(a->remote)))
    return "auth: string without NUL";
  if (auto* h = std::get_if<Hello>(&body); h && (h->control > 1 || h->admin > 1 || h->draining > 1 || h->adopt > 4096))
    return "hello: bad field";
  if (auto* o = std::get_if<Order>(&body); o && (o->what < 1 || o->what > 5)) return "order: unknown";
  if (auto* s = std::get_if<Stop>(&body); s && s->reload > 1) return "stop: bad reload flag";
  if (auto* r = std::get_if<ReloadResult>(&body); r && (r->ok > 1 || !terminated(r->json)))
    return "reload result: bad field";
  if (auto* u = std::get_if<Usage>(&body); u && u->n > kMaxGroups) return "usage: too many pids";
  if (auto* r = std::get_if<Resolve>(&body); r && !terminated(r->account)) return "resolve: account without NUL";
  if (auto* u = std::get_if<UsageResult>(&body); u && u->n > kMaxGroups) return "usage result: too many";
  if (auto* c = std::get_if<Connected>(&body); c && !terminated(c->detail)) return "connected: detail without NUL";
  if (auto* c = std::get_if<Connected>(&body); c && fds != (c->errnum == 0 ? 1u : 0u))
    return fmt::format("connected: {} descriptors with errnum {}", fds, c->errnum);
  if (auto* c = std::get_if<ChildResult>(&body); c && (c->pid < 0 || fds != (c->pid > 0 ? 1u : 0u)))
    return fmt::format("child result: {} descriptors with pid {}", fds, c->pid);
  if (auto* k = std::get_if<Kill>(&body); k && k->target > static_cast<std::uint32_t>(KillTarget::Group))
    return "kill: unknown target";
  if (auto* r = std::get_if<IniStampResult>(&body); r && r->exists > 1) return "ini stamp: bad flag";
  if (auto* r = std::get_if<ReopenLogs>(&body); r && r->error_log > 1) return "reopen logs: bad flag";
  if (auto* a = std::get_if<Adopt>(&body); a && (!terminated(a->account) || a->pid <= 0)) return "adopt: bad field";
  return {};
}

template <class T>
Result<Message> decode_as(std::span<const std::byte> datagram, const Header& h, std::size_t fds) {
  constexpr std::size_t want = sizeof(Header) + body_size<T>();
  if (datagram.size() != want)
    return std::unexpected(refused(fmt::format("type {}: {} bytes, expected {}", h.type, datagram.size(), want)));
  T body{};
  if constexpr (body_size<T>() > 0) std::memcpy(&body, datagram.data() + sizeof(Header), sizeof(T));
  Message m{h.id, body};
  if (auto why = invalid(m.body, fds); !why.empty()) return std::unexpected(refused(why));
  if (fds != fds_of(m.body))
    return std::unexpected(refused(fmt::format("type {}: {} descriptors, expected {}", h.type, fds, fds_of(m.body))));
  return m;
}

}  // namespace

std::size_t fds_of(const Body& body) {
  if (std::holds_alternative<Listener>(body) || std::holds_alternative<ControlListener>(body) ||
      std::holds_alternative<AdminListener>(body))
    return 1;
  if (auto* w = std::get_if<Worker>(&body)) return w->errnum == 0 ? 3 : 0;
  if (auto* c = std::get_if<Connected>(&body)) return c->errnum == 0 ? 1 : 0;
  if (auto* r = std::get_if<ReopenLogs>(&body)) return r->error_log == 1 ? 1 : 0;
  if (std::holds_alternative<Adopt>(body)) return 3;
  if (auto* c = std::get_if<ChildResult>(&body)) return c->pid > 0 ? 1 : 0;
  return 0;
}

std::vector<std::byte> encode(const Message& message) {
  return std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        Header h{static_cast<std::uint32_t>(type_of<T>()), static_cast<std::uint32_t>(sizeof(Header) + body_size<T>()),
                 message.id};
        std::vector<std::byte> out(h.size);
        std::memcpy(out.data(), &h, sizeof h);
        if constexpr (body_size<T>() > 0) std::memcpy(out.data() + sizeof h, &body, sizeof body);
        return out;
      },
      message.body);
}

Result<Message> decode(std::span<const std::byte> datagram, std::size_t fds, Reader reader) {
  if (datagram.size() < sizeof(Header))
    return std::unexpected(refused(fmt::format("{} bytes: shorter than a header", datagram.size())));
  Header h;
  std::memcpy(&h, datagram.data(), sizeof h);
  if (h.size != datagram.size())
    return std::unexpected(refused(fmt::format("header says {} bytes, datagram has {}", h.size, datagram.size())));
  const bool from_front = h.type >= static_cast<std::uint32_t>(Type::Ready);
  if (from_front != (reader == Reader::Supervisor))
    return std::unexpected(refused(fmt::format("type {} is not for this side", h.type)));
  switch (static_cast<Type>(h.type)) {
    case Type::Hello:
      return decode_as<Hello>(datagram, h, fds);
    case Type::Listener:
      return decode_as<Listener>(datagram, h, fds);
    case Type::Worker:
      return decode_as<Worker>(datagram, h, fds);
    case Type::AuthResult:
      return decode_as<AuthResult>(datagram, h, fds);
    case Type::ReopenLogs:
      return decode_as<ReopenLogs>(datagram, h, fds);
    case Type::Stop:
      return decode_as<Stop>(datagram, h, fds);
    case Type::Ready:
      return decode_as<Ready>(datagram, h, fds);
    case Type::Spawn:
      return decode_as<Spawn>(datagram, h, fds);
    case Type::Kill:
      return decode_as<Kill>(datagram, h, fds);
    case Type::Auth:
      return decode_as<Auth>(datagram, h, fds);
    case Type::ControlListener:
      return decode_as<ControlListener>(datagram, h, fds);
    case Type::UsageResult:
      return decode_as<UsageResult>(datagram, h, fds);
    case Type::Order:
      return decode_as<Order>(datagram, h, fds);
    case Type::Usage:
      return decode_as<Usage>(datagram, h, fds);
    case Type::Resolve:
      return decode_as<Resolve>(datagram, h, fds);
    case Type::AdminListener:
      return decode_as<AdminListener>(datagram, h, fds);
    case Type::ReloadResult:
      return decode_as<ReloadResult>(datagram, h, fds);
    case Type::Connected:
      return decode_as<Connected>(datagram, h, fds);
    case Type::ChildResult:
      return decode_as<ChildResult>(datagram, h, fds);
    case Type::Connect:
      return decode_as<Connect>(datagram, h, fds);
    case Type::Child:
      return decode_as<Child>(datagram, h, fds);
    case Type::IniStamp:
      return decode_as<IniStamp>(datagram, h, fds);
    case Type::IniStampResult:
      return decode_as<IniStampResult>(datagram, h, fds);
    case Type::Adopt:
      return decode_as<Adopt>(datagram, h, fds);
  }
  return std::unexpected(refused(fmt::format("unknown type {}", h.type)));
}

}  // namespace gatehouse::supervisor
