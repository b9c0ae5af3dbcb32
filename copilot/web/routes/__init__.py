"""One router per screen; `ROUTERS` is what the app includes."""

from copilot.web.routes import account, auth, customers, dashboard, disputes, drafts, inbox, promises, tasks, worklist

ROUTERS = [auth.router, worklist.router, drafts.router, inbox.router, dashboard.router, customers.router,
           disputes.router, promises.router, tasks.router, account.router]  # fmt: skip
