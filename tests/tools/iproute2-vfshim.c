#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>

static char pend[1<<20]; static ssize_t pend_len = -1; static int pend_fd = -1;
static char pend_name[128]; static socklen_t pend_namelen;
static char out[1<<20];

static int put(char *b, int off, int type, const void *d, int len) {
	struct rtattr *a = (struct rtattr *)(b + off);
	a->rta_type = type; a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), d, len);
	memset((char*)RTA_DATA(a) + len, 0, RTA_ALIGN(a->rta_len) - a->rta_len);
	return off + RTA_ALIGN(a->rta_len);
}
static int nest_start(char *b, int off, int type, int *start) {
	struct rtattr *a = (struct rtattr *)(b + off); a->rta_type = type; *start = off; return off + RTA_LENGTH(0);
}
static void nest_end(char *b, int start, int off) { ((struct rtattr *)(b + start))->rta_len = off - start; }
static int put64(char *b, int off, int type, uint64_t v) { return put(b, off, type, &v, 8); }

struct vfcfg { unsigned char mac[6]; int vlan, qos, proto, maxr, minr, spoof, ls, rss, trust; uint64_t st[9]; };

static int add_vf(char *b, int off, int idx, struct vfcfg *c, int stats) {
	int s, s2, s3;
	off = nest_start(b, off, IFLA_VF_INFO, &s);
	struct ifla_vf_mac m = { .vf = idx }; memcpy(m.mac, c->mac, 6); off = put(b, off, IFLA_VF_MAC, &m, sizeof m);
	struct ifla_vf_broadcast bc; memset(&bc, 0, sizeof bc); memset(bc.broadcast, 0xff, 6); off = put(b, off, IFLA_VF_BROADCAST, &bc, sizeof bc);
	struct ifla_vf_vlan v = { .vf = idx, .vlan = c->vlan, .qos = c->qos }; off = put(b, off, IFLA_VF_VLAN, &v, sizeof v);
	struct ifla_vf_rate r = { .vf = idx, .min_tx_rate = c->minr, .max_tx_rate = c->maxr }; off = put(b, off, IFLA_VF_RATE, &r, sizeof r);
	struct ifla_vf_tx_rate t = { .vf = idx, .rate = c->maxr }; off = put(b, off, IFLA_VF_TX_RATE, &t, sizeof t);
	struct ifla_vf_spoofchk sp = { .vf = idx, .setting = c->spoof }; off = put(b, off, IFLA_VF_SPOOFCHK, &sp, sizeof sp);
	struct ifla_vf_link_state ls = { .vf = idx, .link_state = c->ls }; off = put(b, off, IFLA_VF_LINK_STATE, &ls, sizeof ls);
	struct ifla_vf_rss_query_en rq = { .vf = idx, .setting = c->rss }; off = put(b, off, IFLA_VF_RSS_QUERY_EN, &rq, sizeof rq);
	struct ifla_vf_trust tr = { .vf = idx, .setting = c->trust }; off = put(b, off, IFLA_VF_TRUST, &tr, sizeof tr);
	off = nest_start(b, off, IFLA_VF_VLAN_LIST, &s2);
	struct ifla_vf_vlan_info vi = { .vf = idx, .vlan = c->vlan, .qos = c->qos, .vlan_proto = htons(c->proto) };
	off = put(b, off, IFLA_VF_VLAN_INFO, &vi, sizeof vi);
	nest_end(b, s2, off);
	if (stats) {
		off = nest_start(b, off, IFLA_VF_STATS, &s3);
		for (int k = 0; k <= 8; k++) { if (k == IFLA_VF_STATS_PAD) continue; if (k >= 7 && getenv("VFSHIM_NODROP")) continue; off = put64(b, off, k, c->st[k]); }
		nest_end(b, s3, off);
	}
	nest_end(b, s, off);
	return off;
}

