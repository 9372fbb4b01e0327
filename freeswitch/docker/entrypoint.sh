#!/bin/sh
# Entry point of the lab's FreeSWITCH container (docker-compose.yml runs it with /bin/sh, so the
# file needs no exec bit). It lays the queue-callback files over a stock FreeSWITCH 1.10
# configuration and then starts FreeSWITCH the way the image would.
#
# Why not mount the files straight over /etc/freeswitch: the image (safarov/freeswitch, built
# from FreeSWITCH's docker/base_image) copies its stock configuration into /etc/freeswitch on
# first start only when /etc/freeswitch/freeswitch.xml is missing, and copying onto read-only
# bind mounts would fail half-way. Here the stock copy is made first, then ours on top, on every
# start, so the repo's files are always the ones in use. /etc/freeswitch stays in the
# container's own layer: `docker compose down` forgets it, the repo does not.
#
# Plain POSIX sh: the image's shell is busybox.
set -eu

SRC=${QCB_FREESWITCH_SRC:-/opt/qcb/freeswitch}   # ./freeswitch, mounted read-only
CONF=/etc/freeswitch                              # the image's configuration directory
STOCK=/usr/share/freeswitch/conf/vanilla          # the image's copy of the stock configuration

# 1. A stock configuration to start from (what the image's own entry point would do).
if [ ! -f "$CONF/freeswitch.xml" ]; then
  if [ ! -f "$STOCK/freeswitch.xml" ]; then
    echo "qcb: neither $CONF/freeswitch.xml nor $STOCK: not the image layout this script knows" >&2
    exit 1
  fi
  mkdir -p "$CONF"
  cp -R "$STOCK/." "$CONF/"
  echo "qcb: copied the stock configuration from $STOCK"
fi

# The image replaces the stock SIP password 1234 by a random one on first start, but skips that
# when freeswitch.xml exists, which step 1 makes sure of: do it here. It guards the stock demo
# users (1000, 1005-1019, ...); the queue-callback users use QCB_SIP_PASSWORD.
if grep -q 'default_password=1234"' "$CONF/vars.xml"; then
  pw=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)
  sed -i "s/default_password=1234\"/default_password=$pw\"/" "$CONF/vars.xml"
fi

# The stock vars.xml asks a public STUN server for the external address at every start and
# reloadxml (stun-set), for the stock "external" profile, which the lab does not use. Use the
# container's address instead: no traffic to the Internet, no start-up delay when offline.
# (The double-dollar variable is FreeSWITCH's, written into vars.xml as it is.)
# shellcheck disable=SC2016
sed -i 's|cmd="stun-set" data="\(external_[a-z]*_ip\)=stun:[^"]*"|cmd="set" data="\1=$${local_ip_v4}"|' "$CONF/vars.xml"

# 2. The queue-callback drop-in files (freeswitch/README.md), then the lab-only ones.
for dir in autoload_configs dialplan directory; do
  mkdir -p "$CONF/$dir"
  cp -R "$SRC/$dir/." "$CONF/$dir/"
done
cp "$SRC/qcb_vars.xml" "$CONF/qcb_vars.xml"
cp -R "$SRC/docker/conf/." "$CONF/"

# 3. The one line that loads qcb_vars.xml, at the end of vars.xml, once.
if ! grep -q 'data="qcb_vars.xml"' "$CONF/vars.xml"; then
  echo '<X-PRE-PROCESS cmd="include" data="qcb_vars.xml"/>' >> "$CONF/vars.xml"
fi

# Who may open the inbound ESL besides loopback: unless told (QCB_ESL_ALLOW_CIDR), the networks
# of this container's interfaces, i.e. the compose network, whatever subnet Docker picked for
# it: the worker's container, and the host through the 127.0.0.1:8021 mapping (Docker relays
# that from the network's gateway). Without the `ip` tool: the private ranges Docker allocates
# from. (A CIDR written with the host's own address, 172.18.0.5/24, counts as its network:
# FreeSWITCH masks both sides, switch_test_subnet.)
if [ -z "${QCB_ESL_ALLOW_CIDR:-}" ]; then
  nets=$(ip -o -4 addr show scope global 2>/dev/null | awk '{ printf "%s%s", sep, $4; sep = "," }') || nets=
  QCB_ESL_ALLOW_CIDR=${nets:-10.0.0.0/8,172.16.0.0/12,192.168.0.0/16}
  export QCB_ESL_ALLOW_CIDR
fi
echo "qcb: inbound ESL allowed from loopback and $QCB_ESL_ALLOW_CIDR"

if [ "${ESL_PASSWORD:-ClueCon}" = ClueCon ]; then
  echo "qcb: WARNING: the ESL password is FreeSWITCH's well-known default (set ESL_PASSWORD)" >&2
fi

# 4. Start FreeSWITCH: through the image's entry point when it has one (it also downloads the
#    stock sounds named by SOUND_RATES/SOUND_TYPES and stops FreeSWITCH cleanly on SIGTERM),
#    else directly, in the foreground (-nf) without a console (-nc), not probing for NAT.
if [ -x /docker-entrypoint.sh ]; then
  exec /docker-entrypoint.sh "$@"
fi
exec /usr/bin/freeswitch -nf -nc -nonat "$@"
