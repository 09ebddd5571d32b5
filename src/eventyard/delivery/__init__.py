"""Durable per-destination queues, retries with backoff, dead letters, delivery status."""
