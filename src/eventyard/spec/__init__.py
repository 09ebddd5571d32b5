"""The Segment Spec: message validation, enrichment, timestamps, size limits."""
