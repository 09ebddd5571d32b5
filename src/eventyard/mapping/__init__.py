"""Segment's mapping language (mapping-kit directives), checked at config time, fast at run time.

A mapping is JSON made of raw values and directives (`{"@path": "$.userId"}`). It is
compiled once into closures; resolving it against an event never raises. Action fields
(`FieldSpec`) validate users' mappings at config time and mapped payloads at run time.
"""

from __future__ import annotations

from eventyard.mapping.compile import Mapping, compile_mapping, map_event
from eventyard.mapping.errors import MappingError
from eventyard.mapping.fields import FieldSpec, default_mapping, validate_against_fields
from eventyard.mapping.payload import check_payload, coerce_arrays, remove_empty

__all__ = [
    "FieldSpec",
    "Mapping",
    "MappingError",
    "check_payload",
    "coerce_arrays",
    "compile_mapping",
    "default_mapping",
    "map_event",
    "remove_empty",
    "validate_against_fields",
]
