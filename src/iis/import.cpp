// The import's driver: pools, sites and their settings, then the TOML text.
#include "iis/import.hpp"

#include "iis/importer.hpp"
#include "iis/toml_writer.hpp"

namespace gatehouse::iis {

std::string lower(std::string_view s) {
  std::string out{s};
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string gatehouse_name(std::string_view iis_name) {
  std::string out;
  for (char c : iis_name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '-';
  }
  if (out.size() > 64) out.resize(64);
  return out.empty() ? "unnamed" : out;
}

std::expected<void, std::string> add_user_map(ImportOptions& options, std::string_view spec) {
  const std::size_t eq = spec.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size())
    return std::unexpected("expected WINDOWS_ACCOUNT=LINUX_ACCOUNT like 'CONTOSO\\svc-shop=shop', got '" +
                           std::string{spec} + "'");
  options.users[lower(spec.substr(0, eq))] = std::string{spec.substr(eq + 1)};
  return {};
}

std::vector<std::pair<std::string, std::string>> content_paths(const XmlFile& apphost) {
  std::vector<std::pair<std::string, std::string>> out;
  pugi::xml_node sites = child_at(apphost.doc().document_element(), "system.applicationHost/sites");
  for (pugi::xml_node site : sites.children("site")) {
    for (pugi::xml_node app : site.children("application")) {
      const std::string path = app.attribute("path").as_string();
      pugi::xml_node dir = app.find_child_by_attribute("virtualDirectory", "path", "/");
      if (!dir) continue;
      out.emplace_back(std::string{site.attribute("name").as_string()} + (path == "/" ? "" : path),
                       dir.attribute("physicalPath").as_string());
    }
  }
  return out;
}

Importer::Importer(const XmlFile& apphost, const std::vector<WebConfig>& web_configs, const ImportOptions& options,
                   ImportResult& out)
    : apphost_(apphost), options_(options), out_(out), tree_(apphost, web_configs, out.report) {}

void Importer::note(const XmlFile& file, pugi::xml_node node, std::string element, Outcome outcome,
                    std::string reason) {
  out_.report.add(file.name(), file.line(node), std::move(element), outcome, std::move(reason));
}

void Importer::note(const Level* level, pugi::xml_node node, std::string element, Outcome outcome, std::string reason) {
  note(*level->file, node, std::move(element), outcome, std::move(reason));
}

std::optional<std::string> Importer::map_path(const XmlFile& file, pugi::xml_node node, const std::string& element,
                                              std::string_view windows) {
  auto mapped = options_.paths.map(windows);
  if (mapped) return *mapped;
  note(file, node, element, Outcome::NotMapped, mapped.error() + "; left out");
  return std::nullopt;
}

void Importer::run() {
  const pugi::xml_node root = apphost_.doc().document_element();
  if (std::string_view{root.name()} != "configuration")
    note(apphost_, root, root.name(), Outcome::NotMapped, "the root element is not <configuration>");
  if (pugi::xml_node p = root.child("configProtectedData"))
    note(apphost_, p, "configProtectedData", Outcome::Mapped,
         "encrypted settings are never decrypted: the report names the accounts that need a decision");
  read_pools();
  read_request_limits();
  read_sites();
  survey_levels();
  report_unused_pools();
}

ImportResult import_iis(const XmlFile& apphost, const std::vector<WebConfig>& web_configs,
                        const ImportOptions& options) {
  ImportResult result;
  result.imported.config.source = apphost.name();
  Importer(apphost, web_configs, options, result).run();
  result.toml = write_toml(result.imported, apphost.name());
  return result;
}

}  // namespace gatehouse::iis
