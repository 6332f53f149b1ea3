#!/usr/bin/python3
"""Streams dnsleakd's leak events, as another tool would: the dnsleak.v1 API
over the daemon's Unix socket with Debian's python3-grpcio, stubs compiled
from the shipped .proto with python3-grpc-tools at start.

    watch_leaks.py [--socket PATH] [--from-seq N] [--count N] [--proto-dir DIR]

It lists the server's services by reflection, checks the service's health,
then prints each event as one JSON line and resumes after the last
sequence number when the connection breaks (a daemon restart starts again
at sequence 1: the daemon's start time tells which). See docs/api.md.
"""
import argparse
import os
import sys
import tempfile
import time

import grpc
from grpc_tools import protoc
from google.protobuf import json_format

SERVICE = "dnsleak.v1.DnsLeak"


def compile_stubs(proto_dir):
    """dnsleak_pb2 and dnsleak_pb2_grpc, generated into a temporary directory."""
    out = tempfile.mkdtemp(prefix="dnsleak-stubs-")
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}",
                      os.path.join(proto_dir, "dnsleak", "v1", "dnsleak.proto")])
    if rc != 0:
        sys.exit(f"cannot compile {proto_dir}/dnsleak/v1/dnsleak.proto")
    sys.path.insert(0, out)
    from dnsleak.v1 import dnsleak_pb2, dnsleak_pb2_grpc
    return dnsleak_pb2, dnsleak_pb2_grpc


# The health and reflection services are gRPC's own; their messages are
# small enough to write and read here by their wire format (protobuf field
# numbers from gRPC's health.proto and reflection.proto), so no other .proto
# is needed.
def field(number, payload):
    """A length-delimited protobuf field."""
    return bytes([number << 3 | 2, len(payload)]) + payload


def fields(data):
    """(number, value) for each field: ints for varints, bytes otherwise."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, i = varint(data, i)
        elif kind == 2:
            length, i = varint(data, i)
            value, i = data[i:i + length], i + length
        else:
            raise ValueError(f"unexpected wire type {kind}")
        yield number, value


def varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def list_services(channel):
    """ServerReflectionInfo with list_services (field 7); the answer's
    list_services_response (6) holds service (1) messages with a name (1)."""
    call = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                 request_serializer=None, response_deserializer=None)
    for response in call(iter([field(7, b"")]), timeout=5):
        for number, value in fields(response):
            if number == 6:
                return [dict(fields(service))[1].decode() for _, service in fields(value)]
    return []


def health(channel, service):
    """Health.Check: the request's service (1), the answer's status (1): 1 is SERVING."""
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=None, response_deserializer=None)
    status = dict(fields(check(field(1, service.encode()), timeout=5))).get(1, 0)
    return {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}.get(status, str(status))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_proto = os.path.join(here, "..", "..", "proto")
    if not os.path.exists(default_proto):
        default_proto = "/usr/share/dnsleak/proto"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", default=os.environ.get("DNSLEAK_SOCKET", "/run/dnsleak/dnsleakd.sock"))
    parser.add_argument("--from-seq", type=int, default=0, help="first sequence number (0: only new events)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many events (0: never)")
    parser.add_argument("--proto-dir", default=default_proto)
    args = parser.parse_args()

    pb, pb_grpc = compile_stubs(args.proto_dir)
    channel = grpc.insecure_channel(f"unix:{args.socket}")
    print("services:", " ".join(sorted(list_services(channel))), file=sys.stderr)
    print("health:", health(channel, SERVICE), file=sys.stderr)
    stub = pb_grpc.DnsLeakStub(channel)

    next_seq, seen, started = args.from_seq, 0, None
    while True:
        try:
            status = stub.GetStatus(pb.GetStatusRequest(), timeout=5)
            if started is not None and status.started_at != started:
                print(f"dnsleakd restarted (pid {status.pid}): from its first event", file=sys.stderr)
                next_seq = 1
            started = status.started_at
            if next_seq == 0:  # "from now on", pinned so a reconnect resumes there
                next_seq = status.store.last_seq + 1
            # max_batch: stored events come up to 256 to a message (a live
            # one alone); without it, one event a message.
            request = pb.WatchRequest(from_seq=next_seq, verdicts=[pb.VERDICT_LEAK], max_batch=256)
            for response in stub.Watch(request):
                if response.HasField("gap"):
                    print(f"missed {response.gap.missed} events (seq {response.gap.from_seq}..{response.gap.to_seq})",
                          file=sys.stderr)
                    next_seq = response.gap.to_seq + 1
                    continue
                events = response.batch.events if response.HasField("batch") else [response.event]
                for event in events:
                    next_seq = event.seq + 1
                    print(json_format.MessageToJson(event, indent=None), flush=True)
                    seen += 1
                    if args.count and seen >= args.count:
                        return 0
        except grpc.RpcError as error:
            print(f"connection lost ({error.code().name}); resuming at seq {next_seq}", file=sys.stderr)
            time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
