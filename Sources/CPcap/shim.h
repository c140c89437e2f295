#ifndef RESPCAP_CPCAP_SHIM_H
#define RESPCAP_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
