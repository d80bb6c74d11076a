"""The ``xlkit`` command line.

Exit codes: 0 all done; 1 done, but some input rows or files had errors; 2 nothing could be
done (an input that cannot be used). A user's mistake never ends in a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from pathlib import Path

import click

from xlkit import __version__
from xlkit.core.display import cannot_write, display_path, display_text, os_reason
from xlkit.core.spec import (
    TEMPLATES_ENV,
    builtin_specs,
    load_spec,
    template_dirs,
    template_index,
)
from xlkit.findings import InputError

EXIT_OK, EXIT_ROWS, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as a shell reports it

HELP_TEXT = "显示帮助并退出"


# ------------------------------------------------------------------ click's frame in Chinese

class ChineseFormatter(click.HelpFormatter):
    """Headings with a Chinese colon (选项：, 命令：)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


class ChineseContext(click.Context):
    formatter_class = ChineseFormatter


_HELP_EXTRA = (("[default: ", "[默认："), ("default: ", "默认："), ("env var: ", "环境变量："),
               ("required", "必填"))


class ChineseCommand(click.Command):
    """A command whose help reads in Chinese: 用法 / 选项, and the help option's text."""

    context_class = ChineseContext

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)),
                              prefix="用法：")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        opts = []
        for p in self.get_params(ctx):
            if rv := p.get_help_record(ctx):
                text = rv[1]
                for en, zh in _HELP_EXTRA:
                    text = text.replace(en, zh)
                opts.append((rv[0], text))
        if opts:
            with formatter.section("选项"):
                formatter.write_dl(opts)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option


