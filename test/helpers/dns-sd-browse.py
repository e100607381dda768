"""A DNS-SD client as OSCQuery tools use one: browses _oscjson._tcp and _osc._udp with python-zeroconf
(Debian's python3-zeroconf) on the given interface, and prints each service found (name, port,
addresses) and each one withdrawn, one JSON object a line. Beside it, it counts the mDNS responses that
mention pagebridge by the interface they arrived on (IP_PKTINFO), so that a test can tell where the
bridge's advertisement went. Run by test/helpers/mdns-namespace.ts inside a network namespace of its
own (test/oscquery.test.ts); it exits when its standard input closes, printing the counts last.

    dns-sd-browse.py <browse interface address> <sniffed interface address>...
"""
import json
import socket
import struct
import sys
import threading

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

TYPES = ['_oscjson._tcp.local.', '_osc._udp.local.']
GROUP = '224.0.0.251'
IP_PKTINFO = getattr(socket, 'IP_PKTINFO', 8)
lock = threading.Lock()


def say(event):
    with lock:
        print(json.dumps(event), flush=True)


def sniff(addresses, counts, stop):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, 'SO_REUSEPORT'):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(('0.0.0.0', 5353))
    for address in addresses:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + socket.inet_aton(address))
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            data, ancillary, _flags, _source = s.recvmsg(9000, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        # Responses only (the QR bit), and only the bridge's.
        if len(data) < 3 or not data[2] & 0x80 or b'pagebridge' not in data:
            continue
        for level, kind, value in ancillary:
            if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                name = socket.if_indextoname(struct.unpack('i', value[:4])[0])
                with lock:
                    counts[name] = counts.get(name, 0) + 1
    s.close()


def main():
    browse_on, sniffed = sys.argv[1], sys.argv[2:]
    counts, stop = {}, threading.Event()
    sniffer = threading.Thread(target=sniff, args=(sniffed, counts, stop), daemon=True)
    sniffer.start()
    zc = Zeroconf(interfaces=[browse_on], ip_version=IPVersion.V4Only)

    def changed(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Removed:
            say({'event': 'removed', 'type': service_type, 'name': name})
            return
        if state_change is not ServiceStateChange.Added:
            return
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        say({
            'event': 'found', 'type': service_type, 'name': name,
            'port': info.port if info else None,
            'addresses': info.parsed_addresses() if info else [],
            'server': info.server if info else None,
        })

    browser = ServiceBrowser(zc, TYPES, handlers=[changed])
    say({'event': 'ready'})
    sys.stdin.read()
    browser.cancel()
    zc.close()
    stop.set()
    sniffer.join()
    say({'event': 'responses', 'byInterface': counts})


main()
