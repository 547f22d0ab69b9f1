"""钉钉 on the ``policyqa`` CLI: run the app robot in Stream mode (``policyqa dingtalk``)."""

from __future__ import annotations

import typer

from assistant.settings import Settings
from policyqa.storage import build_engine

STREAM_LOCK = "dingtalk.stream"
STANDBY_SECONDS = 5.0


def dingtalk() -> None:
    """启动钉钉机器人（Stream 模式，主动连接钉钉，无需公网 IP）；每个钉钉应用只运行一个实例，
    已有实例运行时本实例待命，对方停止后接替。"""
    # imported here: the CLI's other commands need neither the SDK nor the model
    from channels.dingtalk_stream import build_stream_client
    from policyqa.composition import build_services
    from registry.locks import leadership

    settings = Settings()
    stream = settings.channels.dingtalk_stream
    if not stream.client_id or not stream.client_secret:
        typer.echo(
            "钉钉机器人未启用：请设置 POLICYQA_CHANNELS__DINGTALK_STREAM__CLIENT_ID 和 "
            "POLICYQA_CHANNELS__DINGTALK_STREAM__CLIENT_SECRET（钉钉开放平台应用的 Client ID 和 "
            "Client Secret，机器人消息接收模式选 Stream 模式）。",
            err=True,
        )
        raise typer.Exit(code=1)
    services = build_services(settings)
    client = build_stream_client(services, settings)
    # 钉钉 hands each message to one of the app's connections: one instance connects, a second
    # one (another host) stands by and takes over within STANDBY_SECONDS of its death.
    with leadership(
        build_engine(settings),
        STREAM_LOCK,
        retry_seconds=STANDBY_SECONDS,
        on_standby=lambda: typer.echo(
            f"另一个 policyqa dingtalk 实例正在运行：本实例待命，对方停止后 {STANDBY_SECONDS:g} 秒内接替。"
        ),
    ):
        typer.echo(f"钉钉机器人已启动（Stream 模式，{stream.gateway_url}），Ctrl-C 退出。")
        client.start_forever()


def register(app: typer.Typer) -> None:
    app.command()(dingtalk)