class ChineseGroup(ChineseCommand, click.Group):
    """The ``xlkit`` group: Chinese help (命令), and every usage error, Ctrl-C and OS error
    said in Chinese with a meaningful exit code (2 a usage error, 130 interrupted)."""

    command_class = ChineseCommand

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ChineseCommand.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.Abort:
            click.echo("已中止", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help(), err=True)
            sys.exit(EXIT_INPUT)
        except click.UsageError as exc:
            ctx = exc.ctx
            if ctx is not None:
                click.echo(ctx.get_usage(), err=True)
                click.echo(f"查看帮助：{ctx.command_path} --help", err=True)
            click.echo(f"错误：{usage_error_text(exc)}", err=True)
            sys.exit(EXIT_INPUT)
        except click.ClickException as exc:
            click.echo(f"错误：{exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader of our output went away (| head)
                sys.exit(EXIT_ROWS)
            click.echo(f"错误：{cannot_write(exc)}", err=True)
            sys.exit(EXIT_INPUT)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


_NUMBER_TYPES = {"integer": "整数", "float": "数字", "boolean": "是/否", "integer range": "整数",
                 "float range": "数字"}
_PATH_KINDS = {"file": "文件", "directory": "文件夹", "path": "路径"}
_PATH_PROBLEMS = {"does not exist": "不存在", "is a file": "是文件，不是文件夹",
                  "is a directory": "是文件夹，不是文件", "is not readable": "无法读取（权限不足）",
                  "is not writable": "无法写入（权限不足）", "is not executable": "不可执行"}


def _param_name(param: click.Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Option):
        return "/".join(param.opts)
    return (param.human_readable_name or param.name or "参数").upper()


def _bad_value_text(exc: click.BadParameter) -> str:
    """A type's English complaint about a value, in Chinese, the raw value kept."""
    msg = exc.message
    name = _param_name(exc.param)
    if m := re.fullmatch(r"(\w+) (.+) (does not exist|is a file|is a directory|is not readable"
                         r"|is not writable|is not executable)\.", msg, re.S):
        kind = _PATH_KINDS.get(m[1].lower(), "路径")
        path = m[2][1:-1] if m[2][:1] in "'\"" else m[2]
        return f"{name} 的{kind} {display_path(path)} {_PATH_PROBLEMS[m[3]]}"
    if m := re.fullmatch(r"(.+) is not a valid (\w+(?: range)?)\.", msg, re.S):
        kind = _NUMBER_TYPES.get(m[2].lower(), m[2])
        return f"{name} 的值 {m[1]} 不是有效的{kind}"
    if m := re.fullmatch(r"(.+) is not in the range (.+)\.", msg, re.S):
        return f"{name} 的值 {m[1]} 超出范围（{m[2]}）"
    if isinstance(exc.param, click.Parameter) and isinstance(exc.param.type, click.Choice):
        value = re.match(r"(.+?) is not", msg, re.S)
        choices = "、".join(map(str, exc.param.type.choices))
        shown = value[1] if value else ""
        return f"{name} 的值 {shown} 不是可选的值（可选：{choices}）"
    return f"{name} 的值无效：{msg}"


def usage_error_text(exc: click.UsageError) -> str:
    """A click usage error in Chinese."""
    if isinstance(exc, click.exceptions.MissingParameter):
        param = exc.param
        if isinstance(param, click.Option):
            return f"缺少选项 {_param_name(param)}"
        return f"缺少参数 {_param_name(param)}"
    if isinstance(exc, click.BadParameter):
        return _bad_value_text(exc)
    if isinstance(exc, click.exceptions.NoSuchOption):
        text = f"没有这个选项：{exc.option_name}"
        if exc.possibilities:
            text += "（是否想用 " + "、".join(sorted(exc.possibilities)) + "？）"
        return text
    if isinstance(exc, click.exceptions.NoSuchCommand):
        text = f"没有这个命令：{exc.command_name}"
        if exc.possibilities:
            text += "（是否想用 " + "、".join(sorted(exc.possibilities)) + "？）"
        return text
    msg = exc.message
    if m := re.fullmatch(r"Got unexpected extra arguments? \((.*)\)", msg, re.S):
        return f"多余的参数：{m[1]}"
    if m := re.fullmatch(r"Option '(.+)' requires (?:an argument|\d+ arguments)\.", msg, re.S):
        return f"选项 {m[1]} 需要一个值"
    if m := re.fullmatch(r"Option '(.+)' does not take a value\.", msg, re.S):
        return f"选项 {m[1]} 不接受值"
    if msg == "Missing command.":
        return "缺少命令"
    return msg


def _fail(message: str) -> None:
    click.echo(f"错误：{display_text(message)}", err=True)
    sys.exit(EXIT_INPUT)


def _unusable(exc: InputError) -> None:
    """An input that cannot be used, said in Chinese; exit 2."""
    if exc.code == "input.spec":
        lines = "\n".join(f"  {p}" for p in exc.problems)
        _fail(f"表式 {exc.source} 有误：\n{lines}")
    _fail(str(exc))


def _load_spec(ref: str, say: bool = False):
    """The spec ``ref`` names (an id: its newest version; ``id@N``: version N; a YAML
    path), or exit 2 saying why in Chinese; ``say``: one line naming the version used."""
    try:
        spec = load_spec(ref)
    except InputError as exc:
        _unusable(exc)
    if say:
        _say_spec(ref, spec)
    return spec


def _say_spec(ref: str, spec) -> None:
    """Which version ``build`` uses: the newest unless one was named (said), and the
    files of the templates folders that are not a spec (ignored, said)."""
    index = template_index()
    newest = index.newest(spec.id)
    mark = "（最新）" if newest is not None and newest.version == spec.version else ""
    named = "指定" if "@" in str(ref) or Path(ref).suffix in (".yaml", ".yml") else "默认最新"
    click.echo(f"表式：{spec.id} 第 {spec.version} 版{mark}「{spec.title}」（{named}；"
               f"{display_path(spec.source)}）", err=True)
    for problem in index.broken:
        click.echo(f"  提示：模板目录中的文件不是可用的表式，已忽略：{problem}", err=True)


def _use_templates(ctx: click.Context, param: click.Parameter, value: tuple[Path, ...]):
    """``--templates DIR``: searched before $XLKIT_TEMPLATES and the built-in templates,
    for this command and the readers it starts (restored when the command ends)."""
    if value:
        old = os.environ.get(TEMPLATES_ENV)
        os.environ[TEMPLATES_ENV] = os.pathsep.join([str(p.resolve()) for p in value]
                                                    + ([old] if old else []))
        ctx.call_on_close(lambda: _restore_env(TEMPLATES_ENV, old))
    return value


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


TEMPLATES_OPTION = click.option(
    "--templates", "templates_dirs", multiple=True, expose_value=False, is_eager=True,
    callback=_use_templates, type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="本单位的表式目录（可多次使用；先于环境变量 XLKIT_TEMPLATES 的目录和内置表式查找）")


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlkit", help="显示版本并退出",
                      message="%(prog)s 版本 %(version)s")
def main() -> None:
    """xlkit：绩效自评表的下发、回收、核对。"""


