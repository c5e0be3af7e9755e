"""NBIS's WSQ codec, through PyPI's `wsq` package (an NBIS wrapper), for rekam-wsq's tests.

    nbis.py encode IN.raw WIDTH HEIGHT OUT.wsq   NBIS compresses at 0.75 bits per pixel
    nbis.py decode IN.wsq OUT.raw                NBIS decompresses; prints "WIDTH HEIGHT"
    nbis.py sample OUT.raw                       the real print the package ships, decoded by NBIS;
                                                 prints "WIDTH HEIGHT" (520 540)
    nbis.py time IN.raw WIDTH HEIGHT ROUNDS      prints NBIS's encode and decode times (seconds
                                                 per image, best of ROUNDS) of the image

raw: 8-bit grey, row by row. The package fixes the bit rate at 0.75 (its csrc/_wsq.c).
"""
import os
import sys
import time

import _wsq
import wsq


def main(argv):
    cmd = argv[1]
    if cmd == "encode":
        raw = open(argv[2], "rb").read()
        w, h = int(argv[3]), int(argv[4])
        # _wsq.compress(pixels, rows, cols, ratio); the ratio argument is ignored (0.75 bpp)
        out = _wsq.compress(raw, h, w, 0.75)
        open(argv[5], "wb").write(out)
    elif cmd == "decode":
        data = open(argv[2], "rb").read()
        pixels, w, h, _ppi = _wsq.decompress(data)
        open(argv[3], "wb").write(bytes(pixels))
        print(w, h)
    elif cmd == "sample":
        path = os.path.join(os.path.dirname(wsq.__file__), "tests", "test.wsq")
        pixels, w, h, _ppi = _wsq.decompress(open(path, "rb").read())
        open(argv[2], "wb").write(bytes(pixels))
        # The package's file states its sides the wrong way round in its frame header (NBIS
        # and Rekam both read 540 x 520 from it); its pixels are a 520 x 540 print, which is
        # what it looks like drawn 520 wide.
        print(h, w)
    elif cmd == "time":
        raw = open(argv[2], "rb").read()
        w, h, rounds = int(argv[3]), int(argv[4]), int(argv[5])
        enc = dec = float("inf")
        data = b""
        for _ in range(rounds):
            t = time.perf_counter()
            data = _wsq.compress(raw, h, w, 0.75)
            enc = min(enc, time.perf_counter() - t)
            t = time.perf_counter()
            _wsq.decompress(data)
            dec = min(dec, time.perf_counter() - t)
        print(enc, dec)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
