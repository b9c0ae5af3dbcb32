"""The web UI for collectors and account teams: `copilot.web.app.create_app(settings)`."""
