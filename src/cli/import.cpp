// `gatehouse import iis`: reads applicationHost.config (and web.config files),
// writes a Gatehouse configuration and prints the migration report.
// Exit codes: 0 clean, 1 something was not mapped, 2 an input could not be read.
#include "iis/import.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "iis/xml_input.hpp"

namespace gatehouse::cli {
namespace {

namespace fs = std::filesystem;

struct ImportArgs {
  std::string applicationhost;
  std::vector<std::string> web_configs;
  std::vector<std::string> path_maps;
  std::vector<std::string> user_maps;
  std::string php_cgi = "/usr/bin/php-cgi";
  std::string out;
  bool json = false;
};

[[noreturn]] void unreadable(const std::string& message) {
  std::cerr << "import iis: " << message << "\n";
  throw CLI::RuntimeError(2);
}

std::unique_ptr<iis::XmlFile> read(const fs::path& file) {
  auto xml = iis::read_xml(file);
  if (!xml) unreadable(xml.error().str());
  return std::move(*xml);
}

// web.config, in whatever case Windows tools wrote its name.
std::optional<fs::path> web_config_in(const fs::path& folder) {
  for (const char* name : {"web.config", "Web.config", "Web.Config", "WEB.CONFIG"}) {
    std::error_code ec;
    if (fs::is_regular_file(folder / name, ec)) return folder / name;
  }
  return std::nullopt;
}

// A folder tree: each site's and application's web.config is looked for in
// its mapped Linux folder when that lies in the tree, else under the tree at
// its Windows path without the drive ("C:\Sites\a" -> TREE/Sites/a).
void find_in_tree(const fs::path& tree, const iis::XmlFile& apphost, const iis::ImportOptions& options,
                  std::vector<std::pair<std::string, fs::path>>& out) {
  const std::string root = fs::weakly_canonical(tree).string();
  for (const auto& [config_path, windows] : iis::content_paths(apphost)) {
    std::optional<fs::path> found;
    if (auto mapped = options.paths.map(windows); mapped && (*mapped + "/").starts_with(root + "/"))
      found = web_config_in(*mapped);
    if (!found) {
      if (auto normal = iis::normalise_windows_path(windows); normal && normal->size() > 2 && (*normal)[1] == ':')
        found = web_config_in(tree / normal->substr(3));
    }
    if (found) out.emplace_back(config_path, *found);
  }
}

void run_import(const ImportArgs& a) {
  iis::ImportOptions options;
  options.php_cgi = a.php_cgi;
  for (const auto& spec : a.path_maps)
    if (auto ok = options.paths.add(spec); !ok) unreadable("--path-map: " + ok.error());
  for (const auto& spec : a.user_maps)
    if (auto ok = iis::add_user_map(options, spec); !ok) unreadable("--user-map: " + ok.error());

  const auto apphost = read(a.applicationhost);
  std::vector<std::pair<std::string, fs::path>> wanted;
  for (const auto& spec : a.web_configs) {
    std::error_code ec;
    if (fs::is_directory(spec, ec)) {
      find_in_tree(spec, *apphost, options, wanted);
      continue;
    }
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      unreadable("--web-config: expected SITE=FILE (or SITE/APP=FILE) or a folder, got '" + spec + "'");
    wanted.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  }
  std::vector<std::unique_ptr<iis::XmlFile>> files;
  std::vector<iis::WebConfig> web_configs;
  for (const auto& [config_path, file] : wanted) {
    files.push_back(read(file));
    web_configs.push_back(iis::WebConfig{config_path, files.back().get()});
  }

  const auto result = iis::import_iis(*apphost, web_configs, options);
  std::ostream& report_out = a.out.empty() ? std::cerr : std::cout;
  if (a.out.empty()) {
    std::cout << result.toml;
  } else {
    std::ofstream out{a.out, std::ios::binary | std::ios::trunc};
    out << result.toml;
    if (!out.flush()) unreadable("cannot write " + a.out);
  }
  if (a.json)
    report_out << iis::to_json(result.report).dump(2) << "\n";
  else
    report_out << iis::format_text(result.report);
  if (!result.report.clean()) throw CLI::RuntimeError(1);
}

}  // namespace

void add_import(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* import = app.add_subcommand("import", "import a configuration from another server");
  import->require_subcommand(1);
  CLI::App* iis = import->add_subcommand(
      "iis",
      "write a Gatehouse configuration from IIS's applicationHost.config and web.config files, with a "
      "report of what was mapped, approximated or left out (exit 0 clean, 1 not all mapped, 2 unreadable)");
  iis->add_option("--applicationhost", args->applicationhost, "applicationHost.config")->required();
  iis->add_option("--web-config", args->web_configs,
                  "SITE=FILE or SITE/APP=FILE (repeatable), or a folder holding the sites' content");
  iis->add_option("--path-map", args->path_maps,
                  "WINDOWS=LINUX folder, like 'C:\\inetpub\\wwwroot=/srv/www' (repeatable, longest prefix wins)");
  iis->add_option("--user-map", args->user_maps,
                  "WINDOWS=LINUX account for SpecificUser pools, like 'CONTOSO\\svc=shop' (repeatable)");
  iis->add_option("--php-cgi", args->php_cgi, "the php-cgi every pool runs")->capture_default_str();
  iis->add_option("--out", args->out, "write the configuration here (default: standard output, report on stderr)");
  iis->add_flag("--json", args->json, "the report as JSON");
  iis->callback([args] { run_import(*args); });
}

}  // namespace gatehouse::cli
