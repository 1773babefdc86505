// The files every php-cgi worker needs whatever its site: the binary and its
// ELF interpreter (execute), libraries, PHP's configuration and data, time
// zones, certificates, the NSS and DNS files, and a few devices.
#pragma once

#include "config/model.hpp"
#include "sandbox/spec.hpp"

namespace gatehouse::sandbox {

// Adds the runtime rules for `pool` (its php_cgi, php_ini) and then the
// pool's own [pools.sandbox] read/write/execute additions.
void add_php_runtime(Spec& spec, const config::Pool& pool);

// The PT_INTERP path of an ELF executable ("/lib64/ld-linux-x86-64.so.2"),
// empty when it has none or cannot be read.
Path elf_interpreter(const Path& executable);

}  // namespace gatehouse::sandbox
