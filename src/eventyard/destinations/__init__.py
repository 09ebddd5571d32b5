"""Destinations: one folder each, declared with a DestinationDefinition."""
