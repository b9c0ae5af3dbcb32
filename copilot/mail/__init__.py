"""Mail in and out: the poller, storing one message, parsing, auto-replies and bounces, matching, quarantine, mailboxes and the SMTP sender."""
