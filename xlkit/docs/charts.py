"""The analysis report's charts: PNG images drawn with matplotlib's object-oriented API (no
pyplot, no display: the Agg canvas), Chinese labels in the bundled font.

The font is ``fonts/XlkitNotoSansSC-Regular.otf`` (Noto Sans CJK SC subset to GB2312, see
fonts/README.md), registered with matplotlib by path and used by its own family name, so a
chart looks the same on every machine. A character it lacks (a rare character in a unit's
name) is drawn with an installed CJK font when one has it (matplotlib's per-glyph fallback);
when none has it, the chart is drawn anyway and :attr:`Chart.missing` names the characters,
for the report to say so.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import MaxNLocator, PercentFormatter

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "XlkitNotoSansSC-Regular.otf"
FAMILY = "Xlkit Noto Sans SC"
#: installed CJK families a missing character may come from, most alike first
SYSTEM_CJK = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans SC",
              "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
              "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
              "Noto Serif CJK SC", "SimSun", "AR PL UMing CN", "Droid Sans Fallback",
              "Noto Sans CJK HK", "Arial Unicode MS", "HanaMinA", "HanaMinB")
DPI = 150
WIDTH_CM = 15.5  # A4's text width with 2.7 cm margins
CM = 1 / 2.54
COLORS = {"grade": "#4472C4", "score": "#70AD47", "rate": "#ED7D31"}
RATES_PER_CHART = 30  # units in one 执行率 chart; more go on further charts


@dataclass(frozen=True)
class Chart:
    """One chart: its PNG, its size on the page and the characters no font could draw."""

    png: bytes
    width_cm: float
    height_cm: float
    missing: str = ""


@dataclass(frozen=True)
class FontChain:
    """The families charts use, in order, and the characters each one has."""

    families: tuple[str, ...]
    chars: frozenset[int]


@lru_cache(maxsize=1)
def font_chain() -> FontChain:
    """The bundled font, registered once, then the installed CJK families."""
    font_manager.fontManager.addfont(str(FONT_FILE))
    families, paths = [FAMILY], [str(FONT_FILE)]
    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for name in SYSTEM_CJK:
        if name in installed and installed[name] not in paths:
            families.append(name)
            paths.append(installed[name])
    return FontChain(tuple(families), frozenset().union(*(charmap(p) for p in paths)))


@lru_cache(maxsize=32)
def charmap(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for (the first face of a collection)."""
    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def missing_chars(texts: Iterable[str], chain: FontChain | None = None) -> str:
    """The characters of ``texts`` no font of the chain has (each once, in order); blanks
    and control characters aside."""
    chain = chain or font_chain()
    seen: dict[str, None] = {}
    for text in texts:
        for ch in text:
            if ord(ch) > 0x20 and ord(ch) not in chain.chars:
                seen[ch] = None
    return "".join(seen)


def plain(label: str) -> str:
    """A label as text, never mathtext (a "$" in a unit's name stays a "$")."""
    return label.replace("$", r"\$")


def new_figure(height_cm: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH_CM * CM, height_cm * CM), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def font(size: float) -> font_manager.FontProperties:
    """The chain at ``size`` points (regular weight: the bundled font has no bold)."""
    return font_manager.FontProperties(family=list(font_chain().families), size=size)


def png(fig: Figure, height_cm: float, labels: Iterable[str]) -> Chart:
    """The figure drawn; a glyph no font has is reported in ``missing``, not warned about."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        fig.tight_layout(pad=0.6)
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return Chart(buf.getvalue(), WIDTH_CM, height_cm, missing_chars(labels))


def count_chart(counts: Sequence[tuple[str, int]], title: str, color: str,
                x_label: str = "") -> Chart | None:
    """Columns of ``counts`` (label, count) with the count on each; None when all are 0."""
    if not any(n for _, n in counts):
        return None
    height = 7.0
    fig, ax = new_figure(height)
    labels = [plain(str(label)) for label, _ in counts]
    values = [n for _, n in counts]
    bars = ax.bar(range(len(values)), values, color=color, width=0.6)
    ax.bar_label(bars, labels=[str(n) for n in values], fontproperties=font(9), padding=2)
    ax.set_xticks(range(len(values)), labels, fontproperties=font(9))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_ylim(0, max(values) * 1.15)
    for tick in ax.get_yticklabels():
        tick.set_fontproperties(font(8))
    ax.set_ylabel("项目数", fontproperties=font(9))
    if x_label:
        ax.set_xlabel(x_label, fontproperties=font(9))
    ax.set_title(plain(title), fontproperties=font(11))
    return png(fig, height, [title, x_label, "项目数", *labels])


def rate_chart(names: Sequence[str], rates: Sequence[float], title: str) -> Chart:
    """Horizontal bars: each unit's 执行率 (a fraction), the first unit on top, the rate
    written at the end of each bar and a line at 100 %."""
    height = min(24.0, 2.6 + 0.62 * len(names))
    fig, ax = new_figure(height)
    labels = [plain(str(n)) for n in names]
    values = [float(r) * 100 for r in rates]
    positions = range(len(values))
    bars = ax.barh(positions, values, color=COLORS["rate"], height=0.6)
    ax.bar_label(bars, labels=[f"{v:.2f}%" for v in values], fontproperties=font(8),
                 padding=2)
    ax.set_yticks(positions, labels, fontproperties=font(8))
    ax.invert_yaxis()
    top = max([100.0, *values]) * 1.15
    ax.set_xlim(0, top)
    ax.axvline(100, color="#7F7F7F", linewidth=0.8, linestyle="--")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(font(8))
    ax.set_title(plain(title), fontproperties=font(11))
    return png(fig, height, [title, *labels])


def rate_charts(names: Sequence[str], rates: Sequence[float], title: str) -> list[Chart]:
    """执行率 by unit, RATES_PER_CHART units a chart (「…（1/3）」 when more than one)."""
    parts = [(i, i + RATES_PER_CHART) for i in range(0, len(names), RATES_PER_CHART)]
    return [rate_chart(names[a:b], rates[a:b],
                       title if len(parts) == 1 else f"{title}（{k}/{len(parts)}）")
            for k, (a, b) in enumerate(parts, start=1)]
