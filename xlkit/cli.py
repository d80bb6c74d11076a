"""The ``xlkit`` command line.

Exit codes: 0 all done; 1 done, but some input rows or files had errors; 2 nothing could be
done (an input that cannot be used). A user's mistake never ends in a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .spec import SpecError, builtin_specs, load_spec

EXIT_OK, EXIT_ROWS, EXIT_INPUT = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(EXIT_INPUT)


def _load_spec(ref: str):
    try:
        return load_spec(ref)
    except SpecError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems)
        _fail(f"表式 {exc.source} 有误：\n{lines}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlkit")
def main() -> None:
    """xlkit：绩效自评表的下发、回收、核对。"""


@main.command()
def templates() -> None:
    """列出可用的表式（id、版本、名称）。"""
    try:
        specs = builtin_specs()
    except SpecError as exc:
        _fail(str(exc))
    for s in specs:
        click.echo(f"{s.id:<16} v{s.version:<3} {s.title}  ({s.source})")


@main.command()
@click.option("--spec", "spec_ref", default="project-2020", show_default=True,
              help="表式 id 或 YAML 文件路径")
@click.option("--list", "list_path", type=click.Path(path_type=Path),
              help="预算清单（.xlsx 或 .csv）")
@click.option("--targets", "targets_path", type=click.Path(path_type=Path),
              help="批复的绩效目标（.xlsx 或 .csv），预填并锁定")
@click.option("--year", type=click.IntRange(2000, 2100), help="评价年度，如 2023")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="输出目录")
@click.option("--money-unit", type=click.Choice(["万元", "元"]), default="万元", show_default=True,
              help="清单金额单位；元 会换算为万元")
@click.option("--password", default=None, help="工作表保护密码；不填则每个文件随机生成并记入 manifest")
@click.option("--key-file", type=click.Path(path_type=Path), default=None,
              help="签名密钥文件（也可用环境变量 XLKIT_KEY）")
@click.option("--force", is_flag=True, help="覆盖输出目录中已有的文件")
@click.option("--blank", is_flag=True, help="只生成一张空白表（配合 -o）")
@click.option("-o", "output", type=click.Path(path_type=Path), help="--blank 时的输出文件")
def build(spec_ref, list_path, targets_path, year, out_dir, money_unit, password, key_file,
          force, blank, output) -> None:
    """按预算清单为每个项目生成锁定、预填的绩效自评表。"""
    from .build import build_workbook, write_atomic
    from .meta import KeyFileError, load_key

    spec = _load_spec(spec_ref)
    try:
        key = load_key(key_file)
    except KeyFileError as exc:
        _fail(str(exc))
    if key is None:
        click.echo("提示：未提供签名密钥（--key-file 或 XLKIT_KEY），生成的工作簿未签名，"
                   "回收时无法发现预填数据被改动。", err=True)
    if blank:
        if output is None:
            _fail("--blank 需要用 -o 指定输出文件")
        if output.exists() and not force:
            _fail(f"{output} 已存在，如需覆盖请加 --force")
        built = build_workbook(spec, {"year": year}, key=key, password=password or "")
        write_atomic(output, built.data)
        click.echo(f"已生成空白表：{output}")
        return
    missing = [n for n, v in (("--list", list_path), ("--year", year), ("--out", out_dir))
               if v is None]
    if missing:
        _fail("缺少参数 " + "、".join(missing) + "（或用 --blank -o FILE 生成空白表）")
    _build_from_list(spec, list_path, targets_path, year, out_dir, money_unit, password, key,
                     force)


def _build_from_list(spec, list_path, targets_path, year, out_dir, money_unit, password, key,
                     force) -> None:
    from .build.distribute import MANIFEST, check_targets, issue_all, plan
    from .distlist import ListError, read_list, read_targets

    try:
        result = read_list(list_path, money_unit=money_unit, level=spec.level)
        targets, target_problems = ({}, [])
        if targets_path is not None:
            targets, target_problems = read_targets(targets_path)
    except ListError as exc:
        _fail(str(exc))
    for p in result.problems + target_problems:
        click.echo(f"  {p}", err=True)
    if not result.rows:
        _fail(f"{list_path} 中没有可用的行（共 {result.total_rows} 行数据）")
    code_key = "unit_code" if spec.level == "unit" else "project_code"
    for msg in check_targets(spec, targets, (r[code_key] for r in result.rows)):
        click.echo(f"  提示：{msg}", err=True)
    the_plan = plan(spec, result.rows, out_dir)
    clashes = the_plan.clashes(out_dir)
    if clashes and not force:
        shown = "、".join(str(p) for p in clashes[:3]) + (" 等" if len(clashes) > 3 else "")
        _fail(f"输出目录中已有同名文件（{shown}，共 {len(clashes)} 个），如需覆盖请加 --force")
    n = len(the_plan.items)
    with click.progressbar(length=n, label="生成工作簿", file=sys.stderr,
                           show_pos=True) as bar:
        issue_all(spec, the_plan, year=year, out_dir=out_dir, targets=targets, key=key,
                  password=password, on_progress=bar.update)
    bad_rows = result.total_rows - len(result.rows)
    click.echo(f"已生成 {n} 个工作簿：{out_dir}")
    click.echo(f"下发清单：{out_dir / MANIFEST}")
    if bad_rows:
        click.echo(f"有 {bad_rows} 行未生成（见上方提示）", err=True)
        sys.exit(EXIT_ROWS)


def _key(key_file):
    from .meta import KeyFileError, load_key

    try:
        return load_key(key_file)
    except KeyFileError as exc:
        _fail(str(exc))


KEY_OPTION = click.option("--key-file", type=click.Path(path_type=Path), default=None,
                          help="签名密钥文件（也可用环境变量 XLKIT_KEY），用于核验签名")
YEAR_OPTION = click.option("--year", type=click.IntRange(2000, 2100), default=None,
                           help="本次收集的年度；其他年度的表格会被指出")
JOBS_OPTION = click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
                           help="并行读取的进程数（默认为 CPU 核数）")


def _read_results(paths, key, year, jobs, label):
    from .read import expand, iter_read

    files, skipped = expand(paths)
    results = list(skipped)
    if not files and not skipped:
        _fail("没有找到要读取的工作簿：" + "、".join(map(str, paths)))
    with click.progressbar(length=len(files), label=label, file=sys.stderr,
                           show_pos=True) as bar:
        for r in iter_read(files, key=key, year=year, jobs=jobs):
            results.append(r)
            bar.update(1)
    return results


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@KEY_OPTION
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
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for r in results:
            click.echo(f"== {r.path}")
            for f in r.findings:
                where = f" {f.where}" if f.where else ""
                click.echo(f"  [{f.severity}] {f.code}{where}：{f.message}")
            click.echo("  " + _verdict(r))
    if any(r.status == "rejected" for r in results):
        sys.exit(EXIT_INPUT)
    sys.exit(EXIT_ROWS if any(r.errors for r in results) else EXIT_OK)


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
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path),
              help="输出：.xlsx 文件；文件夹（写 CSV）；以 .parquet 结尾的文件夹（写 parquet）")
@KEY_OPTION
@YEAR_OPTION
@JOBS_OPTION
@click.option("--english", is_flag=True, help=".xlsx 输出用英文列名")
def read_cmd(paths, out, key_file, year, jobs, english) -> None:
    """把报回的工作簿（文件或文件夹，递归）读成表：项目、资金、指标、评分表、问题清单、文件。

    写出表格即退出码 0（问题都在“问题清单”和“文件”表中）；无法写出时为 2。
    """
    from .read import tables_of

    results = _read_results(paths, _key(key_file), year, jobs, "读取")
    tables = tables_of(results)
    try:
        if out.suffix.lower() == ".xlsx":
            tables.to_excel(out, chinese=not english)
        elif out.suffix.lower() == ".parquet":
            tables.to_parquet(out)
        else:
            tables.to_csv(out)
    except RuntimeError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"无法写入 {out}：{exc.strerror}")
    n_read = sum(r.status == "read" for r in results)
    n_rej = sum(r.status == "rejected" for r in results)
    n_skip = sum(r.status == "skipped" for r in results)
    errors = sum(r.errors for r in results)
    hints = sum(r.hints for r in results)
    click.echo(f"收到 {len(results)} 个文件：读取 {n_read}，无法读取 {n_rej}，跳过 {n_skip}；"
               f"错误 {errors}，提示 {hints}")
    click.echo(f"已写出：{out}")


@main.command()
def schema() -> None:
    """打印读出的各张表的列（名称、类型、中文列名、含义）和问题代码。"""
    from .findings import CODES
    from .tables import schema_text

    click.echo(schema_text())
    click.echo("findings.code (问题代码)")
    for code, (severity, title) in CODES.items():
        click.echo(f"  {code:<26} {severity}  {title}")


if __name__ == "__main__":  # pragma: no cover
    main()
