"""Stage before content: the monthly content plan (meeting, proposed items, approval); approved items become
content drafts under the SOP's content chain."""
