// The baseline for bench/read_throughput: a bare libpcap read loop over a
// capture file that touches every byte (so the work is not optimised away)
// and does nothing else. Prints "packets bytes checksum".
//
//   pcap_read_baseline [--buffered] FILE
//       --buffered: the file read through a 1 MiB stdio buffer, as dnsleakd
//       reads it, instead of libpcap's default (4 KiB read calls).
//   pcap_read_baseline --live IFACE SECONDS [TIMEOUT_MS]
//       the same loop on a live interface (no filter, an 8 MiB buffer as the
//       daemon's default, a buffer timeout of TIMEOUT_MS, default 100), for
//       SECONDS or until SIGTERM; prints "packets bytes checksum
//       kernel_drops": the baseline for bench/run.py's live drops, and with
//       the daemon's capture.delivery_ms for what waking that often costs.

#include <pcap/pcap.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace {

volatile std::sig_atomic_t stop_requested = 0;

int live(const char* iface, int seconds, int timeout_ms) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_create(iface, errbuf);
  if (!p) {
    std::fprintf(stderr, "%s\n", errbuf);
    return 1;
  }
  pcap_set_snaplen(p, 65535);
  pcap_set_buffer_size(p, 8 << 20);
  pcap_set_timeout(p, timeout_ms);
  if (pcap_activate(p) < 0) {
    std::fprintf(stderr, "%s\n", pcap_geterr(p));
    return 1;
  }
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::fprintf(stdout, "ready\n");
  std::fflush(stdout);
  std::uint64_t packets = 0, bytes = 0, sum = 0;
  std::time_t end = std::time(nullptr) + seconds;
  struct pcap_pkthdr* header;
  const u_char* data;
  while (!stop_requested && std::time(nullptr) < end) {
    int r = pcap_next_ex(p, &header, &data);
    if (r < 0) break;
    if (r == 0) continue;
    ++packets;
    bytes += header->caplen;
    for (bpf_u_int32 i = 0; i < header->caplen; ++i) sum += data[i];
  }
  struct pcap_stat st{};
  pcap_stats(p, &st);
  pcap_close(p);
  std::printf("%llu %llu %llu %u\n", static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(sum), st.ps_drop);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc == 4 || argc == 5) && std::string_view(argv[1]) == "--live") {
    return live(argv[2], std::atoi(argv[3]), argc == 5 ? std::atoi(argv[4]) : 100);
  }
  const bool buffered = argc == 3 && std::string_view(argv[1]) == "--buffered";
  if (argc != 2 && !buffered) {
    std::fprintf(stderr, "usage: %s [--buffered] FILE\n", argv[0]);
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = nullptr;
  static char buffer[1 << 20];
  if (buffered) {
    // The file read a MiB at a time, as dnsleakd reads it: the loop
    // without stdio's 4 KiB read system calls.
    std::FILE* f = std::fopen(argv[2], "rb");
    if (!f) {
      std::perror(argv[2]);
      return 1;
    }
    std::setvbuf(f, buffer, _IOFBF, sizeof buffer);
    p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  } else {
    p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
  }
  if (!p) {
    std::fprintf(stderr, "%s\n", errbuf);
    return 1;
  }
  std::uint64_t packets = 0, bytes = 0, sum = 0;
  struct pcap_pkthdr* header;
  const u_char* data;
  while (pcap_next_ex(p, &header, &data) == 1) {
    ++packets;
    bytes += header->caplen;
    for (bpf_u_int32 i = 0; i < header->caplen; ++i) sum += data[i];
  }
  pcap_close(p);
  std::printf("%llu %llu %llu\n", static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(sum));
  return 0;
}
