//! Blood gas transport primitives.
