"""The classification stage: stored public comments -> classified comments (label, probabilities, the
escalation decision). It reads only what the monitor stored and writes only those columns; escalation picks the
classified comments up from there."""
