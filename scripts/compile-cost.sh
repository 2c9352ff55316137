#!/usr/bin/env bash
# What one more #[swarm_test] costs to compile, against one more #[tokio::test].
#
# Usage: scripts/compile-cost.sh [REV]
#
# Builds a throwaway downstream crate under target/compile-cost/ with two test files of 20
# tests each: `swarm.rs` (#[swarm_test] tests) and `plain.rs` (#[tokio::test] tests). After a
# warm-up build, it adds one test to a file and times `cargo test --no-run --test FILE`
# (debug), COMPILE_COST_EDITS times per file (default 7, interleaved), and prints the
# medians and their ratio. With REV (a commit),
# the crate uses that commit's swarm-test (exported with `git archive`), so a before/after
# comparison runs the same script.
#
# Wall-clock figures depend on the machine and its load: compare ratios from one run.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rev="${1:-}"
work="$root/target/compile-cost"
mkdir -p "$work"

if [[ -n "$rev" ]]; then
    src="$work/src-$(git -C "$root" rev-parse --short "$rev")"
    if [[ ! -d "$src" ]]; then
        mkdir -p "$src"
        git -C "$root" archive "$rev" | tar -x -C "$src"
    fi
    name="cost-$(basename "$src")"
else
    src="$root"
    name="cost-worktree"
fi
crate="$work/$name"
mkdir -p "$crate/tests"
cp "$src/Cargo.lock" "$crate/Cargo.lock"

cat >"$crate/Cargo.toml" <<EOF
[workspace]

[package]
name = "compile-cost"
version = "0.0.0"
edition = "2021"
publish = false

[dev-dependencies]
swarm-test = { path = "$src/swarm-test" }
tokio = { version = "1", features = ["rt", "time", "macros"] }

[profile.dev.package."*"]
opt-level = 1
EOF

swarm_test() {
    cat <<EOF
#[swarm_test(topology = "ring", agents = $((3 + $1 % 4)), trades = $((10 + $1)), snapshot = false)]
fn swarm_$1(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
}

EOF
}

plain_test() {
    cat <<EOF
#[tokio::test]
async fn plain_$1() {
    tokio::time::sleep(std::time::Duration::from_millis($1)).await;
    assert_eq!($1 + 1, $(($1 + 1)));
}

EOF
}

write_files() {
    echo "use swarm_test::prelude::*;" >"$crate/tests/swarm.rs"
    echo >"$crate/tests/plain.rs"
    for i in $(seq 1 20); do
        swarm_test "$i" >>"$crate/tests/swarm.rs"
        plain_test "$i" >>"$crate/tests/plain.rs"
    done
}

export CARGO_TARGET_DIR="$crate/target"
cd "$crate"
write_files
echo "warming up (the first build compiles swarm-test and its dependencies)..." >&2
cargo test -q --no-run --test swarm --test plain 2>/dev/null

# Seconds that `cargo test --no-run --test $1` takes after adding test number $2.
rebuild() {
    "$1_test" "$2" >>"$crate/tests/$1.rs"
    local start end
    start=$(date +%s.%N)
    cargo test -q --no-run --test "$1" 2>/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

# Edits interleave the two files, so a change in the machine's load hits both alike; the
# median of each file's rebuilds is robust to a rebuild that a neighbour's build slowed.
edits="${COMPILE_COST_EDITS:-7}"
median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
declare -A times=([swarm]="" [plain]="")
for edit in $(seq 1 "$edits"); do
    for file in swarm plain; do
        t=$(rebuild "$file" $((20 + edit)))
        printf 'edit %d, %s.rs: %.2f s\n' "$edit" "$file" "$t"
        times[$file]+="$t"$'\n'
    done
done
swarm_median=$(printf '%s' "${times[swarm]}" | median)
plain_median=$(printf '%s' "${times[plain]}" | median)
printf 'swarm-test at %s\n' "${rev:-the work tree}"
printf 'median rebuild after adding one test (%d edits each): #[swarm_test] %.2f s, #[tokio::test] %.2f s, ratio %.2f\n' \
    "$edits" "$swarm_median" "$plain_median" "$(echo "$swarm_median / $plain_median" | bc -l)"
