"""Cases for the SOP's escalation role (the redaktur): open → drafted → approved/rejected → posted; dismissed;
hidden. See :mod:`humas.escalation.cases` for the state machine and :mod:`humas.escalation.pipeline` for how
comments become cases."""
