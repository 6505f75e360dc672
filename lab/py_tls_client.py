#!/usr/bin/env python3
"""Tiny TLS client built on Python's ssl module (the lab's "python-ssl" scenario).

usage: py_tls_client.py HOST PORT CAFILE [KEYLOGFILE]
Connects, verifies against CAFILE, sends one HTTP/1.0 GET, prints the negotiated
version, cipher and the response status line. Exit 0 on success, 1 on a TLS error.
"""
import socket
import ssl
import sys


def main() -> int:
    host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctx = ssl.create_default_context(cafile=cafile)
    if len(sys.argv) > 4:
        ctx.keylog_filename = sys.argv[4]
    print(f"client: Python {sys.version.split()[0]} {ssl.OPENSSL_VERSION}")
    try:
        with socket.create_connection((host, port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                print(f"version: {tls.version()}")
                print(f"cipher: {tls.cipher()[0]}")
                tls.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
                data = b""
                while True:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                status_line = data.split(b"\r\n", 1)[0].decode(errors="replace")
                print(f"response: {status_line}")
    except ssl.SSLError as exc:
        print(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
