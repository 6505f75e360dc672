#ifndef HELLOSCOPE_CPCAP_SHIM_H
#define HELLOSCOPE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
