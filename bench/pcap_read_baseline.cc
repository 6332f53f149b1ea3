// The baseline for bench/read_throughput: a bare libpcap read loop over a
// capture file that touches every byte (so the work is not optimised away)
// and does nothing else. Prints "packets bytes checksum".

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
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
