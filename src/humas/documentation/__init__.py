"""Documentation equipment and the leaders' agenda: items, inventory rounds with per-item checks, agenda entries
with documentation assignments (equipment checked out and returned); an agenda entry opens the media SOP's content."""
