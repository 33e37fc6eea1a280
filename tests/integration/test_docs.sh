#!/bin/bash
# The docs stay true to the program: every option --help lists is in the
# man page and the README, every key the dashboard binds is in both, and
# the README's two set-up commands are the ones CI and users run.
. "$(dirname "$0")/../lib.sh"

README=$HT_SOURCE_DIR/README.md
MAN=$HT_SOURCE_DIR/doc/healthtop.1
"$HEALTHTOP" --help >"$T_DIR/help.txt"

for opt in $(grep -oE -- '--[a-z][a-z-]+' "$T_DIR/help.txt" | sort -u); do
	manopt=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
	t_check "man page documents $opt" grep -q -- "$manopt" "$MAN"
	t_check "README documents $opt" grep -q -- "$opt" "$README"
	# and the parser takes it (a stray argument after it stops the run
	# before anything starts).
	"$HEALTHTOP" "$opt" 1 stray >"$T_DIR/opt.out" 2>&1
	t_lacks "the parser knows $opt" "$T_DIR/opt.out" "unknown option"
done

"$HEALTHTOP" --version | grep -qE '^healthtop [0-9]+\.[0-9]+\.[0-9]+$'
t_check "--version prints the version" [ $? -eq 0 ]
v=$("$HEALTHTOP" --version | cut -d' ' -f2)
t_check "man page carries version $v" grep -q "healthtop $v" "$MAN"

# The keys of the dashboard's key table, as the help overlay names them.
for key in PgDn PgUp Enter Esc '/' 's' space 'r' 'R' 't' 'T' '?' 'K'; do
	t_check "README lists key $key" grep -qF -- "$key" "$README"
done

ci=$(grep -vE '^\s*(#|$|set |cd )' "$HT_SOURCE_DIR/.ci/run" | tail -n 1)
t_check "README holds .ci/run's command ($ci)" grep -qF -- "$ci" "$README"
t_check "README's first command runs the demo" \
	grep -qE '^scripts/deps.sh && .*healthtop --demo$' "$README"
t_check "README's first command builds only the program, not the tests" \
	grep -qE '^scripts/deps.sh && .*cmake --build build [^&]*--target healthtop && build/healthtop --demo$' "$README"
for f in "$HT_SOURCE_DIR"/examples/*.yml; do
	cp "$f" "$T_DIR/ex.yml"
	chmod 600 "$T_DIR/ex.yml"
	# Parsing only: the services are not running here, so exit 1 is fine.
	"$HEALTHTOP" --once -c "$T_DIR/ex.yml" >/dev/null 2>"$T_DIR/ex.err"
	t_check "example $(basename "$f") is a valid config" [ $? -ne 2 ]
done
# The compose examples, with their x-healthtop: settings, read by
# --compose (the engine is a socket nobody listens on: exit 1 is fine).
for f in "$HT_SOURCE_DIR"/examples/*/docker-compose.yml "$HT_SOURCE_DIR"/examples/*/*/docker-compose.yml; do
	[ -f "$f" ] || continue
	DOCKER_HOST=unix://$T_DIR/nobody.sock "$HEALTHTOP" --once -f "$f" >/dev/null 2>"$T_DIR/ex.err"
	t_check "example ${f#"$HT_SOURCE_DIR"/} is a valid compose project" [ $? -ne 2 ]
done
t_done
