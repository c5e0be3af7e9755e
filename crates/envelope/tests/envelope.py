"""A second implementation of Rekam's envelope (docs/uplink.md), from the document, on PyPI's
pyhpke (RFC 9180) and cryptography (ed25519), for crates/envelope/tests/python.rs.

  envelope.py open ENVELOPE CENTRE_SK_HEX STATION_PK_HEX ARCHIVE_OUT
      parses the layout, verifies the outer signature, decrypts; writes the archive and prints
      the header as JSON.
  envelope.py seal ARCHIVE CENTRE_PK_HEX STATION_SEED_HEX STATION_ID RECORD_ID NIK_KEY_HEX NIK OUT
      writes an envelope made here, for Rekam to open.
"""
import hashlib
import hmac
import json
import struct
import sys
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey

MAGIC = b"REKAMENV"
INFO = b"rekam-envelope-v1"
SIG_CONTEXT = b"rekam-envelope-v1\x00"
NIK_CONTEXT = b"rekam-nik-v1\x00"
SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise SystemExit(f"truncated at {self.at}")
        s = self.data[self.at : self.at + n]
        self.at += n
        return s


def parse(data):
    r = Reader(data)
    assert r.take(8) == MAGIC, "magic"
    version, kem, kdf, aead = struct.unpack(">HHHH", r.take(8))
    assert (version, kem, kdf, aead) == (1, 0x20, 0x01, 0x03), "version or suite"
    (sid_len,) = r.take(1)
    station_id = r.take(sid_len).decode("ascii")
    record_id = uuid.UUID(bytes=r.take(16))
    nik_tag = r.take(32)
    centre_pk = r.take(32)
    (enc_len,) = struct.unpack(">H", r.take(2))
    enc = r.take(enc_len)
    (ct_len,) = struct.unpack(">I", r.take(4))
    aad = data[: r.at]
    ct = r.take(ct_len)
    body = data[: r.at]
    sig = r.take(64)
    assert r.at == len(data), "bytes after the signature"
    return dict(station_id=station_id, record_id=str(record_id), nik_tag=nik_tag.hex(),
                centre_pk=centre_pk.hex()), enc, aad, ct, body, sig


def cmd_open(path, centre_sk_hex, station_pk_hex, out):
    data = open(path, "rb").read()
    header, enc, aad, ct, body, sig = parse(data)
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(station_pk_hex)).verify(sig, SIG_CONTEXT + body)
    sk = X25519PrivateKey.from_private_bytes(bytes.fromhex(centre_sk_hex))
    ctx = SUITE.create_recipient_context(enc, KEMKey.from_pyca_cryptography_key(sk), info=INFO)
    archive = ctx.open(ct, aad=aad)
    open(out, "wb").write(archive)
    header["archive_sha256"] = hashlib.sha256(archive).hexdigest()
    print(json.dumps(header))


def cmd_seal(archive_path, centre_pk_hex, seed_hex, station_id, record_id, nik_key_hex, nik, out):
    archive = open(archive_path, "rb").read()
    centre_pk = bytes.fromhex(centre_pk_hex)
    tag = hmac.new(bytes.fromhex(nik_key_hex), NIK_CONTEXT + nik.encode(), hashlib.sha256).digest()
    pkr = KEMKey.from_pyca_cryptography_key(X25519PublicKey.from_public_bytes(centre_pk))
    enc, ctx = SUITE.create_sender_context(pkr, info=INFO)
    sid = station_id.encode("ascii")
    head = (MAGIC + struct.pack(">HHHH", 1, 0x20, 0x01, 0x03) + bytes([len(sid)]) + sid
            + uuid.UUID(record_id).bytes + tag + centre_pk + struct.pack(">H", len(enc)) + enc
            + struct.pack(">I", len(archive) + 16))
    body = head + ctx.seal(archive, aad=head)
    sig = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex)).sign(SIG_CONTEXT + body)
    open(out, "wb").write(body + sig)
    print(json.dumps(dict(nik_tag=tag.hex())))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"open": cmd_open, "seal": cmd_seal}[cmd](*args)
