// appcmd replay (see appcmd.hpp). It knows the commands the exporter writes:
// add/set apppool, add site, add/set app, add vdir, and set config with
// attributes, /+"[...]" (add to a collection) and /-"[...]" (remove).
#include "iis/appcmd.hpp"

#include <map>
#include <pugixml.hpp>
#include <sstream>
#include <vector>

namespace gatehouse::iis {
namespace {

// cmd.exe's view of a line: words split on spaces outside double quotes,
// quotes removed, %% -> %.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (c == ' ' && !quoted) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else if (c == '%' && i + 1 < line.size() && line[i + 1] == '%') {
      cur += '%';
      ++i;
      any = true;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

// "/name:value" -> {name, value}.
std::map<std::string, std::string> switches(const std::vector<std::string>& w, std::size_t from) {
  std::map<std::string, std::string> out;
  for (std::size_t i = from; i < w.size(); ++i) {
    if (!w[i].starts_with("/") && !w[i].starts_with("-")) continue;
    const std::size_t colon = w[i].find(':');
    if (colon == std::string::npos) continue;
    out[w[i].substr(1, colon - 1)] = w[i].substr(colon + 1);
  }
  return out;
}

// "[a='1',b='2']" -> ordered attributes.
std::vector<std::pair<std::string, std::string>> collection_item(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!text.starts_with('[') || !text.ends_with(']')) return out;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    const std::size_t eq = text.find("='");
    if (eq == std::string_view::npos) break;
    const std::size_t end = text.find('\'', eq + 2);
    if (end == std::string_view::npos) break;
    out.emplace_back(std::string{text.substr(0, eq)}, std::string{text.substr(eq + 2, end - eq - 2)});
    text = text.substr(end + 1);
    if (text.starts_with(',')) text.remove_prefix(1);
  }
  return out;
}

pugi::xml_node path_child(pugi::xml_node node, std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string name{path.substr(start, end - start)};
    pugi::xml_node next = node.child(name.c_str());
    node = next ? next : node.append_child(name.c_str());
    start = end + 1;
  }
  return node;
}

class Replay {
 public:
  Replay() {
    config_ = doc_.append_child("configuration");
    pools_ = path_child(config_, "system.applicationHost/applicationPools");
    sites_ = path_child(config_, "system.applicationHost/sites");
  }

  std::expected<void, std::string> command(const std::vector<std::string>& w) {
    if (w.size() < 3) return std::unexpected("too short");
    const std::string verb = w[1] + " " + w[2];
    const auto s = switches(w, 3);
    auto get = [&](const char* k) { return s.contains(k) ? s.at(k) : std::string{}; };
    if (verb == "add apppool") {
      pugi::xml_node p = pools_.append_child("add");
      p.append_attribute("name") = get("name").c_str();
      p.append_attribute("managedRuntimeVersion") = get("managedRuntimeVersion").c_str();
    } else if (verb == "set apppool") {
      pugi::xml_node p = pools_.find_child_by_attribute("add", "name", get("apppool.name").c_str());
      if (!p) return std::unexpected("no pool " + get("apppool.name"));
      for (const auto& [k, v] : s)
        if (k.starts_with("processModel."))
          path_child(p, "processModel").append_attribute(k.substr(13).c_str()) = v.c_str();
    } else if (verb == "add site") {
      pugi::xml_node site = sites_.append_child("site");
      site.append_attribute("name") = get("name").c_str();
      site.append_attribute("id") = ++site_id_;
      pugi::xml_node app = site.append_child("application");
      app.append_attribute("path") = "/";
      pugi::xml_node dir = app.append_child("virtualDirectory");
      dir.append_attribute("path") = "/";
      dir.append_attribute("physicalPath") = get("physicalPath").c_str();
      pugi::xml_node bindings = site.append_child("bindings");
      std::stringstream list(get("bindings"));
      for (std::string b; std::getline(list, b, ',');) {
        const std::size_t slash = b.find('/');
        pugi::xml_node binding = bindings.append_child("binding");
        binding.append_attribute("protocol") = b.substr(0, slash).c_str();
        binding.append_attribute("bindingInformation") = b.substr(slash + 1).c_str();
      }
    } else if (verb == "set app") {
      auto app = find_app(w.size() > 3 ? w[3] : "");
      if (!app) return std::unexpected("no application " + w[3]);
      app.append_attribute("applicationPool") = get("applicationPool").c_str();
    } else if (verb == "add app") {
      pugi::xml_node site = sites_.find_child_by_attribute("site", "name", get("site.name").c_str());
      if (!site) return std::unexpected("no site " + get("site.name"));
      pugi::xml_node app = site.insert_child_before("application", site.child("bindings"));
      app.append_attribute("path") = get("path").c_str();
      app.append_attribute("applicationPool") = get("applicationPool").c_str();
      pugi::xml_node dir = app.append_child("virtualDirectory");
      dir.append_attribute("path") = "/";
      dir.append_attribute("physicalPath") = get("physicalPath").c_str();
    } else if (verb == "add vdir") {
      auto app = find_app(get("app.name"));
      if (!app) return std::unexpected("no application " + get("app.name"));
      pugi::xml_node dir = app.append_child("virtualDirectory");
      dir.append_attribute("path") = get("path").c_str();
      dir.append_attribute("physicalPath") = get("physicalPath").c_str();
    } else if (verb == "set config") {
      return set_config(w);
    } else {
      return std::unexpected("unknown command '" + verb + "'");
    }
    return {};
  }

