#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzzer + AddressSanitizer, release) and runs one or all of them.
#   Fuzz/run.sh SECONDS [TARGET...]       TARGET: fuzz-resp, fuzz-packets, fuzz-pcap, fuzz-markdown, fuzz-tls (default: all)
#   FUZZ_RUNS=N Fuzz/run.sh 0 fuzz-resp   stop after N executions instead of after SECONDS
#   FUZZ_ARGS="-jobs=2 -workers=2" ...    extra libFuzzer flags
# Seeds: Fuzz/corpus-generated/<kind> (make-corpus.sh, rebuilt when missing) plus Fuzz/crashers/<kind>, the
# inputs that once failed. The working corpus grows in Fuzz/artifacts/corpus-<kind>; a new failure is written
# to Fuzz/artifacts/<target>/ and the script exits non-zero. Copy it into Fuzz/crashers/<kind>/ once fixed:
# the test suite replays every file there (FuzzRegressionTests), except for fuzz-markdown, whose failing names
# become cases of MarkdownEscapingTests.hostile instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH=/opt/swift/usr/bin:$PATH

seconds="${1:?usage: Fuzz/run.sh SECONDS [fuzz-resp|fuzz-packets|fuzz-pcap|fuzz-markdown|fuzz-tls]...}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz-resp fuzz-packets fuzz-pcap fuzz-markdown fuzz-tls)

cd "$here"
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
bin="$(swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --show-bin-path)"
for target in "${targets[@]}"; do
    [ -d "corpus-generated/${target#fuzz-}" ] || { ./make-corpus.sh >&2; break; }
done

status=0
for target in "${targets[@]}"; do
    kind="${target#fuzz-}"
    mkdir -p "artifacts/$target" "artifacts/corpus-$kind"
    limit=(-max_total_time="$seconds")
    [ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
    echo "== $target (${FUZZ_RUNS:+$FUZZ_RUNS runs}${FUZZ_RUNS:-$seconds s})" >&2
    # -rss_limit_mb: a pipeline that allocates in proportion to what a header claims is a finding too.
    # shellcheck disable=SC2086
    "$bin/$target" "${limit[@]}" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=60 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" ${FUZZ_ARGS:-} \
        "artifacts/corpus-$kind" "corpus-generated/$kind" "crashers/$kind" || status=$?
    [ "$status" -eq 0 ] || { echo "$target found a failure: see Fuzz/artifacts/$target/" >&2; exit "$status"; }
done
