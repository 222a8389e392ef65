"""`recipe-studio show`: a schedule as a Gantt chart and a per-epoch table, or as JSON.

The chart has one row per modifier over the training range (what it does, in a few words,
on the right), under a row naming the phases (pruning, recovery, QAT); the table gives the
learning rate and each pruner's sparsity at the start of every epoch, with the events of
that epoch. Colours come from rich (only on a terminal, or when forced); the layout is ours.
"""

from __future__ import annotations

import math
from typing import IO, Any

from recipe_studio import numbers
from recipe_studio.models.catalog import RAMP_PRUNERS
from recipe_studio.read.recipe import ModifierEntry, Recipe
from recipe_studio.schedule.results import Event, ModifierTrack, Schedule

#: the widest chart, in characters (narrower when the terminal is)
CHART = 50
RAMP, HELD, ACTIVE, ONCE, DENSE = "█", "▒", "█", "▼", "░"
_STYLE = {RAMP: "green", HELD: "green", ONCE: "yellow", DENSE: "green", "B": "magenta",
          "O": "magenta", "Q": "magenta", "━": "blue", "x": "bold red"}
_LEGEND = ((RAMP, "active"), (HELD, "mask held"), (DENSE, "dense phase"), (ONCE, "set once"),
           ("━", "training range"), ("B", "BN frozen"), ("O", "observers off"),
           ("x", "crash"))
_PHASE_STYLE = {"pruning": "bold green", "recovery": "bold cyan", "QAT": "bold magenta",
                "dense": "bold", "training": "bold"}


# ---- names and values ---------------------------------------------------------------------

def short(type_name: str) -> str:
    """`GMPruningModifier` → `GMPruning`."""
    return type_name[:-len("Modifier")] if type_name.endswith("Modifier") else type_name


def sparsity_value(value: Any) -> float | None:
    """One number for a target (the largest group's for a `{sparsity: [params]}` mapping)."""
    if isinstance(value, tuple):
        groups = [float(v) for v in value if isinstance(v, (int, float))]
        return max(groups) if groups else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


# ---- what each modifier does, in a few words ---------------------------------------------

def describe(entry: ModifierEntry, track: ModifierTrack, schedule: Schedule) -> str:
    """The key values of a modifier, for the chart's right-hand column."""
    spec = entry.spec
    a = entry.args
    t = entry.type

    def get(name: str, default: Any = None) -> Any:
        return getattr(spec, name, a.get(name, default))

    if t in RAMP_PRUNERS:
        final = get("final_sparsity")
        final_text = ("|".join(numbers.value(v) for v in final) if isinstance(final, dict)
                      else numbers.value(final))
        init = get("init_sparsity")
        freq = get("update_frequency")
        every = ("every step" if freq is not None and freq <= 0
                 else f"every {numbers.epoch_short(freq)} ep")
        text = f"{numbers.value(init)}→{final_text} " \
               f"{get('inter_func', 'cubic')}, {every}"
        if not get("leave_enabled", True):
            text += ", mask released at end"
        return text
    if t == "ConstantPruningModifier":
        if track.holds_from is not None and track.sparsity is not None:
            held = next((v for v in track.sparsity.values if v is not None), None)
            return f"holds {numbers.sparsity(held)} from #{track.holds_from}"
        return "holds the zeros present at its start"
    if t == "ACDCPruningModifier":
        return f"{numbers.value(get('compression_sparsity'))} in alternate phases of " \
               f"{numbers.epoch_short(get('update_frequency'))} ep"
    if t == "RigLPruningModifier":
        return f"{numbers.value(get('final_sparsity'))}, connections regrown"
    if t == "TopKASTPruningModifier":
        return f"forward {numbers.value(get('forward_sparsity'))}, backward " \
               f"{numbers.value(get('backward_sparsity'))}"
    groups = get("param_groups")
    in_groups = f", param groups {groups}" if groups and t in (
        "SetLearningRateModifier", "LearningRateFunctionModifier", "SetWeightDecayModifier") \
        else ""
    if t == "SetLearningRateModifier":
        return f"lr = {numbers.learning_rate(get('learning_rate'))}{in_groups}"
    if t == "LearningRateFunctionModifier":
        text = (f"{get('lr_func')} {numbers.learning_rate(get('init_lr'))}→"
                f"{numbers.learning_rate(get('final_lr'))}")
        if get("lr_func") == "cyclic_linear":
            text += f", cycles of {numbers.epoch_short(get('cycle_epochs', 1.0))} ep"
        return text + in_groups
    if t == "LearningRateModifier":
        cls = get("lr_class")
        kw = get("lr_kwargs") or {}
        kw = kw if isinstance(kw, dict) else {}
        init = numbers.learning_rate(get("init_lr"))
        if cls == "StepLR":
            return (f"StepLR {init} ×{kw.get('gamma')} every "
                    f"{numbers.epoch_short(kw.get('step_size'))} ep")
        if cls == "ExponentialLR":
            return f"ExponentialLR {init} ×{kw.get('gamma')} per epoch"
        if cls == "MultiStepLR":
            miles = ", ".join(numbers.epoch_short(m) for m in kw.get("milestones", []))
            return f"MultiStepLR {init} ×{kw.get('gamma')} at {miles}"
        return f"cosine restarts {init}→{numbers.learning_rate(kw.get('lr_min'))} every " \
               f"{numbers.epoch_short(kw.get('cycle_epochs'))} ep"
    if t == "SetWeightDecayModifier":
        return f"weight decay = {numbers.learning_rate(get('weight_decay'))}{in_groups}"
    if t == "QuantizationModifier":
        parts = [f"QAT from {numbers.epoch_short(track.first_epoch)}"]
        total = float(schedule.total_epochs)
        for name, what in (("freeze_bn_stats_epoch", "BN frozen"),
                           ("disable_quantization_observer_epoch", "observers off")):
            value = get(name)
            if value is not None:
                late = " (after training)" if float(value) >= total else ""
                parts.append(f"{what} {numbers.epoch_short(value)}{late}")
        return ", ".join(parts)
    if t == "EpochRangeModifier":
        return (f"training {numbers.epoch_short(track.start_epoch)}→"
                f"{numbers.epoch_short(track.end_epoch)}")
    return ""


