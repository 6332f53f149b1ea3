#!/usr/bin/python3
"""A DNS-over-HTTPS server and client of the tests' own (RFC 8484 over
HTTP/2 and TLS, with python3-h2), for a resolver no list names.

    doh_peer.py server ADDRESS PORT CERT KEY
        Answers every POST of application/dns-message with one A record
        (and GET /page/N with N bytes, GET /status with a little JSON: an
        ordinary site and an API, the negatives beside DoH):
        10.79.0.N, N from the name; and accepts TCP on port 443 of any
        address it holds (give it 10.79.0.0/24 with a local route), reading
        until the client goes. Runs until killed.

    doh_peer.py client ADDRESS PORT SNI [--no-follow] NAME...
        One connection (ALPN h2, the given server name, the certificate not
        checked); for each name a POST /dns-query, then a TCP connection to
        the address it got, port 443, and a TLS ClientHello naming it, as a
        browser opens a page after resolving its name: a name no DNS on
        the path resolved (not with --no-follow). Prints each name and
        address.
"""
import socket
import ssl
import struct
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events


def address_for(name):
    return "10.79.0.%d" % (1 + sum(name.encode()) % 200)


def question(message):
    """The first question's name and the offset past it."""
    labels = []
    at = 12
    while message[at]:
        n = message[at]
        labels.append(message[at + 1:at + 1 + n].decode())
        at += 1 + n
    return ".".join(labels), at + 5


def answer(query):
    name, end = question(query)
    header = query[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00"
    record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(address_for(name))
    return header + query[12:end] + record


def sink():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 443))
    listener.listen(64)
    while True:
        peer, _ = listener.accept()
        peer.settimeout(2)
        try:
            while peer.recv(65535):
                pass
        except OSError:
            pass
        peer.close()


def serve(address, port, cert, key):
    threading.Thread(target=sink, daemon=True).start()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(8)
    print("listening", flush=True)
    while True:
        raw, _ = listener.accept()
        try:
            tls = context.wrap_socket(raw, server_side=True)
            connection(tls)
        except (ssl.SSLError, OSError):
            pass


def connection(tls):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    tls.sendall(conn.data_to_send())
    bodies = {}
    paths = {}
    while True:
        data = tls.recv(65535)
        if not data:
            return
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                bodies[event.stream_id] = b""
                paths[event.stream_id] = dict(event.headers).get(b":path", b"/").decode()
            elif isinstance(event, h2.events.DataReceived):
                bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                path = paths.pop(event.stream_id, "/")
                query = bodies.pop(event.stream_id, b"")
                if path.startswith("/page/"):  # an ordinary page: N bytes
                    body, kind = b"x" * int(path[6:]), "text/html"
                elif path.startswith("/status"):  # an API polled: a little JSON
                    body, kind = b'{"ok":true,"n":%d}' % event.stream_id, "application/json"
                else:
                    body, kind = answer(query), "application/dns-message"
                conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", kind),
                                                    ("content-length", str(len(body)))])
                window = conn.local_flow_control_window(event.stream_id)
                while len(body) > window or len(body) > conn.max_outbound_frame_size:
                    chunk = min(window, conn.max_outbound_frame_size)
                    if chunk <= 0:
                        break
                    conn.send_data(event.stream_id, body[:chunk])
                    body = body[chunk:]
                    window = conn.local_flow_control_window(event.stream_id)
                conn.send_data(event.stream_id, body, end_stream=True)
        tls.sendall(conn.data_to_send())


def query(name, ident):
    header = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    return header + labels + b"\x00" + struct.pack(">HH", 1, 1)


def client(address, port, sni, names, follow=True):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    tls = context.wrap_socket(socket.create_connection((address, port), timeout=5), server_hostname=sni)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    tls.sendall(conn.data_to_send())
    for n, name in enumerate(names):
        body = query(name, n + 1)
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "POST"), (":path", "/dns-query"), (":scheme", "https"),
                                   (":authority", sni), ("accept", "application/dns-message"),
                                   ("content-type", "application/dns-message"), ("content-length", str(len(body)))])
        conn.send_data(stream, body, end_stream=True)
        tls.sendall(conn.data_to_send())
        response = b""
        done = False
        while not done:
            for event in conn.receive_data(tls.recv(65535)):
                if isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                    response += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                    done = True
            tls.sendall(conn.data_to_send())
        got = socket.inet_ntoa(response[-4:])
        print(name, got, flush=True)
        if not follow:
            time.sleep(0.1)
            continue
        try:
            page = context.wrap_socket(socket.create_connection((got, 443), timeout=0.5), server_hostname=name,
                                       do_handshake_on_connect=False)
            page.settimeout(0.2)
            try:
                page.do_handshake()
            except OSError:
                pass  # the hello went out: that is all this is for
            page.close()
        except OSError:
            pass
        time.sleep(0.1)
    time.sleep(0.5)
    tls.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        names = [n for n in sys.argv[5:] if n != "--no-follow"]
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], names, follow="--no-follow" not in sys.argv[5:])