@main.command()
@TEMPLATES_OPTION
def templates() -> None:
    """列出可用的表式：每个 id 的每个版本（版本、名称、是否最新、所在目录）。

    先查找 --templates 与环境变量 XLKIT_TEMPLATES 的目录，再查找内置表式；
    build --spec ID 用最新版本，ID@版本号 指定版本。
    """
    try:
        newest = {s.id: s.version for s in builtin_specs()}
        index = template_index()
        specs = [load_spec(tid, version=v) for tid in newest for v in sorted(index.versions[tid])]
    except InputError as exc:
        _unusable(exc)
    folders = template_dirs()
    width = max((len(s.id) for s in specs), default=0) + 1
    for s in specs:
        mark = "最新" if newest[s.id] == s.version else "    "
        click.echo(f"{s.id:<{width}} v{s.version:<3} {mark}  {s.title}  "
                   f"({_folder_of(s.source, folders)})")


def _folder_of(source: str, folders: tuple[Path, ...]) -> str:
    """Which templates folder holds ``source`` (内置 for the package's), shown."""
    path = Path(source)
    for i, folder in enumerate(folders):
        try:
            path.relative_to(folder.resolve())
        except ValueError:
            continue
        where = "内置" if i == len(folders) - 1 else "本单位"
        return f"{where}：{display_path(path)}"
    return display_path(path)


@main.command()
@click.option("--spec", "--template", "spec_ref", default="project-2020", show_default=True,
              help="表式：id（用最新版本）、id@版本号（如 project-2020@1）或 YAML 文件路径")
@TEMPLATES_OPTION
@click.option("--list", "list_path", type=click.Path(path_type=Path),
              help="预算清单（.xlsx 或 .csv）")
@click.option("--targets", "targets_path", type=click.Path(path_type=Path),
              help="批复的绩效目标（.xlsx 或 .csv），预填并锁定")
@click.option("--year", type=click.IntRange(2000, 2100), help="评价年度，如 2023")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="输出目录")
@click.option("--money-unit", type=click.Choice(["万元", "元"]), default=None,
              help="清单金额单位（默认按清单注明的“单位：元”或列名识别，未注明时为万元）；"
                   "元 会换算为万元")
@click.option("--password", default=None, help="工作表保护密码；不填则每个文件随机生成并记入 manifest")
@click.option("--key-file", type=click.Path(path_type=Path), default=None,
              help="签名密钥文件（也可用环境变量 XLKIT_KEY）")
@click.option("--force", is_flag=True, help="覆盖输出目录中已有的文件")
@click.option("--blank", is_flag=True, help="只生成一张空白表（配合 -o）")
@click.option("-o", "output", type=click.Path(path_type=Path), help="--blank 时的输出文件")
def build(spec_ref, list_path, targets_path, year, out_dir, money_unit, password, key_file,
          force, blank, output) -> None:
    """按预算清单为每个项目生成锁定、预填的绩效自评表。"""
    from xlkit.build import build_workbook, write_atomic

    spec = _load_spec(spec_ref, say=True)
    key = _key(key_file)
    if key is None:
        click.echo("提示：未提供签名密钥（--key-file 或 XLKIT_KEY），生成的工作簿未签名，"
                   "回收时无法发现预填数据被改动。", err=True)
    if blank:
        if output is None:
            _fail("--blank 需要用 -o 指定输出文件")
        if output.is_dir():
            _fail(f"{display_path(output)} 是一个文件夹，-o 应为要生成的 .xlsx 文件名")
        if output.suffix.lower() != ".xlsx":
            output = output.with_name(output.name + ".xlsx")
            click.echo(f"提示：输出文件名已补上 .xlsx：{display_path(output)}", err=True)
            if output.is_dir():
                _fail(f"{display_path(output)} 是一个文件夹，-o 应为要生成的 .xlsx 文件名")
        if output.exists() and not force:
            _fail(f"{display_path(output)} 已存在，如需覆盖请加 --force")
        built = build_workbook(spec, {"year": year}, key=key, password=password or "")
        try:
            write_atomic(output, built.data)
        except OSError as exc:
            _fail(cannot_write(exc, output))
        click.echo(f"已生成空白表：{display_path(output)}")
        return
    missing = [n for n, v in (("--list", list_path), ("--year", year), ("--out", out_dir))
               if v is None]
    if missing:
        _fail("缺少参数 " + "、".join(missing) + "（或用 --blank -o FILE 生成空白表）")
    _check_out_dir(out_dir, "--out")
    try:
        _build_from_list(spec, list_path, targets_path, year, out_dir, money_unit, password,
                         key, force)
    except OSError as exc:
        _fail(cannot_write(exc, out_dir))


