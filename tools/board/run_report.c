/* What a run prints, for `boardnet run` and every board program (run_report.h). */
#include "run_report.h"
#include "bn_board.h"

#include <inttypes.h>

#include "lwip/api.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"

static FILE *stream;
static const char *link_tap;

void bn_report_set_stream(FILE *out)
{
  stream = out;
}

FILE *bn_report_stream(void)
{
  return stream != NULL ? stream : stdout;
}

void bn_report_seed(const bn_board_options *o)
{
  if (!o->seed_given) {
    FILE *out = bn_report_stream();
    fprintf(out, "boardnet: seed %" PRIu64 " (--seed %" PRIu64 " repeats this run's random choices for the same "
            "frames in the same order; on a TAP the kernel's own traffic can shift which frame is which: aim "
            "faults with match)\n", o->cfg.seed, o->cfg.seed);
    fflush(out);
  }
}

void bn_report_status(const char *wire, const char *name)
{
  FILE *out = bn_report_stream();
  bn_stack_status st;
  if (bn_stack_status_get(&st) < 0) {
    return;
  }
  char ip[IP4ADDR_STRLEN_MAX], gw[IP4ADDR_STRLEN_MAX], dns[IP4ADDR_STRLEN_MAX], server[IP4ADDR_STRLEN_MAX];
  ip4addr_ntoa_r(&st.ip, ip, sizeof(ip));
  ip4addr_ntoa_r(&st.gw, gw, sizeof(gw));
  ip4addr_ntoa_r(&st.dns[0], dns, sizeof(dns));
  ip4addr_ntoa_r(&st.dhcp_server, server, sizeof(server));
  int prefix = __builtin_popcount(ip4_addr_get_u32(&st.netmask));
  /* One line in one write: the scenario's first steps print from another thread meanwhile. */
  char line[256];
  int n = snprintf(line, sizeof(line), "boardnet: board %s up on %s %s: mac %02x:%02x:%02x:%02x:%02x:%02x, ip %s/%d",
                   bn_board_name(), wire, name, st.mac[0], st.mac[1], st.mac[2], st.mac[3], st.mac[4], st.mac[5], ip, prefix);
  if (!ip4_addr_isany_val(st.gw) && n > 0 && (size_t)n < sizeof(line)) {
    n += snprintf(line + n, sizeof(line) - (size_t)n, ", gw %s", gw);
  }
  if (!ip4_addr_isany_val(st.dns[0]) && n > 0 && (size_t)n < sizeof(line)) {
    n += snprintf(line + n, sizeof(line) - (size_t)n, ", dns %s", dns);
  }
  if (st.lease_s != 0 && n > 0 && (size_t)n < sizeof(line)) {
    snprintf(line + n, sizeof(line) - (size_t)n, " (DHCP lease %" PRIu32 " s from %s)", st.lease_s, server);
  }
  fprintf(out, "%s\n", line);
  fflush(out);
}

/* lwIP's link callback (tcpip context or the receive thread, core locked). */
static void on_link_change(struct netif *netif)
{
  FILE *out = bn_report_stream();
  fprintf(out, "boardnet: link %s on tap %s\n", netif_is_link_up(netif) ? "up" : "down", link_tap);
  fflush(out);
}

void bn_report_link_changes(const char *tap)
{
  bn_netif *bn = bn_stack_netif();
  if (bn == NULL) {
    return;
  }
  link_tap = tap;
  LOCK_TCPIP_CORE();
  netif_set_link_callback(bn_netif_lwip(bn), on_link_change);
  UNLOCK_TCPIP_CORE();
}

/* Why netconn_gethostbyname() failed, in words (lwip_strerr() is "" unless LWIP_DEBUG). */
static const char *resolve_strerror(err_t err)
{
  switch (err) {
  case ERR_VAL: return "no address (no DNS server set, the server has no such name or refused, or no answer)";
  case ERR_ARG: return "invalid name";
  case ERR_MEM: return "out of memory";
  default:      return "lwIP error";
  }
}

int bn_report_resolve(const char *const *names, int count)
{
  FILE *out = bn_report_stream();
  int failures = 0;
  for (int i = 0; i < count; i++) {
    ip_addr_t addr;
    err_t err = netconn_gethostbyname(names[i], &addr);
    if (err == ERR_OK) {
      char text[IPADDR_STRLEN_MAX];
      ipaddr_ntoa_r(&addr, text, sizeof(text));
      fprintf(out, "boardnet: resolved %s to %s\n", names[i], text);
    } else {
      fprintf(stderr, "boardnet: cannot resolve %s: %s\n", names[i], resolve_strerror(err));
      failures++;
    }
  }
  fflush(out);
  return failures;
}

void bn_report_summary(const char *why, double seconds, const bn_stack_status *st,
                       const bn_record_stats *rec, const char *record_path)
{
  FILE *out = bn_report_stream();
  const bn_netif_counters *c = &st->counters;
  fprintf(out, "boardnet: stopped (%s) after %.1f s: rx %" PRIu64 " frames %" PRIu64 " bytes, "
          "tx %" PRIu64 " frames %" PRIu64 " bytes, dropped rx %" PRIu64 " tx %" PRIu64,
          why, seconds, c->rx_frames, c->rx_bytes, c->tx_frames, c->tx_bytes, c->rx_dropped, c->tx_dropped);
  if (rec != NULL) {
    fprintf(out, ", recorded %" PRIu64 " frames to %s", rec->frames,
            record_path[0] == '-' && record_path[1] == '\0' ? "standard output" : record_path);
    if (rec->files > 1) {
      fprintf(out, " (%u files)", rec->files);
    }
    if (rec->error != 0) {
      fprintf(out, " (stopped early)");
    }
  }
  fprintf(out, "\n");
  fflush(out);
}