def _interval(track: ModifierTrack) -> str:
    if track.type in ("SetLearningRateModifier", "SetWeightDecayModifier"):
        return numbers.epoch_short(track.start_epoch)
    if track.end_epoch == -1:
        return f"{numbers.epoch_short(track.start_epoch)}→"
    return f"{numbers.epoch_short(track.start_epoch)}→{numbers.epoch_short(track.end_epoch)}"


# ---- the chart ----------------------------------------------------------------------------

def _col(epoch: float, total: float, width: int) -> int:
    return min(max(int(math.floor(epoch / total * width)), 0), width - 1)


def _span(a: float, b: float, total: float, width: int) -> range:
    """Columns covering [a, b) (at least one)."""
    c0 = _col(a, total, width)
    c1 = min(max(int(math.ceil(b / total * width)), c0 + 1), width)
    return range(c0, c1)


def _ticks(total: int, width: int) -> list[int]:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if total / step <= 6:
            break
    return list(range(0, total + 1, step))


def _axis(total: int, width: int) -> tuple[str, str]:
    labels = [" "] * (width + 6)
    rule = ["─"] * (width + 1)
    for tick in _ticks(total, width):
        c = min(int(round(tick / total * width)), width)
        text = str(tick)
        start = c if tick != total else max(c - len(text) + 1, 0)
        if tick != 0 and tick != total and c - len(text) // 2 >= 0:
            start = c - len(text) // 2
        if any(ch != " " for ch in labels[max(start - 1, 0):start + len(text) + 1]):
            continue
        labels[start:start + len(text)] = list(text)
        rule[c] = "┼"
    rule[0], rule[width] = "├", "┤"
    return "".join(labels).rstrip(), "".join(rule)


