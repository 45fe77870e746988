"""Platform accounts: adapters built from the config (:mod:`.registry`), what content becomes on an account
(:mod:`.drafts`), each account's own state (paused, pacing: :mod:`.state`) and the overview people see
(:mod:`.overview`)."""