  std::string xml() const {
    std::ostringstream out;
    doc_.save(out, "  ");
    return out.str();
  }

 private:
  // "site/" or "site/blog" -> the <application> element.
  pugi::xml_node find_app(const std::string& name) {
    const std::size_t slash = name.find('/');
    if (slash == std::string::npos) return {};
    pugi::xml_node site = sites_.find_child_by_attribute("site", "name", name.substr(0, slash).c_str());
    const std::string path = name.substr(slash);
    return site.find_child_by_attribute("application", "path", path.c_str());
  }

  std::expected<void, std::string> set_config(const std::vector<std::string>& w) {
    std::size_t i = 3;
    pugi::xml_node scope = config_;
    if (i < w.size() && !w[i].starts_with("-") && !w[i].starts_with("/")) {
      const std::string path = w[i++];
      scope = config_.find_child_by_attribute("location", "path", path.c_str());
      if (!scope) {
        scope = config_.append_child("location");
        scope.append_attribute("path") = path.c_str();
      }
    }
    std::string section;
    for (; i < w.size(); ++i) {
      if (w[i].starts_with("-section:")) {
        section = w[i].substr(9);
      } else if (w[i] == "/commit:apphost") {
      } else if (w[i].starts_with("/~")) {  // clears a collection ("/~files", quotes already removed)
        if (section.empty()) return std::unexpected("a collection clear without -section");
        std::string name = w[i].substr(2);
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
        pugi::xml_node list = path_child(scope, section).child(name.c_str());
        if (!list) list = path_child(scope, section).append_child(name.c_str());
        while (list.first_child()) list.remove_child(list.first_child());
        list.append_child("clear");
      } else if (w[i].starts_with("/+") || w[i].starts_with("/-")) {
        if (section.empty()) return std::unexpected("a collection change without -section");
        if (auto ok = collection(path_child(scope, section), w[i].substr(2), w[i][1] == '+'); !ok) return ok;
      } else if (w[i].starts_with("/")) {
        const std::size_t colon = w[i].find(':');
        if (section.empty() || colon == std::string::npos) return std::unexpected("bad switch " + w[i]);
        path_child(scope, section).append_attribute(w[i].substr(1, colon - 1).c_str()) = w[i].substr(colon + 1).c_str();
      } else {
        return std::unexpected("unexpected word " + w[i]);
      }
    }
    return {};
  }

  // The element name of an item of a collection, as IIS's schema names it.
  static const char* item_name(std::string_view section_tail) {
    if (section_tail == "fastCgi") return "application";
    if (section_tail == "environmentVariables") return "environmentVariable";
    return "add";
  }

  std::expected<void, std::string> collection(pugi::xml_node section, std::string_view spec, bool add) {
    std::string tail = section.name();
    // "files.[value='index.php']": an item of a named collection of the section.
    if (!spec.starts_with('[')) {
      const std::size_t dot = spec.find(".[");
      if (dot == std::string_view::npos) return std::unexpected("bad collection item " + std::string{spec});
      tail = std::string{spec.substr(0, dot)};
      section = path_child(section, tail);
      spec = spec.substr(dot + 1);
    }
    // "[key].environmentVariables.[item]": an item of a nested collection.
    if (const std::size_t dot = spec.find("]."); dot != std::string_view::npos) {
      const auto key = collection_item(spec.substr(0, dot + 1));
      pugi::xml_node parent;
      for (pugi::xml_node n : section.children()) {
        bool same = !key.empty();
        for (const auto& [k, v] : key) same = same && std::string_view{n.attribute(k.c_str()).as_string()} == v;
        if (same) parent = n;
      }
      if (!parent) return std::unexpected("no collection item " + std::string{spec.substr(0, dot + 1)});
      const std::size_t next = spec.find(".[", dot + 2);
      if (next == std::string_view::npos) return std::unexpected("bad nested item " + std::string{spec});
      const std::string child{spec.substr(dot + 2, next - dot - 2)};
      section = path_child(parent, child);
      tail = child;
      spec = spec.substr(next + 1);
    }
    const auto attrs = collection_item(spec);
    if (attrs.empty()) return std::unexpected("bad collection item " + std::string{spec});
    pugi::xml_node item = section.append_child(add ? item_name(tail) : "remove");
    for (const auto& [k, v] : attrs) item.append_attribute(k.c_str()) = v.c_str();
    return {};
  }

  pugi::xml_document doc_;
  pugi::xml_node config_, pools_, sites_;
  int site_id_ = 0;
};

}  // namespace

std::expected<std::string, std::string> replay_appcmd(std::string_view script) {
  Replay replay;
  std::size_t number = 0;
  for (std::size_t start = 0; start < script.size();) {
    std::size_t end = script.find('\n', start);
    if (end == std::string_view::npos) end = script.size();
    std::string_view line = script.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!line.starts_with("%APPCMD% ")) continue;
    if (auto ok = replay.command(words(line)); !ok)
      return std::unexpected("line " + std::to_string(number) + ": " + ok.error());
  }
  return replay.xml();
}

}  // namespace gatehouse::iis
