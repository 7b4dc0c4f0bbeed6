"""Turn the stored snapshots into PNG pictures, to look at them (contract 4 asks a person to).

    uv run --with cairosvg python -m tests.ui.snapshot_png [NAME-FILTER]

Writes one PNG per snapshot into $TMPDIR/coordtui-snapshots and prints the paths.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "__snapshots__"


def main(argv: list[str]) -> int:
    import cairosvg

    wanted = argv[0] if argv else ""
    out = Path(tempfile.gettempdir()) / "coordtui-snapshots"
    out.mkdir(exist_ok=True)
    for raw in sorted(HERE.rglob("*.raw")):
        if wanted not in raw.stem:
            continue
        target = out / f"{raw.stem}.png"
        # The SVG asks for Fira Code from the web; a local monospace font keeps the columns.
        svg = raw.read_text().replace("Fira Code", "DejaVu Sans Mono")
        cairosvg.svg2png(bytestring=svg.encode(), write_to=str(target), output_width=1400)
        print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
