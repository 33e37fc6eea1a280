#!/bin/sh
# Static analysis of the project's own code (src/, not tests or fuzz):
# clang-tidy with the checked-in .clang-tidy, over the compile commands
# CMake writes, and cppcheck with .cppcheck-suppressions. Exits 1 on any
# finding. Both tools are in scripts/deps.sh --test.
#
#   scripts/lint.sh              both tools over every file in src/
#   scripts/lint.sh src/run.c    only the files given
#   LINT_BUILD=dir               the build directory to use (build-lint)
set -eu
cd "$(dirname "$0")/.."
dir=${LINT_BUILD:-build-lint}
jobs=$(nproc 2>/dev/null || echo 2)
failed=""

if [ $# -gt 0 ]; then
	files=$*
else
	files=$(find src -name '*.c' | sort)
fi

# compile_commands.json only; nothing needs to be built for either tool.
cmake -S . -B "$dir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DHT_TESTS=OFF >/dev/null

echo "=== clang-tidy ($(echo "$files" | wc -w) files)"
# One process per file, $jobs at a time; each prints only its findings.
tidy_log=$dir/clang-tidy.log
: >"$tidy_log"
if ! echo "$files" | tr ' ' '\n' | xargs -P "$jobs" -n 1 \
	clang-tidy -p "$dir" --quiet >>"$tidy_log" 2>/dev/null; then
	grep -E 'warning:|error:|note:|^ ' "$tidy_log" || cat "$tidy_log"
	failed="$failed clang-tidy"
fi

echo "=== cppcheck"
# The include paths make cppcheck see the project's headers; system
# headers are left out (missingIncludeSystem in the suppressions) since
# cppcheck reads them poorly and the compiler checks those uses anyway;
# the few library macros it must expand are in scripts/cppcheck-*.cfg.
# shellcheck disable=SC2086
if ! cppcheck --quiet --std=c11 --enable=warning,performance,portability \
	--error-exitcode=1 --inline-suppr --suppressions-list=.cppcheck-suppressions \
	--library=scripts/cppcheck-jansson.cfg \
	-I include -I src -D_POSIX_C_SOURCE=200809L -D__GNUC__ -j "$jobs" \
	--template='{file}:{line}: {severity} ({id}): {message}' $files; then
	failed="$failed cppcheck"
fi

if [ -n "$failed" ]; then
	echo "lint: findings from:$failed"
	exit 1
fi
echo "lint: clean"
