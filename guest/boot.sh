#!/usr/bin/env bash
# Boot the nvmeprobe test guest once and collect what it measured.
#
#   guest/boot.sh OUT_DIR
#
# QEMU with software emulation (TCG, no KVM needed), as docs/field-notes.md
# section 5 describes: the host's root shared read-only over 9p (the guest
# runs this checkout's .venv, fio and nvme-cli), an emulated NVMe controller
# with a 4 KiB-LBA namespace, and a second, writable 9p share (OUT_DIR/results)
# where guest/guest-test.sh writes its results. The serial console goes to
# OUT_DIR/console.log. Exit status: QEMU's (124 when NVMEPROBE_GUEST_TIMEOUT,
# default 540 s, ran out).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: guest/boot.sh OUT_DIR}"
command -v qemu-system-x86_64 >/dev/null \
  || { echo "guest/boot.sh: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2; exit 2; }
images="$("$here/build.sh")"
mkdir -p "$out/results"
out="$(cd "$out" && pwd)"
rm -f "$out/nvm.img"
truncate -s 1G "$out/nvm.img"

exec timeout --foreground "${NVMEPROBE_GUEST_TIMEOUT:-540}" \
  qemu-system-x86_64 -accel tcg -cpu max -machine q35 -smp 2 -m 2048 \
    -nographic -no-reboot -nodefaults -serial "file:$out/console.log" \
    -kernel "$images/vmlinuz" -initrd "$images/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet panic=-1 nvmeprobe.script=$here/guest-test.sh" \
    -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    -fsdev "local,id=results,path=$out/results,security_model=none" \
    -device virtio-9p-pci,fsdev=results,mount_tag=results \
    -device nvme,serial=deadbeef,id=nvme0 \
    -drive "file=$out/nvm.img,if=none,id=nvm,format=raw" \
    -device nvme-ns,drive=nvm,bus=nvme0,nsid=1,logical_block_size=4096,physical_block_size=4096
