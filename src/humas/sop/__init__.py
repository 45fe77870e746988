"""What an office's SOP says and how time is measured against it: the SOP definitions and presets
(:mod:`.model`, :mod:`.registry`), durations, the working-time calendar (:mod:`.calendar`) and step timing
(:mod:`.timing`). Every stage that walks an SOP reads it from here."""
