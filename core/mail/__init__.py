"""Email: compose (MIME, Markdown), attachments, the send lifecycle, pacing and quota,
SES templates, bulk sends and resends. Used by both front ends."""
