#!/usr/bin/env bash
# Prepares a small Linux test guest for softvf's VFs, from Debian 12's own packages only:
#
#   kernel     Debian's cloud kernel (linux-image-*-cloud-amd64), downloaded with
#              `apt-get download` and unpacked with `dpkg-deb -x`; never installed.
#   initramfs  busybox (busybox-static) as the whole userland, the kernel's virtio
#              modules (virtio, virtio_pci and virtio_net are modules in that kernel),
#              iperf3 and iputils' ping (for `ping -M do`) with the shared libraries
#              ldd names, and tests/guest/init.sh as /init.
#
# The artefacts go to a cache outside the repository, reused while their inputs are the
# same (this script, init.sh, the kernel version, the userland packages' versions):
#
#   ${SOFTVF_GUEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/softvf-guest}/vmlinuz
#   ${SOFTVF_GUEST_CACHE:-...}/initramfs.cpio.gz
#
# The last line of output is the cache directory. SOFTVF_GUEST_KERNEL=6.1.0-NN-cloud-amd64
# picks a kernel version; the default is the one Debian's linux-image-cloud-amd64 names.
# Needs: apt-get, dpkg-deb, busybox-static, iperf3, iputils-ping, gzip
# (scripts/install-deps.sh installs them). Safe to run concurrently: a lock serialises.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SOFTVF_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvf-guest}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

log() { echo "prepare-guest: $*" >&2; }
die() { log "$*"; exit 1; }

# Modules the guest needs, loaded in dependency order (resolved below from each module's
# own `depends=`: the package has no modules.dep, depmod runs only when it is installed).
WANTED_MODULES="virtio_pci virtio_net"
# Host programs copied into the guest, each with the shared libraries ldd lists.
PROGRAMS="/usr/bin/iperf3 /usr/bin/ping"

for tool in apt-get apt-cache dpkg-deb dpkg-query ldd gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
busybox=/bin/busybox
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" ||
  die "busybox-static is not installed (scripts/install-deps.sh installs it)"
for p in $PROGRAMS; do
  [ -x "$p" ] || die "$p is missing (Debian packages iperf3 and iputils-ping; scripts/install-deps.sh)"
done

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

kernel_version() {
  if [ -n "${SOFTVF_GUEST_KERNEL:-}" ]; then
    echo "$SOFTVF_GUEST_KERNEL"
  else
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
      sed -n 's/^ *Depends: linux-image-\([0-9].*-cloud-amd64\)$/\1/p' | head -1
  fi
}

# ---- 1. the kernel: download and unpack once per version
kver=$(kernel_version)
if [ -z "$kver" ]; then
  log "no linux-image-cloud-amd64 in the package lists; running apt-get update"
  as_root apt-get update -qq
  kver=$(kernel_version)
  [ -n "$kver" ] || die "apt-cache knows no linux-image-cloud-amd64"
fi
kdir=$cache/kernel/$kver
if [ ! -f "$kdir/ok" ]; then
  rm -rf "$kdir"
  mkdir -p "$kdir/deb"
  log "downloading linux-image-$kver"
  if ! (cd "$kdir/deb" && apt-get download -q "linux-image-$kver" >&2 2>/dev/null); then
    # Stale package lists name a version the mirror no longer has.
    log "apt-get download failed; running apt-get update and retrying"
    as_root apt-get update -qq
    (cd "$kdir/deb" && apt-get download -q "linux-image-$kver" >&2)
  fi
  dpkg-deb -x "$kdir"/deb/linux-image-"$kver"_*.deb "$kdir/root"
  [ -f "$kdir/root/boot/vmlinuz-$kver" ] || die "no /boot/vmlinuz-$kver in the package"
  rm -rf "$kdir/deb"
  touch "$kdir/ok"
fi
moddir=$kdir/root/lib/modules/$kver

# ---- 2. is the cached initramfs still what these inputs make?
versions=$(dpkg-query -W -f='${Package} ${Version}\n' busybox-static iperf3 iputils-ping libc6)
key=$( { cat "$0" "$here/init.sh"; echo "$kver"; echo "$versions"; } | sha256sum | cut -d' ' -f1)
if [ -f "$cache/initramfs.cpio.gz" ] && [ -f "$cache/vmlinuz" ] &&
   [ "$(cat "$cache/key" 2>/dev/null)" = "$key" ]; then
  log "up to date ($kver)"
  echo "$cache"
  exit 0
fi

# ---- 3. module load order from the modules' .modinfo `depends=` (a depth-first walk)
modpath() { find "$moddir/kernel" -name "$1.ko" -print -quit; }
moddeps() { tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | head -1 | tr ',' ' '; }
order=""
visit() {
  case " $order " in *" $1 "*) return ;; esac
  local f; f=$(modpath "$1")
  [ -n "$f" ] || die "module $1.ko is not in linux-image-$kver"
  local d
  for d in $(moddeps "$f"); do visit "$d"; done
  order="$order $1"
}
for m in $WANTED_MODULES; do visit "$m"; done
order=${order# }
log "module load order: $order"

# ---- 4. the initramfs tree
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc/softvf,lib/modules}
cp "$busybox" "$tree/bin/busybox"
for m in $order; do cp "$(modpath "$m")" "$tree/lib/modules/"; done
echo "$order" > "$tree/etc/softvf/modules"
for p in $PROGRAMS; do
  cp "$p" "$tree$p"
  for lib in $(ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$tree$(dirname "$lib")"
    cp -L "$lib" "$tree$lib"
  done
done
# usrmerge: /lib is a link to usr/lib on the host; the guest gets real directories, and
# the dynamic loader must be where the binaries' PT_INTERP says (/lib64/ld-linux-x86-64.so.2).
[ -e "$tree/lib64/ld-linux-x86-64.so.2" ] || die "the dynamic loader was not copied"
install -m 0755 "$here/init.sh" "$tree/init"
echo "$kver" > "$tree/etc/softvf/kernel"

# ---- 5. pack (busybox's cpio: newc, owned by root)
(cd "$tree" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) |
  gzip -6 > "$cache/initramfs.cpio.gz.new"
cp "$kdir/root/boot/vmlinuz-$kver" "$cache/vmlinuz.new"
mv "$cache/initramfs.cpio.gz.new" "$cache/initramfs.cpio.gz"
mv "$cache/vmlinuz.new" "$cache/vmlinuz"
echo "$key" > "$cache/key"
log "built $(du -h "$cache/initramfs.cpio.gz" | cut -f1) initramfs for $kver"
echo "$cache"
