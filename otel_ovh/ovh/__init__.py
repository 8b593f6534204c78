"""Access to the OVH API: the signed client, tolerant parsing, and what each metric family fetches."""
