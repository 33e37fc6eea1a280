#!/bin/sh
# Builds healthtop and runs the whole test suite: the normal build, the
# same suite under AddressSanitizer + UndefinedBehaviorSanitizer, the
# other build types (Release with gcc, MinSizeRel with clang), the fuzz
# targets briefly on their corpora, static analysis (scripts/lint.sh) and
# the formatting check. Warnings are errors here (HT_WERROR=ON).
# Run scripts/deps.sh --test first (the README's command does).
#
#   scripts/test.sh                everything
#   scripts/test.sh --busy         everything, with one CPU hog per core
#                                  running for the whole run: the suite
#                                  must pass on a machine with no idle core
#   scripts/test.sh --build-types  also every build type (Debug, Release,
#                                  RelWithDebInfo, MinSizeRel) with gcc
#                                  and with clang, tests included
#   HT_QUICK=1 scripts/test.sh     the normal build's suite only
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
failed=""
busy=""
all_types=""
for arg in "$@"; do
	case $arg in
	--busy) busy=1 ;;
	--build-types) all_types=1 ;;
	*) echo "usage: scripts/test.sh [--busy] [--build-types]" >&2; exit 2 ;;
	esac
done

step() { printf '\n=== %s\n' "$*"; }

# --busy: one busy loop per core, at the suite's own priority, until the
# script ends however it ends.
hogs=""
stop_hogs() { [ -z "$hogs" ] || kill $hogs 2>/dev/null || true; }
trap stop_hogs EXIT
trap 'exit 130' INT TERM
if [ -n "$busy" ]; then
	for _ in $(seq "$jobs"); do
		sh -c 'while :; do :; done' &
		hogs="$hogs $!"
	done
	step "busy: $jobs CPU hogs running (pids$hogs)"
fi
start=$(date +%s)

# build-dir, extra cmake args...: configure and build the whole tree, with
# the compiler $cc names (the system's cc when empty)
cc=""
build_tree() {
	dir=$1
	shift
	step "build $dir${cc:+ CC=$cc} $*"
	env ${cc:+CC=$cc} cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHT_WERROR=ON -DHT_TESTS=ON "$@" >/dev/null &&
		cmake --build "$dir" -j"$jobs"
}

run_suite() { # build-dir, extra cmake args...
	dir=$1
	if ! build_tree "$@"; then
		failed="$failed $dir"
		return
	fi
	step "test $dir"
	# Most tests wait on servers and timers, not on a core: run two per core.
	(cd "$dir" && ctest --output-on-failure --timeout 600 -j$((jobs * 2))) || failed="$failed $dir"
}

run_suite build
[ -n "${HT_QUICK:-}" ] && { [ -z "$failed" ] || exit 1; exit 0; }

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -DHT_SANITIZE=ON

# The build types the suite does not run, built whole (tests included) so
# that an optimiser's or the other compiler's warnings are caught here.
if [ -n "$all_types" ]; then
	for cc in gcc clang; do
		for type in Debug Release RelWithDebInfo MinSizeRel; do
			build_tree "build-$cc-$type" -DCMAKE_BUILD_TYPE=$type || failed="$failed build-$cc-$type"
		done
	done
else
	cc=gcc
	build_tree build-gcc-Release -DCMAKE_BUILD_TYPE=Release || failed="$failed build-gcc-Release"
	cc=clang
	build_tree build-clang-MinSizeRel -DCMAKE_BUILD_TYPE=MinSizeRel ||
		failed="$failed build-clang-MinSizeRel"
fi
cc=""

if command -v clang >/dev/null 2>&1 && [ -d fuzz ] && ls fuzz/fuzz_*.c >/dev/null 2>&1; then
	step "fuzz targets, briefly, on their corpora"
	CC=clang cmake -S . -B build-fuzz -DHT_FUZZ=ON -DHT_TESTS=OFF -DHT_WERROR=ON >/dev/null
	cmake --build build-fuzz -j"$jobs"
	for f in build-fuzz/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus=fuzz/corpus/${name#fuzz_}
		dict=fuzz/dict/${name#fuzz_}.dict
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
		set -- -max_total_time=4 -timeout=5 -rss_limit_mb=1024
		[ -f "$dict" ] && set -- "$@" -dict="$dict"
		if "$f" "$@" "$work" >"$work.log" 2>&1; then
			echo "fuzz $name: $(grep -Eo '^Done [0-9]+ runs' "$work.log" | tail -n 1), no crash"
		else
			tail -n 30 "$work.log"
			failed="$failed $name"
		fi
		rm -rf "$work" "$work.log"
	done
fi

if command -v clang-tidy >/dev/null 2>&1 && command -v cppcheck >/dev/null 2>&1; then
	step "static analysis: clang-tidy and cppcheck (scripts/lint.sh)"
	scripts/lint.sh || failed="$failed lint"
fi

if command -v clang-format >/dev/null 2>&1; then
	step "clang-format"
	bad=$(git ls-files '*.c' '*.h' 2>/dev/null | while read -r f; do
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
	done)
	if [ -n "$bad" ]; then
		echo "not formatted (run clang-format -i):"
		echo "$bad"
		failed="$failed clang-format"
	fi
fi

took=$(($(date +%s) - start))
if [ -n "$failed" ]; then
	printf '\nFAILED:%s (after %dm%02ds%s)\n' "$failed" $((took / 60)) $((took % 60)) "${busy:+, busy}"
	exit 1
fi
printf '\nall test stages passed in %dm%02ds%s\n' $((took / 60)) $((took % 60)) "${busy:+, with every core busy}"
