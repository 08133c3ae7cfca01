"""Files in S3 with their catalogue in MongoDB: checks, keys, transfers, links,
catalogue, lifecycle, versions, metadata and reconcile (one module each)."""