def _check_out_dir(folder: Path, option: str, target: Path | None = None) -> None:
    """An output folder that names an existing file (or lies under one) is refused at once
    (``target``: the output the option names, when ``folder`` is its folder)."""
    for p in (folder, *folder.parents):
        if p.exists():
            if p.is_dir():
                return
            if p == folder and target is None:
                _fail(f"{option} {display_path(folder)} 不是文件夹：已有同名文件")
            _fail(f"{option} {display_path(target or folder)}：{display_path(p)} 是文件，"
                  "不是文件夹")


def _build_from_list(spec, list_path, targets_path, year, out_dir, money_unit, password, key,
                     force) -> None:
    from xlkit.build.distribute import MANIFEST, BuildInterrupted, check_targets, issue_all, plan
    from xlkit.inputs.budget_list import note, read_list, read_targets

    try:
        result = read_list(list_path, money_unit=money_unit, spec=spec)
        targets, target_problems = ({}, [])
        if targets_path is not None:
            targets, target_problems = read_targets(targets_path)
    except InputError as exc:
        _unusable(exc)
    for p in result.problems + target_problems:
        click.echo(f"  {note(p)}", err=True)
    if not result.rows:
        _fail(f"{list_path} 中没有可用的行（共 {result.total_rows} 行数据）")
    if result.aggregated:
        n_projects = sum(len(r["projects"]) for r in result.rows)
        click.echo(f"按项目清单汇总：{n_projects} 个项目 → {len(result.rows)} 个单位；"
                   "项目支出（年初预算数、全年预算数）为各单位项目之和，已预填；"
                   "基本支出（人员经费、公用经费）与年度支出总额由单位填写")
    code_key = "unit_code" if spec.level == "unit" else "project_code"
    for msg in check_targets(spec, targets, (r[code_key] for r in result.rows)):
        click.echo(f"  提示：{msg}", err=True)
    the_plan = plan(spec, result.rows, out_dir)
    resume = None if force else _resume(spec, the_plan, out_dir, year, targets, key, password)
    if resume is None and not force:
        clashes = the_plan.clashes(out_dir)
        if clashes:
            shown = "、".join(str(p) for p in clashes[:3]) + (" 等" if len(clashes) > 3 else "")
            _fail(f"输出目录中已有同名文件（{shown}，共 {len(clashes)} 个），如需覆盖请加 --force")
    n = len(resume.build) if resume is not None else len(the_plan.items)
    try:
        with click.progressbar(length=n, label="生成工作簿", file=sys.stderr,
                               show_pos=True) as bar:
            issued = issue_all(spec, the_plan, year=year, out_dir=out_dir, targets=targets,
                               key=key, password=password, on_progress=bar.update,
                               resume=resume)
    except BuildInterrupted as exc:
        kept = len(exc.issued) - exc.built
        click.echo(f"\n已中止：已生成 {len(exc.issued)} 个" + (f"（本次 {exc.built} 个）" if kept
                                                            else "")
                   + f"，清单已写入 {out_dir / MANIFEST}；再次运行同一命令将继续生成其余的"
                   f"（还有 {exc.remaining} 个）", err=True)
        sys.exit(EXIT_INTERRUPTED)
    bad_rows = result.bad_rows
    if resume is not None and not n:
        click.echo(f"全部 {len(issued)} 个工作簿已生成且与清单一致，无需重新生成：{out_dir}")
    elif resume is not None:
        click.echo(f"已生成 {n} 个工作簿（沿用上次生成的 {len(resume.kept)} 个，共 {len(issued)} 个）："
                   f"{out_dir}")
    else:
        click.echo(f"已生成 {n} 个工作簿：{out_dir}")
    click.echo(f"下发清单：{out_dir / MANIFEST}")
    if bad_rows:
        click.echo(f"有 {bad_rows} 行未生成（见上方提示）", err=True)
        sys.exit(EXIT_ROWS)


