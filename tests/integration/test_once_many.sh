#!/bin/bash
# --once over more services than max_inflight lets run at once: every one
# gets its result, however long the run takes. 2,000 commands one at a
# time under a fixed safety deadline (the longest timeout times the
# batches, plus a second) left 1,744 with "no result yet"; the deadline
# now only ends a run that stopped getting results.
. "$(dirname "$0")/../lib.sh"

n=2000
{
	echo "max_inflight: 1"
	echo "services:"
	for i in $(seq $n); do echo "  s$i: {exec: [\"true\"], timeout: 1ms}"; done
} >"$T_DIR/many.yml"
chmod 600 "$T_DIR/many.yml"
"$HEALTHTOP" --once -c "$T_DIR/many.yml" >"$T_DIR/once.txt" 2>&1
t_lacks "no service is left without a result" "$T_DIR/once.txt" "no result yet"
t_lacks "the run was not given up" "$T_DIR/once.txt" "gave up"
got=$(grep -cE "^. s[0-9]+ - " "$T_DIR/once.txt")
t_check "a line per service in the report (want $n, saw $got)" [ "$got" -eq "$n" ]
t_done
