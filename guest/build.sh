#!/usr/bin/env bash
# Build (once, then cached) the guest kernel and initramfs from Debian packages.
#
#   guest/build.sh [CACHE_DIR]      prints the folder holding vmlinuz and initramfs.cpio.gz
#
# The kernel is Debian's linux-image-6.1.*-amd64 (the newest the apt lists
# offer, or $NVMEPROBE_GUEST_KERNEL, e.g. 6.1.0-50-amd64); the initramfs is
# busybox-static, guest/init and the kernel modules the guest level needs
# with their dependencies, in load order (modprobe --show-depends). Nothing
# from the host kernel is used. The cache is keyed by kernel version and by
# this script's and guest/init's contents, so edits rebuild it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${1:-${NVMEPROBE_GUEST_CACHE:-$here/../.cache/guest}}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

# Boot modules first (9p root, overlay), then the devices under test.
MODULES="virtio_pci 9pnet_virtio 9p overlay configfs nvme-core nvme nvme-fabrics nvme-tcp
         null_blk scsi_mod sd_mod scsi_debug nvmet nvmet-tcp"

for tool in apt-get apt-cache dpkg depmod modprobe cpio gzip; do
  command -v "$tool" >/dev/null || { echo "guest/build.sh: $tool is missing (apt-get install kmod cpio)" >&2; exit 2; }
done

kver="${NVMEPROBE_GUEST_KERNEL:-}"
if [ -z "$kver" ]; then
  kver="$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' \
          | sed -n 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\) .*/\1/p' | sort -V | tail -n 1)"
  if [ -z "$kver" ]; then
    # no apt lists: reuse the newest kernel already in the cache
    kver="$(ls "$cache" 2>/dev/null | sed -n 's/^\(6\.1\.0-[0-9]*-amd64\)-.*/\1/p' | sort -V | tail -n 1)"
  fi
  [ -n "$kver" ] || { echo "guest/build.sh: no linux-image-6.1.*-amd64 in the apt lists (apt-get update?)" >&2; exit 2; }
fi

key="$(cat "$0" "$here/init" | sha256sum | cut -c1-12)"
out="$cache/$kver-$key"
if [ -f "$out/ready" ]; then
  echo "$out"
  exit 0
fi

work="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "linux-image-$kver" busybox-static >&2) \
  || { echo "guest/build.sh: apt-get download linux-image-$kver busybox-static failed" >&2; exit 2; }
dpkg -x "$work"/linux-image-*.deb "$work/kernel"
dpkg -x "$work"/busybox-static_*.deb "$work/busybox"
depmod -b "$work/kernel" "$kver"

root="$work/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,mnt,newroot,results,lib/modules}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in sh mount umount mkdir insmod cat echo sleep poweroff chroot ln mknod ip sync; do
  ln -s busybox "$root/bin/$applet"
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"

# Every module with its dependencies, once, in an order that loads.
: > "$root/lib/modules/load-order"
for module in $MODULES; do
  modprobe -d "$work/kernel" -S "$kver" --show-depends "$module" | while read -r verb path _; do
    [ "$verb" = insmod ] || continue   # 'builtin NAME' needs nothing
    rel="${path#"$work/kernel/lib/modules/$kver/"}"
    if ! grep -qxF "$rel" "$root/lib/modules/load-order"; then
      mkdir -p "$root/lib/modules/$(dirname "$rel")"
      cp "$path" "$root/lib/modules/$rel"
      echo "$rel" >> "$root/lib/modules/load-order"
    fi
  done
done

mkdir -p "$work/out"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/out/vmlinuz"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$work/out/initramfs.cpio.gz"
echo "$kver" > "$work/out/kernel-version"
cp "$root/lib/modules/load-order" "$work/out/modules"
touch "$work/out/ready"
rm -rf "$out"
mv "$work/out" "$out"
# keep only this build: older kernels and older keys are not used again
find "$cache" -mindepth 1 -maxdepth 1 -name '6.1.0-*' ! -name "${out##*/}" -exec rm -rf {} +
echo "$out"