def _resume(spec, the_plan, out_dir, year, targets, key, password):
    """An earlier run's manifest in ``out_dir``: the resume plan (what to keep, what to
    build), said in Chinese; None when there is none (a fresh build)."""
    from xlkit.build.distribute import MANIFEST, resume_plan
    from xlkit.inputs.manifest import read_manifest

    path = out_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        previous = {r.values.get("文件", ""): r.values for r in read_manifest(path).rows if r.file}
    except InputError as exc:
        _fail(f"{exc}；无法据此继续上次的生成，如需全部重新生成请加 --force")
    resume = resume_plan(spec, the_plan, previous, year=year, out_dir=out_dir,
                         targets=targets, key=key, password=password)
    if resume.foreign:
        shown = "、".join(str(p) for p in resume.foreign[:3]) + (
            " 等" if len(resume.foreign) > 3 else "")
        _fail(f"输出目录中已有同名文件（{shown}，共 {len(resume.foreign)} 个），"
              f"但 {path} 中没有记录，不是本次生成的；如需覆盖请加 --force")
    for p in resume.changed:
        click.echo(f"  清单中的行（或表式、密钥、年度、密码）与上次生成时不同，重新生成：{p}",
                   err=True)
    if resume.kept and resume.build:
        click.echo(f"继续上次的生成：{len(resume.kept)} 个工作簿已生成且与清单一致，跳过；"
                   f"生成其余 {len(resume.build)} 个", err=True)
    return resume


def _key(key_file):
    from xlkit.core.meta import load_key

    try:
        return load_key(key_file)
    except InputError as exc:
        _unusable(exc)


KEY_OPTION = click.option("--key-file", type=click.Path(path_type=Path), default=None,
                          help="签名密钥文件（也可用环境变量 XLKIT_KEY），用于核验签名")
YEAR_OPTION = click.option("--year", type=click.IntRange(2000, 2100), default=None,
                           help="本次收集的年度；其他年度的表格会被指出")
JOBS_OPTION = click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
                           help="并行读取的进程数（默认为 CPU 核数）")


def _read_results(paths, key, year, jobs, label):
    from xlkit.read import expand, iter_read

    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        _fail("找不到 " + "、".join(map(display_path, missing)))
    files, skipped = expand(paths)
    results = list(skipped)
    if not files and not skipped:
        _fail("没有找到要读取的工作簿：" + "、".join(map(display_path, paths)))
    with click.progressbar(length=len(files), label=label, file=sys.stderr,
                           show_pos=True) as bar:
        for r in iter_read(files, key=key, year=year, jobs=jobs):
            results.append(r)
            bar.update(1)
    return results


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@KEY_OPTION
@TEMPLATES_OPTION
@YEAR_OPTION
@JOBS_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def validate(files, key_file, year, jobs, fmt) -> None:
    """检查报回的工作簿，按文件列出每个问题（工作表!单元格）。

    退出码：0 无错误；1 有错误；2 有文件无法读取。
    """
    import json

    results = _read_results(files, _key(key_file), year, jobs, "检查")
    if fmt == "json":
        out = [{"file": r.path, "status": r.status, "reason": r.reason, "errors": r.errors,
                "hints": r.hints, "findings": [f.as_dict() for f in r.findings]}
               for r in results]
        click.echo(json.dumps(_shown(out), ensure_ascii=False, indent=2))
    else:
        for r in results:
            click.echo(f"== {display_path(r.path)}")
            for f in r.findings:
                where = f" {f.where}" if f.where else ""
                click.echo(display_text(f"  [{f.severity}] {f.code}{where}：{f.message}"))
            click.echo("  " + display_text(_verdict(r)))
    if any(r.status == "rejected" for r in results):
        sys.exit(EXIT_INPUT)
    sys.exit(EXIT_ROWS if any(r.errors for r in results) else EXIT_OK)


def _shown(data):
    """``data`` (JSON-to-be) with every text shown safely (a non-UTF-8 file name's bytes as
    ``\\xff``), so the JSON is valid UTF-8."""
    if isinstance(data, str):
        return display_text(data)
    if isinstance(data, dict):
        return {k: _shown(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_shown(v) for v in data]
    return data


def _verdict(r) -> str:
    if r.status == "skipped":
        return f"跳过：{r.reason}"
    if r.status == "rejected":
        return f"无法读取：{r.reason}"
    if r.errors:
        return f"有 {r.errors} 个错误、{r.hints} 个提示，需修改后重新报送"
    return f"通过（{r.hints} 个提示）" if r.hints else "通过"


@main.command("read")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@TEMPLATES_OPTION
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path),
              help="输出：.xlsx 文件；文件夹（每张表一个 CSV）；以 .parquet 结尾的文件夹（写 parquet）")
@KEY_OPTION
@YEAR_OPTION
@JOBS_OPTION
@click.option("--headers", type=click.Choice(["zh", "en"]), default=None,
              help="列名与取值：zh 中文（默认，给人看）；en 英文列名与原始取值（给脚本用）")
