#!/usr/bin/env python3
"""Fails on any #include across src/ folders that src/dependencies.txt does not allow.

Run by ctest as arch.includes. Usage: check_includes.py [REPO_ROOT]
Prints one line per violation: file:line: the include, and the rule it breaks.
"""
import os
import re
import sys

CPP_SUFFIXES = (".cpp", ".hpp", ".h", ".cc")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
TEST_HELPER = re.compile(r"^(test_support|test_\w+)\.hpp$")

# Violations tolerated by name while a move is under way, each (file,
# included header). Every entry must still match a real include: a stale entry
# fails the check, so the list only shrinks. Empty since the request-path
# redesign moved the PHP handler out of http/.
KNOWN_VIOLATIONS = set()


def is_test_file(name):
    return name.endswith(("_test.cpp", "_benchmark.cpp")) or bool(TEST_HELPER.match(name))


def read_rules(path, problems):
    """folder -> (set of allowed folders or None for '*', line number)."""
    rules = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            folder, sep, deps = line.partition(":")
            folder = folder.strip()
            if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", folder):
                problems.append(f"{path}:{number}: expected 'folder: dep dep ...', got {line!r}")
                continue
            if folder in rules:
                problems.append(f"{path}:{number}: folder '{folder}' has a second line")
            names = deps.split()
            rules[folder] = (None if names == ["*"] else set(names), number)
    for folder, (allowed, number) in rules.items():
        for dep in sorted(allowed or ()):
            if dep not in rules:
                problems.append(f"{path}:{number}: '{folder}' may include '{dep}', which has no line of its own")
            if dep == folder:
                problems.append(f"{path}:{number}: '{folder}' lists itself (a folder always includes itself)")
    find_cycle(rules, path, problems)
    return rules


def find_cycle(rules, path, problems):
    """The allowed graph must point one way ('*' folders are the top: nothing may include them)."""
    state = {}

    def visit(folder, trail):
        state[folder] = "open"
        for dep in sorted(rules[folder][0] or ()):
            if dep not in rules:
                continue
            if state.get(dep) == "open":
                cycle = trail[trail.index(dep):] + [dep]
                problems.append(f"{path}: the rules have a cycle: {' -> '.join(cycle)}")
            elif dep not in state:
                visit(dep, trail + [dep])
        state[folder] = "done"

    for folder in sorted(rules):
        if folder not in state:
            visit(folder, [folder])
    for folder, (allowed, number) in rules.items():
        for dep in sorted(allowed or ()):
            if dep in rules and rules[dep][0] is None:
                problems.append(f"{path}:{number}: '{folder}' may include '{dep}', which may include everything")


def check(root):
    problems = []
    src = os.path.join(root, "src")
    rules_file = os.path.join(src, "dependencies.txt")
    rules = read_rules(rules_file, problems)
    rel_rules = os.path.relpath(rules_file, root)
    folders = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    for folder in folders:
        if folder not in rules:
            problems.append(f"src/{folder}/: no line for '{folder}' in {rel_rules}: say what it may include")

    seen_known = set()
    checked = 0
    for folder in folders:
        for dirpath, _, files in os.walk(os.path.join(src, folder)):
            for name in sorted(files):
                if not name.endswith(CPP_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m or "/" not in m.group(1):
                            continue
                        header = m.group(1)
                        target = header.split("/", 1)[0]
                        if target not in folders and target not in rules:
                            continue  # a system or library header ("boost/...", "toml++/...")
                        checked += 1
                        why = verdict(folder, name, header, target, rules, rel_rules)
                        if why is None:
                            continue
                        if (rel, header) in KNOWN_VIOLATIONS:
                            seen_known.add((rel, header))
                            continue
                        problems.append(f'{rel}:{number}: #include "{header}": {why}')
    for rel, header in sorted(KNOWN_VIOLATIONS - seen_known):
        problems.append(f'tests/arch/check_includes.py: KNOWN_VIOLATIONS lists {rel} including "{header}", '
                        "which no longer happens: remove the entry")
    return problems, checked


def verdict(folder, name, header, target, rules, rel_rules):
    """None when the include is allowed, else the rule it breaks."""
    included_name = header.rsplit("/", 1)[-1]
    if TEST_HELPER.match(included_name) and not is_test_file(name):
        return f"only tests (*_test.cpp, test_*.hpp) may include test helpers; {name} is not a test"
    if target == folder:
        return None
    allowed, number = rules.get(folder, (set(), 0))
    if allowed is None or target in allowed:
        return None
    if folder not in rules:
        return f"'{folder}' has no line in {rel_rules}"
    listed = " ".join(sorted(allowed)) or "(nothing)"
    return f"'{folder}' may not include '{target}' ({rel_rules}:{number}: {folder}: {listed})"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    root = os.path.abspath(root)
    problems, checked = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"arch.includes: {len(problems)} problem(s); the rules are in src/dependencies.txt, "
              "the reasons in docs/architecture.md")
        return 1
    print(f"arch.includes: {checked} project includes checked against src/dependencies.txt, all allowed "
          f"({len(KNOWN_VIOLATIONS)} known violation(s) still allowed by name)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
