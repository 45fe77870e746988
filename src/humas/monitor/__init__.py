"""The monitor stage: published posts -> stored public comments. Polling with decay under leases and budgets
(:mod:`.poller`), Meta webhooks (:mod:`.webhooks`), exactly-once storage (:mod:`.store`). It stores; the
classification stage (:mod:`humas.classify`) takes it from there."""
