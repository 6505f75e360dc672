#!/usr/bin/env python3
"""Minimal QUIC echo server and client on aioquic (the lab's QUIC scenario).

usage: quic_echo.py server PORT CERT KEY
       quic_echo.py client HOST PORT CAFILE KEYLOGFILE
ALPN "hq-lab". The client opens one bidirectional stream, sends a line, reads the echo,
prints the negotiated ALPN and closes. Exit 0 on success.
"""
import asyncio
import sys

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived

ALPN = ["hq-lab"]


class EchoServer(QuicConnectionProtocol):
    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived):
            self._quic.send_stream_data(event.stream_id, event.data, end_stream=event.end_stream)
            self.transmit()


async def run_server(port: int, cert: str, key: str) -> None:
    cfg = QuicConfiguration(is_client=False, alpn_protocols=ALPN)
    cfg.load_cert_chain(cert, key)
    await serve("0.0.0.0", port, configuration=cfg, create_protocol=EchoServer)
    await asyncio.Future()


async def run_client(host: str, port: int, cafile: str, keylog: str) -> int:
    cfg = QuicConfiguration(is_client=True, alpn_protocols=ALPN, server_name=host)
    cfg.load_verify_locations(cafile)
    with open(keylog, "a") as secrets:
        cfg.secrets_log_file = secrets
        async with connect(host, port, configuration=cfg) as client:
            reader, writer = await client.create_stream()
            writer.write(b"hello over quic\n")
            writer.write_eof()
            data = await asyncio.wait_for(reader.read(), timeout=10)
            print(f"alpn: {client._quic.tls.alpn_negotiated}")
            print(f"echo: {data.decode().strip()}")
            client.close()
    return 0


def main() -> int:
    if sys.argv[1] == "server":
        asyncio.run(run_server(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
        return 0
    return asyncio.run(run_client(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]))


if __name__ == "__main__":
    sys.exit(main())
