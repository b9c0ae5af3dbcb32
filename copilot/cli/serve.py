"""`copilot serve`: run the web UI under uvicorn."""

import click

from copilot.cli.app import App, main, pass_app


def run_server(app: App, host: str | None, port: int | None, demo: bool = False) -> None:
    """Build the web app from the settings and serve it until interrupted."""
    import uvicorn

    from copilot.web.app import create_app

    settings = app.settings
    web = create_app(settings, app.policy, demo=demo)
    host = host or settings.web.host
    port = port or settings.web.port
    click.echo(f"Collector Copilot is at http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)


@main.command("serve")
@click.option("--host", help="Address to listen on (setting COPILOT_WEB__HOST, default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (setting COPILOT_WEB__PORT, default 8000).")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the web UI for collectors and account teams (needs COPILOT_WEB__SECRET_KEY)."""
    run_server(app, host, port)
