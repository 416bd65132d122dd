#!/bin/busybox sh
# /init of softvf's test guest (packed by prepare-guest.sh): loads the virtio modules,
# configures eth0 from the kernel command line, then serves the test harness on the
# console or runs one scripted test and powers off.
#
# Kernel command-line words (the kernel hands unknown NAME=VALUE words to init as
# environment variables):
#   SOFTVF_IP=10.0.0.2/24   eth0's address (none if unset)
#   SOFTVF_MAC=02:..        eth0's MAC (default: the one QEMU's -device mac= gave it)
#   SOFTVF_MTU=1500         eth0's MTU (default: what the driver chose)
#   SOFTVF_RUN=agent        what to do once eth0 is up:
#     agent          (default) read "ID COMMAND" lines from the console, run each COMMAND
#                    with sh -c, framed by "SOFTVF-BEGIN ID" and "SOFTVF-END ID rc=N"
#     shell          an interactive shell on the console
#     ping           softvf-test ping $SOFTVF_PEER $SOFTVF_COUNT $SOFTVF_SIZE, power off
#     iperf3-server  one iperf3 server run (iperf3 -s -1), power off
#     iperf3-client  softvf-test iperf3 $SOFTVF_PEER $SOFTVF_TIME, power off
#   SOFTVF_PEER, SOFTVF_COUNT (5), SOFTVF_SIZE (56), SOFTVF_TIME (5): the tests' arguments
#
# Markers on the console, one per line, for whoever reads the serial log:
#   SOFTVF-READY kernel=.. eth0=MAC ip=.. mtu=.. uptime=S
#   SOFTVF-RESULT ping ok|fail RECEIVED/SENT [rtt_avg_ms=X]
#   SOFTVF-RESULT iperf3 ok|fail [sender_mbps=X receiver_mbps=Y]
#   SOFTVF-ERROR what went wrong
#
# The same file is /bin/softvf-test in the guest: `softvf-test ping|iperf3 ...`.

export PATH=/usr/bin:/usr/sbin:/bin:/sbin

ping_test() {  # PEER [COUNT] [SIZE] [extra ping options...]: iputils ping, one result line
  peer=$1; count=${2:-5}; size=${3:-56}
  shift; [ $# -gt 0 ] && shift; [ $# -gt 0 ] && shift
  out=$(/usr/bin/ping -n -c "$count" -i 0.2 -W 1 -s "$size" "$@" "$peer" 2>&1)
  echo "$out"
  received=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  avg=$(echo "$out" | sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
  [ -n "$received" ] || received=0
  if [ "$received" = "$count" ]; then
    echo "SOFTVF-RESULT ping ok $received/$count rtt_avg_ms=$avg"
  else
    echo "SOFTVF-RESULT ping fail $received/$count${avg:+ rtt_avg_ms=$avg}"
  fi
}

iperf3_test() {  # PEER [SECONDS]: a TCP stream to an iperf3 server, one result line
  peer=$1; secs=${2:-5}
  out=$(/usr/bin/iperf3 -c "$peer" -t "$secs" -O 1 -f m 2>&1)
  rc=$?
  echo "$out"
  snd=$(echo "$out" | awk '/sender$/ { for (i = 1; i < NF; i++) if ($(i+1) == "Mbits/sec") v = $i } END { print v }')
  rcv=$(echo "$out" | awk '/receiver$/ { for (i = 1; i < NF; i++) if ($(i+1) == "Mbits/sec") v = $i } END { print v }')
  if [ $rc -eq 0 ] && [ -n "$rcv" ]; then
    echo "SOFTVF-RESULT iperf3 ok sender_mbps=$snd receiver_mbps=$rcv"
  else
    echo "SOFTVF-RESULT iperf3 fail rc=$rc"
  fi
}

if [ $$ -ne 1 ]; then  # run as softvf-test
  case "$1" in
    ping) shift; ping_test "$@" ;;
    iperf3) shift; iperf3_test "$@" ;;
    *) echo "usage: softvf-test ping PEER [COUNT] [SIZE] [ping options] | iperf3 PEER [SECONDS]" >&2; exit 2 ;;
  esac
  exit 0
fi

# ---- PID 1
/bin/busybox mkdir -p /proc /sys /dev /tmp /run
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
exec </dev/console >/dev/console 2>&1
printf '#!/bin/sh\nexec /init "$@"\n' > /bin/softvf-test
chmod +x /bin/softvf-test

fail() {
  echo "SOFTVF-ERROR $*"
  poweroff -f
}

for m in $(cat /etc/softvf/modules); do
  insmod /lib/modules/$m.ko || echo "SOFTVF-ERROR insmod $m failed"
done
ip link set lo up

n=0
while [ ! -e /sys/class/net/eth0 ]; do
  n=$((n + 1))
  [ $n -le 100 ] || fail "no eth0 after 10 s (virtio-net device missing?)"
  sleep 0.1
done
[ -n "$SOFTVF_MAC" ] && { ip link set eth0 address "$SOFTVF_MAC" || fail "cannot set MAC $SOFTVF_MAC"; }
[ -n "$SOFTVF_MTU" ] && { ip link set eth0 mtu "$SOFTVF_MTU" || fail "cannot set MTU $SOFTVF_MTU"; }
[ -n "$SOFTVF_IP" ] && { ip addr add "$SOFTVF_IP" dev eth0 || fail "cannot set address $SOFTVF_IP"; }
ip link set eth0 up
echo "SOFTVF-READY kernel=$(uname -r) eth0=$(cat /sys/class/net/eth0/address)" \
     "ip=${SOFTVF_IP:-none} mtu=$(cat /sys/class/net/eth0/mtu) uptime=$(cut -d' ' -f1 /proc/uptime)"

case "${SOFTVF_RUN:-agent}" in
  agent)
    stty -echo 2>/dev/null
    echo "SOFTVF-AGENT listening"
    while IFS= read -r line; do
      id=${line%% *}
      cmd=${line#* }
      echo "SOFTVF-BEGIN $id"
      sh -c "$cmd" </dev/null 2>&1
      echo "SOFTVF-END $id rc=$?"
    done
    fail "console closed"
    ;;
  shell)
    exec setsid cttyhack sh
    ;;
  ping)
    ping_test "$SOFTVF_PEER" "${SOFTVF_COUNT:-5}" "${SOFTVF_SIZE:-56}"
    ;;
  iperf3-server)
    /usr/bin/iperf3 -s -1 -f m
    echo "SOFTVF-RESULT iperf3-server done rc=$?"
    ;;
  iperf3-client)
    iperf3_test "$SOFTVF_PEER" "${SOFTVF_TIME:-5}"
    ;;
  *)
    echo "SOFTVF-ERROR unknown SOFTVF_RUN=$SOFTVF_RUN"
    ;;
esac
grep eth0 /proc/net/dev
poweroff -f