@click.option("--english", is_flag=True, hidden=True, help="同 --headers en")
def read_cmd(paths, out, key_file, year, jobs, headers, english) -> None:
    """把报回的工作簿（文件或文件夹，递归）读成表：项目、资金、指标、评分表、问题清单、文件。

    写出表格即退出码 0（问题都在“问题清单”和“文件”表中）；找不到输入、无法写出时为 2。
    """
    from xlkit.read import tables_of

    chinese = (headers or ("en" if english else "zh")) == "zh"
    suffix = out.suffix.lower()
    if suffix == ".csv":
        _fail(f"-o {display_path(out)}：CSV 输出是一个文件夹（每张表一个 .csv 文件），"
              f"请用 -o {display_path(out.with_suffix(''))} 写到文件夹，"
              f"或 -o {display_path(out.with_suffix('.xlsx'))} 写成一个工作簿")
    if suffix == ".xlsx" and out.is_dir():
        _fail(f"-o {display_path(out)} 是一个文件夹，.xlsx 输出应为文件名")
    if suffix != ".xlsx":
        _check_out_dir(out, "-o")
    else:
        _check_out_dir(out.parent, "-o", out)
    results = _read_results(paths, _key(key_file), year, jobs, "读取")
    tables = tables_of(results)
    try:
        if suffix == ".xlsx":
            tables.to_excel(out, chinese=chinese)
        elif suffix == ".parquet":
            tables.to_parquet(out)
        else:
            tables.to_csv(out, chinese=chinese)
    except RuntimeError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(cannot_write(exc, out))
    n_read = sum(r.status == "read" for r in results)
    n_rej = sum(r.status == "rejected" for r in results)
    n_skip = sum(r.status == "skipped" for r in results)
    errors = sum(r.errors for r in results)
    hints = sum(r.hints for r in results)
    click.echo(f"收到 {len(results)} 个文件：读取 {n_read}，无法读取 {n_rej}，跳过 {n_skip}；"
               f"错误 {errors}，提示 {hints}")
    click.echo(f"已写出：{display_path(out)}")


@main.command()
def schema() -> None:
    """打印读出的各张表的列（名称、类型、中文列名、含义）和问题代码。"""
    from xlkit.read.tables import schema_text

    click.echo(schema_text())
    click.echo(findings_text())


def findings_text() -> str:
    """Every finding code: severity, title, message template (and its other wordings)."""
    from xlkit.findings import CATALOGUE

    lines = ["findings.code (问题代码：级别、名称、消息模板)"]
    for c in CATALOGUE.values():
        lines.append(f"  {c.code:<26} {c.severity}  {c.title}")
        lines.append(f"  {'':<26}       {c.template}")
        lines += [f"  {'':<26}       [{name}] {t}" for name, t in c.variants.items()]
    return "\n".join(lines)


FAIL_ON = {"错误": ("错误",), "提示": ("错误", "提示"), "never": ()}


@main.command()
@click.argument("inbox", type=click.Path(path_type=Path))
@TEMPLATES_OPTION
@click.option("--list", "list_path", required=True, type=click.Path(path_type=Path),
              help="下发时用的预算清单（.xlsx 或 .csv）")
@click.option("--final", "finals", multiple=True, type=click.Path(path_type=Path),
              help="决算表（项目支出决算或收入支出决算表），可多次使用")
@click.option("--targets", type=click.Path(path_type=Path), help="现行的绩效目标，用于核对下发的目标")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path),
              help="本单位的审核规则（YAML）")
@click.option("-o", "--out", "report", required=True, type=click.Path(path_type=Path),
              help="报告工作簿（.xlsx）")
@click.option("--db", type=click.Path(path_type=Path), help="台账（默认与报告同目录）")
@click.option("--spec", "spec_ref", default="project-2020", show_default=True,
              help="下发时用的表式")
@click.option("--money-unit", type=click.Choice(["万元", "元"]), default=None,
              help="预算清单的金额单位（默认按清单注明的“单位：元”或列名识别，未注明时为万元）")
@click.option("--final-money-unit", type=click.Choice(["万元", "元"]), default=None,
              help="决算表的金额单位（默认从表头“单位：元”识别）")
@click.option("--mapping", type=click.Path(path_type=Path), help="决算表的列映射（YAML）")
@click.option("--manifest", type=click.Path(path_type=Path),
              help="xlkit build 写出的下发清单 manifest.xlsx，逐份核对报回的是否为下发的工作簿"
                   "（不填时使用预算清单同目录下的 manifest.xlsx，如有）")
