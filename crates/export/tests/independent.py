"""Independent checks of Rekam's exports (run by tests/independent.rs).

nist FILE: PyPI nistitl parses the transaction; every record's mandatory fields are checked
against the table below (from the record layouts of NIST SP 500-290, section 8; nistitl does not
check them); PyPI wsq (NBIS) decodes every Type-14 payload. Prints one line per record.

iso FIR FAC: PyPI iso19794 (Pillow plugins) opens the part 4 and part 5 records and decodes
every image (WSQ through the wsq plugin, JPEG through Pillow). Prints one line per image.
"""
import io
import sys

# (type) -> (always, with image data). 999 is DATA.
MANDATORY = {
    1: ([1, 2, 3, 4, 5, 7, 8, 9, 11, 12], []),
    2: ([1, 2], []),
    10: ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999], []),
    14: ([1, 2, 3, 4, 5, 13], [6, 7, 8, 9, 10, 11, 12, 999]),
    17: ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11, 12, 13, 999]),
}


def nist(path):
    import nistitl
    import wsq  # noqa: F401  registers the WSQ plugin with Pillow
    from PIL import Image

    data = open(path, "rb").read()
    msg = nistitl.Message()
    msg.parse(data)
    if msg.NIST != data:
        raise SystemExit("nistitl writes the parsed transaction back differently")
    for r in msg:
        if isinstance(r, nistitl.BinaryRecord):
            print("record", r.type, r.IDC, "binary", len(r.value))
            continue
        tags = {f.tag for f in r._fields}
        always, image = MANDATORY.get(r.type, ([], []))
        has_image = 999 in tags or (r.type == 17 and 28 not in tags) or r.type == 14
        need = list(always) + (list(image) if has_image else [])
        missing = [t for t in need if t not in tags]
        if missing:
            raise SystemExit(f"Type-{r.type} lacks mandatory fields {missing}")
        extra = ""
        if r.type == 14:
            img = Image.open(io.BytesIO(r[999].value))
            img.load()
            hll, vll = int(r[6].value), int(r[7].value)
            if img.size != (hll, vll):
                raise SystemExit(f"NBIS decodes {img.size}, HLL/VLL say {(hll, vll)}")
            extra = f" wsq {img.size[0]}x{img.size[1]}"
        idc = r.IDC if r.type != 1 else 0
        print("record", r.type, idc, "fields", len(tags), extra.strip())


def iso(fir, fac):
    import wsq  # noqa: F401  registers the WSQ plugin with Pillow
    import iso19794  # noqa: F401  registers FIR and FAC
    from PIL import Image

    im = Image.open(fir)
    if im.format != "FIR":
        raise SystemExit(f"{fir} opened as {im.format}")
    for i in range(im.info["nb_representation"]):
        im.seek(i)
        im.load()
        h = im.header
        print("fir", i, h["position"], h["image_compression_algo"], h["impression_type"],
              h["horizontal_scan_sampling_rate"], im.size[0], im.size[1], im.mode)
    im = Image.open(fac)
    if im.format != "FAC":
        raise SystemExit(f"{fac} opened as {im.format}")
    for i in range(im.info["nb_facial_images"]):
        im.seek(i)
        im.load()
        h = im.header
        print("fac", i, h["gender"], h["face_image_type"], h["image_data_type"],
              h["source_type"], im.size[0], im.size[1], im.mode)


if __name__ == "__main__":
    if sys.argv[1] == "nist":
        nist(sys.argv[2])
    else:
        iso(sys.argv[2], sys.argv[3])
