"""The tracking API: Segment-compatible HTTP, pixel and settings endpoints."""
