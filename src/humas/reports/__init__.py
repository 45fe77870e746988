"""The read side over every stage: the weekly report (:mod:`.weekly`), the daily recap of public responses
(:mod:`.recap`) and the reminders about steps past their time standard (:mod:`.reminders`)."""
