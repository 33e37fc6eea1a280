# Set-up shared by the tmux end-to-end tests (sourced after ../lib.sh, with
# a short name for the tmux server: `. tmux.sh demo`). Sanitizer reports
# of an ASan build go to files under the test's directory, where each test
# looks for them; HT_ASAN_EXTRA adds ASan options of the test's own.
command -v tmux >/dev/null || { echo "skip: tmux not installed"; exit 0; }
export LC_ALL=C.UTF-8
export ASAN_OPTIONS="log_path=$T_DIR/asan:detect_leaks=1${HT_ASAN_EXTRA:+:$HT_ASAN_EXTRA}${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$T_DIR/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
TM=ht-$1-$$-$RANDOM
SCREEN=$T_DIR/screen.txt

tm() { tmux -f /dev/null -L "$TM" "$@"; }
