#!/bin/sh
# Count TAP results. Usage: tap-summary.sh [--total] RESULTS_DIR...
# Each suite is NAME.tap plus NAME.rc (its exit status). A suite that
# crashed, exited non-zero, or ran fewer tests than its plan counts the
# difference as failures, so a crash can never pass silently.
# Prints one line per suite (unless --total), then "N passed, N failed,
# N skipped", and exits 1 when anything failed.
set -u

per_suite=1
if [ "${1:-}" = "--total" ]; then
	per_suite=0
	shift
fi

total_pass=0
total_fail=0
total_skip=0
for dir in "$@"; do
	for tap in "$dir"/*.tap; do
		[ -f "$tap" ] || continue
		name=$(basename "$tap" .tap)
		skip=$(grep -Ec '^ok [0-9]+.*# ?[Ss][Kk][Ii][Pp]' "$tap")
		ok=$(grep -Ec '^ok [0-9]+' "$tap")
		pass=$((ok - skip))
		fail=$(grep -Ec '^not ok [0-9]+' "$tap")
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | head -n 1)
		rc=$(cat "$dir/$name.rc" 2>/dev/null || echo 1)
		ran=$((ok + fail))
		if [ -z "$plan" ]; then
			echo "# $name: no TAP plan (crashed?)"
			fail=$((fail + 1))
		elif [ "$ran" -lt "$plan" ]; then
			echo "# $name: ran $ran of $plan planned tests"
			fail=$((fail + plan - ran))
		fi
		if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
			echo "# $name: exited with status $rc"
			fail=1
		fi
		if [ "$per_suite" -eq 1 ]; then
			echo "# $name: $pass passed, $fail failed, $skip skipped"
		fi
		total_pass=$((total_pass + pass))
		total_fail=$((total_fail + fail))
		total_skip=$((total_skip + skip))
	done
done

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
