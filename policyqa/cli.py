"""The ``policyqa`` command line (also ``python -m assistant``)."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.settings import Settings
from policyqa.backup_cli import register as register_backup
from policyqa.bot_cli import register as register_bot
from policyqa.channel_cli import register as register_channels
from policyqa.dingtalk_cli import register as register_dingtalk
from policyqa.registry_cli import register
from policyqa.storage import build_engine, build_registry, keep_private, shanghai_now
from policyqa.usage import explain, is_usage_error

if TYPE_CHECKING:
    from assistant.models import Citation
    from assistant.search import Hit
    from assistant.services import Services

app = typer.Typer(help="双碳政策助手", no_args_is_help=True, pretty_exceptions_enable=False)
register(app)
register_backup(app)
register_bot(app)
register_channels(app)
register_dingtalk(app)

_HIT_FIELDS = {"document", "clause", "heading", "text", "score"}
# The contract scripts rely on; the API's answers also carry each citation's level.
_CITATION_FIELDS = {"document", "clause", "text"}
_ANSWER_FIELDS = {"answer", "kind"}


def _services() -> Services:
    """The product's services. The search stack (Chroma, LangChain, the model) loads here, only
    for the commands that search or index: the registry commands start in about a second."""
    from policyqa.composition import build_services

    return build_services(Settings())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # bm25s sets its own logger to DEBUG at import.
    logging.getLogger("bm25s").setLevel(logging.INFO if verbose else logging.WARNING)
    # httpx logs every request's URL at INFO: a robot's key or a bot token is in the URL
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    keep_private(Settings().data_dir)  # every command, the server too


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="文件或目录（默认 corpus/ 清单中的全部文档）")
    ] = None,
    source_id: Annotated[
        str | None, typer.Option("--source-id", help="sources.toml 中的文档 id")
    ] = None,
    draft: Annotated[
        bool,
        typer.Option("--draft", help="只生成草稿：审核后用 policyqa publish 发布到台账和检索"),
    ] = False,
) -> None:
    """把文档解析为条款并建立索引（增量：未变化的文档跳过）；--draft 先审核再发布。"""
    from assistant.ingest import UnknownSource
    from retrieval.sources import ManifestError
    from retrieval.store import CHROMA_UNREACHABLE

    services = _services()
    if draft:
        _draft(services, paths or [], source_id)
        return
    try:
        report = services.ingest.ingest(
            paths or None, source_id=source_id, progress=sys.stderr.isatty()
        )
    except (UnknownSource, ManifestError) as exc:
        raise _fail(str(exc)) from None
    except CHROMA_UNREACHABLE as exc:
        raise _fail(f"检索服务（Chroma）暂时无法连接，索引未改动：{exc}") from None
    for path, message in report.failed:
        typer.echo(f"失败：{path}：{message}", err=True)
    for warning in report.warnings:
        typer.echo(f"警告：{warning}", err=True)
    for notice in report.notices:
        typer.echo(f"注意：{notice}", err=True)
    typer.echo(report.summary())
    if report.failed:
        raise typer.Exit(code=1)


def _draft(services: Services, paths: list[Path], source_id: str | None) -> None:
    from assistant.intake import IntakeError

    if len(paths) != 1 or not paths[0].is_file():
        raise _fail("--draft 需要且只能给出一个文件")
    try:
        found = services.intake.upload(
            paths[0].name, paths[0].read_bytes(), {"id": source_id or ""}, actor="命令行"
        )
    except IntakeError as exc:
        raise _fail(str(exc)) from None
    tasks = sum(not m["excluded"] for m in found.measures)
    carried = f"，沿用上一版本的更正 {found.carried} 项" if found.carried else ""
    typer.echo(
        f"已生成草稿 {found.id}（{found.source['title']}）：任务 {tasks} 项{carried}。"
        f"审核：网页“文件入库”；发布：policyqa publish {found.id}"
    )


@app.command()
def drafts(
    every: Annotated[bool, typer.Option("--all", help="包括已发布和已放弃的草稿")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """待审核的草稿（--all：全部）。"""
    from registry.drafts import Drafts

    settings = Settings()  # the drafts' table alone: listing them needs no search stack
    engine = build_engine(settings)
    drafts = Drafts(engine, build_registry(settings, engine=engine), clock=shanghai_now)
    found = drafts.list(status=None if every else "draft")
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in found], ensure_ascii=False, default=str))
        return
    for d in found:
        typer.echo(f"{d.id}\t{d.status}\t{d.source_id}\t{d.title}\t{d.file_name}")
    if not found:
        typer.echo("没有待审核的草稿。")


@app.command()
def publish(
    draft_id: Annotated[int, typer.Argument(help="草稿编号（policyqa drafts 可查）")],
) -> None:
    """把审核过的草稿发布到任务台账（一个事务），再写入来源清单并建立检索索引。"""
    from registry.service import RegistryError

    try:
        done = _services().intake.publish(draft_id, actor="命令行")
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"已发布草稿 {draft_id}：台账任务 {done.ledger.tasks} 项，指标 {done.ledger.targets} 个。"
    )
    if done.warning:
        typer.echo(f"注意：{done.warning}", err=True)


@app.command(hidden=True)
def vectors() -> None:
    """（维护）把语料全部分块的向量写入 corpus/vectors/，随代码发布，新装免去向量化等待。"""
    path, count = _services().ingest.write_vectors()
    typer.echo(f"已写出 {count} 个分块的向量：{path}")


@app.command()
def remove(
    source_id: Annotated[str, typer.Argument(help="文档的来源编号（policyqa documents 可查）")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再确认")] = False,
) -> None:
    """从检索和任务台账中移除一份文档；其他文档不受影响，里程碑和进展保留（重新入库即恢复）。"""
    from registry.service import RegistryError
    from retrieval.store import CHROMA_UNREACHABLE

    services = _services()
    if not yes:
        typer.confirm(f"将从检索和台账中移除文档 {source_id}，是否继续？", abort=True)
    try:
        indexed, tasks = services.ingest.remove(source_id, actor="命令行")
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    except CHROMA_UNREACHABLE as exc:
        raise _fail(f"检索服务（Chroma）暂时无法连接，未作改动：{exc}") from None
    where = "检索和台账" if indexed else "台账"
    typer.echo(f"已从{where}中移除文档 {source_id}：任务 {tasks} 项已停用（里程碑和进展保留）。")


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="问题；为 - 时从标准输入逐行读取")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="返回条数")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    include_guides: Annotated[
        bool, typer.Option("--include-guides", help="同时检索绿色生活指南")
    ] = False,
) -> None:
    """检索相关条款（默认只检索正式文件；未列入来源清单的文件标注“未核实”）。"""
    from retrieval.search import IndexNotReady, IndexUnavailable

    services = _services()
    questions = (line.strip() for line in sys.stdin) if question == "-" else iter([question])
    try:
        for q in questions:
            hits = services.search.search(q, k=k, include_guides=include_guides, unverified=True)
            if as_json or question == "-":
                typer.echo(json.dumps([_marked(h, _HIT_FIELDS) for h in hits], ensure_ascii=False))
            else:
                typer.echo(_format_hits(hits) if hits else "没有找到相关条款。")
    except IndexNotReady:
        raise _fail("索引为空，请先运行 policyqa ingest。") from None
    except IndexUnavailable as exc:
        raise _fail(f"检索服务（Chroma）暂时无法连接：{exc}") from None


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="问题；为 - 时从标准输入逐行读取")],
    audience: Annotated[str, typer.Option("--audience", help="public 或 official")] = "official",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    conversation: Annotated[str | None, typer.Option("--conversation", help="多轮对话编号")] = None,
) -> None:
    """提问：回答并给出引用的文件和条款。"""
    if audience not in ("public", "official"):
        raise typer.BadParameter("--audience 只能是 public 或 official")
    from retrieval.search import IndexNotReady, IndexUnavailable

    services = _services()
    questions = (line.strip() for line in sys.stdin) if question == "-" else iter([question])
    try:
        for q in questions:
            answer = services.answers.ask(q, audience=audience, conversation_id=conversation)  # type: ignore[arg-type]
            if as_json or question == "-":
                shown = answer.model_dump(include=_ANSWER_FIELDS)
                shown["citations"] = [_marked(c, _CITATION_FIELDS) for c in answer.citations]
                typer.echo(json.dumps(shown, ensure_ascii=False))
            else:
                cited = "\n".join(f"  {c.where}：{c.text}" for c in answer.citations)
                typer.echo(f"{answer.answer}\n\n依据：\n{cited}" if cited else answer.answer)
    except IndexNotReady:
        raise _fail("索引为空，请先运行 policyqa ingest。") from None
    except IndexUnavailable as exc:
        raise _fail(f"检索服务（Chroma）暂时无法连接：{exc}") from None


def _format_hits(hits: list[Hit]) -> str:
    return "\n\n".join(
        f"{n}. {h.where}（{h.score:.3f}）\n   {h.heading}\n   {h.text}"
        for n, h in enumerate(hits, 1)
    )


def _marked(item: Hit | Citation, fields: set[str]) -> dict:
    """The contract's fields, and ``"verified": false`` on a text the manifest does not list."""
    return item.model_dump(include=fields if item.verified else {*fields, "verified"})


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="工作进程数（>1 需要 Chroma 服务器）")
    ] = 1,
) -> None:
    """启动 HTTP 服务（API 与网页）。"""
    import uvicorn

    settings = Settings()
    host, port = host or settings.api.host, port or settings.api.port
    if workers > 1:
        if not settings.chroma_url:
            # an embedded Chroma directory belongs to one process
            raise _fail("several workers need a Chroma server: set POLICYQA_CHROMA_URL")
        uvicorn.run(
            "policyqa.web:app_from_env", factory=True, workers=workers, host=host, port=port
        )
        return
    from policyqa.composition import build_services
    from policyqa.web import build_web_app

    app = build_web_app(build_services(settings), background=True)
    uvicorn.run(app, host=host, port=port, log_level="info")


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # click's errors, in Typer's copy of click
        if is_usage_error(exc):
            typer.echo(explain(exc), err=True)
        else:
            exc.show()  # type: ignore[attr-defined]  # e.g. the help shown for no arguments
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("已取消。", err=True)
        sys.exit(1)
    except Exception as exc:
        from registry.db import DatabaseUnavailable  # not at start-up: it loads SQLAlchemy

        if not isinstance(exc, DatabaseUnavailable):
            raise
        typer.echo("数据库暂时无法连接，请稍后再试。", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
