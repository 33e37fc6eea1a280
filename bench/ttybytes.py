#!/usr/bin/python3
"""ttybytes: where the bytes a full-screen program wrote to its terminal
went, from a capture (bench/idle_tui.sh keeps one per contender in
results/idle_tui.NAME.tty).

    bench/ttybytes.py results/idle_tui.healthtop.tty [ROWS...]

Prints the bytes by kind (text, colour/attribute changes, cursor moves)
and by screen row (rows follow the cursor-addressing sequences), then,
for the rows given, the text written there, to see which changes cost."""
import collections
import re
import sys

TOKEN = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z@]|\x1b[()][0-9A-B]|\x1b.|[\x00-\x1f]|[^\x00-\x1f\x1b]+")


def main(path, show):
    data = open(path, "rb").read()
    row = 1
    kinds, rows = collections.Counter(), collections.Counter()
    texts = collections.defaultdict(list)
    for m in TOKEN.finditer(data):
        t = m.group(0)
        if t.startswith(b"\x1b["):
            final, args = t[-1:], t[2:-1]
            if final == b"H":
                row = int(args.split(b";")[0] or 1)
                kinds["cursor moves"] += len(t)
            elif final == b"d":
                row = int(args or 1)
                kinds["cursor moves"] += len(t)
            elif final in (b"G", b"C", b"D", b"A", b"B"):
                kinds["cursor moves"] += len(t)
            elif final == b"m":
                kinds["colours and attributes"] += len(t)
            else:
                kinds["other sequences"] += len(t)
        elif t[:1] == b"\x1b" or (len(t) == 1 and t[0] < 32):
            kinds["control characters"] += len(t)
            if t == b"\n":
                row += 1
        else:
            kinds["text"] += len(t)
            texts[row].append(t.decode("utf-8", "replace"))
        rows[row] += len(t)
    print(f"{len(data)} bytes")
    for k, v in kinds.most_common():
        print(f"  {k:24} {v:7} {100 * v / max(len(data), 1):5.1f}%")
    print("by row:", " ".join(f"{r}:{n}" for r, n in sorted(rows.items())))
    for r in show:
        print(f"row {r}:", " | ".join(texts[r][:40]))


if __name__ == "__main__":
    main(sys.argv[1], [int(a) for a in sys.argv[2:]])
