// Text of the demo site's files.
#include "cli/demo_content.hpp"

#include <fmt/format.h>

namespace gatehouse::cli {
namespace {

constexpr const char* kIndexHtml = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse</title>
<link rel="stylesheet" href="/style.css"></head>
<body><main>
<h1>Gatehouse is running</h1>
<p>This is the built-in demo site, served from the state directory.
PHP runs in the <code>demo</code> application pool, under the pool's own account;
anonymous visitors read static files as the anonymous account (the IUSR of IIS).</p>
<ul>
<li><a href="/whoami.php">whoami.php</a>: which account runs PHP, and which reads static files</li>
<li><a href="/upload.php">upload.php</a>: an upload form (files land in <code>/uploads/</code>)</li>
<li><a href="/hello.txt">hello.txt</a>: a static file</li>
</ul>
<p>Run <code>gatehouse check</code> to see the configuration, and
<code>gatehouse perms plan</code> for the permissions it needs.</p>
</main></body></html>
)";

constexpr const char* kStyleCss =
    R"(body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; color: #222; }
code { background: #f2f2f2; padding: 0 .25rem; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
)";

// GATEHOUSE_* variables are set by Gatehouse's PHP handler; posix_geteuid()
// is what the kernel says this worker runs as.
constexpr const char* kWhoamiPhp = R"(<?php
$kernel = function_exists('posix_geteuid') ? posix_getpwuid(posix_geteuid())['name'] : get_current_user();
$rows = [
  'PHP process runs as (kernel)' => $kernel,
  'PHP runs as (Gatehouse)' => $_SERVER['GATEHOUSE_PHP_AS'] ?? '?',
  'static files are read as' => $_SERVER['GATEHOUSE_STATIC_AS'] ?? '?',
  'application pool' => $_SERVER['GATEHOUSE_POOL'] ?? '?',
  'fastcgi.impersonate' => ini_get('fastcgi.impersonate') ?: '0',
  'authenticated user' => ($_SERVER['REMOTE_USER'] ?? '') ?: '(anonymous)',
];
header('Content-Type: text/html; charset=utf-8');
echo "<!doctype html><title>whoami</title><link rel=stylesheet href=/style.css><h1>Who serves this page</h1><table>";
foreach ($rows as $k => $v) echo '<tr><th>', htmlspecialchars($k), '</th><td><code>', htmlspecialchars((string)$v), '</code></td></tr>';
echo '</table><p><a href="/">back</a></p>';
)";

constexpr const char* kUploadPhp = R"(<?php
$dir = __DIR__ . '/uploads';
$msg = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST' && isset($_FILES['file'])) {
  $f = $_FILES['file'];
  $name = basename($f['name']);
  if ($f['error'] !== UPLOAD_ERR_OK) {
    $msg = 'upload failed with code ' . $f['error'];
  } elseif (!preg_match('/^[A-Za-z0-9._-]+$/', $name) || preg_match('/\.(php\d?|phtml|phar)$/i', $name)) {
    $msg = 'refused file name';
  } elseif (move_uploaded_file($f['tmp_name'], "$dir/$name")) {
    $msg = 'stored ' . $name . ' (' . $f['size'] . ' bytes, md5 ' . md5_file("$dir/$name") . ')';
  } else {
    $msg = 'could not store the file';
  }
}
header('Content-Type: text/html; charset=utf-8');
echo '<!doctype html><title>upload</title><link rel=stylesheet href=/style.css><h1>Upload a file</h1>';
if ($msg !== '') echo '<p>', htmlspecialchars($msg), '</p>';
echo '<form method="post" enctype="multipart/form-data"><input type="file" name="file"> <button>Upload</button></form><ul>';
foreach (glob("$dir/*") ?: [] as $p) { $b = basename($p); echo '<li><a href="/uploads/', rawurlencode($b), '">', htmlspecialchars($b), '</a></li>'; }
echo '</ul><p><a href="/">back</a></p>';
)";

}  // namespace

std::vector<DemoFile> demo_files(const std::filesystem::path& demo_dir) {
  const std::string d = demo_dir.string();
  std::string php_ini = fmt::format(R"(; php.ini of the demo pool, read by its php-cgi workers (-c).
; A change to this file recycles the pool (monitor_changes_to).
fastcgi.impersonate = 0
cgi.fix_pathinfo = 0
fastcgi.logging = 0
display_errors = Off
log_errors = On
expose_php = Off
allow_url_include = Off
upload_tmp_dir = "{0}/tmp"
session.save_path = "{0}/sessions"
error_log = "{0}/log/php_errors.log"
upload_max_filesize = 32M
post_max_size = 32M
)",
                                    d);
  return {
      {"www/index.html", kIndexHtml}, {"www/style.css", kStyleCss},   {"www/hello.txt", "Hello from Gatehouse.\n"},
      {"www/whoami.php", kWhoamiPhp}, {"www/upload.php", kUploadPhp}, {"php.ini", std::move(php_ini)},
  };
}

}  // namespace gatehouse::cli