def _bar(track: ModifierTrack, schedule: Schedule, width: int) -> list[str]:
    total = float(schedule.total_epochs)
    cells = [" "] * width
    if track.never_starts:
        return cells
    first = track.first_epoch
    last = min(track.last_epoch(total), total)

    def fill(a: float, b: float, ch: str) -> None:
        if b < a or a >= total:
            return
        for c in _span(a, max(b, a), total, width):
            cells[c] = ch

    t = track.type
    if t in ("SetLearningRateModifier", "SetWeightDecayModifier"):
        if first < total:
            cells[_col(first, total, width)] = ONCE
    elif t == "QuantizationModifier":
        fill(first, total, ACTIVE)
        for ev in track.events:
            mark = {"bn_freeze": "B", "observers_disabled": "O"}.get(ev.kind)
            if mark:
                cells[_col(ev.epoch, total, width)] = mark
    elif t == "EpochRangeModifier":
        fill(first, last, "━")
    elif t == "ACDCPruningModifier":
        phases = [e for e in track.events if e.kind in ("dense", "sparse")]
        for i, ev in enumerate(phases):
            nxt = phases[i + 1].epoch if i + 1 < len(phases) else total
            end = nxt
            if track.mask is not None and track.mask.at(schedule.n_steps - 1) is False \
                    and track.end_step is not None:
                end = min(nxt, schedule.epoch(track.end_step))
            fill(ev.epoch, end, DENSE if ev.kind == "dense" else RAMP)
    elif t == "ConstantPruningModifier":
        fill(first, last, HELD)
    elif track.mask is not None:  # gradual pruners, RigL, TopKAST
        fill(first, last, RAMP)
        if track.end_epoch != -1 and track.mask.at(schedule.n_steps - 1):
            fill(last, total, HELD)
    else:
        fill(first, last, ACTIVE)
    if track.crash is not None and track.crash.epoch < total:
        cells[_col(track.crash.epoch, total, width)] = "x"
    return cells


def _phase_row(schedule: Schedule, width: int) -> list[tuple[str, str]]:
    """(text, style) pieces of the phase row."""
    total = float(schedule.total_epochs)
    cells: list[tuple[str, str]] = [(" ", "")] * width
    for phase in schedule.phases():
        cols = _span(phase.start, phase.end, total, width)
        text = phase.name
        style = _PHASE_STYLE.get(phase.name, "bold")
        if len(cols) <= len(text):  # a narrow chart: as much of the name as fits
            text = text[:max(len(cols) - 1, 1)]
        for i, c in enumerate(cols):
            ch = text[i] if i < len(text) else "─"
            cells[c] = (ch, style)
    return cells


# ---- the per-epoch table ------------------------------------------------------------------

def _event_text(track: ModifierTrack, ev: Event) -> str | None:
    i = f"#{track.index}"
    k = ev.kind
    if k == "start":
        if track.type in ("SetLearningRateModifier", "SetWeightDecayModifier",
                          "QuantizationModifier", "EpochRangeModifier"):
            return None
        return f"{i} starts"
    if k == "end":
        if track.sparsity is not None and track.type != "ConstantPruningModifier":
            value = track.target.at(ev.step) if track.target is not None else None
            return f"{i} ends at {numbers.sparsity(value)}" if value is not None else f"{i} ends"
        return f"{i} ends" if track.type != "EpochRangeModifier" else None
    if k == "lr":
        return f"lr={numbers.learning_rate(ev.value)} ({i})"
    if k == "weight_decay":
        return f"wd={numbers.learning_rate(ev.value)} ({i})"
    if k == "qat_start":
        return f"QAT starts ({i})"
    if k == "bn_freeze":
        return f"BN frozen ({i})"
    if k == "observers_disabled":
        return f"observers off ({i})"
    if k == "mask_released":
        return f"{i} releases its mask"
    if k in ("dense", "sparse"):
        return f"{i} {k}"
    return None


