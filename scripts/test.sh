#!/bin/sh
# Builds healthtop and runs the whole test suite: the normal build, the
# same suite under AddressSanitizer + UndefinedBehaviorSanitizer, the
# fuzz targets briefly on their corpora, static analysis (scripts/lint.sh)
# and the formatting check.
# Run scripts/deps.sh --test first (the README's command does).
#
#   scripts/test.sh            everything
#   HT_QUICK=1 scripts/test.sh  the normal build's suite only
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
failed=""

step() { printf '\n=== %s\n' "$*"; }

run_suite() { # build-dir, extra cmake args...
	dir=$1
	shift
	step "build $dir $*"
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
	step "test $dir"
	(cd "$dir" && ctest --output-on-failure --timeout 600) || failed="$failed $dir"
}

run_suite build
[ -n "${HT_QUICK:-}" ] && { [ -z "$failed" ] || exit 1; exit 0; }

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -DHT_SANITIZE=ON

if command -v clang >/dev/null 2>&1 && [ -d fuzz ] && ls fuzz/fuzz_*.c >/dev/null 2>&1; then
	step "fuzz targets, briefly, on their corpora"
	CC=clang cmake -S . -B build-fuzz -DHT_FUZZ=ON -DHT_TESTS=OFF >/dev/null
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

if [ -n "$failed" ]; then
	printf '\nFAILED:%s\n' "$failed"
	exit 1
fi
printf '\nall test stages passed\n'
