"""Meta's customer information parameters, which Snap and Pinterest took over key for key.

developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-
parameters (conversions.md §1, §5, §6): em (trim, lowercase), ph (digits with the country code,
no `+`, no leading zeros), fn/ln, ge, db, ct, st, zp, country and external_id, all hashed with
SHA-256 after normalization; client_ip_address and client_user_agent never hashed. Meta takes
em, ph and external_id as arrays and the others single; Snap and Pinterest take every hashed
key as an array. Each platform adds its own click id and cookie keys.
"""

from __future__ import annotations

from eventyard.conversions import identity
from eventyard.destinations.ads.identifiers import (
    Identifier,
    InCountry,
    Normalize,
    hashed,
    ip_address,
    plain,
)

__all__ = ["customer_information"]

_HASHED: tuple[tuple[str, str, Normalize | InCountry], ...] = (
    ("em", "user.email", identity.email_basic),
    ("ph", "user.phone", InCountry(identity.phone_digits)),
    ("fn", "user.first_name", identity.name),
    ("ln", "user.last_name", identity.name),
    ("ge", "user.gender", identity.gender),
    ("db", "user.date_of_birth", identity.date_of_birth),
    ("ct", "user.city", identity.city),
    ("st", "user.state", identity.state),
    ("zp", "user.zip", InCountry(identity.zip_code)),
    ("country", "user.country", identity.country),
    ("external_id", "user.external_id", identity.external_id),
)
_ARRAYS_ON_META = frozenset({"em", "ph", "external_id"})


def customer_information(every_key_an_array: bool) -> tuple[Identifier, ...]:
    """The identifier table of these keys: Meta's arrays, or (Snap, Pinterest) all arrays."""
    return (
        *(
            hashed(key, source, rule, many=every_key_an_array or key in _ARRAYS_ON_META)
            for key, source, rule in _HASHED
        ),
        plain("client_ip_address", "ip", ip_address),
        plain("client_user_agent", "user_agent"),
    )
