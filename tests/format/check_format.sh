#!/usr/bin/env bash
# ctest format.check: fails, naming the files, when a tracked C++ file is not
# as `make format` (clang-format with the repo's .clang-format) would leave it.
# Usage: check_format.sh REPO_ROOT [CLANG_FORMAT]
set -uo pipefail
root=${1:?repo root}
clang_format=${2:-clang-format}
cd "$root" || exit 2
if ! command -v "$clang_format" >/dev/null; then
  echo "format.check: $clang_format not found (scripts/deps.sh installs clang-format)" >&2
  exit 1
fi
# Tracked files when this is a git checkout; otherwise every C++ file under src/ and bench/.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- 'src/*.cpp' 'src/*.hpp' 'bench/*.cpp' 'bench/*.hpp')
else
  mapfile -t files < <(find src bench -name '*.cpp' -o -name '*.hpp' | sort)
fi
present=()
for f in "${files[@]}"; do [ -f "$f" ] && present+=("$f"); done  # skip deletions not yet committed
# One clang-format for all files; it names each file it would change.
out=$("$clang_format" --style=file --dry-run -Werror --ferror-limit=1 "${present[@]}" 2>&1)
rc=$?
mapfile -t bad < <(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' <<<"$out" | sort -u)
if [ $rc -ne 0 ] && [ ${#bad[@]} -eq 0 ]; then  # failed for another reason (bad .clang-format, crash)
  echo "format.check: $clang_format failed (exit $rc):"
  echo "$out" | head -20
  exit 1
fi
if [ ${#bad[@]} -gt 0 ]; then
  echo "format.check: ${#bad[@]} of ${#present[@]} C++ files are not clang-formatted (run: make format):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "format.check: ${#present[@]} C++ files formatted as .clang-format says"