@KEY_OPTION
@YEAR_OPTION
@JOBS_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="错误", show_default=True,
              help="出现何种级别的问题时以退出码 1 结束")
@click.option("--engine", type=click.Choice(["fast", "openpyxl"]), default="fast",
              show_default=True, help="读取方式：fast（直接解析 XML）或 openpyxl（核对用）")
@click.option("--docs", "docs", type=click.Path(path_type=Path),
              help="同时写出文书的目录：各单位的反馈（退回意见、催报）、各项目的自评报告初稿、"
                   "汇总分析报告和文书索引（须在收件目录之外）")
def collect(inbox, list_path, finals, targets, rules_path, report, db, spec_ref, money_unit,
            final_money_unit, mapping, manifest, key_file, year, jobs, fmt, fail_on,
            engine, docs) -> None:
    """收集一个文件夹中报回的工作簿，与预算清单、决算核对，写出报告。

    退出码：0 完成；1 有错误（见 --fail-on）；2 输入（收件目录、清单、决算、规则）无法使用，
    收件目录不存在或为空。
    """
    import json

    from xlkit.round import collect as collecting

    _check_inbox(inbox)
    _load_spec(spec_ref)
    bar = None

    def start(n):
        nonlocal bar
        bar = click.progressbar(length=n, label=f"读取 {n} 个新的或改动过的文件", file=sys.stderr,
                                show_pos=True)
        bar.__enter__()

    def start_docs(kind, n):
        nonlocal bar
        from xlkit.docs import KIND_NAMES

        if bar is not None:
            bar.__exit__(None, None, None)
        bar = click.progressbar(length=max(n, 1), label=f"写出{KIND_NAMES[kind]} {n} 份",
                                file=sys.stderr, show_pos=True)
        bar.__enter__()

    try:
        outcome = collecting.collect(
            inbox, list_path, report, finals=finals, targets=targets, rules_path=rules_path,
            db=db, spec_ref=spec_ref, key=_key(key_file), year=year, money_unit=money_unit,
            final_money_unit=final_money_unit, mapping=mapping, manifest=manifest, jobs=jobs,
            engine=engine,
            on_start=start,
            on_result=lambda r: bar.update(1) if bar else None,
            documents=docs, on_documents=start_docs,
            on_document=lambda n: bar.update(n) if bar else None)
    except InputError as exc:
        _unusable(exc)
    except OSError as exc:
        _fail(cannot_write(exc))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    summary = outcome.summary
    if fmt == "json":
        click.echo(json.dumps({"summary": summary, "report": str(outcome.report),
                               "ledger": str(outcome.db), "read_now": outcome.read_now,
                               "reused": outcome.reused, "unchanged": outcome.unchanged,
                               "notes": outcome.input_notes,
                               "documents": _documents_json(outcome.documents)},
                              ensure_ascii=False, indent=2))
    else:
        for note in outcome.input_notes:
            click.echo(f"  清单提示：{note}", err=True)
        _print_summary(summary, outcome)
        _print_documents(outcome.documents, docs)
    severities = FAIL_ON[fail_on]
    sys.exit(EXIT_ROWS if any(summary[s] for s in severities) else EXIT_OK)


def _documents_json(written) -> list[dict]:
    return [{"kind": w.kind, "path": None if w.path is None else str(w.path),
             "unit_code": w.unit_code, "project_code": w.project_code, "note": w.note}
            for w in written]


def _print_documents(written, folder) -> None:
    """One line: how many of each kind were written, and where the index is."""
    if folder is None:
        return
    from xlkit.docs import KIND_NAMES, KINDS
    from xlkit.docs.common import INDEX_FILE

    counts = [f"{KIND_NAMES[k]} {sum(1 for w in written if w.kind == k and w.path)} 份"
              for k in KINDS]
    passed = sum(1 for w in written if w.kind == "feedback" and w.path is None)
    click.echo(f"文书：{display_path(folder)}（{'，'.join(counts)}"
               + (f"；{passed} 个单位无需反馈" if passed else "")
               + f"；索引 {INDEX_FILE}）")


def _check_inbox(inbox: Path) -> None:
    """A missing inbox, a file given as one, and an empty one are refused (exit 2) before
    anything is read or written: an empty inbox is most often a wrong path, and a report of
    nothing received would look like a finished round."""
    if not os.path.lexists(inbox):
        _fail(f"找不到收件目录 {display_path(inbox)}")
    if not inbox.is_dir():
        _fail(f"收件目录 {display_path(inbox)} 不是文件夹")
    try:
        with os.scandir(inbox) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        _fail(f"无法读取收件目录 {display_path(inbox)}：{os_reason(exc)}")
    if empty:
        _fail(f"收件目录为空：{display_path(inbox)}（没有收到任何文件，未写出报告）")


