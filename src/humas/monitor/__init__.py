"""Comment collection: polling with decay under leases and budgets (:mod:`.poller`), Meta webhooks
(:mod:`.webhooks`), exactly-once storage (:mod:`.store`)."""

from humas.monitor.poller import AccountReport, Monitor, MonitorReport

__all__ = ["AccountReport", "Monitor", "MonitorReport"]
