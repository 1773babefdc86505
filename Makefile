# Gatehouse: `make` installs missing Debian packages (as root) and builds,
# `make run` serves the embedded demo, `make test` runs every test.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps install-pam configure build run test bench format clean

all: build

deps:
	@bash scripts/deps.sh

# The PAM service for Basic authentication, copied only when it differs.
install-pam:
	@if [ "$$(id -u)" -ne 0 ]; then \
	  echo "install-pam: not root, /etc/pam.d/gatehouse not installed (basic authentication needs it)" >&2; \
	elif ! cmp -s config/pam/gatehouse /etc/pam.d/gatehouse; then \
	  install -m 0644 -o root -g root config/pam/gatehouse /etc/pam.d/gatehouse && \
	  echo "install-pam: installed /etc/pam.d/gatehouse"; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: $(BUILD)/CMakeCache.txt

build: deps install-pam configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/gatehouse serve

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The Debian package (CPack): $(BUILD)/gatehouse_<version>_<arch>.deb
.PHONY: package
package: build
	cmake --build $(BUILD) --target package

# The benchmarks also need the stacks they compare against (../shared/bench/anchors.sh).
BENCH_PACKAGES = wrk nginx php-fpm lighttpd apache2 libapache2-mod-fcgid h2o libfcgi-bin hyperfine

bench: build
	@bash scripts/deps.sh $(BENCH_PACKAGES)
	bash bench/static.sh
	bash bench/php.sh
	bash bench/perms.sh $(BUILD)

# clang-format (the repo's .clang-format) over every tracked C++ file of src/
# and bench/; ctest format.check fails when this would change anything.
CLANG_FORMAT ?= clang-format
format:
	git ls-files -z -- 'src/*.cpp' 'src/*.hpp' 'bench/*.cpp' 'bench/*.hpp' | xargs -0 -r $(CLANG_FORMAT) -i --style=file

clean:
	rm -rf $(BUILD)