def _events_by_epoch(schedule: Schedule) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    spe = schedule.steps_per_epoch
    for track in schedule.tracks:
        for ev in track.events:
            text = _event_text(track, ev)
            if text:
                out.setdefault(ev.step // spe, []).append(text)
        if track.crash is not None:
            out.setdefault(track.crash.step // spe, []).append(f"#{track.index} crashes")
    return out


def table_rows(schedule: Schedule) -> tuple[list[tuple[str, list[str], list[str]]], int]:
    """(epoch label, values, events) rows of the per-epoch table, and the sampling stride.

    Values are those in force at the first step of each epoch. A row `a-b` stands for
    epochs whose values are all the same; with more than 60 epochs only every n-th epoch
    (and every epoch with an event) gets a row.
    """
    spe = schedule.steps_per_epoch
    total = schedule.total_epochs
    pruners = schedule.pruning
    show_wd = any(t.type == "SetWeightDecayModifier" for t in schedule.tracks)
    events = _events_by_epoch(schedule)
    stride = 1 if total <= 60 else math.ceil(total / 40)
    rows: list[list[Any]] = []  # [first, last, values, events]
    previous: list[str] | None = None
    for e in range(total):
        k = e * spe
        values = [numbers.learning_rate(schedule.lr.at(k))]
        values += [numbers.sparsity(t.sparsity.at(k)) for t in pruners]  # type: ignore[union-attr]
        if show_wd:
            values.append(numbers.learning_rate(schedule.weight_decay.at(k)))
        evs = events.get(e, [])
        unchanged = values == previous
        previous = values
        if rows and unchanged and not evs and not rows[-1][3] and rows[-1][1] == e - 1:
            rows[-1][1] = e
            continue
        if e % stride and not evs and e != total - 1:
            continue
        rows.append([e, e, values, evs])
    out = [(str(a) if a == b else f"{a}-{b}", values, evs) for a, b, values, evs in rows]
    return out, stride


# ---- rendering ------------------------------------------------------------------------

#: the narrowest chart drawn; the narrowest one beside which every annotation is put rather
#: than a wider one with the longer annotations below; the room kept for short annotations
MIN_CHART, MIN_INLINE_CHART, MIN_NOTE = 20, 30, 12


def _clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, with `…` marking the cut."""
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def _wrap(text: str, width: int, sep: str = " ") -> list[str]:
    """`text` broken between its `sep`-separated items into lines of at most `width`
    characters (an item longer than a line is broken too); a line that continues keeps the
    separator's mark (the `,` of `, `)."""
    import textwrap

    width = max(width, 2)
    if sep == " ":
        return textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    mark = sep.rstrip()
    room = width - len(mark)
    lines: list[str] = []
    for item in text.split(sep):
        if lines and len(lines[-1]) + len(sep) + len(item) <= room:
            lines[-1] += sep + item
            continue
        if lines:
            lines[-1] += mark
        lines.extend(textwrap.wrap(item, room, break_on_hyphens=False) or [""])
    return lines


def _print_wrapped(console: Any, text: Any) -> None:
    """Print prose wrapped at word boundaries to the console's width, without trailing
    spaces."""
    for line in text.wrap(console, console.width):
        line.rstrip()
        console.print(line)


def _layout(total_width: int, name_w: int, fixed: int, desc_max: int) -> tuple[int, int, int]:
    """(name column width, chart width, room for an annotation on the chart's line) for an
    output `total_width` wide. An annotation longer than the room goes on a line of its own."""
    # keep at least a narrow chart: shorten the modifier names first
    shortage = MIN_CHART + 1 - (total_width - name_w - fixed)
    if shortage > 0:
        name_w = max(name_w - shortage, len("#0 ") + 6)
    room = total_width - name_w - fixed  # chart, its closing column, a space, annotation
    if room - 2 - desc_max >= MIN_INLINE_CHART:  # every annotation beside a fair chart
        chart = min(CHART, room - 2 - desc_max)
    else:  # a wide chart; the annotations that do not fit beside it go below
        chart = max(min(CHART, room - 2 - MIN_NOTE), min(MIN_CHART, room - 1), 1)
    return name_w, chart, room - chart - 2


def _even_chart(total: int, chart: int) -> int:
    """A narrowed chart a few columns narrower still when that puts every tick of the axis
    on an exact column (evenly spaced labels)."""
    if chart >= CHART or total <= 0:
        return chart
    ticks = _ticks(total, chart)
    for w in range(chart, max(MIN_CHART, chart - 8) - 1, -1):
        if all(tick * w % total == 0 for tick in ticks):
            return w
    return chart


def render_text(schedule: Schedule, recipe: Recipe, stream: IO[str], *, path: str,
                spe_note: str = "", color: bool | None = None,
                width: int | None = None) -> None:
    """Write the Gantt chart, the per-epoch table and any crash or note, no line wider than
    `width` (default: the terminal's, or `$COLUMNS`; see :func:`terminal_width`)."""
    from recipe_studio.render.console import make_console

    console = make_console(stream, color, soft_wrap=False)
    total_width = max(width or console.width, 40)
    console.width = total_width
    entries = {m.index: m for m in recipe.modifiers}
    _header(console, schedule, path, spe_note)
    _chart(console, schedule, entries, total_width)
    _table(console, schedule, entries, total_width)
    _notes(console, schedule, entries)


def _header(console: Any, schedule: Schedule, path: str, spe_note: str) -> None:
    """The first lines: epochs x steps per epoch, notes, the phases."""
    from rich.text import Text

    spe = schedule.steps_per_epoch
    head = Text(path, style="bold")
    head.append(f": {schedule.total_epochs} epoch{'s' if schedule.total_epochs != 1 else ''} "
                f"x {spe} step{'s' if spe != 1 else ''} per epoch")
    if spe_note:
        head.append(f" ({spe_note})", style="dim")
    head.append(f" = {schedule.n_steps} steps")
    _print_wrapped(console, head)
    for note in schedule.notes:
        _print_wrapped(console, Text(f"note: {note}", style="dim"))
    phases = schedule.phases()
    if phases:
        line = Text("phases: ")
        for i, p in enumerate(phases):
            if i:
                line.append(", ")
            line.append(p.name, style=_PHASE_STYLE.get(p.name, "bold"))
            line.append(f" {numbers.epoch_short(p.start)}→{numbers.epoch_short(p.end)}")
        _print_wrapped(console, line)
    console.print()


def _chart(console: Any, schedule: Schedule, entries: dict[int, ModifierEntry],
           total_width: int) -> None:
    """The chart: modifier, recipe line, epochs, bar, what it does."""
    from rich.text import Text

    names = {t.index: f"#{t.index} {short(t.type)}" for t in schedule.tracks}
    descriptions = {t.index: describe(entries[t.index], t, schedule) for t in schedule.tracks}
    name_w = max([len(n) for n in names.values()] + [len("modifier")])
    line_w = max([len(f"L{t.line}") for t in schedule.tracks] + [len("line")])
    int_w = max([len(_interval(t)) for t in schedule.tracks] + [len("epochs")])
    fixed = 1 + line_w + 1 + int_w + 1
    name_w, chart, note_room = _layout(total_width, name_w, fixed,
                                       max([len(d) for d in descriptions.values()] + [0]))
    even = _even_chart(schedule.total_epochs, chart)
    chart, note_room = even, note_room + chart - even
    pad = name_w + fixed
    labels, rule = _axis(schedule.total_epochs, chart)
    header = ("modifier".ljust(name_w) + " " + "line".ljust(line_w) + " "
              + "epochs".rjust(int_w) + " ")
    console.print(Text(header, style="bold").append(labels, style="dim"))
    console.print(Text(" " * pad + rule, style="dim"))
    phase = Text("phases".ljust(pad))
    for ch, style in _phase_row(schedule, chart):
        phase.append(ch, style=style)
    console.print(phase)
    used: set[str] = set()
    indent = pad if total_width - pad >= 24 else 4
    for track in schedule.tracks:
        row = Text(_clip(names[track.index], name_w).ljust(name_w) + " ", style="bold")
        row.append(f"L{track.line}".ljust(line_w) + " ", style="dim")
        row.append(_interval(track).rjust(int_w) + " ")
        for ch in _bar(track, schedule, chart):
            row.append(ch, style=_STYLE.get(ch, ""))
            used.add(ch)
        text = descriptions[track.index]
        if text and len(text) <= note_room:
            row.append("  " + text)
            console.print(row)
        else:
            row.rstrip()
            console.print(row)
            for piece in _wrap(text, total_width - indent) if text else []:
                console.print(Text(" " * indent + piece, style="dim"))
    legend = [f"{ch} {what}" for ch, what in _LEGEND if ch in used]
    if legend:
        for piece in _wrap("  ".join(legend), total_width - indent, sep="  "):
            console.print(Text(" " * indent + piece, style="dim"))
    console.print()


def _table(console: Any, schedule: Schedule, entries: dict[int, ModifierEntry],
           total_width: int) -> None:
    """The table: one row per epoch (or run of unchanged epochs), events on the right."""
    from rich.text import Text

    pruners = schedule.pruning
    rows, stride = table_rows(schedule)
    columns = ["lr"] + [f"#{t.index} sparsity" for t in pruners]
    if any(t.type == "SetWeightDecayModifier" for t in schedule.tracks):
        columns.append("weight decay")

    def widths_for(head: list[str]) -> list[int]:
        out = [max(len("epoch"), *(len(r[0]) for r in rows))]
        for i in range(len(head)):
            out.append(max(len(head[i]), *(len(r[1][i]) for r in rows)))
        return out

    widths = widths_for(columns)
    short_heads = False
    if sum(widths) + 2 * len(widths) + len("events") > total_width and pruners:
        # `#4` instead of `#4 sparsity` (said in the footnote)
        columns = ["lr"] + [f"#{t.index}" for t in pruners] + columns[1 + len(pruners):]
        widths = widths_for(columns)
        short_heads = True
    start = sum(widths) + 2 * len(widths)
    ev_indent, ev_room = (start, total_width - start) if total_width - start >= 20 else \
        (6, total_width - 6)
    console.print(Text("  ".join(h.rjust(w) for h, w in zip(["epoch", *columns], widths))
                       + "  events", style="bold"))
    for label, values, evs in rows:
        cells = [label.rjust(widths[0])] + [v.rjust(w) for v, w in zip(values, widths[1:])]
        line = Text("  ".join(cells))
        pieces = _wrap(", ".join(evs), ev_room, sep=", ") if evs else []
        if pieces and ev_indent == start:
            line.append("  " + pieces.pop(0), style="cyan")
        console.print(line)
        for piece in pieces:
            console.print(Text(" " * ev_indent + piece, style="cyan"))
    sampled = f"every {stride}th epoch and each epoch with an event; " if stride > 1 else ""
    heads = "#N: the sparsity of modifier #N; " if short_heads else ""
    _print_wrapped(console, Text(f"({sampled}values in force at the first step of the epoch; a-b: "
                       f"unchanged over those epochs; {heads}lr of param group 0, '-' until a "
                       f"modifier sets it)", style="dim"))


def _notes(console: Any, schedule: Schedule, entries: dict[int, ModifierEntry]) -> None:
    from rich.text import Text

    lines: list[Text] = []
    for crash in schedule.crashes:
        t = Text("error", style="bold red")
        t.append(f": #{crash.index} {crash.type} (line {crash.line}) makes SparseML raise "
                 f"{crash.exception} at epoch {numbers.epoch_short(crash.epoch)} "
                 f"(step {crash.step}): "
                 f"{crash.message}")
        lines.append(t)
    for track in schedule.tracks:
        for note in track.notes:
            lines.append(Text(f"note: #{track.index} {short(track.type)}: {note}", style="dim"))
    for track in schedule.tracks:
        if track.type in RAMP_PRUNERS and track.end_epoch >= 0 and track.end_step is None \
                and not track.never_starts and track.crash is None:
            final = sparsity_value(track.sparsity.at(schedule.n_steps - 1)) \
                if track.sparsity is not None else None
            lines.append(Text(f"note: #{track.index} {short(track.type)}: ends at epoch "
                              f"{numbers.epoch_short(track.end_epoch)}, after the last "
                              f"training step: it stops at {numbers.sparsity(final)}",
                              style="dim"))
        if track.type == "LearningRateFunctionModifier" and track.end_step is None and \
                track.start_step is not None and track.crash is None and schedule.n_steps:
            last = schedule.n_steps - 1
            lines.append(Text(f"note: #{track.index} {short(track.type)}: ends at epoch "
                              f"{numbers.epoch_short(track.end_epoch)}, after the last "
                              f"training step (epoch {numbers.epoch_short(schedule.epoch(last))}),"
                              " which runs with lr "
                              f"{numbers.learning_rate(schedule.lr.at(last))}", style="dim"))
    if lines:
        console.print()
        for line in lines:
            _print_wrapped(console, line)


def write_json(data: dict[str, Any], stream: IO[str]) -> None:
    """The JSON document with one modifier and one step per line."""
    import json

    stream.write("{\n")
    keys = list(data)
    for i, key in enumerate(keys):
        value = data[key]
        end = ",\n" if i < len(keys) - 1 else "\n"
        if isinstance(value, list):
            stream.write(f" {json.dumps(key)}: [")
            for j, item in enumerate(value):
                stream.write(("\n  " if j == 0 else ",\n  ") + json.dumps(item))
            stream.write("\n ]" if value else "]")
            stream.write(end)
        else:
            stream.write(f" {json.dumps(key)}: {json.dumps(value)}{end}")
    stream.write("}\n")


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    """`recipe-studio show --format json`."""
    pruners = schedule.pruning
    iters = [(str(t.index), iter(t.sparsity)) for t in pruners]  # type: ignore[arg-type]
    lr = iter(schedule.lr)
    steps = []
    for k in range(schedule.n_steps):
        steps.append({
            "step": k,
            "epoch": schedule.epoch(k),
            "lr": next(lr),
            "sparsity": {key: sparsity_value(next(it)) for key, it in iters},
        })
    return {
        "total_epochs": schedule.total_epochs,
        "steps_per_epoch": schedule.steps_per_epoch,
        "modifiers": [{"index": t.index, "type": t.type, "line": t.line,
                       "start_epoch": t.start_epoch, "end_epoch": t.end_epoch}
                      for t in schedule.tracks],
        "steps": steps,
    }
