"""The scale row's PNG: ms per file against N, one line per contender and operation.

matplotlib is the ``bench`` extra (``pip install -e '.[bench]'``; ``make bench`` installs it),
imported only here, when a plot is drawn.
"""

from __future__ import annotations

from pathlib import Path

from bench_measure import ANNEX_VERIFY_OFF, BUILTIN, S3PY
from bench_scale import OPERATIONS, ScalePoint, lines_of

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
    figure, axes = plt.subplots(figsize=(9, 6.5))
    for (operation, who), line in lines_of(points).items():
        style, marker = STYLES[who]
        axes.plot([p.files for p in line], [p.ms_per_file for p in line], linestyle=style,
                  marker=marker, color=COLOURS[operation], label=f"{who}: {operation}")
    if sizes[-1] >= 10 * sizes[0]:
        axes.set_xscale("log")
    axes.set_xticks(sizes, [str(n) for n in sizes])
    axes.set_xlabel("files (N, 1-20 KiB each)")
    axes.set_ylabel("ms per file")
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize="medium")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"plot: {path}"
