#!/usr/bin/env bash
# Boots softvf's test guest (prepare-guest.sh) with its virtio-net NIC on a softvf VF's
# vhost-user socket. The serial console is this script's stdin/stdout; the QEMU process
# replaces the script (exec), so its PID is the caller's child.
#
#   run-guest.sh --socket PATH [--server] [--mac MAC] [--ip CIDR] [--mtu N] [--run WHAT]
#                [--peer IP] [--mem MB] [--host-mtu N] [--queues N] [-- KERNEL WORDS...]
#
#   --socket PATH  the VF's vhost-user socket. QEMU is the client (the VF attached in
#                  softvf's default server mode), reconnecting every second if softvf
#                  goes away; with --server QEMU listens on PATH instead (attach the VF
#                  with `softvf attach PF vf N vhost-user PATH client`) and waits for
#                  softvf to connect before the guest starts.
#   --mac MAC      the NIC's MAC (QEMU's mac=): give it the VF's MAC, spoof check drops
#                  frames from any other source.
#   --ip, --mtu, --run, --peer   SOFTVF_IP, SOFTVF_MTU, SOFTVF_RUN, SOFTVF_PEER for the
#                  guest's init (init.sh); default run: the console agent.
#   --host-mtu N   virtio-net's host_mtu (VIRTIO_NET_F_MTU): the guest's MTU and its cap.
#   --queues N     N queue pairs (at most the VF's, the profile's queues_per_vf) and N
#                  vCPUs, so the guest's driver uses them all (it uses one per CPU).
#
# Environment: SOFTVF_GUEST_CACHE (prepare-guest.sh's cache), SOFTVF_GUEST_ACCEL=tcg
# (default) | kvm, SOFTVF_GUEST_CPU (with kvm; default host), QEMU=qemu-system-x86_64.
#
# Why these QEMU options:
#  - vhost-user needs the guest's RAM in shareable memory the back end can map:
#    memory-backend-memfd,share=on as the RAM of NUMA node 0.
#  - vectors=0: QEMU 7.2 under TCG crashes (SIGSEGV in vhost_net_start ->
#    msix_set_vector_notifiers) when a guest starts a vhost-user virtio-net with MSI-X;
#    with no vectors the device uses INTx.
#  - romfile= skips the iPXE option ROM (the kernel is booted directly).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${SOFTVF_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvf-guest}

socket="" server=0 mac="" ip="" mtu="" run="" peer="" mem=256 host_mtu="" queues=1 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --socket) socket=$2; shift 2 ;;
    --server) server=1; shift ;;
    --mac) mac=$2; shift 2 ;;
    --ip) ip=$2; shift 2 ;;
    --mtu) mtu=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --peer) peer=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --host-mtu) host_mtu=$2; shift 2 ;;
    --queues) queues=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run-guest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$socket" ] || { echo "run-guest.sh: --socket PATH is required" >&2; exit 2; }
[ -f "$cache/vmlinuz" ] && [ -f "$cache/initramfs.cpio.gz" ] ||
  { echo "run-guest.sh: no guest in $cache; run $here/prepare-guest.sh" >&2; exit 1; }

if [ "$server" = 1 ]; then
  chardev="socket,id=vf,path=$socket,server=on,wait=off"
else
  chardev="socket,id=vf,path=$socket,reconnect=1"
fi
nic="virtio-net-pci,netdev=n0,romfile=,vectors=0"
netdev="vhost-user,id=n0,chardev=vf"
[ "$queues" -gt 1 ] && { netdev+=",queues=$queues"; nic+=",mq=on"; }
[ -n "$mac" ] && nic+=",mac=$mac"
[ -n "$host_mtu" ] && nic+=",host_mtu=$host_mtu"

append="console=ttyS0 quiet panic=-1"
[ -n "$ip" ] && append+=" SOFTVF_IP=$ip"
[ -n "$mtu" ] && append+=" SOFTVF_MTU=$mtu"
[ -n "$run" ] && append+=" SOFTVF_RUN=$run"
[ -n "$peer" ] && append+=" SOFTVF_PEER=$peer"
[ ${#extra[@]} -gt 0 ] && append+=" ${extra[*]}"

accel=(-accel tcg)
[ "${SOFTVF_GUEST_ACCEL:-tcg}" = kvm ] && accel=(-accel kvm -cpu "${SOFTVF_GUEST_CPU:-host}")

exec "${QEMU:-qemu-system-x86_64}" "${accel[@]}" -m "$mem" -smp "$queues" \
  -object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem \
  -chardev "$chardev" -netdev "$netdev" -device "$nic" \
  -nodefaults -no-user-config -display none -serial stdio -no-reboot \
  -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz" -append "$append"
