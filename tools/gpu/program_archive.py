# The engine's TorchScript program as an archive PyTorch loads, outside DJL: the same layout the Java code
# writes (ai.ttt.block.kernels.TorchScriptArchive: the source plus the hyperparameters as attributes in
# data.pkl). Shared by the probes in tools/gpu.
import os, struct, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_PATH = os.environ.get("PROGRAM") or os.path.join(
    ROOT, "ttt-block/src/main/resources/ai/ttt/block/programs/TttProgram.torchscript")

def pickle_module(attrs):
    # The same bytes as TorchScriptArchive.dataPickle: an instance of __torch__.TttProgram with a dict state.
    b = bytearray(b"\x80\x02c__torch__\nTttProgram\nq\x00)\x81}(")
    def key(k):
        kb = k.encode(); b.extend(b"X" + struct.pack("<i", len(kb)) + kb)
    key("training"); b.extend(b"q\x01\x89")
    for k, v in attrs.items():
        key(k)
        if isinstance(v, bool): b.extend(b"\x88" if v else b"\x89")
        elif isinstance(v, int): b.extend(b"J" + struct.pack("<i", v))
        else: b.extend(b"G" + struct.pack(">d", float(v)))
    b.extend(b"ubq\x02.")
    return bytes(b)

def archive(attrs, path, source_path=SOURCE_PATH):
    source = open(source_path).read()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in [("version", b"3\n"), ("byteorder", b"little"), ("constants.pkl", b"\x80\x02)."),
                           ("data.pkl", pickle_module(attrs)), ("code/__torch__.py", source.encode())]:
            z.writestr("kernel/" + name, data)
