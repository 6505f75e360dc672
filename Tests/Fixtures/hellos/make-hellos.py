#!/usr/bin/env python3
"""Writes real ClientHello records produced by the system's OpenSSL through Python's ssl module.

No network: the handshake runs into a memory BIO and the first flight (the ClientHello record) is saved as hex.
Rerun: python3 Tests/Fixtures/hellos/make-hellos.py  (outputs differ in random, session id and key shares only)
"""
import os, ssl, sys

here = os.path.dirname(os.path.abspath(__file__))

def hello(name, ctx, sni, alpn=None):
    if alpn:
        ctx.set_alpn_protocols(alpn)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = outgoing.read()
    with open(os.path.join(here, name + ".hex"), "w") as f:
        f.write(data.hex() + "\n")
    print(name, len(data), "bytes", ssl.OPENSSL_VERSION)

c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
hello("python-default", c, "good.lab.test", ["h2", "http/1.1"])
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
c.maximum_version = ssl.TLSVersion.TLSv1_2
hello("python-tls12", c, "tls12.lab.test")
