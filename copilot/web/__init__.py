"""The web UI for collectors and account teams, and the users who sign in to it (`copilot.web.app.create_app`)."""
