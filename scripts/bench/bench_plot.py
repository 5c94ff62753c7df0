"""The scale row's PNG: ms per file against N (wall, and CPU where the points carry it), one
line per contender and operation.

matplotlib is the ``bench`` extra (``pip install -e '.[bench]'``; ``make bench`` installs it),
imported only here, when a plot is drawn. From a saved run's output:

    python scripts/bench/bench_plot.py BENCH_OUTPUT docs/img/scale.png "TITLE"
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # run on its own
from bench_measure import ANNEX_VERIFY_OFF, BUILTIN, S3PY  # noqa: E402
from bench_results import ScalePoint  # noqa: E402
from bench_scale import OPERATIONS, lines_of  # noqa: E402

STYLES = {BUILTIN: ("--", "s"), S3PY: ("-", "o"), ANNEX_VERIFY_OFF: (":", "^")}
COLOURS = dict(zip(OPERATIONS, ("tab:blue", "tab:orange", "tab:green", "tab:red")))


def plot_scale(points: list[ScalePoint], path: Path, title: str) -> str:
    """Draw the PNG at ``path``; a line saying where it went (or why it was not drawn)."""
    try:
        import matplotlib
    except ImportError:
        return "no plot: matplotlib is missing (pip install -e '.[bench]'; make bench does)"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({p.files for p in points})
    lines = lines_of(points)
    with_cpu = all(p.cpu_seconds for line in lines.values() for p in line)
    figure, panels = plt.subplots(1, 2 if with_cpu else 1, squeeze=False,
                                  figsize=(14 if with_cpu else 9, 6.5))
    for axes, ylabel, value in ((panels[0][0], "ms per file (wall)", "ms_per_file"),
                                *(((panels[0][1], "CPU ms per file (git-annex and the "
                                   "processes it waited for)", "cpu_ms_per_file"),)
                                  if with_cpu else ())):
        for (operation, who), line in lines.items():
            style, marker = STYLES[who]
            axes.plot([p.files for p in line], [getattr(p, value) for p in line],
                      linestyle=style, marker=marker, color=COLOURS[operation],
                      label=f"{who}: {operation}")
        if sizes[-1] >= 10 * sizes[0]:
            axes.set_xscale("log")
        axes.set_xticks(sizes, [str(n) for n in sizes])
        axes.set_xlabel("files (N, 1-20 KiB each)")
        axes.set_ylabel(ylabel)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
    figure.suptitle(title, fontsize="medium")
    handles, labels = panels[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, fontsize="small", ncol=3, loc="lower center")
    figure.tight_layout(rect=(0, 0.14, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"plot: {path}"


def plot_floor(cells: dict[str, dict[str, float]], path: Path, title: str) -> str:
    """The floor row's PNG: per operation, each contender's median seconds as a bar split into
    its floor and its own cost (``cells``: row -> contender -> seconds, as floor_table reads
    them)."""
    try:
        import matplotlib
    except ImportError:
        return "no plot: matplotlib is missing (pip install -e '.[bench]'; make bench does)"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from bench_floor import FLOOR_OF

    rows = list(cells)
    figure, axes = plt.subplots(figsize=(9, 5))
    width = 0.38
    for offset, who, colour in ((-width / 2, BUILTIN, "tab:blue"),
                                (width / 2, S3PY, "tab:orange")):
        xs = [i + offset for i in range(len(rows))]
        floors = [cells[row][FLOOR_OF[who]] for row in rows]
        own = [max(0.0, cells[row][who] - cells[row][FLOOR_OF[who]]) for row in rows]
        axes.bar(xs, floors, width, color=colour, alpha=0.35,
                 label=f"{who}: its floor ({FLOOR_OF[who]})")
        axes.bar(xs, own, width, bottom=floors, color=colour, label=f"{who}: own cost")
    axes.set_xticks(range(len(rows)), rows, fontsize="small")
    axes.set_ylabel("seconds (median)")
    axes.set_title(title, fontsize="medium")
    axes.grid(alpha=0.3, axis="y")
    axes.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"plot: {path}"


ROW_LINE = re.compile(r"\s*scale\s+(?P<files>\d+) (?P<operation>.{19}) (?P<who>.+?)\s+"
                      r"(?P<seconds>[\d.]+) s\s+[\d.]+ ms/file\s+requests/file \S+"
                      r"(?: \((?P<methods>[^)]*)\))?(?:\s+peak=(?P<peak>\d+) MiB)?")


def points_from_output(text: str) -> list[ScalePoint]:
    """The scale table a bench run printed (``| files | operation | contender | seconds |``)
    back into points, so that a run's PNG can be drawn from its saved output; without a
    table (a run stopped early) its per-row lines (``  scale N operation contender ...``)."""
    points = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0].isdigit() and cells[1] in OPERATIONS:
            points.append(ScalePoint(int(cells[0]), cells[1], cells[2], float(cells[3]),
                                     Counter(), float(cells[6] or 0)))
    return points or [point for line in text.splitlines()
                      if (point := point_of_row(line)) is not None]


def point_of_row(line: str) -> ScalePoint | None:
    """One per-row line as bench_scale.ScaleRun.measure prints it, or None."""
    found = ROW_LINE.match(line)
    if not found or found["operation"].strip() not in OPERATIONS:
        return None
    files = int(found["files"])
    requests: Counter = Counter()
    for part in (found["methods"] or "").split(", "):
        if part:
            method, per_file = part.split(" ")
            requests[method] = round(float(per_file) * files)
    return ScalePoint(files, found["operation"].strip(), found["who"], float(found["seconds"]),
                      requests, float(found["peak"] or 0))


def main(argv: list[str]) -> int:
    """``python scripts/bench/bench_plot.py BENCH_OUTPUT PNG [TITLE]``."""
    if len(argv) not in (2, 3):
        raise SystemExit(main.__doc__)
    points = points_from_output(Path(argv[0]).read_text())
    if not points:
        raise SystemExit(f"{argv[0]}: no scale table in it")
    print(plot_scale(points, Path(argv[1]), argv[2] if len(argv) == 3 else "scale row"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
