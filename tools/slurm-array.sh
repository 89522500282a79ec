#!/bin/bash
# slurm-array.sh - "vanban batch" as a Slurm array job, then one reduce job.
#
# usage:
#   tools/slurm-array.sh submit IN_DIR OUT_DIR TASKS [sbatch options]
#       lists the inputs into OUT_DIR/.parts/files, submits an array of TASKS
#       tasks running this script, and a reduce job that starts after them
#   tools/slurm-array.sh task IN_DIR OUT_DIR
#       one task (run by Slurm): converts the listed files whose line number
#       modulo SLURM_ARRAY_TASK_COUNT is SLURM_ARRAY_TASK_ID (0-based), with
#       SLURM_CPUS_PER_TASK worker threads
#   tools/slurm-array.sh reduce IN_DIR OUT_DIR
#       "vanban batch --resume": summary.json and OUT_DIR/all.jsonl; converts
#       whatever a failed task left undone
#
# IN_DIR and OUT_DIR must be on a file system every node sees.  VANBAN names
# the binary (default: vanban on PATH).  A task that is killed (time limit,
# preemption) leaves only complete outputs; resubmitting it, or the reduce
# step, finishes the job.
#SBATCH --job-name=vanban-batch
#SBATCH --output=vanban-%A_%a.log
set -euo pipefail
mode=${1:-} in=${2:-} out=${3:-}
[ -n "$mode" ] && [ -n "$in" ] && [ -n "$out" ] || { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
vanban=${VANBAN:-vanban}
list="$out/.parts/files"
case $mode in
submit)
    tasks=${4:?TASKS}
    shift 4
    mkdir -p "$out/.parts"
    (cd "$in" && find . -type f ! -path '*/.*' | sed 's|^\./||' | LC_ALL=C sort) > "$list"
    id=$(sbatch --parsable --array="0-$((tasks - 1))" "$@" "$0" task "$in" "$out")
    sbatch --dependency="afterany:$id" --job-name=vanban-reduce "$0" reduce "$in" "$out"
    ;;
task)
    id=${SLURM_ARRAY_TASK_ID:?not in a Slurm array task}
    count=${SLURM_ARRAY_TASK_COUNT:?}
    awk -v n="$count" -v id="$id" '(NR - 1) % n == id' "$list" |
        "$vanban" batch "$in" --files-from - -o "$out" -q --resume \
            -j "${SLURM_CPUS_PER_TASK:-1}" --summary "$out/.parts/summary-$id.json"
    ;;
reduce)
    "$vanban" batch "$in" -o "$out" --resume -q --jsonl "$out/all.jsonl"
    ;;
*)
    echo "slurm-array.sh: unknown mode '$mode' (submit, task, reduce)" >&2
    exit 2
    ;;
esac