def _print_summary(summary, outcome) -> None:
    from xlkit.findings import title

    s = summary
    click.echo(f"应报 {s['应报']}  已报 {s['已报']}  未报 {s['未报']}  "
               f"收到文件 {s['收到文件']}（读取 {s['读取']} + 无法读取 {s['无法读取']} + "
               f"跳过 {s.get('跳过', 0)}）  "
               f"错误 {s['错误']}  提示 {s['提示']}")
    if s["主要问题"]:
        click.echo("主要问题：")
        for item in s["主要问题"]:
            click.echo(f"  {item['级别']}  {item['数量']:>4}  {item['规则']:<28} "
                       f"{title(item['规则'])}")
    click.echo(f"报告：{outcome.report}" + ("（收件与输入均无变化，沿用上次的报告）"
                                          if outcome.unchanged else ""))
    click.echo(f"台账：{outcome.db}（本次读取 {outcome.read_now} 个文件，沿用 {outcome.reused} 个）")


@main.command()
@click.option("--db", required=True, type=click.Path(path_type=Path, exists=True),
              help="collect 的台账")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def status(db, fmt) -> None:
    """台账中的情况：已报、未报、被替代的文件。"""
    import json
    import sqlite3

    from xlkit.round.ledger import open_readonly

    try:
        led = open_readonly(db)
        st = led.status()
        led.close()
    except sqlite3.DatabaseError as exc:
        _fail(f"{db} 不是 xlkit 台账（{exc}）")
    files = [f for f in st["files"] if f["status"] != "gone"]
    supplied = {f["project_code"] for f in files if f["status"] == "read"
                and not f["superseded_by"]}
    missing = [e for e in st["expected"] if e["project_code"] not in supplied]
    superseded = [f for f in files if f["superseded_by"]]
    if fmt == "json":
        click.echo(json.dumps({"returned": [f for f in files if f["status"] == "read"
                                            and not f["superseded_by"]],
                               "rejected": [f for f in files if f["status"] == "rejected"],
                               "skipped": [f for f in files if f["status"] == "skipped"],
                               "missing": missing, "superseded": superseded,
                               "last_run": st["last_run"]}, ensure_ascii=False, indent=2))
        return
    if st["last_run"]:
        r = st["last_run"]
        click.echo(f"上次收集：{r['finished']}，报告 {r['report']}")
    click.echo(f"已报 {len(supplied)}，未报 {len(missing)}，被替代 {len(superseded)}，"
               f"无法读取 {sum(f['status'] == 'rejected' for f in files)}，"
               f"跳过 {sum(f['status'] == 'skipped' for f in files)}")
    for f in files:
        if f["status"] == "read" and not f["superseded_by"]:
            click.echo(f"  已报    {f['project_code'] or f['unit_code']}  {f['path']}")
    for e in missing:
        contact = f"  {e['contact'] or ''} {e['phone'] or ''}".rstrip()
        click.echo(f"  未报    {e['project_code']}  {e['unit_name']}  {e['project_name']}{contact}")
    for f in superseded:
        click.echo(f"  被替代  {f['path']} → {f['superseded_by']}")
    for f in files:
        if f["status"] == "rejected":
            click.echo(f"  无法读取  {f['path']}")
    for f in files:
        if f["status"] == "skipped":
            click.echo(f"  跳过    {f['path']}：{f.get('reason') or ''}")


@main.command()
@click.argument("folder", required=False, default="xlkit-demo", type=click.Path(path_type=Path))
@JOBS_OPTION
def demo(folder, jobs) -> None:
    """用自带的示例走完一轮：下发、按示例单位填报、收集、与决算核对、写出报告和文书。"""
    from xlkit.demo import DOCS, run_demo

    _check_out_dir(folder, "示例目录")
    try:
        outcome = run_demo(folder, jobs=jobs)
    except OSError as exc:
        _fail(cannot_write(exc, folder))
    click.echo(f"示例一轮已完成：下发 {folder / 'issued'}，报回 {folder / 'returns'}")
    _print_summary(outcome.summary, outcome)
    _print_documents(outcome.documents, folder / DOCS)


if __name__ == "__main__":  # pragma: no cover
    main()
