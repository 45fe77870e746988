"""The escalation stage: classified comments -> cases for the SOP's escalation role (the redaktur) -> reply jobs.
:mod:`.triage` opens cases from classified comments, :mod:`.cases` is the state machine people drive (open →
drafted → approved/rejected → posted; dismissed; hidden), :mod:`.replies` is what a reply job's end means for its
case."""
