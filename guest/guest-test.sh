#!/bin/sh
# Runs INSIDE the test guest (guest/init starts it in a chroot of the host's
# root): sets up an nvmet-tcp namespace on 127.0.0.1 over the scsi_debug disk
# (16 KiB physical blocks), then runs nvmeprobe as a user would. Writes to
# RESULTS (the writable 9p share): each command's JSON output, steps.tsv
# (step, exit code, seconds) and guest.log; tests/guest/test_guest.py judges
# them on the host.
#
#   guest-test.sh RESULTS
set -u
results="$1"
repo="$(cd "$(dirname "$0")/.." && pwd)"
np="$repo/.venv/bin/nvmeprobe"
exec > "$results/guest.log" 2>&1
steps="$results/steps.tsv"
: > "$steps"
now() { cut -d' ' -f1 /proc/uptime; }

# step NAME OUTFILE CMD...: run CMD with stdout to OUTFILE, record its exit code and time.
step() {
  name="$1" outfile="$2"
  shift 2
  echo "== $name: $*"
  start="$(now)"
  "$@" > "$outfile"
  rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')" >> "$steps"
  echo "== $name: exit $rc"
}

# namespace_of ATTRIBUTE VALUE: the NVMe namespace block device whose controller
# (or, with native multipath, subsystem) has that attribute value.
namespace_of() {
  for block in /sys/block/nvme*n*; do
    [ -b "/dev/${block##*/}" ] || continue   # hidden multipath paths (nvme1c1n1) have no node
    if [ "$(cat "$block/device/$1" 2>/dev/null | sed 's/ *$//')" = "$2" ]; then
      echo "/dev/${block##*/}"
      return 0
    fi
  done
}

nqn=nqn.2026-11.io.nvmeprobe:guest-iu16k
setup_nvmet_tcp() {
  disk=""
  for dev in /sys/block/sd*; do
    grep -q scsi_debug "$dev/device/model" 2>/dev/null && disk="/dev/${dev##*/}"
  done
  [ -n "$disk" ] || { echo "no scsi_debug disk"; return 1; }
  cfg=/sys/kernel/config/nvmet
  sub="$cfg/subsystems/$nqn"
  mkdir "$sub" "$sub/namespaces/1" "$cfg/ports/1" || return 1
  echo 1 > "$sub/attr_allow_any_host"
  echo NVMEPROBE-IU16K > "$sub/attr_model"
  echo "$disk" > "$sub/namespaces/1/device_path"
  echo 1 > "$sub/namespaces/1/enable" || return 1
  echo tcp > "$cfg/ports/1/addr_trtype"
  echo ipv4 > "$cfg/ports/1/addr_adrfam"
  echo 127.0.0.1 > "$cfg/ports/1/addr_traddr"
  echo 4420 > "$cfg/ports/1/addr_trsvcid"
  ln -s "$sub" "$cfg/ports/1/subsystems/$nqn" || return 1
  nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$nqn" \
    --hostnqn nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-00000000beef || return 1
  for _ in $(seq 50); do
    tcp="$(namespace_of subsysnqn "$nqn")"
    [ -n "$tcp" ] && { echo "$tcp" > "$results/tcp-device"; return 0; }
    sleep 0.2
  done
  echo "the nvmet-tcp namespace did not appear"
  return 1
}

echo "guest kernel $(uname -r); started at $(now) s"
step setup-nvmet-tcp "$results/setup.out" setup_nvmet_tcp
tcp="$(cat "$results/tcp-device" 2>/dev/null || echo /dev/missing-tcp-namespace)"
qemu_ns="$(namespace_of model "QEMU NVMe Ctrl")"
echo "$qemu_ns" > "$results/qemu-device"
step detect "$results/detect.json" "$np" detect --json
step inspect-tcp "$results/inspect-tcp.json" "$np" inspect "$tcp" --json
step inspect-qemu "$results/inspect-qemu.json" "$np" inspect "$qemu_ns" --json
step run-smoke "$results/run.json" "$np" run /dev/nullb0 --plan smoke --set runtime=1s \
  --results /tmp/results --profiles "$results/profiles" --json
profile="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["profile"])' "$results/run.json" 2>/dev/null)"
step qualify-reachable "$results/qualify-reachable.json" "$np" qualify /dev/nullb0 \
  --criteria "$repo/guest/criteria/reachable.toml" --results /tmp/results \
  --profiles "$results/profiles" --junit "$results/qualify-reachable.xml" --json
step qualify-impossible "$results/qualify-impossible.json" "$np" qualify --profile "${profile:-missing}" \
  --criteria "$repo/guest/criteria/impossible.toml" --junit "$results/qualify-impossible.xml" --json
echo "finished at $(now) s"
now > "$results/done"