static ssize_t transform(char *in, ssize_t n, char *o) {
	const char *dev = getenv("VFSHIM_DEV"); ssize_t w = 0;
	for (struct nlmsghdr *h = (struct nlmsghdr *)in; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		memcpy(o + w, h, h->nlmsg_len);
		struct nlmsghdr *oh = (struct nlmsghdr *)(o + w);
		if (h->nlmsg_type == RTM_NEWLINK && dev) {
			struct ifinfomsg *ifi = NLMSG_DATA(h); int len = h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi);
			int match = 0;
			for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFLA_IFNAME && !strcmp(RTA_DATA(a), dev)) match = 1;
			if (match) {
				char *b = (char *)oh; int s; int hdr = NLMSG_LENGTH(sizeof *ifi); int off = hdr;
				int origattrs = h->nlmsg_len - hdr;
				if (getenv("VFSHIM_PERM")) { unsigned char p[6] = {0x00,0x1b,0x21,0xaa,0xbb,0xcc}; off = put(b, off, IFLA_PERM_ADDRESS, p, 6); }
				uint32_t nvf = 2; off = put(b, off, IFLA_NUM_VF, &nvf, 4);
				off = nest_start(b, off, IFLA_VFINFO_LIST, &s);
				struct vfcfg c0 = { {0,0,0,0,0,0}, 0, 0, ETH_P_8021Q, 0, 0, 1, 0, -1, 0, {0} };
				struct vfcfg c1 = { {0xfa,0x16,0x3e,0x11,0x22,0x33}, 100, 3, ETH_P_8021AD, 1000, 100, 1, 2, -1, 1,
					{ 1234, 5678, 123456789, 98765, 7, 42, 0, 3, 1 } };
				int stats = getenv("VFSHIM_STATS") != NULL;
				if (getenv("VFSHIM_ALT")) { c0.spoof = -1; c0.trust = -1; c0.rss = 1; c0.ls = 1; c0.vlan = 5; c1.rss = 0; c1.spoof = 0; c1.proto = ETH_P_8021Q; c1.maxr = 0; c1.minr = 0; }
				off = add_vf(b, off, 0, &c0, stats);
				off = add_vf(b, off, 1, &c1, stats);
				nest_end(b, s, off);
				memcpy(b + off, (char *)h + hdr, origattrs);
				if (getenv("VFSHIM_S64")) {
					int l2 = origattrs;
					for (struct rtattr *a = (struct rtattr *)(b + off); RTA_OK(a, l2); a = RTA_NEXT(a, l2)) {
						if (a->rta_type != IFLA_STATS64) continue;
						uint64_t *u = RTA_DATA(a); char *e = strdup(getenv("VFSHIM_S64")), *tok, *sv;
						for (tok = strtok_r(e, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv)) {
							int i; unsigned long long v; if (sscanf(tok, "%d=%llu", &i, &v) == 2) u[i] = v; }
					}
				}
				off += origattrs;
				oh->nlmsg_len = off;
			}
		}
		w += NLMSG_ALIGN(oh->nlmsg_len);
	}
	return w;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
	static ssize_t (*real)(int, struct msghdr *, int);
	if (!real) real = dlsym(RTLD_NEXT, "recvmsg");
	struct sockaddr_storage ss; socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) || ss.ss_family != AF_NETLINK) return real(fd, msg, flags);
	if (pend_len < 0 || pend_fd != fd) {
		struct iovec iov = { pend, sizeof pend };
		struct msghdr m = { .msg_name = pend_name, .msg_namelen = sizeof pend_name, .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = real(fd, &m, flags & ~(MSG_PEEK | MSG_TRUNC));
		if (n < 0) return n;
		pend_namelen = m.msg_namelen;
		pend_len = transform(pend, n, out); memcpy(pend, out, pend_len); pend_fd = fd;
	}
	size_t cap = msg->msg_iovlen ? msg->msg_iov[0].iov_len : 0;
	size_t cp = (size_t)pend_len < cap ? (size_t)pend_len : cap;
	if (cp) memcpy(msg->msg_iov[0].iov_base, pend, cp);
	if (msg->msg_name) { memcpy(msg->msg_name, pend_name, pend_namelen); msg->msg_namelen = pend_namelen; }
	msg->msg_flags = (size_t)pend_len > cap ? MSG_TRUNC : 0;
	ssize_t ret = (flags & MSG_TRUNC) ? pend_len : (ssize_t)cp;
	if (!(flags & MSG_PEEK)) pend_len = -1;
	return ret;
}
